"""Agencies and the areas and levels they answer for; addresses are checked when the file is loaded.

An agency answers for the areas it lists (`areas`) and, when it lists `levels`, for every area of
those levels below them that has no agency of its own (a provincial department covering its
communes). `roles` says what it receives: `targets` (missed, at risk, resolved, escalations and
digests of them) and `data` (data-completeness notices). The most specific attachment wins: the
area's own agency, then the nearest ancestor's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from shared.events.vocabulary import Level

_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")


class Role(StrEnum):
    TARGETS = "targets"
    DATA = "data"


class Agency(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    name: str = Field(min_length=1, max_length=200)
    emails: tuple[str, ...] = Field(min_length=1)
    language: Literal["vi", "en"] = "vi"
    areas: tuple[str, ...] = Field(min_length=1, description="Area codes this agency answers for.")
    levels: tuple[Level, ...] = Field(
        default=(), description="Also every area of these levels below `areas` without an agency of its own."
    )
    roles: tuple[Role, ...] = Field(default=(Role.TARGETS, Role.DATA), min_length=1)

    @field_validator("name")
    @classmethod
    def _single_line(cls, name: str) -> str:
        if any(not c.isprintable() for c in name):
            raise ValueError("an agency name must be one line of printable characters")
        return name

    @field_validator("emails")
    @classmethod
    def _addresses(cls, emails: tuple[str, ...]) -> tuple[str, ...]:
        for address in emails:
            if len(address) > 254 or not _ADDRESS.match(address):
                raise ValueError(f"{address!r} is not a valid e-mail address")
        if len(set(e.lower() for e in emails)) != len(emails):
            raise ValueError("an address is listed twice")
        return emails


class Directory(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    agencies: tuple[Agency, ...]

    @model_validator(mode="after")
    def _one_agency_per_attachment(self) -> Self:
        ids: set[str] = set()
        owner: dict[tuple[str, str, Role], str] = {}
        for agency in self.agencies:
            if agency.id in ids:
                raise ValueError(f"agency id {agency.id} is used twice")
            ids.add(agency.id)
            attachments = [(area, "", role) for area in agency.areas for role in agency.roles]
            attachments += [(area, level.value, role) for area in agency.areas for level in agency.levels for role in agency.roles]
            for attachment in attachments:
                if attachment in owner:
                    area, level, role = attachment
                    what = f"area {area}" + (f" (its {level} areas)" if level else "")
                    role_text = "" if len(Role) == len(agency.roles) else f" for {role.value}"
                    raise ValueError(f"{what} is assigned to both {owner[attachment]} and {agency.id}{role_text}")
                owner[attachment] = agency.id
        return self

    def responsible(
        self, area_code: str, level: Level, ancestors: Sequence[str] = (), role: Role = Role.TARGETS
    ) -> Agency | None:
        """The agency answering for an area in a role: its own, else the nearest ancestor's that
        covers the area's level. `ancestors` runs from the parent up."""
        own = next((a for a in self.agencies if area_code in a.areas and role in a.roles), None)
        if own is not None:
            return own
        for ancestor in ancestors:
            covering = next(
                (a for a in self.agencies if ancestor in a.areas and level in a.levels and role in a.roles), None
            )
            if covering is not None:
                return covering
        return None

    def for_area(self, area_code: str) -> Agency | None:
        """The agency listing this area itself (any role)."""
        return next((a for a in self.agencies if area_code in a.areas), None)

    def by_id(self, agency_id: str) -> Agency | None:
        return next((a for a in self.agencies if a.id == agency_id), None)


def parse_directory(document: Any, origin: str) -> Directory:
    try:
        return Directory.model_validate(document)
    except ValidationError as error:
        problems = [
            f"{origin}: {'.'.join(str(p) for p in e['loc']) or '(document)'}: {e['msg']}" for e in error.errors()
        ]
        raise ValueError("\n".join(problems)) from None
