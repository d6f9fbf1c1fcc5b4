"""The registry's HTTP API: tokens and scopes, bulk import with a result per row, look-ups."""

import json

from .conftest import import_rows

AREAS = [
    {"type": "administrative-unit-registered", "data": {"code": "84", "level": "province", "name": "Tỉnh Trà Vinh", "valid_from": "2020-01-01"}},
    {"type": "administrative-unit-registered", "data": {"code": "29401", "level": "commune", "name": "Xã Hòa Lợi", "parent_code": "84", "valid_from": "2020-01-01"}},
    {"type": "administrative-unit-registered", "data": {"code": "29407", "level": "commune", "name": "Xã Hưng Mỹ", "parent_code": "84", "valid_from": "2020-01-01"}},
    {"type": "administrative-unit-registered", "data": {"code": "29401-01", "level": "hamlet", "name": "Ấp Bến Cát", "parent_code": "29401", "valid_from": "2020-01-01"}},
    {"type": "administrative-unit-registered", "data": {"code": "29407-01", "level": "hamlet", "name": "Ấp Hưng Mỹ", "parent_code": "29407", "valid_from": "2020-01-01"}},
]


async def test_no_token_is_401_and_a_token_outside_its_scope_is_403(running_registry) -> None:  # type: ignore[no-untyped-def]
    running = running_registry
    await import_rows(running, AREAS)
    assert (await running.http.get("/v1/households", params={"commune": "29401"})).status_code == 401
    wrong = await running.http.get("/v1/households", params={"commune": "29401"}, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    own = await running.http.get("/v1/households", params={"hamlet": "29401-01"}, headers=running.as_("hoa-loi"))
    assert own.status_code == 200
    other = await running.http.get("/v1/households", params={"commune": "29407"}, headers=running.as_("hoa-loi"))
    assert other.status_code == 403 and "may not read area 29407" in other.text
    unfiltered = await running.http.get("/v1/households", headers=running.as_("hoa-loi"))
    assert unfiltered.status_code == 403


async def test_a_bulk_import_answers_every_row_and_refuses_what_is_outside_the_tokens_scope(running_registry) -> None:  # type: ignore[no-untyped-def]
    running = running_registry
    await import_rows(running, AREAS)
    results = await import_rows(running, [
        {"type": "household-registered", "data": {"household_id": "hh-1", "hamlet_code": "29401-01", "registered_on": "2021-01-01"}},
        {"type": "household-registered", "data": {"household_id": "hh-2", "hamlet_code": "29407-01", "registered_on": "2021-01-01"}},
        {"type": "household-registered", "data": {"household_id": "hh-3", "hamlet_code": "29401-01"}},
        {"type": "no-such-fact", "data": {}},
        {"type": "member-added", "data": {"household_id": "hh-1", "citizen_id": "c-404", "added_on": "2021-01-01"}},
        {"type": "household-registered", "data": {"household_id": "hh-1", "hamlet_code": "29401-01", "registered_on": "2021-01-01"}},
    ], who="hoa-loi")
    assert [(r["row"], r["status"], r.get("code")) for r in results] == [
        (1, "applied", None),
        (2, "rejected", "not_authorised"),
        (3, "rejected", "invalid_data"),
        (4, "rejected", "invalid_data"),
        (5, "waiting", "unknown_reference"),
        (6, "unchanged", None),
    ]
    assert "registered_on: Field required" in results[2]["reason"]


async def test_a_csv_import_reads_dotted_columns_and_booleans(running_registry) -> None:  # type: ignore[no-untyped-def]
    running = running_registry
    await import_rows(running, AREAS + [
        {"type": "household-registered", "data": {"household_id": "hh-1", "hamlet_code": "29401-01", "registered_on": "2021-01-01"}},
    ])
    columns = ("household_id,year,evidence.school_age_children,evidence.children_in_school,evidence.children_results_satisfactory,"
               "evidence.children_good_conduct,evidence.adults,evidence.adults_learning,evidence.has_books_and_study_corner,"
               "evidence.has_internet_for_learning,evidence.cultural_family,evidence.livelihood_improved,"
               "evidence.takes_part_in_community_learning")
    body = f"{columns}\nhh-1,2024,1,1,1,1,2,2,true,có,1,yes,true\nhh-1,2025,1,1,1,1,2,3,true,true,true,true,true\n"
    response = await running.http.post("/v1/import", params={"type": "family-evidence-submitted"}, content=body.encode(),
                                       headers={**running.as_("province"), "content-type": "text/csv"})
    lines = [line for line in response.text.splitlines()]
    assert '"status": "applied"' in lines[0]
    assert '"status": "rejected"' in lines[1] and "adults_learning (3) exceeds adults (2)" in lines[1]


async def test_look_ups_page_through_results_and_the_audit_shows_every_outcome(running_registry) -> None:  # type: ignore[no-untyped-def]
    running = running_registry
    await import_rows(running, AREAS + [
        {"type": "household-registered", "data": {"household_id": f"hh-{n}", "hamlet_code": "29401-01", "registered_on": "2021-01-01"}}
        for n in range(1, 6)
    ])
    first = (await running.http.get("/v1/households", params={"hamlet": "29401-01", "limit": 2}, headers=running.as_("province"))).json()
    second = (await running.http.get("/v1/households", params={"hamlet": "29401-01", "limit": 2, "after": first["next_after"]}, headers=running.as_("province"))).json()
    assert [h["household_id"] for h in first["items"] + second["items"]] == ["hh-1", "hh-2", "hh-3", "hh-4"]
    audit = (await running.http.get("/v1/audit", params={"entity_key": "hh-1"}, headers=running.as_("province"))).json()
    assert audit[0]["outcome"] == "applied" and audit[0]["actor"] == "province-84"
    assert (await running.http.get("/v1/audit", params={"entity_key": "hh-1"}, headers=running.as_("hoa-loi"))).status_code == 403


async def test_a_lone_surrogate_escaped_in_an_import_is_refused_naming_the_field_and_the_other_rows_apply(running_registry) -> None:  # type: ignore[no-untyped-def]
    """JSON lets `\\ud800` be written, but it is no Unicode text: PostgreSQL and the event stream
    cannot carry it. The row is refused, naming the field; the import goes on."""
    running = running_registry
    await import_rows(running, AREAS)
    good = '{"type": "household-registered", "data": {"household_id": "hh-1", "hamlet_code": "29401-01", "registered_on": "2021-01-01"}}'
    bad = '{"type": "household-registered", "data": {"household_id": "hh-\\ud800", "hamlet_code": "29401-01", "registered_on": "2021-01-01"}}'
    for content_type, body in (("application/x-ndjson", f"{bad}\n{good}"), ("application/json", f"[{bad}, {good}]")):
        response = await running.http.post("/v1/import", content=body.encode(), headers={**running.as_("province"), "content-type": content_type})
        assert response.status_code == 200
        first, second = (json.loads(line) for line in response.text.splitlines())
        assert (first["status"], first["code"]) == ("rejected", "invalid_data")
        assert "household_id" in first["reason"] and "unicode" in first["reason"]
        assert second["status"] in {"applied", "unchanged"}
