"""The notice e-mails: subject and bodies (plain text and HTML) in the agency's language.

Every value that comes from data (area and agency names, figures, reasons) goes in the body. The
only header built from data is the subject, reduced to one line of printable characters; the
alert key is made of validated codes and closed vocabularies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from .agencies import Agency
from .calendar import ReportingCalendar
from .documents import Bullets, Document
from .phrases import ENTITIES, LEVELS, MONTHS_EN, PHRASES, TITLES
from .verdicts import Figures, Judgement, Verdict


@dataclass(frozen=True, slots=True)
class Email:
    alert_key: str
    message_id: str
    subject: str
    recipients: tuple[str, ...]
    text: str
    html: str
    references: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Context:
    """What every notice needs besides its figures."""

    programme: str
    calendar: ReportingCalendar
    domain: str  # the right-hand side of Message-IDs


def one_line(text: str, limit: int = 200) -> str:
    """Printable characters only, no line breaks: safe in a header.

    >>> one_line("Xã A\\r\\nBcc: x@y")
    'Xã A Bcc: x@y'
    """
    cleaned = "".join(c if c.isprintable() else " " for c in text)
    return " ".join(cleaned.split())[:limit]


def message_id(alert_key: str, domain: str) -> str:
    """The Message-ID of a notice: the same key always gives the same id (receivers can drop a resend)."""
    return f"<{hashlib.sha256(alert_key.encode()).hexdigest()[:40]}@{domain}>"


def number(value: float | None, language: str, *, na: str = "—") -> str:
    """One decimal, with a decimal comma in Vietnamese.

    >>> number(62.5, "vi"), number(62.5, "en")
    ('62,5', '62.5')
    """
    if value is None:
        return na
    text = f"{value:.1f}"
    return text.replace(".", ",") if language == "vi" else text


def day(value: date, language: str) -> str:
    return f"{value:%d/%m/%Y}" if language == "vi" else f"{value.day} {MONTHS_EN[value.month - 1]} {value.year}"


class Phrasing:
    """Formats phrases of one language with the values they need."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.phrases = PHRASES[language]

    def __call__(self, phrase: str, /, **values: object) -> str:
        return self.phrases[phrase].format(**values)

    def number(self, value: float | None) -> str:
        return number(value, self.language, na=self.phrases["not_available"])


def _band(judgement: Judgement, say: Phrasing) -> str:
    target = judgement.target
    assert target is not None and target.growth_min_points is not None
    low = say.number(target.growth_min_points)
    return f"{low}–{say.number(target.growth_max_points)}" if target.growth_max_points else low


def render_area_notice(
    verdict: Verdict,
    judgement: Judgement,
    agency: Agency,
    context: Context,
    *,
    key: str,
    lowest: Sequence[Figures] = (),
    references: tuple[str, ...] = (),
) -> Email:
    """The e-mail to an area's own agency for a missed, at-risk, resolved or insufficient verdict."""
    say = Phrasing(agency.language)
    current, previous, target = judgement.current, judgement.previous, judgement.target
    calendar = context.calendar
    values: dict[str, object] = {
        "agency": agency.name,
        "area": one_line(current.name),
        "title": TITLES[say.language][current.title],
        "year": current.year,
        "entities": ENTITIES[say.language][current.title],
        "now": say.number(current.percent),
        "previous": say.number(previous.percent if previous else None),
        "previous_year": current.year - 1,
        "growth": say.number(judgement.growth_points),
        "target": say.number(target.growth_min_points if target else None),
        "required": say.number(judgement.required_percent),
        "projected": say.number(judgement.projected_percent),
        "shortfall": judgement.shortfall,
        "projected_shortfall": judgement.projected_shortfall,
        "total": current.total,
        "recognised": current.recognised,
        "registered": current.registered,
        "assessed": current.assessed,
        "programme": context.programme,
        "cutoff": day(calendar.cutoff_of(current.year).date(), say.language),
        "checkpoint": day(calendar.checkpoint_of(current.year).date(), say.language),
        "reason": one_line(judgement.reason or "", 500),
        "key": key,
    }
    growth_kind = target is not None and target.growth_min_points is not None
    if verdict is Verdict.MISSED:
        subject = say("subject.missed.growth" if growth_kind else "subject.missed.hold", **values)
    else:
        subject = say(f"subject.{verdict.value}", **values)

    document = Document(say.language)
    document.paragraph(say("greeting", **values))
    document.paragraph(say(f"headline.{verdict.value}", **values))
    if verdict is Verdict.INSUFFICIENT:
        document.paragraph(say("reason", **values))
        document.paragraph(say("data_request", **values))
    else:
        if growth_kind and previous is not None:
            document.paragraph(say("figures.growth", band=_band(judgement, say), **values))
        else:
            previous_text = say("figures.previous", **values) if previous is not None and previous.percent is not None else ""
            document.paragraph(say("figures.hold", previous_text=previous_text, **values))
        if verdict is Verdict.AT_RISK:
            document.paragraph(say("projection", **values))
        if verdict in (Verdict.MISSED, Verdict.AT_RISK):
            document.paragraph(say("gap", **values))
        if verdict is Verdict.RESOLVED:
            document.paragraph(say("met", **values))
    if lowest and verdict in (Verdict.MISSED, Verdict.AT_RISK):
        items = tuple(
            say("lowest.item", name=one_line(child.name), code=child.area_code, percent=say.number(child.percent),
                recognised=child.recognised, total=child.total)
            for child in lowest
        )
        document.blocks.append(Bullets(say("lowest", children=LEVELS[say.language][lowest[0].level]), items))
    goal = target.goal_percent if target else None
    if verdict in (Verdict.MISSED, Verdict.AT_RISK) and goal is not None and current.projected_goal_year_percent is not None:
        document.paragraph(
            say("goal", goal_year=target.goal_year if target else "", goal=say.number(goal),
                projected_goal=say.number(current.projected_goal_year_percent))
        )
    return finish_email(document, say, context, agency, key=key, subject=subject,
                        rule_versions=current.rule_versions, key_values=values, references=references)


def finish_email(
    document: Document,
    say: Phrasing,
    context: Context,
    agency: Agency,
    *,
    key: str,
    subject: str,
    rule_versions: Sequence[str],
    key_values: dict[str, object],
    references: tuple[str, ...] = (),
) -> Email:
    """The ending every alert e-mail shares (the rules behind the figures, its key, the footer),
    and the e-mail itself: one-line subject, Message-ID derived from the key."""
    versions = ", ".join(one_line(v, 40) for v in rule_versions) or say("rules.unknown")
    document.paragraph(say("rules", versions=versions))
    document.paragraph(say("key", **key_values))
    document.paragraph(say("footer"))
    return Email(
        alert_key=key,
        message_id=message_id(key, context.domain),
        subject=one_line(subject, 250),
        recipients=agency.emails,
        text=document.text(),
        html=document.html(),
        references=references,
    )
