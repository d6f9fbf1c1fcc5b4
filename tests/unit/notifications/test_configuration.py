import pytest

from services.notifications.adapters.config_files import load_directory
from services.notifications.domain.agencies import Role, parse_directory
from services.notifications.settings import NotificationsSettings
from shared.events.vocabulary import Level, Title
from shared.programme import load_programme, parse_programme

from .factories import agency, directory


def one(**changes: object) -> dict:  # type: ignore[type-arg]
    return {"agencies": [{**agency("hkh-x", "29401"), **changes}]}


def programme_with(*overrides: dict) -> dict:  # type: ignore[type-arg]
    document = load_programme().model_dump(mode="json")
    document["overrides"] = list(overrides)
    return document


def test_the_shipped_programme_and_example_directory_load() -> None:
    settings = NotificationsSettings()
    programme = load_programme(settings.programme_file)
    assert programme.target(Title.LEARNING_FAMILY).growth_min_points == 3.0  # type: ignore[union-attr]
    assert programme.target(Title.LEARNING_CLAN).growth_min_points == 2.0  # type: ignore[union-attr]
    assert programme.target(Title.LEARNING_COMMUNITY).growth_min_points == 3.5  # type: ignore[union-attr]
    assert programme.target(Title.LEARNING_UNIT).hold_at_least_percent == 90  # type: ignore[union-attr]
    assert [t.goal_percent for t in programme.targets] == [80, 75, 75, 90]
    assert load_directory(settings.agencies_file).for_area("84") is not None


def test_an_invalid_address_is_refused_at_load_naming_the_file_and_key() -> None:
    with pytest.raises(ValueError, match=r"agencies.yaml: agencies\.0\.emails: .*'x@@example' is not a valid e-mail address"):
        parse_directory(one(emails=["x@@example"]), "agencies.yaml")


def test_an_address_with_a_line_break_is_refused() -> None:
    with pytest.raises(ValueError, match="not a valid e-mail address"):
        parse_directory(one(emails=["x@example.vn\nBcc: y@example.vn"]), "agencies.yaml")


def test_an_agency_name_on_two_lines_is_refused() -> None:
    with pytest.raises(ValueError, match="must be one line"):
        parse_directory(one(name="A\r\nB"), "agencies.yaml")


def test_one_area_cannot_belong_to_two_agencies_in_the_same_role() -> None:
    with pytest.raises(ValueError, match="area 29401 is assigned to both hkh-x and hkh-y"):
        parse_directory({"agencies": [agency("hkh-x", "29401"), agency("hkh-y", "29401")]}, "agencies.yaml")
    split = directory(agency("hkh-x", "29401", roles=["targets"]), agency("thong-ke", "29401", roles=["data"]))
    assert split.responsible("29401", Level.COMMUNE, (), Role.DATA).id == "thong-ke"  # type: ignore[union-attr]


def test_an_area_goes_to_its_own_agency_before_an_ancestor_covering_its_level() -> None:
    agencies = directory(agency("tinh", "84", levels=["commune"]), agency("hoa-loi", "29401"))
    assert agencies.responsible("29401", Level.COMMUNE, ["84"]).id == "hoa-loi"  # type: ignore[union-attr]
    assert agencies.responsible("29398", Level.COMMUNE, ["84"]).id == "tinh"  # type: ignore[union-attr]
    assert agencies.responsible("29398-01", Level.HAMLET, ["29398", "84"]) is None


def test_a_target_needs_either_growth_or_a_level_to_hold() -> None:
    document = {"name": "P", "reference": "r", "first_year": 2024, "last_year": 2030, "targets": [{"title": "learning_clan", "goal_percent": 75}]}
    with pytest.raises(ValueError, match="targets.0: Value error, give either growth_min_points or hold_at_least_percent"):
        parse_programme(document, "targets.yaml")


def test_an_override_changes_one_area_and_can_exempt_it() -> None:
    programme = parse_programme(programme_with(
        {"area_code": "29401", "title": "learning_family", "growth_min_points": 2.0, "reason": "hard to reach"},
        {"area_code": "29398", "title": "learning_clan", "applies": False, "reason": "no clans"},
        {"area_code": "29398", "title": "learning_family", "hold_at_least_percent": 85, "reason": "already high"},
    ), "p.yaml")
    assert programme.target_for(Title.LEARNING_FAMILY, "29401").growth_min_points == 2.0  # type: ignore[union-attr]
    assert programme.target_for(Title.LEARNING_FAMILY, "84").growth_min_points == 3.0  # type: ignore[union-attr]
    assert programme.target_for(Title.LEARNING_CLAN, "29398") is None
    held = programme.target_for(Title.LEARNING_FAMILY, "29398")
    assert held is not None and (held.hold_at_least_percent, held.growth_min_points) == (85, None)


def test_bad_overrides_are_refused_with_the_area_and_title() -> None:
    with pytest.raises(ValueError, match=r"overrides.1 \(29401, learning_family\): a second override"):
        parse_programme(programme_with(
            {"area_code": "29401", "title": "learning_family", "growth_min_points": 2.0, "reason": "a"},
            {"area_code": "29401", "title": "learning_family", "growth_min_points": 1.0, "reason": "b"},
        ), "p.yaml")
    with pytest.raises(ValueError, match=r"overrides.0 \(29401, learning_citizen\): the programme has no target"):
        parse_programme(programme_with({"area_code": "29401", "title": "learning_citizen", "goal_percent": 40, "reason": "a"}), "p.yaml")
    with pytest.raises(ValueError, match="give either growth_min_points or hold_at_least_percent"):
        parse_programme(programme_with(
            {"area_code": "29401", "title": "learning_family", "growth_min_points": 2.0, "hold_at_least_percent": 80, "reason": "a"}
        ), "p.yaml")


def test_settings_refuse_a_bad_calendar_and_two_tls_modes() -> None:
    with pytest.raises(ValueError, match="not a MM-DD date"):
        NotificationsSettings(reporting_cutoff="15 Dec")
    with pytest.raises(ValueError, match="must come before the cut-off"):
        NotificationsSettings(interim_checkpoint="12-20")
    with pytest.raises(ValueError, match="not both"):
        NotificationsSettings(smtp_starttls=True, smtp_use_tls=True)
    with pytest.raises(ValueError, match="is not one sender address"):
        NotificationsSettings(mail_from="hoctap <a@b.vn>\r\nBcc: x@y.vn")


def test_check_config_names_the_bad_entry_and_fails(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from services.notifications.__main__ import check_config

    bad = tmp_path / "agencies.yaml"
    bad.write_text("agencies:\n  - {id: x, name: X, emails: ['not-an-address'], areas: ['84']}\n", encoding="utf-8")
    assert check_config(NotificationsSettings(agencies_file=bad), None) == 1  # type: ignore[arg-type]
    assert "agencies.0.emails: Value error, 'not-an-address' is not a valid e-mail address" in capsys.readouterr().err
    assert check_config(NotificationsSettings(), None) == 0  # type: ignore[arg-type]
    assert "agency hkh-tra-vinh [vi; targets/data]: 84" in capsys.readouterr().out
