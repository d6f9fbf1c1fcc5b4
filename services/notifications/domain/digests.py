"""The digest e-mail to a parent area's agency: one per title, year and verdict, listing every
child area with that verdict (and, for late arrivals, numbered addenda)."""

from __future__ import annotations

from collections.abc import Sequence

from shared.events.vocabulary import Title

from .agencies import Agency
from .documents import Document, Table
from .messages import Context, Email, Phrasing, finish_email, one_line
from .phrases import ENTITIES, LEVELS, TITLES
from .records import VerdictRecord
from .verdicts import Verdict


def _rows(verdict: Verdict, items: Sequence[VerdictRecord], say: Phrasing) -> tuple[tuple[str, ...], ...]:
    ordered = sorted(items, key=lambda r: (-r.shortfall, r.percent if r.percent is not None else -1.0, r.area_code))
    if verdict is Verdict.INSUFFICIENT:
        return tuple((one_line(r.name), r.area_code, one_line(r.reason or "", 200)) for r in ordered)
    if verdict is Verdict.AT_RISK:
        return tuple(
            (one_line(r.name), r.area_code, say.number(r.percent), say.number(r.projected_percent),
             say.number(r.previous_percent), say.number(r.required_percent), str(r.shortfall))
            for r in ordered
        )
    return tuple(
        (one_line(r.name), r.area_code, say.number(r.percent), say.number(r.previous_percent),
         say.number(r.growth_points), say.number(r.required_percent), str(r.shortfall))
        for r in ordered
    )


def render_digest(
    verdict: Verdict,
    *,
    key: str,
    parent_code: str,
    parent_name: str | None,
    title: Title,
    year: int,
    items: Sequence[VerdictRecord],
    agency: Agency,
    context: Context,
    sequence: int = 1,
    escalation_days: int = 0,
    rule_versions: Sequence[str] = (),
) -> Email:
    say = Phrasing(agency.language)
    children = LEVELS[say.language][items[0].level] if items else ""
    parent = one_line(parent_name or parent_code)
    values: dict[str, object] = {
        "title": TITLES[say.language][title],
        "year": year,
        "parent": parent,
        "children": children,
        "count": len(items),
        "days": escalation_days,
        "entities": ENTITIES[say.language][title],
        "sequence": sequence,
    }
    what = say(f"digest.what.{verdict.value}", **values)
    addendum = say("digest.addendum", **values) if sequence > 1 else ""
    subject = say("digest.subject", what=what, addendum=addendum, **values)

    document = Document(say.language)
    document.paragraph(say("greeting", agency=agency.name))
    document.paragraph(say("digest.intro.addendum" if sequence > 1 else "digest.intro", what=what, **values))
    if verdict is Verdict.ESCALATED:
        document.paragraph(say("digest.escalated", **values))
    columns_name = {Verdict.AT_RISK: "digest.columns.at_risk", Verdict.INSUFFICIENT: "digest.columns.insufficient"}
    columns = tuple(say(columns_name.get(verdict, "digest.columns"), **values).split("|"))
    document.blocks.append(Table(columns, _rows(verdict, items, say)))
    return finish_email(document, say, context, agency, key=key, subject=subject,
                        rule_versions=rule_versions, key_values={"key": key})
