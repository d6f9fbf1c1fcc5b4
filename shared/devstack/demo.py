"""The demo province: its facts, its agencies, loading it through the inbound topic, and the
summary `make run` prints (a chart per commune, the alerts and where the e-mails are).
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import yaml

from shared.events.base import EventData
from shared.events.catalogue import REGISTRY_INBOUND
from shared.events.inbound import (
    AdministrativeUnitRegistered,
    FamilyEvidence,
    FamilyEvidenceSubmitted,
    HouseholdRegistered,
)
from shared.events.vocabulary import Level
from shared.outbox import OutboxRecord, Outgoing, encode

DEMO_FILE = Path(__file__).with_name("demo_province.yaml")
SOURCE = "/demo/tra-vinh-commune-records"


@dataclass(frozen=True)
class Demo:
    spec: dict[str, Any]

    @classmethod
    def load(cls, path: Path = DEMO_FILE) -> Demo:
        return cls(yaml.safe_load(path.read_text(encoding="utf-8")))

    def relative_to(self, year: int) -> Demo:
        """The same story moved so that its last year is `year` (make run uses this year)."""
        shift = year - max(self.spec["years"])
        spec = {**self.spec, "years": [y + shift for y in self.spec["years"]]}
        spec["communes"] = [
            {**c, "registered": {y + shift: v for y, v in c["registered"].items()},
             "recognised": {y + shift: v for y, v in c["recognised"].items()}}
            for c in self.spec["communes"]
        ]
        return Demo(spec)

    def first_years(self, count: int) -> Demo:
        """Only the first `count` years of the story (the walking skeleton needs two)."""
        years = self.years[:count]
        spec = {**self.spec, "years": years}
        spec["communes"] = [
            {**c, "registered": {y: c["registered"][y] for y in years}, "recognised": {y: c["recognised"][y] for y in years}}
            for c in self.spec["communes"]
        ]
        return Demo(spec)

    @property
    def years(self) -> list[int]:
        return list(self.spec["years"])

    @property
    def communes(self) -> list[dict[str, Any]]:
        return list(self.spec["communes"])

    def hamlet_codes(self) -> list[str]:
        return [h["code"] for c in self.communes for h in c["hamlets"]]

    def area_facts(self) -> list[tuple[str, EventData]]:
        since = date.fromisoformat(str(self.spec["valid_from"]))
        province, district = self.spec["province"], self.spec["district"]
        facts: list[tuple[str, EventData]] = [
            (province["code"], AdministrativeUnitRegistered(code=province["code"], level=Level.PROVINCE, name=province["name"], valid_from=since)),
            (district["code"], AdministrativeUnitRegistered(code=district["code"], level=Level.DISTRICT, name=district["name"], parent_code=province["code"], valid_from=since)),
        ]
        for commune in self.communes:
            facts.append((commune["code"], AdministrativeUnitRegistered(code=commune["code"], level=Level.COMMUNE, name=commune["name"], parent_code=district["code"], valid_from=since)))
            for hamlet in commune["hamlets"]:
                facts.append((hamlet["code"], AdministrativeUnitRegistered(code=hamlet["code"], level=Level.HAMLET, name=hamlet["name"], parent_code=commune["code"], valid_from=since)))
        return facts

    def household_facts(self) -> list[tuple[str, EventData]]:
        """Households and their yearly evidence, deterministic: the same every run."""
        size = int(self.spec["households_per_hamlet"])
        first_year = min(self.years)
        facts: list[tuple[str, EventData]] = []
        for commune in self.communes:
            for index, hamlet in enumerate(commune["hamlets"]):
                ids = [f"hh-{hamlet['code']}-{n:03d}" for n in range(1, size + 1)]
                for number, household_id in enumerate(ids):
                    registered_on = date(first_year - 1 - number % 5, 1 + number % 12, 1 + number % 28)
                    facts.append((household_id, HouseholdRegistered(household_id=household_id, hamlet_code=hamlet["code"], registered_on=registered_on)))
                for year in self.years:
                    registered = commune["registered"][year][index]
                    recognised = commune["recognised"][year][index]
                    rng = random.Random(f"{hamlet['code']}/{year}")
                    for number, household_id in enumerate(ids[:registered]):
                        evidence = passing_evidence(rng) if number < recognised else failing_evidence(rng)
                        facts.append((household_id, FamilyEvidenceSubmitted(household_id=household_id, year=year, evidence=evidence)))
        return facts

    def expected(self) -> dict[tuple[str, int], tuple[int, int, int]]:
        """(area code, year) -> (total, registered, recognised) the metrics must end up with."""
        size = int(self.spec["households_per_hamlet"])
        result: dict[tuple[str, int], tuple[int, int, int]] = {}
        for year in self.years:
            province = [0, 0, 0]
            for commune in self.communes:
                total = size * len(commune["hamlets"])
                registered = sum(commune["registered"][year])
                recognised = sum(commune["recognised"][year])
                result[(commune["code"], year)] = (total, registered, recognised)
                for i, value in enumerate((total, registered, recognised)):
                    province[i] += value
            result[(self.spec["province"]["code"], year)] = (province[0], province[1], province[2])
        return result

    def agencies_document(self) -> dict[str, Any]:
        agencies = [{**self.spec["province"]["agency"], "language": "vi", "areas": [self.spec["province"]["code"]]}]
        agencies += [{**c["agency"], "language": "vi", "areas": [c["code"]]} for c in self.communes]
        return {"agencies": agencies}

    def write_publishers(self, path: Path, token: str) -> Path:
        """The registry's publishers file for the demo: the demo source and an HTTP token, province-wide."""
        import hashlib

        document = {
            "publishers": [
                {
                    "name": "demo-province",
                    "sources": [SOURCE],
                    "areas": ["*"],
                    "token_sha256": hashlib.sha256(token.encode()).hexdigest(),
                }
            ]
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        return path

    def write_agencies(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(self.agencies_document(), allow_unicode=True, sort_keys=False), encoding="utf-8")
        return path


def write_readers(path: Path, token: str) -> Path:
    """A readers file (HOCTAP_READERS_FILE) with one token: who may read recognition's decisions and
    notifications' alerts in the demo and the end-to-end tests."""
    import hashlib

    document = {"readers": [{"name": "demo-reader", "token_sha256": hashlib.sha256(token.encode()).hexdigest()}]}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def calendar_for(today: date) -> dict[str, str]:
    """Notification settings that let the demo's current year be judged whatever the date:
    outside the 30 September - 15 December window the interim checkpoint moves to 1 January."""
    if (9, 30) <= (today.month, today.day) < (12, 15):
        return {}
    return {"NOTIFICATIONS_INTERIM_CHECKPOINT": "01-01", "NOTIFICATIONS_REPORTING_CUTOFF": "12-31"}


def passing_evidence(rng: random.Random) -> FamilyEvidence:
    children = rng.randint(0, 3)
    adults = rng.randint(2, 4)
    return FamilyEvidence(
        school_age_children=children,
        children_in_school=children,
        children_results_satisfactory=children,
        children_good_conduct=children,
        adults=adults,
        adults_learning=adults,
        has_books_and_study_corner=True,
        has_internet_for_learning=True,
        cultural_family=True,
        livelihood_improved=True,
        takes_part_in_community_learning=True,
    )


def failing_evidence(rng: random.Random) -> FamilyEvidence:
    """Registered but short: few adults learning and no study corner (criteria 2 and 3 fail)."""
    children = rng.randint(1, 3)
    adults = rng.randint(2, 4)
    return FamilyEvidence(
        school_age_children=children,
        children_in_school=children,
        children_results_satisfactory=children - rng.randint(0, 1),
        children_good_conduct=children,
        adults=adults,
        adults_learning=rng.randint(0, 1),
        has_books_and_study_corner=False,
        has_internet_for_learning=rng.random() < 0.5,
        cultural_family=rng.random() < 0.7,
        livelihood_improved=rng.random() < 0.5,
        takes_part_in_community_learning=False,
    )


def inbound_records(facts: list[tuple[str, EventData]], *, source: str = SOURCE, salt: str = "") -> list[OutboxRecord]:
    """Wrap facts as a government system would publish them; ids are stable, so re-sending is a no-op."""
    now = datetime.now(UTC)
    records = []
    for key, fact in facts:
        seed = f"{source}|{salt}|{type(fact).__name__}|{fact.model_dump_json()}"
        records.append(encode(Outgoing(REGISTRY_INBOUND, key, fact, id_seed=seed), source=source, now=now))
    return records


async def publish(bootstrap: str, records: list[OutboxRecord], *, topic_prefix: str = "", progress: Callable[[int, int], None] | None = None) -> None:
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        pending = []
        for number, record in enumerate(records, 1):
            pending.append(await producer.send(topic_prefix + record.topic, record.value, key=record.key, headers=list(record.headers)))
            if progress and (number % 200 == 0 or number == len(records)):
                progress(number, len(records))
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


def wait_until(check: Callable[[], bool], timeout: float, what: str, interval: float = 0.5) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


def progress_bar(label: str) -> Callable[[int, int], None]:
    shown: list[tuple[int, int]] = []

    def show(done: int, total: int) -> None:
        if shown and shown[-1] == (done, total):
            return
        shown.append((done, total))
        width = 30
        filled = int(width * done / total) if total else width
        sys.stdout.write(f"\r  {label:<28} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done >= total:
            sys.stdout.write("\n")
        sys.stdout.flush()

    return show


def bar(percent: float, width: int = 40) -> str:
    filled = round(width * percent / 100)
    return "█" * filled + "░" * (width - filled)


def summary(demo: Demo, indicators: list[dict[str, Any]], alerts: list[dict[str, Any]], *, mail_dir: Path, target_points: float = 3.0) -> str:
    by_area = {(i["area_code"], i["year"]): i for i in indicators}
    first, last = demo.years[0], demo.years[-1]
    areas = [(c["code"], c["name"]) for c in demo.communes] + [(demo.spec["province"]["code"], demo.spec["province"]["name"])]
    lines = [
        "",
        f"Learning Family (Gia đình học tập): recognised share of all households, {first} → {last}",
        f"target: +{target_points:.1f} percentage points a year (Trà Vinh programme 2024-2030); {last} is the year in progress",
        "",
    ]
    for code, name in areas:
        for year in demo.years:
            cell = by_area.get((code, year))
            label = f"{name} ({code})" if year == first else ""
            if cell is None or cell["ratio_all"] is None:
                lines.append(f"  {label:<28} {year}  (no figures yet)")
                continue
            suffix = ""
            before = by_area.get((code, year - 1))
            if before is not None and before["ratio_all"] is not None:
                growth = cell["ratio_all"] - before["ratio_all"]
                mark = "met" if growth + 1e-9 >= target_points else ("so far" if year == last else "MISSED")
                suffix = f"  {growth:+.1f} pts  {mark}"
            lines.append(
                f"  {label:<28} {year}  {bar(cell['ratio_all'])} {cell['ratio_all']:5.1f}%  "
                f"({cell['recognised']}/{cell['total']}){suffix}"
            )
        lines.append("")
    sent = [a for a in alerts if a["status"] == "sent"]
    lines.append(f"Notices: {len(alerts)} raised, {len(sent)} e-mailed")
    for alert in alerts:
        lines.append(f"  - [{alert['status']}] {alert.get('subject') or alert.get('alert_key')}")
    mails = sorted(mail_dir.glob("*.eml"))
    lines.append(f"E-mails saved by the SMTP sink: {len(mails)} in {mail_dir}/")
    for mail in mails[-8:]:
        lines.append(f"  {mail}")
    return "\n".join(lines)