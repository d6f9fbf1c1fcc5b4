"""Faults, the short version run by `make test`; `make faults` runs more rounds, each with its
own order, timing and kind of broker stop (HOCTAP_FAULT_SEEDS).

The demo province goes through the four services twice, each time on its own PostgreSQL, Apache
Kafka and SMTP server: once cleanly, once with every inbound event delivered twice, shuffled
within and across partitions, poison events among them, while each service is killed with
SIGKILL and restarted, the broker is restarted on its log directory and PostgreSQL crashes and
recovers. The second run must end with exactly the first run's metric cells and decisions, the
same alert e-mails, once each, and every poison event on the dead-letter topic with its reason.
"""

from __future__ import annotations

import os
import random
import time

import pytest

from shared.events.catalogue import REGISTRY_INBOUND
from tests.pipeline import Pipeline, shuffled

from .conftest import assert_same, demo_and_calendar, finish, outcome, pipeline_settings
from .poison import POISON, poison_records


@pytest.mark.timeout(900)
def test_a_clean_run_of_the_demo_sends_its_alerts_once_each(clean_run) -> None:  # type: ignore[no-untyped-def]
    assert len(clean_run["cells"]) > 50 and clean_run["decisions"]
    assert clean_run["emails"] and set(clean_run["emails"].values()) == {1}


SEEDS = [int(seed) for seed in os.environ.get("HOCTAP_FAULT_SEEDS", "2026").split()]


def plan(pipeline: Pipeline, poison: list, seed: int) -> dict[int, object]:  # type: ignore[type-arg]
    """Which fault at which percentage of the stream: a fixed plan for the default seed, a
    shuffled one (and the broker killed rather than stopped, on odd seeds) for the others."""
    faults = [
        lambda: pipeline.restart("registry"),
        lambda: pipeline.produce_raw(poison),
        lambda: pipeline.restart("recognition"),
        lambda: pipeline.restart("metrics"),
        lambda: pipeline.restart_broker(kill=seed % 2 == 1),
        lambda: pipeline.restart_postgres(),
        lambda: pipeline.restart("notifications"),
    ]
    if seed == 2026:
        return dict(zip((10, 20, 30, 45, 60, 75, 90), faults, strict=True))
    rng = random.Random(seed)
    rng.shuffle(faults)
    return dict(zip(sorted(rng.sample(range(5, 96), len(faults))), faults, strict=True))


@pytest.mark.timeout(1200)
@pytest.mark.parametrize("seed", SEEDS)
def test_crashes_restarts_duplicates_shuffles_and_poison_change_no_result(clean_run, seed: int) -> None:  # type: ignore[no-untyped-def]
    _, calendar = demo_and_calendar()
    records = shuffled(clean_run["records"] * 2, seed=seed)  # every event twice, in a new order
    poison = poison_records(REGISTRY_INBOUND.name)
    with Pipeline.running(broker="kafka", extra=pipeline_settings(calendar)) as pipeline:
        faults = plan(pipeline, poison, seed)
        done: list[int] = []

        def timed(at: int, fault):  # type: ignore[no-untyped-def]
            def run() -> None:
                started = time.monotonic()
                fault()
                done.append(at)
                print(f"fault at {at}% took {time.monotonic() - started:.1f} s", flush=True)
            return run

        pipeline.produce(records, rate=len(records) / 25, at={at: timed(at, f) for at, f in faults.items()})
        assert done == sorted(faults)
        finish(pipeline)
        result = outcome(pipeline)
        letters = pipeline.dead_letters("registry")

    assert_same("decisions", result["decisions"], clean_run["decisions"])
    assert_same("metric cells", result["cells"], clean_run["cells"])
    assert set(result["emails"]) == set(clean_run["emails"])  # none lost, none extra
    assert result["message_ids"] == clean_run["message_ids"]
    assert set(result["emails"].values()) == {1}, f"e-mails sent more than once: {result['emails']}"
    by_id = {letter.get("ce_id"): letter for letter in letters}
    for event_id, (code, _description) in POISON.items():
        assert event_id in by_id, f"poison {event_id} ({_description}) is not on the dead-letter topic"
        assert by_id[event_id]["reason_code"] == code and by_id[event_id]["reason"], by_id[event_id]
