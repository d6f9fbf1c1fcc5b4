"""Notifications use cases: keep the latest figures, judge them, owe notices, deliver e-mails."""

from .delivery import Deliverer, RetryPolicy
from .evaluation import Policy, Report, evaluate
from .evaluator import Evaluator
from .indicators import figures_of, on_indicators

__all__ = ["Deliverer", "Evaluator", "Policy", "Report", "RetryPolicy", "evaluate", "figures_of", "on_indicators"]
