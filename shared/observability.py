"""Operational metrics every service exports, on a registry the composition root injects.

Names follow `hoctap_<service>_<what>_<unit>`; labels come from small closed sets (topic,
outcome, reason code), never identifiers.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

CONSUME_OUTCOMES = ("processed", "duplicate", "ignored", "dead_lettered")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
# End-to-end ages: fine around the 1-2 s objective, long tail for catch-up after an outage.
AGE_BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 1.25, 1.5, 2, 2.5, 3, 5, 10, 30, 60, 300, 1800)


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
        self.event_age_seconds = Histogram(
            f"{prefix}_event_age_seconds",
            "Seconds from when the inbound fact behind a consumed event entered hoctap (its record "
            "timestamp, carried forward as ce_origintime) until this service committed its effect.",
            ["topic"],
            buckets=AGE_BUCKETS,
            registry=registry,
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
