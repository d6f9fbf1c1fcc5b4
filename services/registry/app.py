"""Registry composition root: wires the inbound consumer, the outbox relay and the HTTP API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, HTTPException

from shared.events.catalogue import REGISTRY_ADMINISTRATIVE_UNITS, REGISTRY_HOUSEHOLDS, REGISTRY_INBOUND
from shared.events.inbound import AdministrativeUnitRegistered, FamilyEvidenceSubmitted, HouseholdRegistered
from shared.http import service_app
from shared.runtime import ServiceRuntime

from .adapters.db import OUTBOX, RegistrySqlUnitOfWork
from .handlers import apply_inbound_facts
from .settings import RegistrySettings

VERSION = "0.1.0"


def build_runtime(
    settings: RegistrySettings, *, unit_of_work: Callable[[], Any] | None = None, **overrides: Any
) -> ServiceRuntime:
    """The registry's consumers and relay; tests pass an in-memory `unit_of_work`."""
    runtime = ServiceRuntime(settings, OUTBOX, **overrides)
    runtime.consume(
        REGISTRY_INBOUND,
        apply_inbound_facts,
        unit_of_work or (lambda: RegistrySqlUnitOfWork(runtime.engine, OUTBOX, runtime.channel)),
        accepted=REGISTRY_INBOUND.accepting(AdministrativeUnitRegistered, HouseholdRegistered, FamilyEvidenceSubmitted),
    )
    runtime.publishes(REGISTRY_ADMINISTRATIVE_UNITS, REGISTRY_HOUSEHOLDS)
    return runtime


def build_app(settings: RegistrySettings | None = None, **overrides: Any) -> FastAPI:
    settings = settings or RegistrySettings()
    runtime = build_runtime(settings, **overrides)
    app = service_app(
        service="registry",
        version=VERSION,
        registry=runtime.registry,
        readiness=runtime.readiness,
        lifespan=runtime.lifespan,
        description="The authoritative record of areas and households, fed by government systems.",
    )
    app.state.runtime = runtime

    @app.get("/v1/administrative-units/{code}", tags=["look-ups"])
    async def get_unit(code: str) -> dict[str, Any]:
        async with RegistrySqlUnitOfWork(runtime.engine, OUTBOX, runtime.channel) as uow:
            unit = (await uow.units.get_many([code])).get(code)
        if unit is None:
            raise HTTPException(404, f"administrative unit {code} is not registered")
        return {
            "code": unit.code,
            "level": unit.level.value,
            "name": unit.name,
            "parent_code": unit.parent_code,
            "province_code": unit.province_code,
            "version": unit.version,
        }

    @app.get("/v1/households/{household_id}", tags=["look-ups"])
    async def get_household(household_id: str) -> dict[str, Any]:
        async with RegistrySqlUnitOfWork(runtime.engine, OUTBOX, runtime.channel) as uow:
            household = (await uow.households.get_many([household_id])).get(household_id)
        if household is None:
            raise HTTPException(404, f"household {household_id} is not registered")
        return {
            "household_id": household.household_id,
            "hamlet_code": household.hamlet_code,
            "commune_code": household.commune_code,
            "province_code": household.province_code,
            "registered_on": household.registered_on.isoformat(),
            "version": household.version,
        }

    return app
