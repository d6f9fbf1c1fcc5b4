"""Reads rule-set YAML files from the built-in folder and any province override folders."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from ..domain.rule_book import RuleBook, RuleSetError, parse_rule_set
from ..domain.rules import RuleSet

BUILT_IN = Path(__file__).resolve().parent.parent / "rulesets"


class _StrictLoader(yaml.SafeLoader):
    """A YAML loader that refuses a key given twice in one mapping (plain YAML keeps the last,
    which would silently drop a value a reviewer can still see in the file)."""


def _mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} is given twice", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def _load(text: str, origin: str) -> Any:
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise RuleSetError(
            f"{origin}: not valid YAML: {error.problem or error.context}{where}"
        ) from None
    except yaml.YAMLError as error:
        raise RuleSetError(f"{origin}: not valid YAML: {error}") from None


def read_document(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RuleSetError(f"{path}: cannot be read: {error}") from None
    return _load(text, str(path))


def parse_text(text: str, origin: str) -> RuleSet:
    """A rule set given as YAML (or JSON) text, e.g. a candidate posted to the simulation API."""
    return parse_rule_set(_load(text, origin), origin)


def load_rule_set(path: Path) -> RuleSet:
    """One rule-set file, validated (a candidate for `simulate`)."""
    return parse_rule_set(read_document(path), str(path))


def load_rule_book(folders: Iterable[Path] = (BUILT_IN,)) -> RuleBook:
    """Load every *.yaml under the folders (sorted), validating each; raises RuleSetError."""
    entries = []
    folders = list(folders)
    for folder in folders:
        if not folder.is_dir():
            raise RuleSetError(f"{folder}: rule-set folder does not exist")
        for path in sorted(folder.rglob("*.yaml")):
            entries.append((parse_rule_set(read_document(path), str(path)), str(path)))
    if not entries:
        raise RuleSetError("no rule sets found in " + ", ".join(str(f) for f in folders))
    return RuleBook.of(entries)
