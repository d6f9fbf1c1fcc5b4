import pytest

from services.notifications.adapters.config_files import load_directory
from shared.programme import load_programme
from services.notifications.domain.agencies import parse_directory
from shared.programme import parse_programme
from services.notifications.settings import NotificationsSettings
from shared.events.vocabulary import Title


def directory(**agency: object) -> dict:  # type: ignore[type-arg]
    base = {"id": "hkh-x", "name": "Hội Khuyến học xã X", "emails": ["x@example.vn"], "areas": ["29401"]}
    base.update(agency)
    return {"agencies": [base]}


def test_the_shipped_programme_and_example_directory_load() -> None:
    settings = NotificationsSettings()
    programme = load_programme(settings.programme_file)
    assert programme.target(Title.LEARNING_FAMILY).growth_min_points == 3.0  # type: ignore[union-attr]
    assert programme.target(Title.LEARNING_UNIT).hold_at_least_percent == 90  # type: ignore[union-attr]
    assert load_directory(settings.agencies_file).for_area("84") is not None


def test_an_invalid_address_is_refused_at_load_naming_the_file_and_key() -> None:
    with pytest.raises(ValueError, match=r"agencies.yaml: agencies\.0\.emails: .*'x@@example' is not a valid e-mail address"):
        parse_directory(directory(emails=["x@@example"]), "agencies.yaml")


def test_an_address_with_a_line_break_is_refused() -> None:
    with pytest.raises(ValueError, match="not a valid e-mail address"):
        parse_directory(directory(emails=["x@example.vn\nBcc: y@example.vn"]), "agencies.yaml")


def test_an_agency_name_on_two_lines_is_refused() -> None:
    with pytest.raises(ValueError, match="must be one line"):
        parse_directory(directory(name="A\r\nB"), "agencies.yaml")


def test_one_area_cannot_belong_to_two_agencies() -> None:
    document = {"agencies": [directory()["agencies"][0], {**directory()["agencies"][0], "id": "hkh-y"}]}
    with pytest.raises(ValueError, match="area 29401 is assigned to both hkh-x and hkh-y"):
        parse_directory(document, "agencies.yaml")


def test_a_target_needs_either_growth_or_a_level_to_hold() -> None:
    document = {"name": "P", "reference": "r", "first_year": 2024, "last_year": 2030, "targets": [{"title": "learning_clan", "goal_percent": 75}]}
    with pytest.raises(ValueError, match="targets.0: Value error, give either growth_min_points or hold_at_least_percent"):
        parse_programme(document, "targets.yaml")
