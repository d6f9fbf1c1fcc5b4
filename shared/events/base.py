"""The base class of every event payload, and the registry that maps CloudEvents types to classes."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

TYPE_PREFIX = "vn.hoctap"


class EventData(BaseModel):
    """The payload of one event: frozen, strict about unknown keys, versioned by its type.

    The CloudEvents envelope (see `shared.events.envelope`) carries the id, the time, the source
    and the correlation id, so payloads hold only domain facts.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    TYPE: ClassVar[str]
    """The CloudEvents `type`, e.g. `vn.hoctap.registry.household-changed.v1`."""

    SCHEMA_VERSION: ClassVar[int] = 1

    @classmethod
    def read_json(cls, value: bytes) -> Any:
        """The event in a record's JSON value, or pydantic's ValidationError saying what is wrong.

        A view read on a hot path may override it with a faster reader of the same rules that
        returns an object with the same attributes (see `TitleDecidedCount`)."""
        return cls.model_validate_json(value)

    @classmethod
    def dataschema(cls) -> str:
        """The CloudEvents `dataschema`: where the JSON Schema of this type is published in the repo."""
        return f"urn:hoctap:schema:{cls.TYPE}"


class ValueData(BaseModel):
    """A value nested inside an event payload (never sent alone): frozen and strict."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def event_type(producer: str, name: str, version: int = 1) -> str:
    """Build a CloudEvents type name.

    >>> event_type("registry", "household-changed")
    'vn.hoctap.registry.household-changed.v1'
    """
    return f"{TYPE_PREFIX}.{producer}.{name}.v{version}"


def types_by_name(*classes: type[EventData]) -> dict[str, type[EventData]]:
    """Index event classes by their CloudEvents type, refusing two classes with one type."""
    index: dict[str, type[EventData]] = {}
    for cls in classes:
        if cls.TYPE in index:
            raise ValueError(f"two event classes share the type {cls.TYPE!r}")
        index[cls.TYPE] = cls
    return index
