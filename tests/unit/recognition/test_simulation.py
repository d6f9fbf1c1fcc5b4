"""What-if: a candidate rule set against a population, per province, commune and hamlet."""

import io

from services.recognition.adapters.rule_files import load_rule_book
from services.recognition.adapters.terminal import ProgressBar, render
from services.recognition.domain.population import decide_all
from services.recognition.domain.simulation import simulate
from shared.events.vocabulary import Title

from . import oracle
from .factories import COMMUNE, HAMLETS, PROVINCE, province_history

BOOK = load_rule_book()
FAMILY = BOOK.for_year(Title.LEARNING_FAMILY, 2025)
assert FAMILY is not None
STRICTER = FAMILY.model_copy(
    update={
        "version": "2025.9-what-if",
        "threshold": FAMILY.threshold.model_copy(update={"value": 95}),
    }
)


def granted(book, population, title):  # type: ignore[no-untyped-def]
    return decide_all(book, population, lambda *_: None).get(title, frozenset())


def test_a_stricter_family_threshold_reports_the_losses_and_their_cascade_per_area() -> None:
    population = oracle.population(province_history(), 2025)
    report = simulate(BOOK, STRICTER, population)
    assert report.titles == (Title.LEARNING_FAMILY, Title.LEARNING_CLAN, Title.LEARNING_COMMUNITY)
    assert report.replaces == ("learning-family", "2025.1") and report.candidate == (
        "learning-family",
        "2025.9-what-if",
    )
    rows = {(r.title, r.level, r.area_code): r for r in report.rows}
    province = rows[(Title.LEARNING_FAMILY, "province", PROVINCE)]
    now = granted(BOOK, population, Title.LEARNING_FAMILY)
    later = granted(BOOK.with_candidate(STRICTER, 2025), population, Title.LEARNING_FAMILY)
    assert (province.assessed, province.recognised_now, province.recognised_candidate) == (
        12,
        len(now),
        len(later),
    )
    assert (province.gained, province.lost) == (
        len(later - now),
        len(now - later),
    ) and province.lost > 0
    hamlets = [r for r in report.rows if r.title == Title.LEARNING_FAMILY and r.level == "hamlet"]
    assert {r.area_code for r in hamlets} == set(HAMLETS) and all(
        r.parent_code == COMMUNE for r in hamlets
    )
    assert (
        sum(r.assessed for r in hamlets)
        == rows[(Title.LEARNING_FAMILY, "commune", COMMUNE)].assessed
        == 12
    )


def test_simulating_the_rules_in_force_flips_nothing() -> None:
    report = simulate(BOOK, FAMILY, oracle.population(province_history(), 2025))
    assert all(
        r.gained == r.lost == 0 and r.recognised_now == r.recognised_candidate for r in report.rows
    )


def test_only_the_title_asked_for_is_reported() -> None:
    report = simulate(
        BOOK,
        STRICTER,
        oracle.population(province_history(), 2025),
        titles=[Title.LEARNING_COMMUNITY],
    )
    assert {r.title for r in report.rows} == {Title.LEARNING_COMMUNITY}


def test_progress_counts_every_evaluation_of_both_rule_books() -> None:
    population = oracle.population(province_history(), 2025)
    stream = io.StringIO()
    bar = ProgressBar(2 * population.size(), "evaluations", stream=stream)
    simulate(BOOK, STRICTER, population, progress=bar.advance)
    assert bar.done == 2 * population.size() and stream.getvalue().endswith(
        f"{bar.done}/{bar.done} evaluations\n"
    )


def test_the_table_shows_each_area_with_its_shares_and_a_bar() -> None:
    text = render(simulate(BOOK, STRICTER, oracle.population(province_history(), 2025)))
    lines = text.splitlines()
    assert "candidate learning-family 2025.9-what-if instead of learning-family 2025.1" in lines[0]
    family = lines.index("Learning Family (Gia đình học tập)")
    assert lines[family + 3].startswith("province   84") and lines[family + 4].startswith(
        "  commune  29401"
    )
    assert (
        lines[family + 5].startswith("    hamlet 29401-01") and "-" in lines[family + 3].split()[-1]
    )
