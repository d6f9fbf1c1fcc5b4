from datetime import UTC, datetime

from services.notifications.adapters.smtp import build_message
from services.notifications.domain.agencies import Agency
from services.notifications.domain.calendar import Phase
from services.notifications.domain.digests import render_digest
from services.notifications.domain.messages import Context, message_id, render_area_notice
from services.notifications.domain.records import record_judgement
from services.notifications.domain.verdicts import Verdict, judge
from shared.events.vocabulary import Level, Title
from shared.programme import load_programme
from shared.testing import parse_email

from .factories import CALENDAR, cell

FAMILY = load_programme().target(Title.LEARNING_FAMILY)
CONTEXT = Context(programme="Chương trình 2024-2030", calendar=CALENDAR, domain="hoctap.test")
KEY = "29401|learning_family|2024|missed"
HAMLETS = [cell("29401-01", 2024, 20, total=40, level=Level.HAMLET, parent="29401", area_name="Ấp Bến Cát"),
           cell("29401-02", 2024, 25, total=40, level=Level.HAMLET, parent="29401", area_name="Ấp Ô Tre Lớn")]


def agency(language: str = "vi", name: str = "Hội Khuyến học xã Hòa Lợi") -> Agency:
    return Agency(id="hkh-hoa-loi", name=name, emails=("a@example.vn",), language=language, areas=("29401",))  # type: ignore[arg-type]


def missed(area_name: str = "Xã Hòa Lợi", language: str = "vi", **extra: object):  # type: ignore[no-untyped-def]
    judgement = judge(cell("29401", 2024, 75, area_name=area_name, registered=103, **extra), cell("29401", 2023, 72), FAMILY, Phase.FINAL)  # type: ignore[arg-type]
    return render_area_notice(Verdict.MISSED, judgement, agency(language), CONTEXT, key=KEY, lowest=HAMLETS)


def test_the_vietnamese_alert_states_both_years_the_growth_the_target_the_gap_the_hamlets_and_the_rules() -> None:
    email = missed()
    assert email.subject == "[hoctap] Xã Hòa Lợi: Gia đình học tập 2024 chưa đạt mục tiêu tăng (2,5 / mục tiêu 3,0 điểm %)"
    assert "là 62,5% (năm 2023: 60,0%), tăng 2,5 điểm phần trăm; mục tiêu tăng 3,0–3,5 điểm" in email.text
    assert "cần thêm 1 hộ gia đình được công nhận (tổng số 120; đã công nhận 75; đăng ký 103)" in email.text
    assert "  - Ấp Bến Cát (29401-01): 50,0% (20/40)" in email.text
    assert "bộ tiêu chí phiên bản: 2016.1" in email.text
    assert "<li>Ấp Bến Cát (29401-01): 50,0% (20/40)</li>" in email.html
    assert email.recipients == ("a@example.vn",)


def test_the_english_alert_says_the_same_in_english() -> None:
    email = missed(language="en")
    assert "missed the growth target (2.5 / target 3.0 points)" in email.subject
    assert "needs 1 more households recognised" in email.text
    assert "The hamlets with the lowest shares:" in email.text


def test_the_at_risk_warning_gives_the_projection_and_the_cutoff() -> None:
    judgement = judge(cell("29401", 2026, 48, registered=100, assessed=80), cell("29401", 2025, 72), FAMILY, Phase.INTERIM)  # type: ignore[arg-type]
    email = render_area_notice(Verdict.AT_RISK, judgement, agency("en"), CONTEXT, key="k")
    assert email.subject.startswith("[hoctap] Early warning: Xã 29401: Learning Family 2026 is at risk")
    assert "(projected 50.0% / required 63.0%)" in email.subject
    assert "at the 15 December 2026 cut-off" in email.text
    assert "Of 100 registered households, 80 have been assessed and 48 recognised" in email.text


def test_a_resolved_notice_threads_under_the_missed_alert() -> None:
    judgement = judge(cell("29401", 2024, 80), cell("29401", 2023, 72), FAMILY, Phase.FINAL)  # type: ignore[arg-type]
    email = render_area_notice(Verdict.RESOLVED, judgement, agency(), CONTEXT, key="29401|learning_family|2024|resolved",
                               references=(message_id(KEY, "hoctap.test"),))
    message = parse_email(bytes(build_message(email, sender="hoctap <no-reply@hoctap.test>")))
    assert message["Subject"].startswith("[hoctap] Đã khắc phục: Xã 29401")
    assert message["In-Reply-To"] == message_id(KEY, "hoctap.test")
    assert message["X-Hoctap-Alert-Key"] == "29401|learning_family|2024|resolved"


def test_the_data_notice_gives_the_reason_and_no_target_verdict() -> None:
    judgement = judge(cell("29401", 2024, 75, data_status="insufficient", data_status_reason="2 of 3 hamlets have no count"),
                      None, FAMILY, Phase.FINAL)  # type: ignore[arg-type]
    email = render_area_notice(Verdict.INSUFFICIENT, judgement, agency(), CONTEXT, key="k")
    assert "Lý do: 2 of 3 hamlets have no count." in email.text
    assert "chưa đạt" not in email.text


def test_the_digest_lists_every_child_area_in_one_table() -> None:
    at = datetime(2024, 12, 16, tzinfo=UTC)
    records = [record_judgement(None, judge(cell(code, 2024, got), cell(code, 2023, 72), FAMILY, Phase.FINAL), at)[0]  # type: ignore[arg-type]
               for code, got in (("29401", 75), ("29398", 70), ("29399", 74))]
    province = Agency(id="tinh", name="Hội Khuyến học tỉnh", emails=("t@example.vn",), areas=("84",))
    email = render_digest(Verdict.MISSED, key="84|learning_family|2024|digest:missed", parent_code="84", parent_name="Tỉnh Trà Vinh",
                          title=Title.LEARNING_FAMILY, year=2024, items=records, agency=province, context=CONTEXT)
    assert email.subject == "[hoctap] Tổng hợp Gia đình học tập 2024: 3 xã, phường thuộc Tỉnh Trà Vinh chưa đạt mục tiêu"
    rows = [line for line in email.text.splitlines() if line.startswith("Xã ")]
    assert [row.split()[1] for row in rows] == ["29398", "29399", "29401"]  # the largest gap first
    assert email.html.count("<tr>") == 4


def test_an_area_name_or_agency_name_cannot_inject_headers() -> None:
    email = missed(area_name="Xã A\r\nBcc: everyone@example.com\r\nX-Evil: 1")
    message = parse_email(bytes(build_message(email, sender="hoctap <no-reply@hoctap.test>")))
    assert message["Bcc"] is None and message["X-Evil"] is None
    assert "\n" not in message["Subject"]
    assert message["X-Hoctap-Alert-Key"] == KEY
    assert message["Message-ID"] == message_id(KEY, "hoctap.test")
    hostile_html = missed(area_name="<script>alert(1)</script>")
    assert "<script" not in hostile_html.html and "&lt;script&gt;" in hostile_html.html


def test_the_message_id_is_derived_from_the_alert_key() -> None:
    assert message_id("k|1", "d") == message_id("k|1", "d") != message_id("k|2", "d")
