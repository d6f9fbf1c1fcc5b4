"""Loads the agency directory from YAML (the programme comes from shared.programme)."""

from __future__ import annotations

from pathlib import Path

import yaml

from ..domain.agencies import Directory, parse_directory


def _read(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{path}: file not found") from None
    except yaml.YAMLError as error:
        raise ValueError(f"{path}: not valid YAML: {error}") from None


def load_directory(path: Path) -> Directory:
    return parse_directory(_read(path), str(path))
