"""Agencies and the areas they answer for; addresses are checked when the file is loaded."""

from __future__ import annotations

import re
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")


class Agency(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    name: str = Field(min_length=1, max_length=200)
    emails: tuple[str, ...] = Field(min_length=1)
    language: Literal["vi", "en"] = "vi"
    areas: tuple[str, ...] = Field(min_length=1, description="Area codes this agency answers for.")

    @field_validator("name")
    @classmethod
    def _single_line(cls, name: str) -> str:
        if any(c in name for c in "\r\n\x00"):
            raise ValueError("an agency name must be one line")
        return name

    @field_validator("emails")
    @classmethod
    def _addresses(cls, emails: tuple[str, ...]) -> tuple[str, ...]:
        for address in emails:
            if len(address) > 254 or not _ADDRESS.match(address):
                raise ValueError(f"{address!r} is not a valid e-mail address")
        return emails


class Directory(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    agencies: tuple[Agency, ...]

    @model_validator(mode="after")
    def _one_agency_per_area(self) -> Self:
        owner: dict[str, str] = {}
        for agency in self.agencies:
            for area in agency.areas:
                if area in owner:
                    raise ValueError(f"area {area} is assigned to both {owner[area]} and {agency.id}")
                owner[area] = agency.id
        return self

    def for_area(self, area_code: str) -> Agency | None:
        return next((a for a in self.agencies if area_code in a.areas), None)


def parse_directory(document: Any, origin: str) -> Directory:
    try:
        return Directory.model_validate(document)
    except ValidationError as error:
        problems = [
            f"{origin}: {'.'.join(str(p) for p in e['loc']) or '(document)'}: {e['msg']}" for e in error.errors()
        ]
        raise ValueError("\n".join(problems)) from None
