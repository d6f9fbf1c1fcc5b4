"""BatchHistogram: a batch of observations in one call, exposed exactly as client_python's Histogram."""

from __future__ import annotations

import random

import pytest
from prometheus_client import CollectorRegistry, Histogram, generate_latest

from shared.observability import AGE_BUCKETS, BatchHistogram


def exposition(registry: CollectorRegistry) -> list[str]:
    """The text exposition without `_created` (which BatchHistogram does not keep) and `_sum`
    (compared apart: a different order of additions may differ in the last digit)."""
    return [
        line
        for line in generate_latest(registry).decode().splitlines()
        if "_created" not in line and "_sum" not in line
    ]


def test_a_batch_histogram_exposes_the_buckets_and_count_a_histogram_would_for_the_same_values() -> None:
    rng = random.Random(7)
    # Values on the bounds too: each belongs to its own bucket (le is "less than or equal").
    values = [rng.choice([0.0, 0.05, 1.0, 1800.0, 5000.0]) for _ in range(40)]
    values += [rng.random() * 100 for _ in range(200)]
    reference, batched = CollectorRegistry(), CollectorRegistry()
    histogram = Histogram("age_seconds", "Age.", ["topic"], buckets=AGE_BUCKETS, registry=reference)
    batch = BatchHistogram("age_seconds", "Age.", "topic", AGE_BUCKETS, batched)

    for value in values:
        histogram.labels("a").observe(value)
    for value in values[:50]:
        histogram.labels("b").observe(value)
    batch.observe_many("a", values[:100])
    batch.observe_many("b", values[:50])
    batch.observe_many("a", values[100:])

    assert exposition(batched) == exposition(reference)
    for topic, observed in (("a", values), ("b", values[:50])):
        assert batched.get_sample_value("age_seconds_sum", {"topic": topic}) == pytest.approx(sum(observed))
        assert batched.get_sample_value("age_seconds_count", {"topic": topic}) == len(observed)


def test_a_batch_histogram_shows_no_series_before_its_first_observation_and_counts_an_empty_batch_as_nothing() -> None:
    registry = CollectorRegistry()
    batch = BatchHistogram("age_seconds", "Age.", "topic", (1, 2, float("inf")), registry)
    assert registry.get_sample_value("age_seconds_count", {"topic": "a"}) is None

    batch.observe_many("a", [])
    batch.observe_many("a", [3.0])

    assert registry.get_sample_value("age_seconds_count", {"topic": "a"}) == 1
    assert registry.get_sample_value("age_seconds_bucket", {"topic": "a", "le": "2.0"}) == 0
    assert registry.get_sample_value("age_seconds_bucket", {"topic": "a", "le": "+Inf"}) == 1
