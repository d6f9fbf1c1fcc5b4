"""One evaluation pass, in one transaction and by one replica at a time (an advisory lock):
judge every settled cell whose figures, phase or programme changed since it was last judged,
owe the notices the new verdicts call for, escalate misses left unresolved, and send each parent
the digests whose group has settled.

Settling is Alertmanager's group_wait on a yearly cadence: a cell (and last year's) must have
been unchanged for `settle` before it is judged, and a digest waits until every child of the
parent at that level has settled, so late-arriving communes join the first digest rather than
an addendum.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from shared.events.vocabulary import Level
from shared.programme import Programme

from ..domain.agencies import Agency, Directory, Role
from ..domain.calendar import ReportingCalendar
from ..domain.digests import render_digest
from ..domain.messages import Context, message_id, render_area_notice
from ..domain.notices import ROLE, Kind, Notice, Status, alert_key, digest_groups, digest_key, own_status
from ..domain.records import VerdictRecord, escalation_due, evaluation_mark, record_judgement
from ..domain.verdicts import Figures, Judgement, Verdict, judge
from ..ports import EvaluationUnitOfWork

log = logging.getLogger(__name__)

# The verdict an area must still have to be listed in a digest of each kind.
STANDING = {Verdict.MISSED: Verdict.MISSED, Verdict.AT_RISK: Verdict.AT_RISK, Verdict.INSUFFICIENT: Verdict.INSUFFICIENT,
            Verdict.RESOLVED: Verdict.MET, Verdict.ESCALATED: Verdict.MISSED}
PARENT_LEVEL = {Level.HAMLET: Level.COMMUNE, Level.COMMUNE: Level.PROVINCE, Level.DISTRICT: Level.PROVINCE, Level.PROVINCE: Level.COUNTRY}


def programme_fingerprint(programme: Programme) -> str:
    """Changes when the targets or overrides change, so every cell is judged again."""
    return hashlib.sha256(programme.model_dump_json().encode()).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class Policy:
    programme: Programme
    directory: Directory
    calendar: ReportingCalendar
    context: Context
    settle: timedelta
    escalate_after: timedelta
    lowest_children: int = 3
    fingerprint: str = ""

    def __post_init__(self) -> None:
        if not self.fingerprint:
            object.__setattr__(self, "fingerprint", programme_fingerprint(self.programme))


@dataclass(slots=True)
class Report:
    verdicts: Counter[Verdict] = field(default_factory=Counter)  # verdicts that changed, by new verdict
    notices: list[Notice] = field(default_factory=list)  # notices created
    locked_out: bool = False  # another replica was evaluating

    @property
    def to_send(self) -> bool:
        return any(n.status is Status.PENDING for n in self.notices)


async def evaluate(uow: EvaluationUnitOfWork, now: datetime, policy: Policy) -> Report:
    report = Report()
    if not await uow.try_lock():
        report.locked_out = True
        return report
    evaluation = _Pass(uow, now, policy, report)
    await evaluation.judge_due()
    await evaluation.escalate()
    await evaluation.digest()
    await uow.commit()
    return report


class _Pass:
    def __init__(self, uow: EvaluationUnitOfWork, now: datetime, policy: Policy, report: Report) -> None:
        self.uow, self.now, self.policy, self.report = uow, now, policy, report
        self._areas: dict[str, tuple[str | None, Level, str | None] | None] = {}
        self._records: list[tuple[VerdictRecord, bool]] = []  # saved in one statement per pass

    async def judge_due(self) -> None:
        programme, policy = self.policy.programme, self.policy
        years = range(programme.first_year, programme.last_year + 1)
        phases = {year: phase for year in years if (phase := policy.calendar.phase(year, self.now)) is not None}
        if not phases:
            return
        judged = {(t.title, level) for t in programme.targets for level in t.levels}
        due = await self.uow.indicators.due(
            phases=phases, judged=judged, settled_before=self.now - policy.settle, fingerprint=policy.fingerprint
        )
        before = await self.uow.verdicts.get({(c.area_code, c.title, c.year) for c, _ in due})
        marks: list[tuple[Figures, str]] = []
        for current, previous in due:
            phase = phases[current.year]
            marks.append((current, evaluation_mark(phase, current.revision, previous.revision if previous else None, policy.fingerprint)))
            target = programme.target_for(current.title, current.area_code)
            if target is None:
                override = programme.override_for(current.title, current.area_code)
                reason = f"exempt: {override.reason}" if override else "no target"
                judgement = Judgement(Verdict.NOT_JUDGED, phase, current, previous, None, reason=reason)
            else:
                judgement = judge(current, previous, target, phase)
            await self._record(before.get((current.area_code, current.title, current.year)), judgement)
        await self.uow.verdicts.save(self._records)
        await self.uow.indicators.mark_evaluated(marks)

    async def _record(self, before: VerdictRecord | None, judgement: Judgement) -> None:
        record, wanted = record_judgement(before, judgement, self.now)
        changed = before is None or before.verdict is not record.verdict
        self._records.append((record, changed))
        if changed:
            self.report.verdicts[record.verdict] += 1
            extra = {"area": record.area_code, "title": record.title.value, "year": record.year,
                     "verdict": record.verdict.value, "was": before.verdict.value if before else None}
            log.info("verdict", extra=extra)
            if record.verdict is Verdict.MISSED and record.resolved_at is not None:
                log.warning("a resolved year is missed again; its e-mails went out once and are not repeated", extra=extra)
        for verdict in wanted:
            await self._area_notice(verdict, record, judgement)

    async def escalate(self) -> None:
        after = self.policy.escalate_after
        for record in await self.uow.verdicts.escalation_candidates(self.now - after):
            if not escalation_due(record, self.now, after):
                continue
            record = replace(record, escalated_at=self.now)
            await self.uow.verdicts.save([(record, False)])
            await self._area_notice(Verdict.ESCALATED, record, None)

    async def _area_notice(self, verdict: Verdict, record: VerdictRecord, judgement: Judgement | None) -> None:
        key = alert_key(record.area_code, record.title, record.year, verdict)
        role = ROLE[verdict]
        chain = await self._lineage(record.area_code, record.level, record.parent_code)
        own = self._route(chain, role)
        parent = chain[1] if len(chain) > 1 else None
        recipient = self._route_up(chain[1:], role) if parent else None
        status = own_status(verdict, own, recipient, parent is not None)
        email = None
        if status is Status.PENDING and judgement is not None and own is not None:
            lowest = await self._lowest(record) if verdict in (Verdict.MISSED, Verdict.AT_RISK) else []
            missed = alert_key(record.area_code, record.title, record.year, Verdict.MISSED)
            references = (message_id(missed, self.policy.context.domain),) if verdict is Verdict.RESOLVED else ()
            email = render_area_notice(verdict, judgement, own, self.policy.context, key=key, lowest=lowest, references=references)
        agency = recipient if verdict is Verdict.ESCALATED else own
        notice = Notice(key, Kind.AREA, record.area_code, record.level, record.title, record.year, verdict,
                        parent[0] if parent else None, agency.id if agency else None, status, self.now)
        await self._add(notice, email)

    async def digest(self) -> None:
        settled_before = self.now - self.policy.settle
        groups = digest_groups(await self.uow.notices.undigested())
        for (parent_code, title, year, verdict), items in sorted(groups.items()):
            level = items[0].level
            if verdict is not Verdict.ESCALATED and await self.uow.indicators.unsettled_children(
                title, year, parent_code, level, settled_before
            ):
                continue  # group_wait: a sibling is still changing
            records = await self.uow.verdicts.get({(i.area_code, i.title, i.year) for i in items})
            # An area whose verdict changed again before its group settled is not listed.
            listed = sorted((r for r in records.values() if r.verdict is STANDING[verdict]), key=lambda r: r.area_code)
            if not listed:
                await self.uow.notices.attach([i.key for i in items], "")
                continue
            sequence = await self.uow.notices.digest_count(parent_code, title, year, verdict) + 1
            key = digest_key(parent_code, title, year, verdict, sequence)
            name, parent_level, grandparent = await self._area(parent_code) or (None, PARENT_LEVEL.get(level, Level.COUNTRY), None)
            chain = await self._lineage(parent_code, parent_level, grandparent)
            recipient = self._route_up(chain, ROLE[verdict])
            email = None
            if recipient is not None:
                email = render_digest(
                    verdict, key=key, parent_code=parent_code, parent_name=name, title=title, year=year, items=listed,
                    agency=recipient, context=self.policy.context, sequence=sequence,
                    escalation_days=self.policy.escalate_after.days,
                    rule_versions=sorted({v for r in listed for v in r.rule_versions}),
                )
            notice = Notice(key, Kind.DIGEST, parent_code, parent_level, title, year, verdict, grandparent,
                            recipient.id if recipient else None, Status.PENDING if recipient else Status.UNROUTED, self.now)
            await self._add(notice, email)
            await self.uow.notices.attach([i.key for i in items], key)

    async def _add(self, notice: Notice, email: object) -> None:
        if not await self.uow.notices.add(notice, email):  # type: ignore[arg-type]
            return
        self.report.notices.append(notice)
        extra = {"alert_key": notice.key, "status": notice.status.value, "agency": notice.agency_id}
        if notice.status is Status.UNROUTED:
            log.warning("no agency answers for this notice; recorded, not sent", extra=extra)
        else:
            log.info("notice created", extra=extra)

    def _route(self, chain: list[tuple[str, Level]], role: Role) -> Agency | None:
        code, level = chain[0]
        return self.policy.directory.responsible(code, level, [c for c, _ in chain[1:]], role)

    def _route_up(self, chain: list[tuple[str, Level]], role: Role) -> Agency | None:
        """The first area up the chain with an agency: a parent nobody answers for (a legacy
        district, say) passes its digests on rather than losing them."""
        for start in range(len(chain)):
            agency = self._route(chain[start:], role)
            if agency is not None:
                return agency
        return None

    async def _area(self, code: str) -> tuple[str | None, Level, str | None] | None:
        if code not in self._areas:
            self._areas[code] = await self.uow.indicators.area(code)
        return self._areas[code]

    async def _lineage(self, code: str, level: Level, parent_code: str | None) -> list[tuple[str, Level]]:
        """The area and its ancestors with their levels, nearest first."""
        chain, seen = [(code, level)], {code}
        while parent_code and parent_code not in seen and len(chain) < 6:
            seen.add(parent_code)
            known = await self._area(parent_code)
            if known is None:
                chain.append((parent_code, PARENT_LEVEL.get(chain[-1][1], Level.COUNTRY)))
                break
            chain.append((parent_code, known[1]))
            parent_code = known[2]
        return chain

    async def _lowest(self, record: VerdictRecord) -> list[Figures]:
        children = [c for c in await self.uow.indicators.children(record.title, record.year, record.area_code) if c.total]
        children.sort(key=lambda c: (c.percent or 0.0, c.area_code))
        return children[: self.policy.lowest_children]
