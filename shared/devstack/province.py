"""A deterministic province at Trà Vinh's scale, streamed as inbound facts.

Real legacy areas (the 104 communes of data/tra_vinh_communes_2025-01.csv), ~781 invented hamlets,
~275,000 households, ~1.0 million citizens, ~260 clans, ~700 learning units, and each year's
registrations and evidence. The same seed gives the same facts, so runs are comparable. Nothing
is held in memory beyond one hamlet at a time.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from shared.events import inbound as f
from shared.events.base import EventData
from shared.events.vocabulary import Level, Title

DATA = Path(__file__).with_name("data")


@dataclass(frozen=True)
class Scale:
    households: int = 275_000
    hamlets: int = 781
    citizens_per_household: float = 3.65
    clans: int = 260
    units: int = 700
    clan_share: float = 0.15
    registered_share: float = 0.82
    passing_share: float = 0.88
    years: tuple[int, ...] = (2025,)
    seed: int = 84

    def scaled(self, factor: float) -> Scale:
        return Scale(
            households=max(6, int(self.households * factor)),
            hamlets=max(3, int(self.hamlets * min(1.0, factor * 4))),
            citizens_per_household=self.citizens_per_household,
            clans=max(1, int(self.clans * factor)),
            units=max(1, int(self.units * factor)),
            clan_share=self.clan_share,
            registered_share=self.registered_share,
            passing_share=self.passing_share,
            years=self.years,
            seed=self.seed,
        )


def legacy_communes() -> list[dict[str, str]]:
    with (DATA / "tra_vinh_communes_2025-01.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def expected_count(scale: Scale) -> int:
    """About how many facts `facts(scale)` yields (for progress bars)."""
    communes = len(legacy_communes())
    per_year = scale.households * scale.registered_share + scale.clans + scale.units + scale.hamlets
    return int(1 + 9 + communes + scale.hamlets + scale.households * (1 + scale.citizens_per_household + scale.clan_share)
               + scale.clans + scale.units + per_year * len(scale.years))


def facts(scale: Scale) -> Iterator[tuple[str, EventData]]:
    rng = random.Random(scale.seed)
    since = date(2020, 1, 1)
    communes = legacy_communes()
    # Area facts travel on the province's key (the contract's advice): one partition, in order, so
    # a commune is known before its hamlets and a hamlet before anything registered in it.
    yield "84", f.AdministrativeUnitRegistered(code="84", level=Level.PROVINCE, name="Tỉnh Trà Vinh", kind="tinh", valid_from=since)
    districts = {(c["Mã QH"], c["Quận Huyện"]) for c in communes}
    for code, name in sorted(districts):
        yield "84", f.AdministrativeUnitRegistered(code=code, level=Level.DISTRICT, name=name, parent_code="84", valid_from=since)
    for commune in communes:
        yield "84", f.AdministrativeUnitRegistered(
            code=commune["Mã PX"], level=Level.COMMUNE, name=commune["Phường Xã"], parent_code=commune["Mã QH"], valid_from=since
        )
    hamlets = _hamlets(communes, scale.hamlets)
    for code, commune, name in hamlets:
        yield "84", f.AdministrativeUnitRegistered(code=code, level=Level.HAMLET, name=name, kind="ap", parent_code=commune, valid_from=since)

    clan_homes = [communes[i % len(communes)]["Mã PX"] for i in range(scale.clans)]
    for number, home in enumerate(clan_homes):
        yield f"cl-{number:04d}", f.ClanRegistered(clan_id=f"cl-{number:04d}", name=f"Họ {_SURNAMES[number % len(_SURNAMES)]} {number}",
                                                   home_commune_code=home, registered_on=since)
    for number in range(scale.units):
        commune = communes[number % len(communes)]["Mã PX"]
        kind = "school" if number % 5 < 3 else "agency"
        yield f"u-{number:04d}", f.UnitRegistered(unit_id=f"u-{number:04d}", name=f"{'Trường' if kind == 'school' else 'Cơ quan'} {number}",
                                                  kind=kind, commune_code=commune, member_count=rng.randint(15, 120), registered_on=since)

    per_hamlet, extra = divmod(scale.households, len(hamlets))
    households: list[tuple[str, str]] = []
    for index, (hamlet, commune, _) in enumerate(hamlets):
        for n in range(per_hamlet + (1 if index < extra else 0)):
            household = f"hh-{hamlet}-{n:04d}"
            households.append((household, commune))
            yield household, f.HouseholdRegistered(household_id=household, hamlet_code=hamlet,
                                                   registered_on=date(2015 + rng.randint(0, 8), rng.randint(1, 12), rng.randint(1, 28)))
            members = max(1, min(9, round(rng.gauss(scale.citizens_per_household, 1.4))))
            for m in range(members):
                citizen = f"c-{household[3:]}-{m}"
                yield household, f.CitizenRegistered(citizen_id=citizen, birth_year=rng.randint(1940, 2018), household_id=household)
            if rng.random() < scale.clan_share:
                yield household, f.ClanJoined(clan_id=f"cl-{rng.randrange(scale.clans):04d}", household_id=household, joined_on=since)

    for year in scale.years:
        for household, _ in households:
            if rng.random() >= scale.registered_share:
                continue
            passing = rng.random() < scale.passing_share
            yield household, f.FamilyEvidenceSubmitted(household_id=household, year=year, evidence=_family(rng, passing))
        for code, _, _ in hamlets:
            yield code, f.TitleRegistrationSubmitted(title=Title.LEARNING_COMMUNITY, entity_id=code, year=year)
        for number in range(scale.clans):
            yield f"cl-{number:04d}", f.TitleRegistrationSubmitted(title=Title.LEARNING_CLAN, entity_id=f"cl-{number:04d}", year=year)
        for number in range(scale.units):
            yield f"u-{number:04d}", f.TitleRegistrationSubmitted(title=Title.LEARNING_UNIT, entity_id=f"u-{number:04d}", year=year)


def _hamlets(communes: list[dict[str, str]], count: int) -> list[tuple[str, str, str]]:
    per_commune, extra = divmod(count, len(communes))
    hamlets = []
    for index, commune in enumerate(communes):
        for n in range(1, per_commune + (1 if index < extra else 0) + 1):
            hamlets.append((f"{commune['Mã PX']}-{n:02d}", commune["Mã PX"], f"Ấp {n}"))
    return hamlets


def _family(rng: random.Random, passing: bool) -> f.FamilyEvidence:
    children = rng.randint(0, 3)
    adults = rng.randint(1, 4)
    learning = adults if passing else rng.randint(0, adults // 2)
    return f.FamilyEvidence(
        school_age_children=children,
        children_in_school=children,
        children_results_satisfactory=children,
        children_good_conduct=children,
        adults=adults,
        adults_learning=learning,
        has_books_and_study_corner=passing or rng.random() < 0.5,
        has_internet_for_learning=passing or rng.random() < 0.5,
        cultural_family=True,
        livelihood_improved=passing,
        takes_part_in_community_learning=passing,
    )


_SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Thạch", "Kim", "Sơn", "Huỳnh", "Võ", "Đặng")
