from services.notifications.adapters.smtp import build_message
from services.notifications.domain.agencies import Agency
from services.notifications.domain.messages import growth_missed_email, message_id
from shared.programme import Target
from services.notifications.domain.verdicts import Figures, assess_growth
from shared.events.vocabulary import Level, Title
from shared.testing import parse_email

TARGET = Target(title=Title.LEARNING_FAMILY, goal_percent=80, growth_min_points=3.0)


def assessment(area_name: str = "Xã Hòa Lợi"):  # type: ignore[no-untyped-def]
    current = Figures(Title.LEARNING_FAMILY, 2024, Level.COMMUNE, "29401", area_name, 120, 103, 75, 3)
    previous = Figures(Title.LEARNING_FAMILY, 2023, Level.COMMUNE, "29401", area_name, 120, 102, 72, 2)
    return assess_growth(current, previous, TARGET)


def agency(language: str = "vi") -> Agency:
    return Agency(id="hkh-hoa-loi", name="Hội Khuyến học xã Hòa Lợi", emails=("a@example.vn",), language=language, areas=("29401",))  # type: ignore[arg-type]


def test_the_vietnamese_alert_states_both_years_the_growth_the_target_and_the_gap() -> None:
    email = growth_missed_email(assessment(), agency(), programme="Chương trình 2024-2030", domain="hoctap.test")
    assert email.subject == "[hoctap] Xã Hòa Lợi: Gia đình học tập 2024 chưa đạt mục tiêu tăng (2,5 / mục tiêu 3,0 điểm %)"
    assert "là 62,5% (năm 2023: 60,0%), tăng 2,5 điểm phần trăm" in email.text
    assert "cần thêm 1 hộ gia đình được công nhận" in email.text
    assert email.recipients == ("a@example.vn",)


def test_the_english_alert_says_the_same_in_english() -> None:
    email = growth_missed_email(assessment(), agency("en"), programme="Programme", domain="hoctap.test")
    assert "missed the growth target (2.5 / target 3.0 points)" in email.subject
    assert "needs 1 more households recognised" in email.text


def test_an_area_name_cannot_inject_headers() -> None:
    hostile = "Xã A\r\nBcc: everyone@example.com\r\nX-Evil: 1"
    email = growth_missed_email(assessment(hostile), agency(), programme="P", domain="hoctap.test")
    message = parse_email(bytes(build_message(email, sender="hoctap <no-reply@hoctap.test>")))
    assert message["Bcc"] is None and message["X-Evil"] is None
    assert "\n" not in message["Subject"]
    assert message["X-Hoctap-Alert-Key"] == "29401|learning_family|2024|missed"
    assert "<p>Kính gửi" in email.html and "<script" not in email.html


def test_the_message_id_is_derived_from_the_alert_key() -> None:
    assert message_id("k|1", "d") == message_id("k|1", "d") != message_id("k|2", "d")
