"""Recognition's own metrics (decisions by title and outcome), on the injected registry."""

from __future__ import annotations

import collections
from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Counter

from shared.events.vocabulary import Title

from ..domain.decisions import DecisionState

OUTCOMES = ("granted", "not_granted", "not_assessable")


class RecognitionMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.decisions = Counter(
            "hoctap_recognition_decisions_total",
            "Decisions emitted (new or changed), by title and outcome.",
            ["title", "outcome"],
            registry=registry,
        )
        self.cascaded = Counter(
            "hoctap_recognition_cascade_evaluations_total",
            "Entity-years evaluated again because something they count changed (not their own facts).",
            registry=registry,
        )
        for title in Title:
            for outcome in OUTCOMES:
                self.decisions.labels(title.value, outcome)

    def count(self, decided: Sequence[DecisionState], cascaded: int = 0) -> None:
        # One labels() and inc() per series, not per decision.
        tallies: collections.Counter[tuple[str, str]] = collections.Counter()
        for state in decided:
            decision = state.decision
            outcome = (
                "granted"
                if decision.granted
                else "not_granted"
                if decision.assessable
                else "not_assessable"
            )
            tallies[(state.title.value, outcome)] += 1
        for (title, outcome), count in tallies.items():
            self.decisions.labels(title, outcome).inc(count)
        if cascaded > 0:
            self.cascaded.inc(cascaded)
