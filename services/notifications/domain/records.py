"""The stored verdict of one area, title and year, and which notices a new judgement calls for.

Notices are keyed by (area, title, year, verdict), so asking for the same notice twice is
harmless: the store keeps the first. What this module decides is which ones to ask for:
missed, at risk and insufficient whenever the judgement says so; resolved only for a year that
was missed and now meets, once; escalated once a miss has stayed unresolved long enough.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from shared.events.vocabulary import Level, Title

from .calendar import Phase
from .verdicts import Judgement, Verdict

VerdictKey = tuple[str, Title, int]  # area code, title, year


@dataclass(frozen=True, slots=True)
class VerdictRecord:
    area_code: str
    title: Title
    year: int
    level: Level
    parent_code: str | None
    area_name: str | None
    verdict: Verdict
    phase: Phase
    judged_at: datetime
    total: int = 0
    recognised: int = 0
    percent: float | None = None
    previous_percent: float | None = None
    required_percent: float | None = None
    projected_percent: float | None = None
    growth_points: float | None = None
    shortfall: int = 0
    reason: str | None = None
    rule_versions: tuple[str, ...] = ()
    missed_at: datetime | None = None
    resolved_at: datetime | None = None
    escalated_at: datetime | None = None

    @property
    def key(self) -> VerdictKey:
        return (self.area_code, self.title, self.year)

    @property
    def name(self) -> str:
        return self.area_name or self.area_code


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def record_judgement(
    before: VerdictRecord | None, judgement: Judgement, now: datetime
) -> tuple[VerdictRecord, list[Verdict]]:
    """The record after `judgement`, and the notices (by verdict) it calls for."""
    current, previous = judgement.current, judgement.previous
    record = VerdictRecord(
        area_code=current.area_code,
        title=current.title,
        year=current.year,
        level=current.level,
        parent_code=current.parent_code,
        area_name=current.area_name,
        verdict=judgement.verdict,
        phase=judgement.phase,
        judged_at=now,
        total=current.total,
        recognised=current.recognised,
        percent=_round(current.percent),
        previous_percent=_round(previous.percent) if previous is not None else None,
        required_percent=judgement.required_percent,
        projected_percent=judgement.projected_percent,
        growth_points=judgement.growth_points,
        shortfall=judgement.shortfall,
        reason=judgement.reason,
        rule_versions=current.rule_versions,
        missed_at=before.missed_at if before else None,
        resolved_at=before.resolved_at if before else None,
        escalated_at=before.escalated_at if before else None,
    )
    notices: list[Verdict] = []
    if judgement.verdict in (Verdict.MISSED, Verdict.AT_RISK, Verdict.INSUFFICIENT):
        notices.append(judgement.verdict)
    if judgement.verdict is Verdict.MISSED and record.missed_at is None:
        record = replace(record, missed_at=now)
    if judgement.verdict is Verdict.MET and record.missed_at is not None and record.resolved_at is None:
        record = replace(record, resolved_at=now)
        notices.append(Verdict.RESOLVED)
    return record, notices


def escalation_due(record: VerdictRecord, now: datetime, after: timedelta) -> bool:
    """A miss still standing `after` its first verdict, never resolved nor escalated."""
    return (
        record.verdict is Verdict.MISSED
        and record.missed_at is not None
        and record.resolved_at is None
        and record.escalated_at is None
        and now - record.missed_at >= after
    )


def evaluation_mark(phase: Phase, revision: int, previous_revision: int | None, fingerprint: str) -> str:
    """What a cell was last judged on: re-judged when the phase, either year's figures or the
    programme change.

    >>> evaluation_mark(Phase.FINAL, 3, None, "ab12")
    'final:3:0:ab12'
    """
    return f"{phase.value}:{revision}:{previous_revision or 0}:{fingerprint}"
