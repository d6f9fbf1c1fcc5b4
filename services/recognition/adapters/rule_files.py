"""Reads rule-set YAML files from the built-in folder and any province override folders."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml

from ..domain.rule_book import RuleBook, RuleSetError, parse_rule_set

BUILT_IN = Path(__file__).resolve().parent.parent / "rulesets"


def load_rule_book(folders: Iterable[Path] = (BUILT_IN,)) -> RuleBook:
    """Load every *.yaml under the folders (sorted), validating each; raises RuleSetError."""
    entries = []
    for folder in folders:
        if not folder.is_dir():
            raise RuleSetError(f"{folder}: rule-set folder does not exist")
        for path in sorted(folder.rglob("*.yaml")):
            try:
                document = yaml.safe_load(path.read_text(encoding="utf-8"))
            except yaml.YAMLError as error:
                raise RuleSetError(f"{path}: not valid YAML: {error}") from None
            entries.append((parse_rule_set(document, str(path)), str(path)))
    if not entries:
        raise RuleSetError("no rule sets found in " + ", ".join(str(f) for f in folders))
    return RuleBook.of(entries)
