"""Benchmark: recognition's evaluation at province scale, and the service end to end.

Province scale (Trà Vinh before the reform): 275,000 households (Learning Family), 780 hamlets
(Learning Community), 280 clans, 700 units of 30 members (Learning Unit), and the units' 21,000
members (Learning Citizen): about 298,000 evaluations for one year, under the rule sets in force
for 2025 (families and units read their members' Learning Citizen decisions). Pinned to one core:

- evaluate: the pure evaluation (compiled plan) of every entity's facts; the target is at least
  50,000 evaluations/s on one core (rates below are per second of this thread's CPU time, so a
  busy machine does not halve them; the service figures are wall-clock);
- baseline: the same facts through a reference interpreter that walks the rule-set model on every
  evaluation and writes every explanation eagerly (the shape of the evaluator before compiling);
- cascade: the whole year in memory through the cascade (derivation, membership, evaluation),
  as `simulate` runs it;
- event: building the TitleDecided event with its trace for a decision (sampled);
- service: households and their evidence through the shared BatchConsumer and recognition's
  handler on a real PostgreSQL (started here): decode, dedupe, cascade, decisions, outbox, commit.

Run: .venv/bin/python -m tests.bench.bench_recognition [--households N] [--service-households N]
The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry

from services.recognition.adapters.db import OUTBOX, RecognitionSqlUnitOfWork
from services.recognition.adapters.rule_files import load_rule_book
from services.recognition.domain.decisions import to_event
from services.recognition.domain.evaluation import DERIVED_MARK
from services.recognition.domain.membership import (
    CitizenRecord,
    HouseholdRecord,
    Period,
    UnitRecord,
)
from services.recognition.domain.population import Population, decide_all
from services.recognition.domain.rules import CountScore, FlagScore, RuleSet
from services.recognition.handlers import RecognitionHandler
from services.recognition.handlers.intake import ACCEPTED
from services.recognition.settings import RecognitionSettings
from shared.consumer import BatchConsumer
from shared.db import create_engine
from shared.devstack.postgres import PostgresServer
from shared.devstack.processes import discard_workdir
from shared.events.catalogue import REGISTRY_HOUSEHOLDS
from shared.events.registry import FamilyEvidenceRecorded, HouseholdChanged
from shared.events.vocabulary import Title
from shared.migrations import upgrade
from shared.observability import ServiceMetrics
from shared.testing import family_evidence, record_of

YEAR = 2025
BOOK = load_rule_book()
clock = time.thread_time
"""CPU time of this thread: a figure for one core even when other processes share the machine.
The service run is timed on the wall clock (it waits on PostgreSQL)."""
MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "recognition" / "migrations"


# --- facts ---------------------------------------------------------------------------------------


def family_facts(rng: random.Random) -> dict[str, Any]:
    children = rng.choice((0, 1, 1, 2, 2, 3))
    in_school = children - (1 if children and rng.random() < 0.05 else 0)
    adults = rng.choice((1, 2, 2, 2, 3, 4))
    facts = family_evidence(
        school_age_children=children,
        children_in_school=in_school,
        children_results_satisfactory=in_school - (1 if in_school and rng.random() < 0.1 else 0),
        children_good_conduct=in_school,
        adults=adults,
        adults_learning=rng.randint(adults // 2, adults),
        has_books_and_study_corner=rng.random() < 0.9,
        has_internet_for_learning=rng.random() < 0.7,
        cultural_family=rng.random() < 0.9,
        livelihood_improved=rng.random() < 0.8,
        takes_part_in_community_learning=rng.random() < 0.85,
    ).model_dump()
    facts["adults_learning_citizens"] = rng.randint(0, adults)
    facts["adults_learning_citizens" + DERIVED_MARK] = True
    return facts


def citizen_facts(rng: random.Random) -> dict[str, Any]:
    if rng.random() < 0.3:
        return {"national_self_assessment_passed": True}
    names = (
        "reads_and_updates_information",
        "has_learning_plan",
        "makes_time_for_cultural_activities",
        "encourages_others_to_learn",
        "uses_it_for_work",
        "uses_foreign_language_for_work",
        "uses_numeracy_for_work",
        "thinks_critically",
        "keeps_friendly_relations",
        "cooperates_and_shares",
    )
    facts: dict[str, Any] = {name: rng.random() < 0.8 for name in names}
    if rng.random() < 0.03:
        facts[rng.choice(names)] = None  # not assessable
    return facts


def unit_facts(rng: random.Random) -> dict[str, Any]:
    members = 30
    return {
        "has_learning_plan": True,
        "has_learning_rules": rng.random() < 0.9,
        "invests_in_learning": rng.random() < 0.9,
        "members": members,
        "members_with_self_study_plan": members - rng.randint(0, 2),
        "members_following_discipline": members,
        "members_completing_training": members - rng.randint(0, 1),
        "members_learning_citizens": rng.randint(20, 30),
        "members_learning_citizens" + DERIVED_MARK: True,
        "member_count": members,
        "emulation_title": rng.random() < 0.8,
        "digital_transformation_basic": rng.random() < 0.6,
    }


def clan_facts(rng: random.Random) -> dict[str, Any]:
    families = rng.randint(10, 60)
    return {
        "has_promotion_board": rng.random() < 0.9,
        "learning_fund_vnd": rng.choice((0, 2_000_000, 10_000_000)),
        "students_rewarded": rng.randint(0, 8),
        "learning_activities": rng.randint(0, 6),
        "no_member_family_in_social_evils": rng.random() < 0.97,
        "member_families": families,
        "member_families_recognised": rng.randint(families // 3, families),
    }


def community_facts(rng: random.Random) -> dict[str, Any]:
    households = rng.randint(200, 500)
    return {
        "learning_activities": rng.randint(1, 8),
        "community_learning_centre_sessions": rng.randint(0, 8),
        "has_reading_space": rng.random() < 0.7,
        "cultural_residential_area": rng.random() < 0.9,
        "school_age_enrolment_percent": rng.uniform(88, 100),
        "households": households,
        "households_recognised": int(households * rng.uniform(0.5, 0.9)),
    }


MAKERS = {
    Title.LEARNING_FAMILY: family_facts,
    Title.LEARNING_CITIZEN: citizen_facts,
    Title.LEARNING_UNIT: unit_facts,
    Title.LEARNING_CLAN: clan_facts,
    Title.LEARNING_COMMUNITY: community_facts,
}


def workload(households: int, seed: int) -> dict[Title, list[dict[str, Any]]]:
    """Facts for a province (at most 20,000 distinct ones per title, reused round-robin)."""
    rng = random.Random(seed)
    scale = households / 275_000
    counts = {
        Title.LEARNING_FAMILY: households,
        Title.LEARNING_COMMUNITY: max(1, int(780 * scale)),
        Title.LEARNING_CLAN: max(1, int(280 * scale)),
        Title.LEARNING_UNIT: max(1, int(700 * scale)),
        Title.LEARNING_CITIZEN: max(1, int(21_000 * scale)),
    }
    found = {}
    for title, count in counts.items():
        pool = [MAKERS[title](rng) for _ in range(min(count, 20_000))]
        found[title] = [pool[i % len(pool)] for i in range(count)]
    return found


# --- the reference interpreter (the baseline) ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Item:
    id: str
    points: float
    met: bool
    shortfall: str | None


def interpret(rule_set: RuleSet, facts: dict[str, Any]) -> tuple[bool, float, list[str]]:
    """Walks the model and writes every explanation on each call, as the evaluator did before plans."""
    total, reasons, all_met = 0.0, [], True
    for criterion in rule_set.criteria:
        items = []
        for item in criterion.items:
            score, full = item.score, item.max_points.value
            if isinstance(score, FlagScore):
                met = bool(facts.get(score.fact))
                items.append(
                    _Item(
                        item.id,
                        full if met else 0.0,
                        met,
                        None if met else f"{score.fact} is not met",
                    )
                )
            elif isinstance(score, CountScore):
                value = float(facts.get(score.fact) or 0)
                met = value >= score.at_least.value
                items.append(
                    _Item(
                        item.id,
                        full if met else 0.0,
                        met,
                        None if met else f"{score.fact} is {value:g}",
                    )
                )
            else:
                whole = float(facts.get(score.denominator) or 0)
                part = sum(float(facts.get(n) or 0) for n in score.numerator)
                met = whole == 0 or part / whole >= score.at_least.value - 1e-9
                items.append(
                    _Item(
                        item.id,
                        full if met else 0.0,
                        met,
                        None if met else f"{part:g} of {whole:g} ({part / whole:.0%})",
                    )
                )
        points = round(sum(i.points for i in items), 4)
        if points < criterion.minimum.value:
            all_met = False
            reasons.append(f"criterion {criterion.id}: {points:g} points")
        reasons.extend(f"{i.id}: {i.shortfall}" for i in items if i.shortfall)
        total += points
    granted = total >= rule_set.threshold.value and all_met
    return granted, total, [] if granted else reasons


# --- measurements ----------------------------------------------------------------------------------


def measure_evaluation(
    facts: dict[Title, list[dict[str, Any]]],
) -> tuple[float, dict[str, float], float]:
    per_title, total_time, total = {}, 0.0, 0
    for title, entries in facts.items():
        plan = BOOK.for_year(title, YEAR).plan()  # type: ignore[union-attr]
        evaluate = plan.evaluate
        started = clock()
        for entry in entries:
            evaluate(entry)
        spent = clock() - started
        per_title[title.value] = round(len(entries) / spent)
        total_time += spent
        total += len(entries)
    sample = facts[Title.LEARNING_FAMILY][:30_000]
    rule_set = BOOK.for_year(Title.LEARNING_FAMILY, YEAR)
    started = clock()
    for entry in sample:
        interpret(rule_set, entry)  # type: ignore[arg-type]
    baseline = len(sample) / (clock() - started)
    return total / total_time, per_title, baseline


def measure_cascade(households: int, seed: int) -> tuple[float, int, dict[str, float]]:
    """A synthetic province in memory, decided bottom-up through the cascade."""
    rng = random.Random(seed)
    population = Population(YEAR)
    hamlets = [f"h{n}" for n in range(max(1, households // 350))]
    pool = [
        family_evidence(
            adults=2,
            adults_learning=rng.randint(1, 2),
            cultural_family=rng.random() < 0.9,
            has_internet_for_learning=rng.random() < 0.7,
        ).model_dump()
        for _ in range(2_000)
    ]
    for n in range(households):
        hid = f"hh{n}"
        hamlet = hamlets[n % len(hamlets)]
        population.households[hid] = HouseholdRecord(
            hid,
            hamlet,
            "c",
            "84",
            date(2020, 1, 1),
            None,
            f"k{n % max(1, households // 1000)}" if n % 3 == 0 else None,
            (Period(hamlet, date(2020, 1, 1)),),
        )
        population.evidence[Title.LEARNING_FAMILY][hid] = pool[n % len(pool)]
    units = max(1, households * 700 // 275_000)
    for u in range(units):
        population.units[f"u{u}"] = UnitRecord(f"u{u}", "c", "84", 30)
        population.evidence[Title.LEARNING_UNIT][f"u{u}"] = {
            **unit_facts(rng),
            "members_learning_citizens": None,
        }
        for m in range(30):
            cid = f"c{u}-{m}"
            population.citizens[cid] = CitizenRecord(
                cid, 1985, f"hh{(u * 30 + m) % households}", (f"u{u}",)
            )
            population.evidence[Title.LEARNING_CITIZEN][cid] = citizen_facts(rng)
    for hamlet in hamlets:
        population.evidence[Title.LEARNING_COMMUNITY][hamlet] = community_facts(rng)
    for k in range(max(1, households // 1000)):
        population.evidence[Title.LEARNING_CLAN][f"k{k}"] = clan_facts(rng)
    size = population.size()
    started = clock()
    granted = decide_all(BOOK, population, lambda *_: None)
    spent = clock() - started
    shares = {
        t.value: round(len(granted.get(t, ())) / max(1, len(population.evidence[t])), 3)
        for t in Title
    }
    return size / spent, size, shares


def measure_events(facts: list[dict[str, Any]]) -> float:
    rule_set = BOOK.for_year(Title.LEARNING_FAMILY, YEAR)
    plan = rule_set.plan()  # type: ignore[union-attr]
    sample = facts[:5_000]
    started = clock()
    for n, entry in enumerate(sample):
        to_event(
            plan.evaluate(entry),
            title=Title.LEARNING_FAMILY,
            entity_id=f"hh{n}",
            year=YEAR,
            effective_from=rule_set.effective.from_,
        ).model_dump_json()  # type: ignore[union-attr]
    return len(sample) / (clock() - started)


async def measure_service(households: int, seed: int, batch: int) -> dict[str, float]:
    """Households and their evidence through the real consumer and handler on PostgreSQL."""
    workdir = Path(tempfile.mkdtemp(prefix="hoctap-bench-recognition-"))
    server = PostgresServer(workdir / "pg", durable=False).start()
    try:
        settings = RecognitionSettings(
            database_url=server.create_database("bench"),
            database_schema="recognition_bench",
            database_pool_size=2,
        )
        await asyncio.to_thread(upgrade, settings, MIGRATIONS)
        engine = create_engine(settings)
        rng = random.Random(seed)
        records = []
        for n in range(households):
            hid = f"hh{n}"
            snapshot = HouseholdChanged(
                household_id=hid,
                hamlet_code=f"h{n % 60}",
                commune_code="29401",
                province_code="84",
                registered_on=date(2020, 1, 1),
                version=1,
            )
            evidence = FamilyEvidenceRecorded(
                household_id=hid,
                year=2024,
                version=1,
                evidence=family_evidence(
                    adults_learning=rng.randint(1, 2), cultural_family=rng.random() < 0.9
                ),
            )
            records += [
                record_of(REGISTRY_HOUSEHOLDS, hid, snapshot, seed=f"s{n}"),
                record_of(REGISTRY_HOUSEHOLDS, hid, evidence, seed=f"e{n}"),
            ]
        consumer = BatchConsumer(
            service="recognition",
            topic=REGISTRY_HOUSEHOLDS.name,
            handler=RecognitionHandler(BOOK),
            accepted=REGISTRY_HOUSEHOLDS.accepting(
                *(t for t in ACCEPTED if t in REGISTRY_HOUSEHOLDS.event_types)
            ),
            unit_of_work=lambda: RecognitionSqlUnitOfWork(
                engine, OUTBOX, "bench", lock_namespace="bench"
            ),
            metrics=ServiceMetrics("recognition", CollectorRegistry()),
        )
        started = time.perf_counter()
        for start in range(0, len(records), batch):
            await consumer(records[start : start + batch])
        spent = time.perf_counter() - started
        async with engine.connect() as connection:
            decided = await connection.scalar(
                __import__("sqlalchemy").text("select count(*) from decision")
            )
        await engine.dispose()
        return {
            "records_per_second": round(len(records) / spent),
            "decisions_per_second": round(int(decided or 0) / spent),
            "households": households,
            "batch": batch,
        }
    finally:
        server.discard()
        discard_workdir(workdir)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=275_000)
    parser.add_argument(
        "--service-households", type=int, default=20_000, help="0 skips the PostgreSQL run"
    )
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the target says
    facts = workload(args.households, args.seed)
    total = sum(len(v) for v in facts.values())
    rate, per_title, baseline = measure_evaluation(facts)
    print(
        f"evaluate: {total:,} evaluations (province scale), {rate:,.0f}/s on one core (target 50,000/s)"
    )
    for title, value in per_title.items():
        print(f"  {title:<20} {value:>10,}/s")
    print(
        f"baseline (reference interpreter, Learning Family): {baseline:,.0f}/s; compiled plan is x{per_title['learning_family'] / baseline:.1f}"
    )
    cascade, size, shares = measure_cascade(args.households, args.seed)
    print(
        f"cascade in memory: {size:,} entities decided bottom-up at {cascade:,.0f}/s; granted shares {shares}"
    )
    events = measure_events(facts[Title.LEARNING_FAMILY])
    print(f"event: evaluation + TitleDecided with its trace as JSON: {events:,.0f}/s")
    service: dict[str, float] = {}
    if args.service_households:
        service = asyncio.run(measure_service(args.service_households, args.seed, args.batch))
        print(
            f"service: {service['records_per_second']:,} records/s, {service['decisions_per_second']:,} decisions/s "
            f"(BatchConsumer + PostgreSQL, batches of {args.batch}, Kafka left out)"
        )
    print(
        json.dumps(
            {
                "evaluations": total,
                "evaluations_per_second": round(rate),
                "target_per_second": 50_000,
                "per_title_per_second": per_title,
                "baseline_per_second": round(baseline),
                "plan_vs_baseline": round(per_title["learning_family"] / baseline, 2),
                "cascade_in_memory_per_second": round(cascade),
                "event_with_trace_per_second": round(events),
                "service": service,
            }
        )
    )


if __name__ == "__main__":
    main()
