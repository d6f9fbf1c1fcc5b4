"""The province's programme: goals and yearly growth targets per title, as data.

Both metrics (progress toward the goal, projections) and notifications (verdicts) read the same
file, so they can never disagree about the target. `HOCTAP_PROGRAMME_FILE` points at another.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from .model import AreaOverride, Programme, Target, parse_programme

DEFAULT_PROGRAMME = Path(__file__).resolve().parent / "tra-vinh-2024-2030.yaml"

__all__ = ["DEFAULT_PROGRAMME", "AreaOverride", "Programme", "Target", "load_programme", "parse_programme"]


def load_programme(path: Path = DEFAULT_PROGRAMME) -> Programme:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{path}: file not found") from None
    except yaml.YAMLError as error:
        raise ValueError(f"{path}: not valid YAML: {error}") from None
    return parse_programme(document, str(path))
