"""Benchmark: a full year's Learning Family decisions at province scale folded into the metrics.

Province scale (Trà Vinh before the reform): 1 province, 9 districts, 104 communes, 780 hamlets,
275,000 households; one assessment year before the reform, so both hierarchies are kept. On a
real PostgreSQL (started here), the run measures:

- fold: decisions/s through the metrics' unit of work exactly as a consumer runs it (the event
  ids claimed only if the service's consumers claim them: they do not, being `idempotent`;
  handler, outbox, commit), batches of `batch_max_records`, decoding left out; then the
  following year's decisions by two consumers at once (as two replicas would);
- consumer: the same through the shared BatchConsumer, decoding included: on a sample of a year
  before the reform (both maps: about three times the cells a batch changes), on a sample of a
  year on the fold's map, and a whole year on that map by two consumers at once;
- baseline: a plain batched COPY, and a plain batched INSERT, of the same decision rows;
- scrape: GET /metrics at province scale (commune and province levels exported), median of 5;
- reconcile: the from-scratch comparison, which must find no difference.

Run: .venv/bin/python -m tests.bench.bench_metrics [--households N] [--batch N]
The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from prometheus_client import CollectorRegistry

from services.metrics.adapters.db import OUTBOX, MetricsSqlUnitOfWork
from services.metrics.app import DECISIONS_READ_AS, IDEMPOTENT_HANDLERS, build_app
from services.metrics.handlers import MetricsHandlers
from services.metrics.maintenance import reconcile
from services.metrics.settings import MetricsSettings
from shared.cli import tune_garbage_collector
from shared.consumer import BatchConsumer, Received
from shared.db import create_engine
from shared.devstack.postgres import PostgresServer
from shared.events.catalogue import (
    RECOGNITION_DECISIONS,
    REGISTRY_ADMINISTRATIVE_UNITS,
    REGISTRY_HOUSEHOLDS,
)
from shared.events.recognition import CriterionScore, ItemScore, TitleDecided
from shared.events.registry import AdministrativeUnitChanged, HouseholdChanged
from shared.events.vocabulary import Level, Title
from shared.migrations import upgrade
from shared.observability import ServiceMetrics
from shared.outbox import encode
from shared.testing import received, record_of

SINCE = date(2015, 1, 1)
CLAIM = not IDEMPOTENT_HANDLERS  # as the service's consumers do
MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "metrics" / "migrations"


def province(hamlets_wanted: int, *, reformed: bool) -> list[AdministrativeUnitChanged]:
    """Old Trà Vinh (9 districts, 104 communes) or its part of new Vĩnh Long (41 communes, no districts)."""
    code = "86" if reformed else "84"
    units = [
        AdministrativeUnitChanged(
            code=code,
            level=Level.PROVINCE,
            name=f"Tỉnh {code}",
            parent_code=None,
            province_code=code,
            valid_from=SINCE,
            version=1,
        )
    ]
    communes = [f"{29000 + n}" for n in range(41 if reformed else 104)]
    for d in range(0 if reformed else 9):
        units.append(
            AdministrativeUnitChanged(
                code=f"84{d}",
                level=Level.DISTRICT,
                name=f"Huyện {d}",
                parent_code=code,
                province_code=code,
                valid_from=SINCE,
                version=1,
            )
        )
    for index, commune in enumerate(communes):
        parent = code if reformed else f"84{index % 9}"
        units.append(
            AdministrativeUnitChanged(
                code=commune,
                level=Level.COMMUNE,
                name=f"Xã {commune}",
                parent_code=parent,
                province_code=code,
                valid_from=SINCE,
                version=1,
            )
        )
    for n in range(hamlets_wanted):
        commune = communes[n % len(communes)]
        units.append(
            AdministrativeUnitChanged(
                code=f"{commune}-{n:03d}",
                level=Level.HAMLET,
                name=f"Ấp {n}",
                parent_code=commune,
                province_code=code,
                valid_from=SINCE,
                version=1,
            )
        )
    return units


def criteria() -> tuple[CriterionScore, ...]:
    """A decision as recognition sends it: four criteria of three items (about 1.6 kB of JSON)."""
    items = tuple(
        ItemScore(id=f"item{j}", points=5, max_points=5, met=True, observed=2, required=2)
        for j in range(3)
    )
    return tuple(
        CriterionScore(
            id=f"criterion{i}", points=15, max_points=25, minimum=10, met=True, items=items
        )
        for i in range(4)
    )


def decisions(household_ids: list[str], year: int, seed: int) -> list[TitleDecided]:
    rng = random.Random(seed)
    scored = criteria()
    chosen = [
        TitleDecided(
            title=Title.LEARNING_FAMILY,
            entity_kind="household",
            entity_id=h,
            year=year,
            granted=rng.random() < 0.72,
            total_points=85,
            max_points=100,
            threshold=80,
            criteria=scored,
            unmet=(),
            rule_set_id="learning-family",
            rule_version="2016.1",
            rule_effective_from=date(2016, 1, 1),
            revision=1,
        )
        for h in household_ids
    ]
    rng.shuffle(chosen)
    return chosen


async def fold(
    settings: MetricsSettings,
    handler: Any,
    items: list[Received[Any]],
    batch: int,
    *,
    claim: bool = CLAIM,
) -> tuple[float, float]:
    """What BatchConsumer does around a handler, minus decoding: claim (unless the service's
    consumers are `idempotent`, as they are), handle, outbox, commit.

    Returns (wall seconds, this process's CPU seconds): on a shared machine the second is the
    steadier figure of what the fold itself costs.
    """
    engine = create_engine(settings)
    now = datetime.now(UTC)
    started, cpu = time.perf_counter(), time.process_time()
    try:
        for start in range(0, len(items), batch):
            chunk = items[start : start + batch]
            async with MetricsSqlUnitOfWork(engine, OUTBOX, "bench") as uow:
                if claim:
                    fresh = await uow.inbox.claim([i.identity for i in chunk])
                    chunk = [i for i in chunk if i.identity in fresh]
                outcome = await handler(chunk, uow, now)
                await uow.outbox.add(
                    [encode(e, source="/hoctap/metrics", now=now) for e in outcome.events]
                )
                await uow.commit()
    finally:
        await engine.dispose()
    return time.perf_counter() - started, time.process_time() - cpu


async def through_consumer(
    settings: MetricsSettings, handler: Any, records: list[Any], batch: int
) -> float:
    engine = create_engine(settings)
    consumer = BatchConsumer(
        service="metrics",
        topic=RECOGNITION_DECISIONS.name,
        accepted=DECISIONS_READ_AS,
        handler=handler,
        unit_of_work=lambda: MetricsSqlUnitOfWork(engine, OUTBOX, "bench"),
        metrics=ServiceMetrics("metrics", CollectorRegistry()),
        idempotent=IDEMPOTENT_HANDLERS,  # as the service wires it
    )
    started = time.perf_counter()
    try:
        for start in range(0, len(records), batch):
            await consumer(records[start : start + batch])
    finally:
        await engine.dispose()
    return time.perf_counter() - started


async def baselines(url: str, rows: list[tuple[Any, ...]], batch: int) -> dict[str, float]:
    """The same decision rows stored with nothing else done: batched COPY, then batched INSERT."""
    connection = await asyncpg.connect(url)
    figures = {}
    try:
        for name in ("copy", "insert"):
            await connection.execute(
                "drop table if exists bench_decision; create table bench_decision (title text, entity_id text, year int,"
                " granted boolean, rule_version text, rule_effective_from date, revision int, primary key (title, entity_id, year))"
            )
            started = time.perf_counter()
            for start in range(0, len(rows), batch):
                chunk = rows[start : start + batch]
                async with connection.transaction():
                    if name == "copy":
                        await connection.copy_records_to_table("bench_decision", records=chunk)
                    else:
                        await connection.execute(
                            "insert into bench_decision select * from unnest($1::text[], $2::text[], $3::int[], $4::bool[],"
                            " $5::text[], $6::date[], $7::int[])",
                            *([r[i] for r in chunk] for i in range(7)),
                        )
            figures[name] = len(rows) / (time.perf_counter() - started)
        await connection.execute("drop table bench_decision")
    finally:
        await connection.close()
    return figures


# Copies the folded year's commune and province cells to every title and programme year, and to
# more communes (suffixed codes), to measure a scrape at a larger scale than the fold itself.
_FILL = """
    insert into cell ({columns})
    select t.title, c.hierarchy, c.level, c.area_code || s.suffix, y.year, c.parent_code, c.area_name, c.total,
           c.registered, c.recognised, c.assessed, c.rule_versions, c.ratio_all, c.ratio_registered, c.data_status,
           c.data_status_reason, 2.5, c.goal_percent, c.goal_year, c.projected_goal_year_percent, 60.0, c.revision
    from cell c, unnest($1::text[]) as t(title), generate_series(2024, 2030) as y(year),
         unnest($2::text[]) as s(suffix)
    where c.title = 'learning_family' and c.year = $3 and c.hierarchy = 'current' and c.level = $4
      and c.area_code not like '%x%'
    on conflict do nothing
"""
COLUMNS = (
    "title, hierarchy, level, area_code, year, parent_code, area_name, total, registered, recognised, assessed,"
    " rule_versions, ratio_all, ratio_registered, data_status, data_status_reason, change_points, goal_percent,"
    " goal_year, projected_goal_year_percent, target_percent, revision"
)


async def fill(url: str, schema: str, year: int, communes_wanted: int, provinces: int) -> int:
    """Copy the folded commune cells until there are about `communes_wanted` communes."""
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(f"set search_path = {schema}")
        communes = await connection.fetchval(
            "select count(*) from cell where hierarchy = 'current' and level = 'commune'"
            " and title = 'learning_family' and year = $1 and area_code not like '%x%'",
            year,
        )
        communes_copies = max(1, round(communes_wanted / max(1, communes)))
        titles = [t.value for t in Title]
        statement = _FILL.format(columns=COLUMNS)
        await connection.execute(
            statement, titles, [""] + [f"x{n}" for n in range(1, communes_copies)], year, "commune"
        )
        await connection.execute(
            statement, titles, [""] + [f"x{n}" for n in range(1, provinces)], year, "province"
        )
        return int(
            await connection.fetchval(
                "select count(*) from cell where hierarchy = 'current' and level in ('commune', 'province')"
            )
        )
    finally:
        await connection.close()


async def scrape(settings: MetricsSettings) -> tuple[float, int]:
    app = build_app(settings.model_copy(update={"scrape_cache_seconds": 0.0}))
    timings, text = [], ""
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://metrics"
        ) as client:
            for _ in range(5):
                started = time.perf_counter()
                response = await client.get("/metrics")
                timings.append(time.perf_counter() - started)
                text = response.text
    finally:
        await app.state.runtime.engine.dispose()
    samples = sum(1 for line in text.splitlines() if line.startswith("hoctap_title_"))
    return statistics.median(timings), samples


def say(text: str) -> None:
    print(text, flush=True)


async def run(
    households: int, hamlets: int, batch: int, consumer_sample: int, year_folded: int, workdir: Path
) -> dict[str, Any]:
    server = PostgresServer(workdir / "postgres", durable=False).start()
    try:
        url = server.create_database("bench")
        settings = MetricsSettings(
            database_url=url, database_schema="metrics_bench", batch_max_records=batch
        )
        await asyncio.to_thread(upgrade, settings, MIGRATIONS)
        handlers = MetricsHandlers(settings.rules())
        reformed = year_folded >= settings.reform_date.year
        units = province(hamlets, reformed=reformed)
        hamlet_codes = [u.code for u in units if u.level == Level.HAMLET]
        ids = [f"hh-{n:06d}" for n in range(households)]
        say(
            f"setup: {len(units)} administrative units, {households} households over {len(hamlet_codes)} hamlets ..."
        )
        started = time.perf_counter()
        await fold(
            settings,
            handlers.on_administrative_units,
            [received(REGISTRY_ADMINISTRATIVE_UNITS, u.code, u) for u in units],
            batch,
        )
        snapshots = [
            received(
                REGISTRY_HOUSEHOLDS,
                h,
                HouseholdChanged(
                    household_id=h,
                    hamlet_code=hamlet_codes[n % len(hamlet_codes)],
                    commune_code=hamlet_codes[n % len(hamlet_codes)][:5],
                    province_code=units[0].code,
                    registered_on=date(2019, 1, 1),
                    version=1,
                ),
            )
            for n, h in enumerate(ids)
        ]
        await fold(settings, handlers.on_households, snapshots, batch)
        setup_seconds = time.perf_counter() - started
        say(f"  loaded in {setup_seconds:.1f} s")

        year = [
            received(RECOGNITION_DECISIONS, d.entity_id, d)
            for d in decisions(ids, year_folded, seed=1)
        ]
        following = [
            received(RECOGNITION_DECISIONS, d.entity_id, d)
            for d in decisions(ids, year_folded + 1, seed=3)
        ]
        # The inputs (hundreds of thousands of objects) are not the service's: keep them out of the
        # garbage collector's full passes, which would otherwise dominate the timings.
        tune_garbage_collector(settings.gc_thresholds)  # as `serve` does
        say(
            f"opening {year_folded}: a fact row for each of {households} households, cells recounted whole ..."
        )
        open_seconds, _ = await fold(settings, handlers.on_decisions, year[:1], batch)
        say(f"  {open_seconds:.2f} s")
        load_before = os.getloadavg()[0]
        say(
            f"fold: {len(year) - 1} decisions of {year_folded} in batches of {batch} (load average {load_before:.1f}) ..."
        )
        fold_seconds, fold_cpu = await fold(settings, handlers.on_decisions, year[1:], batch)
        fold_rate = (len(year) - 1) / fold_seconds
        cpu_rate = (len(year) - 1) / fold_cpu
        say(
            f"  {fold_seconds:.1f} s = {fold_rate:,.0f} decisions/s; this process used {fold_cpu:.1f} s CPU ({cpu_rate:,.0f} decisions per CPU second)"
        )

        # Two consumers at once (two replicas, or two partitions' batches in flight): the database
        # work of one overlaps the Python work of the other. Next year's decisions, the same size.
        await fold(settings, handlers.on_decisions, following[:1], batch)
        halves = [following[1::2], following[2::2]]
        say(
            f"fold with two consumers at once: {len(following) - 1} decisions of {year_folded + 1} ..."
        )
        started = time.perf_counter()
        await asyncio.gather(
            *(fold(settings, handlers.on_decisions, half, batch) for half in halves)
        )
        two_rate = (len(following) - 1) / (time.perf_counter() - started)
        say(f"  {two_rate:,.0f} decisions/s")

        async def consumers(year_decided: int, sample: list[TitleDecided], replicas: int) -> float:
            """Decisions/s of `replicas` BatchConsumers at once (decoding included), on records of
            `sample`; its first decision is folded beforehand so the year is already open."""
            await fold(
                settings,
                handlers.on_decisions,
                [received(RECOGNITION_DECISIONS, sample[0].entity_id, sample[0])],
                batch,
            )
            records = [record_of(RECOGNITION_DECISIONS, d.entity_id, d) for d in sample[1:]]
            say(
                f"{'one consumer' if replicas == 1 else f'{replicas} consumers at once'}: {len(records)} decisions of {year_decided} through BatchConsumer (decoding included) ..."
            )
            started = time.perf_counter()
            await asyncio.gather(
                *(
                    through_consumer(settings, handlers.on_decisions, records[n::replicas], batch)
                    for n in range(replicas)
                )
            )
            rate = len(records) / (time.perf_counter() - started)
            say(f"  {rate:,.0f} decisions/s")
            return rate

        consumer_rate = await consumers(
            year_folded - 1, decisions(ids[: consumer_sample + 1], year_folded - 1, seed=2), 1
        )
        # The same on the fold's own map (one hierarchy): one consumer on a sample, then a whole
        # year by two consumers at once, as two replicas would take it from Kafka.
        later = year_folded + 2
        consumer_same_map_rate = await consumers(
            later, decisions(ids[: consumer_sample + 1], later, seed=4), 1
        )
        consumer_two_rate = await consumers(later + 1, decisions(ids, later + 1, seed=5), 2)

        say("baseline: the same rows, plain batched COPY and INSERT ...")
        rows = [
            (
                d.data.title.value,
                d.data.entity_id,
                d.data.year,
                d.data.granted,
                d.data.rule_version,
                d.data.rule_effective_from,
                d.data.revision,
            )
            for d in year
        ]
        plain_url = url.replace("postgresql://", "postgres://")
        base = await baselines(plain_url, rows, batch)
        say(f"  COPY {base['copy']:,.0f} rows/s, INSERT {base['insert']:,.0f} rows/s")

        engine = create_engine(settings)
        started = time.perf_counter()
        differences = await reconcile(
            engine, settings.rules(), progress=lambda line: say("  " + line)
        )
        reconcile_seconds = time.perf_counter() - started
        await engine.dispose()
        say(f"reconcile: {len(differences)} differences in {reconcile_seconds:.1f} s")

        scrape_seconds, samples = await scrape(settings)
        say(
            f"scrape after the fold: {scrape_seconds * 1000:.0f} ms (median of 5), {samples} hoctap_title_* samples"
        )
        cells_province = await fill(plain_url, settings.database_schema, year_folded, 123, 1)
        province_seconds, province_samples = await scrape(settings)
        say(
            f"scrape, about a whole new province (123 communes and the province, 5 titles, 7 years: {cells_province} cells): "
            f"{province_seconds * 1000:.0f} ms, {province_samples} samples"
        )
        cells_national = await fill(plain_url, settings.database_schema, year_folded, 3321, 34)
        national_seconds, national_samples = await scrape(settings)
        only_provinces = settings.model_copy(update={"prometheus_levels": [Level.PROVINCE]})
        national_provinces_seconds, national_provinces_samples = await scrape(only_provinces)
        say(
            f"scrape, national scale ({cells_national} cells): {national_seconds:.1f} s, {national_samples} samples; "
            f"provinces only: {national_provinces_seconds * 1000:.0f} ms, {national_provinces_samples} samples"
        )
        return {
            "households": households,
            "hamlets": len(hamlet_codes),
            "batch": batch,
            "year": year_folded,
            "hierarchies": 1 if reformed else 2,
            "load_average": round(load_before, 1),
            "setup_seconds": round(setup_seconds, 2),
            "open_year_seconds": round(open_seconds, 2),
            "fold_decisions_per_second": round(fold_rate),
            "fold_seconds": round(fold_seconds, 2),
            "fold_cpu_seconds": round(fold_cpu, 2),
            "fold_decisions_per_cpu_second": round(cpu_rate),
            "fold_two_consumers_decisions_per_second": round(two_rate),
            "consumer_decisions_per_second": round(consumer_rate),
            "consumer_same_map_decisions_per_second": round(consumer_same_map_rate),
            "consumer_two_replicas_decisions_per_second": round(consumer_two_rate),
            "baseline_copy_rows_per_second": round(base["copy"]),
            "baseline_insert_rows_per_second": round(base["insert"]),
            "fold_to_copy_ratio": round(fold_rate / base["copy"], 3),
            "fold_to_insert_ratio": round(fold_rate / base["insert"], 3),
            "reconcile_seconds": round(reconcile_seconds, 2),
            "reconcile_differences": len(differences),
            "scrape_seconds": round(scrape_seconds, 3),
            "scrape_samples": samples,
            "scrape_province_seconds": round(province_seconds, 3),
            "scrape_province_samples": province_samples,
            "scrape_national_seconds": round(national_seconds, 2),
            "scrape_national_samples": national_samples,
            "scrape_national_provinces_only_seconds": round(national_provinces_seconds, 3),
            "scrape_national_provinces_only_samples": national_provinces_samples,
        }
    finally:
        server.discard()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.bench_metrics")
    parser.add_argument("--households", type=int, default=275_000)
    parser.add_argument("--hamlets", type=int, default=780)
    parser.add_argument(
        "--batch", type=int, default=MetricsSettings.model_fields["batch_max_records"].default
    )
    parser.add_argument("--consumer-sample", type=int, default=50_000)
    parser.add_argument(
        "--year", type=int, default=2025, help="2025 and later: today's map only; 2024: both maps"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hoctap-bench-") as folder:
        figures = asyncio.run(
            run(
                args.households,
                args.hamlets,
                args.batch,
                min(args.consumer_sample, args.households),
                args.year,
                Path(folder),
            )
        )
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
