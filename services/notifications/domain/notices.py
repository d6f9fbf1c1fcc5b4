"""Notices: what is owed to whom, keyed so that each is created once, and how they are grouped.

An area notice is keyed `area|title|year|verdict` (the `X-Hoctap-Alert-Key` header). The parent
of the areas gets one digest per title, year and verdict (`parent|title|year|digest:verdict`)
listing every child area with that verdict; an area whose verdict appears after its group's
digest went out is listed in an addendum (`digest:verdict:2`, ...), so each child is reported to
the parent exactly once. A child whose own agency is also the digest's recipient gets no e-mail
of its own (status `covered`): one agency never receives forty copies.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shared.events.vocabulary import Level, Title

from .agencies import Agency, Role
from .verdicts import Verdict

NOTIFIED = (Verdict.MISSED, Verdict.AT_RISK, Verdict.RESOLVED, Verdict.INSUFFICIENT, Verdict.ESCALATED)
ROLE = {verdict: Role.TARGETS for verdict in NOTIFIED} | {Verdict.INSUFFICIENT: Role.DATA}


class Kind(StrEnum):
    AREA = "area"
    DIGEST = "digest"


class Status(StrEnum):
    PENDING = "pending"  # waiting for the SMTP server
    SENT = "sent"
    FAILED = "failed"  # refused permanently, or given up after temporary failures
    UNROUTED = "unrouted"  # no agency answers for the area: recorded and logged, listed in digests
    COVERED = "covered"  # reaches its agency through the parent's digest (or is an escalation)


def alert_key(area_code: str, title: Title, year: int, verdict: Verdict) -> str:
    """>>> alert_key("29401", Title.LEARNING_FAMILY, 2024, Verdict.MISSED)
    '29401|learning_family|2024|missed'
    """
    return f"{area_code}|{title.value}|{year}|{verdict.value}"


def digest_key(parent_code: str, title: Title, year: int, verdict: Verdict, sequence: int = 1) -> str:
    """>>> digest_key("84", Title.LEARNING_FAMILY, 2024, Verdict.MISSED, 2)
    '84|learning_family|2024|digest:missed:2'
    """
    suffix = "" if sequence == 1 else f":{sequence}"
    return f"{parent_code}|{title.value}|{year}|digest:{verdict.value}{suffix}"


@dataclass(frozen=True, slots=True)
class Notice:
    key: str
    kind: Kind
    area_code: str
    level: Level
    title: Title
    year: int
    verdict: Verdict
    parent_code: str | None
    agency_id: str | None
    status: Status
    created_at: datetime
    digest_key: str | None = None

    @property
    def group(self) -> tuple[str, Title, int, Verdict]:
        return (self.parent_code or "", self.title, self.year, self.verdict)


def own_status(verdict: Verdict, own: Agency | None, digest_recipient: Agency | None, has_parent: bool) -> Status:
    """How an area notice reaches people: by its own e-mail, only through the digest, or not at all."""
    if verdict is Verdict.ESCALATED:
        return Status.COVERED if has_parent else Status.UNROUTED
    if own is None:
        return Status.UNROUTED
    if digest_recipient is not None and digest_recipient.id == own.id:
        return Status.COVERED
    return Status.PENDING


def digest_groups(notices: Iterable[Notice]) -> dict[tuple[str, Title, int, Verdict], list[Notice]]:
    """Area notices not yet in a digest, by (parent, title, year, verdict); areas without a parent
    (the province) have no digest."""
    groups: dict[tuple[str, Title, int, Verdict], list[Notice]] = defaultdict(list)
    for notice in notices:
        if notice.kind is Kind.AREA and notice.parent_code and notice.digest_key is None:
            groups[notice.group].append(notice)
    return dict(groups)
