"""Closed vocabularies every event shares: titles, administrative levels and identifier formats."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints


class Title(StrEnum):
    """The five learning titles a province recognises each year."""

    LEARNING_FAMILY = "learning_family"  # Gia đình học tập
    LEARNING_CLAN = "learning_clan"  # Dòng họ học tập
    LEARNING_COMMUNITY = "learning_community"  # Cộng đồng học tập (hamlet level)
    LEARNING_UNIT = "learning_unit"  # Đơn vị học tập
    LEARNING_CITIZEN = "learning_citizen"  # Công dân học tập


class Level(StrEnum):
    """Administrative levels. District exists only before the 1 July 2025 reform."""

    COUNTRY = "country"
    PROVINCE = "province"
    DISTRICT = "district"
    COMMUNE = "commune"
    HAMLET = "hamlet"


EntityId = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"),
    Field(description="A pseudonymous identifier: 1-64 of A-Z a-z 0-9 . _ : - (no personal data)."),
]
AreaCode = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9A-Za-z][0-9A-Za-z._-]{1,31}$"),
    Field(
        description="An administrative code: NSO 2-digit province or 5-digit commune code; "
        "hamlets carry local codes such as 29242-03."
    ),
]
AreaName = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
AssessmentYear = Annotated[int, Field(ge=2000, le=2100, description="The assessment year.")]
Version = Annotated[
    int, Field(ge=1, description="Monotonic per entity; consumers ignore an older version.")
]
