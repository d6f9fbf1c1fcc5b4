"""Horizontal scale, the short version: recognition and metrics run as two, then three replicas
in one consumer group, one joining and others leaving (one stopped, one killed) while facts
stream in. The results must be exactly those of the one-replica clean run."""

from __future__ import annotations

import pytest

from tests.pipeline import Pipeline

from .conftest import assert_same, demo_and_calendar, finish, outcome, pipeline_settings


@pytest.mark.timeout(1200)
def test_two_then_three_replicas_joining_and_leaving_mid_stream_give_the_one_replica_results(clean_run) -> None:  # type: ignore[no-untyped-def]
    _, calendar = demo_and_calendar()
    records = clean_run["records"]
    with Pipeline.running(broker="kafka", extra=pipeline_settings(calendar)) as pipeline:
        for service in ("recognition", "metrics"):
            pipeline.group.start_replica(service, 2)
        pipeline.group.wait_ready(180, "recognition-2", "metrics-2")
        changes = {
            25: lambda: [pipeline.group.start_replica(s, 3) for s in ("recognition", "metrics")],  # join: three each
            50: lambda: pipeline.group.stop("recognition-2"),  # leaves politely
            70: lambda: pipeline.kill("metrics-3"),  # leaves by crashing
        }
        pipeline.produce(records, rate=len(records) / 20, at=changes)
        assert {"recognition", "recognition-3", "metrics", "metrics-2"} <= set(pipeline.group.running())
        finish(pipeline)
        result = outcome(pipeline)
        consumed_by = {name: _processed(pipeline, name) for name in ("recognition", "recognition-3", "metrics", "metrics-2")}

    assert_same("decisions", result["decisions"], clean_run["decisions"])
    assert_same("metric cells", result["cells"], clean_run["cells"])
    assert result["emails"] == clean_run["emails"]
    # The work really was shared: every surviving replica processed events of its own.
    assert all(count > 0 for count in consumed_by.values()), consumed_by


def _processed(pipeline: Pipeline, name: str) -> float:
    import httpx

    service = name.split("-")[0]
    text = httpx.get(pipeline.group.url(name) + "/metrics", timeout=10).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith(f"hoctap_{service}_events_consumed_total{{") and 'outcome="processed"' in line)

