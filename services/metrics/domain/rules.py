"""The settings the metrics logic depends on, gathered once by the composition root."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from shared.events.vocabulary import Title
from shared.programme import Programme

from .indicators import Policy

REFORM_DATE = date(2025, 7, 1)  # two-level local government: districts ended on 30 June 2025


@dataclass(frozen=True, slots=True)
class MetricsRules:
    reform_date: date = REFORM_DATE
    policies: Mapping[Title, Policy] = field(default_factory=dict)
    country_code: str = "VN"
    country_name: str = "Việt Nam"

    def policy(self, title: Title) -> Policy:
        return self.policies.get(title) or Policy()

    @classmethod
    def build(
        cls,
        *,
        programme: Programme | None,
        reform_date: date = REFORM_DATE,
        unassessed_tolerance: float = 0.05,
        country_code: str = "VN",
        country_name: str = "Việt Nam",
    ) -> MetricsRules:
        policies = {
            title: Policy(
                unassessed_tolerance=unassessed_tolerance,
                target=programme.target(title) if programme else None,
                programme_first_year=programme.first_year if programme else None,
            )
            for title in Title
        }
        return cls(reform_date, policies, country_code, country_name)
