"""The notifications service's own metrics (on the injected registry; label values from closed sets)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

from ..domain.notices import NOTIFIED, Kind, Status
from ..domain.verdicts import Verdict

OUTCOMES = ("sent", "temporary_failure", "permanent_failure", "gave_up", "resent_after_interruption")


class NotificationMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.verdicts = Counter(
            "hoctap_notifications_verdicts_total",
            "Verdicts that changed (met, missed, on_track, at_risk, insufficient, not_judged), by new verdict.",
            ["verdict"],
            registry=registry,
        )
        self.alerts = Counter(
            "hoctap_notifications_alerts_total",
            "Notices created (each key once), by kind (area or digest), verdict and how they reach people.",
            ["kind", "verdict", "status"],
            registry=registry,
        )
        self.emails = Counter(
            "hoctap_notifications_emails_total", "E-mail delivery attempts, by outcome.", ["outcome"], registry=registry
        )
        self.recipients_refused = Counter(
            "hoctap_notifications_recipients_refused_total",
            "Recipients the SMTP server refused while accepting the others.",
            registry=registry,
        )
        self.pending = Gauge("hoctap_notifications_emails_pending", "E-mails waiting for delivery.", registry=registry)
        self.oldest_pending_age = Gauge(
            "hoctap_notifications_oldest_pending_age_seconds",
            "Age of the oldest e-mail waiting for delivery (0 when none).",
            registry=registry,
        )
        self.failed = Gauge(
            "hoctap_notifications_emails_failed",
            "E-mails refused permanently or given up on (kept until an operator requeues them).",
            registry=registry,
        )
        self.last_evaluation = Gauge(
            "hoctap_notifications_last_evaluation_timestamp_seconds",
            "When the last evaluation pass finished (Unix time).",
            registry=registry,
        )
        for verdict in (Verdict.MET, Verdict.MISSED, Verdict.ON_TRACK, Verdict.AT_RISK, Verdict.INSUFFICIENT, Verdict.NOT_JUDGED):
            self.verdicts.labels(verdict.value)
        for outcome in OUTCOMES:
            self.emails.labels(outcome)
        for verdict in NOTIFIED:
            for status in (Status.PENDING, Status.UNROUTED, Status.COVERED):
                self.alerts.labels(Kind.AREA.value, verdict.value, status.value)
            for status in (Status.PENDING, Status.UNROUTED):
                self.alerts.labels(Kind.DIGEST.value, verdict.value, status.value)
