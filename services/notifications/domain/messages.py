"""The alert e-mail: subject and bodies in Vietnamese (default) or English.

Every value that comes from data (area and agency names, figures) is placed in the body, never
in a header except the subject, which is reduced to one line of printable characters.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass

from shared.events.vocabulary import Title

from .agencies import Agency
from .verdicts import Assessment

TITLE_NAMES = {
    "vi": {
        Title.LEARNING_FAMILY: "Gia đình học tập",
        Title.LEARNING_CLAN: "Dòng họ học tập",
        Title.LEARNING_COMMUNITY: "Cộng đồng học tập",
        Title.LEARNING_UNIT: "Đơn vị học tập",
        Title.LEARNING_CITIZEN: "Công dân học tập",
    },
    "en": {
        Title.LEARNING_FAMILY: "Learning Family",
        Title.LEARNING_CLAN: "Learning Clan",
        Title.LEARNING_COMMUNITY: "Learning Community",
        Title.LEARNING_UNIT: "Learning Unit",
        Title.LEARNING_CITIZEN: "Learning Citizen",
    },
}
ENTITY_NAMES = {
    "vi": {Title.LEARNING_FAMILY: "hộ gia đình"},
    "en": {Title.LEARNING_FAMILY: "households"},
}


@dataclass(frozen=True, slots=True)
class Email:
    alert_key: str
    message_id: str
    subject: str
    recipients: tuple[str, ...]
    text: str
    html: str


def one_line(text: str, limit: int = 200) -> str:
    """Printable characters only, no line breaks: safe in a header."""
    cleaned = "".join(c if c.isprintable() else " " for c in text)
    return " ".join(cleaned.split())[:limit]


def message_id(alert_key: str, domain: str) -> str:
    return f"<{hashlib.sha256(alert_key.encode()).hexdigest()[:40]}@{domain}>"


def _number(value: float, language: str) -> str:
    text = f"{value:.1f}"
    return text.replace(".", ",") if language == "vi" else text


def growth_missed_email(assessment: Assessment, agency: Agency, *, programme: str, domain: str) -> Email:
    language = agency.language
    current, previous = assessment.current, assessment.previous
    area = one_line(current.area_name or current.area_code)
    title = TITLE_NAMES[language][current.title]
    entities = ENTITY_NAMES[language].get(current.title, "entities" if language == "en" else "đơn vị")
    now_pct, last_pct = _number(current.percent or 0, language), _number(previous.percent or 0, language)
    growth, target = _number(assessment.growth_points, language), _number(assessment.target_points, language)
    if language == "vi":
        subject = f"[hoctap] {area}: {title} {current.year} chưa đạt mục tiêu tăng ({growth} / mục tiêu {target} điểm %)"
        lines = [
            f"Kính gửi {agency.name},",
            "",
            f"Tỷ lệ {title} được công nhận năm {current.year} của {area} là {now_pct}% "
            f"(năm {previous.year}: {last_pct}%), tăng {growth} điểm phần trăm, thấp hơn mục tiêu "
            f"tăng {target} điểm phần trăm mỗi năm ({programme}).",
            "",
            f"Để đạt mục tiêu ({_number(assessment.required_percent, language)}%) cần thêm "
            f"{assessment.shortfall_entities} {entities} được công nhận "
            f"(tổng số {current.total}; đã công nhận {current.recognised}; đăng ký {current.registered}).",
            "",
            f"Mã cảnh báo: {assessment.alert_key}",
            "Thư này được gửi tự động bởi hệ thống hoctap; mỗi cảnh báo chỉ gửi một lần.",
        ]
    else:
        subject = f"[hoctap] {area}: {title} {current.year} missed the growth target ({growth} / target {target} points)"
        lines = [
            f"Dear {agency.name},",
            "",
            f"The {title} share recognised in {current.year} in {area} is {now_pct}% "
            f"({previous.year}: {last_pct}%), a growth of {growth} percentage points, below the "
            f"target of {target} points a year ({programme}).",
            "",
            f"Meeting the target ({_number(assessment.required_percent, language)}%) needs "
            f"{assessment.shortfall_entities} more {entities} recognised "
            f"(total {current.total}; recognised {current.recognised}; registered {current.registered}).",
            "",
            f"Alert key: {assessment.alert_key}",
            "This message is sent automatically by hoctap; each alert is sent once.",
        ]
    text = "\n".join(lines) + "\n"
    body = "".join(f"<p>{html.escape(line)}</p>" if line else "" for line in lines)
    return Email(
        alert_key=assessment.alert_key,
        message_id=message_id(assessment.alert_key, domain),
        subject=one_line(subject, 250),
        recipients=agency.emails,
        text=text,
        html=f'<!doctype html><html lang="{language}"><body>{body}</body></html>',
    )
