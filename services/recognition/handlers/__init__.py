"""Recognition use cases: consume registry snapshots and evidence, cascade decisions, re-evaluate
when rules change. Each takes a unit of work (and `now`) and returns what to publish."""

from .consume import RecognitionHandler
from .reevaluate import reevaluate

__all__ = ["RecognitionHandler", "reevaluate"]
