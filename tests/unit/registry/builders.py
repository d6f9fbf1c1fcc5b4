"""Facts and worlds for registry tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

from services.registry.domain.applier import Fact, apply_fact
from services.registry.domain.scope import UNRESTRICTED, Publisher
from services.registry.domain.world import World
from shared.events import inbound as f
from shared.events.vocabulary import Level

SINCE = date(2020, 1, 1)
T0 = datetime(2026, 1, 1, tzinfo=UTC)
TODAY = date(2026, 11, 28)


def at(minutes: int = 0) -> datetime:
    return datetime.fromtimestamp(T0.timestamp() + 60 * minutes, UTC)


def hierarchy() -> list[f.AdministrativeUnitRegistered]:
    return [
        f.AdministrativeUnitRegistered(code="84", level=Level.PROVINCE, name="Tỉnh Trà Vinh", valid_from=SINCE),
        f.AdministrativeUnitRegistered(code="847", level=Level.DISTRICT, name="Huyện Châu Thành", parent_code="84", valid_from=SINCE),
        f.AdministrativeUnitRegistered(code="29401", level=Level.COMMUNE, name="Xã Hòa Lợi", parent_code="847", valid_from=SINCE),
        f.AdministrativeUnitRegistered(code="29407", level=Level.COMMUNE, name="Xã Hưng Mỹ", parent_code="847", valid_from=SINCE),
        f.AdministrativeUnitRegistered(code="29401-01", level=Level.HAMLET, name="Ấp Bến Cát", parent_code="29401", valid_from=SINCE),
        f.AdministrativeUnitRegistered(code="29407-01", level=Level.HAMLET, name="Ấp Hưng Mỹ", parent_code="29407", valid_from=SINCE),
    ]


def apply(world: World, data, *, minutes: int = 0, publisher: Publisher = UNRESTRICTED, hmac: str | None = None):  # type: ignore[no-untyped-def]
    return apply_fact(world, Fact(data, at(minutes), hmac), publisher, enforce=True, today=TODAY)


def province_world() -> World:
    world = World()
    for fact in hierarchy():
        result = apply(world, fact)
        assert result.status == "applied", result
    world.changed.clear()
    return world
