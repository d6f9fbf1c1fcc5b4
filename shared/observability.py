"""Operational metrics every service exports, on a registry the composition root injects.

Names follow `hoctap_<service>_<what>_<unit>`; labels come from small closed sets (topic,
outcome, reason code), never identifiers.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Iterable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import HistogramMetricFamily
from prometheus_client.registry import Collector
from prometheus_client.utils import INF, floatToGoString

CONSUME_OUTCOMES = ("processed", "duplicate", "ignored", "dead_lettered")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
# End-to-end ages: fine around the 1-2 s objective, long tail for catch-up after an outage.
AGE_BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 1.25, 1.5, 2, 2.5, 3, 5, 10, 30, 60, 300, 1800)


class BatchHistogram(Collector):
    """A histogram with one label that takes a batch's observations in one call.

    The same exposition as client_python's `Histogram` (cumulative `_bucket{le}`, `_sum`,
    `_count`; no `_created`), and the same bucket rule (a value goes to the first bound not below
    it). `Histogram.observe` takes a lock and walks the bounds for every value: at a consumer's
    pace, one per record, that was 3 % of the metrics service's fold. Here a batch costs one lock,
    and each value one bisection."""

    def __init__(
        self, name: str, documentation: str, label: str, buckets: Iterable[float], registry: CollectorRegistry
    ) -> None:
        self.name, self.documentation, self.label = name, documentation, label
        self.bounds = sorted(float(b) for b in buckets if float(b) != INF)
        self._series: dict[str, tuple[list[int], list[float]]] = {}  # label value -> (counts, [sum])
        self._lock = threading.Lock()
        registry.register(self)

    def observe_many(self, label_value: str, values: Iterable[float]) -> None:
        """Observe every value (each as `Histogram.observe` would), under one lock."""
        bounds, find = self.bounds, bisect_left
        counts = [0] * (len(bounds) + 1)  # the last one is +Inf
        total = 0.0
        for value in values:
            counts[find(bounds, value)] += 1
            total += value
        with self._lock:
            series = self._series.get(label_value)
            if series is None:
                self._series[label_value] = (counts, [total])
                return
            kept, kept_sum = series
            for i, count in enumerate(counts):
                kept[i] += count
            kept_sum[0] += total

    def describe(self) -> list[HistogramMetricFamily]:
        return [HistogramMetricFamily(self.name, self.documentation, labels=[self.label])]

    def collect(self) -> Iterator[HistogramMetricFamily]:
        family = HistogramMetricFamily(self.name, self.documentation, labels=[self.label])
        with self._lock:
            series = [(value, list(counts), sums[0]) for value, (counts, sums) in sorted(self._series.items())]
        for value, counts, total in series:
            cumulative, buckets = 0, []
            for bound, count in zip([*map(floatToGoString, self.bounds), "+Inf"], counts, strict=True):
                cumulative += count
                buckets.append((bound, cumulative))
            family.add_metric([value], buckets, total)
        yield family


class ServiceMetrics:
    def __init__(self, service: str, registry: CollectorRegistry) -> None:
        prefix = f"hoctap_{service}"
        self.registry = registry
        self.consumed = Counter(
            f"{prefix}_events_consumed_total",
            "Records consumed, by topic and outcome.",
            ["topic", "outcome"],
            registry=registry,
        )
        self.dead_letters = Counter(
            f"{prefix}_dead_letters_total",
            "Records sent to the dead-letter topic, by source topic and reason code.",
            ["topic", "reason"],
            registry=registry,
        )
        self.published = Counter(
            f"{prefix}_events_published_total",
            "Records the outbox relay published, by topic.",
            ["topic"],
            registry=registry,
        )
        self.processing_failures = Counter(
            f"{prefix}_processing_failures_total",
            "Batches that failed: transient (retried) or isolated (split to find the bad record).",
            ["topic", "kind"],
            registry=registry,
        )
        self.batch_seconds = Histogram(
            f"{prefix}_batch_processing_seconds",
            "Time to process one consumed batch, including its database transaction.",
            ["topic"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.event_age_seconds = BatchHistogram(
            f"{prefix}_event_age_seconds",
            "Seconds from when the inbound fact behind a consumed event entered hoctap (its record "
            "timestamp, carried forward as ce_origintime) until this service committed its effect.",
            "topic",
            AGE_BUCKETS,
            registry,
        )
        self.outbox_backlog = Gauge(
            f"{prefix}_outbox_backlog",
            "Outbox rows written but not yet published.",
            registry=registry,
        )
        self.consumer_lag = Gauge(
            f"{prefix}_consumer_lag",
            "Records behind the end of each consumed topic (summed over assigned partitions).",
            ["topic"],
            registry=registry,
        )

    def declare_topics(self, consumed: list[str], published: list[str]) -> None:
        """Create every known label combination at zero, so the series exist before the first event."""
        from .consumer import DEAD_LETTER_CODES

        for topic in consumed:
            for outcome in CONSUME_OUTCOMES:
                self.consumed.labels(topic, outcome)
            for code in DEAD_LETTER_CODES:
                self.dead_letters.labels(topic, code)
            for kind in ("transient", "isolated"):
                self.processing_failures.labels(topic, kind)
            self.consumer_lag.labels(topic)
        for topic in published:
            self.published.labels(topic)
