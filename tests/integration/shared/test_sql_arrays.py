"""Array literals (shared.sql_arrays) read back by PostgreSQL as the values they were made from."""

import asyncio
import math
from datetime import date

import asyncpg
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from shared.sql_arrays import bool_array, date_array, float_array, int_array, text_array

# PostgreSQL text holds any UTF-8 text but NUL: quotes, backslashes, braces and all. A lone
# surrogate is no UTF-8 text; no decoded event or header can hold one (the JSON reader and the
# envelope's strict UTF-8 decoding refuse it), so the strategy leaves it out.
TEXTS = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)


def read_back(url: str, literal: str, element_type: str) -> list:  # type: ignore[type-arg]
    async def query() -> list:  # type: ignore[type-arg]
        connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            return list(await connection.fetchval(f"select cast(cast($1 as text) as {element_type}[])", literal))
        finally:
            await connection.close()

    return asyncio.run(query())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.none() | TEXTS, max_size=8))
@example(values=['a"b', "c\\d", "{e,f}", "NULL", " g ", "", None, "Ấp Bến Cát"])
def test_any_text_comes_back_as_it_went(infrastructure, values) -> None:  # type: ignore[no-untyped-def]
    assert read_back(infrastructure.database_url, text_array(values), "text") == values


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ints=st.lists(st.none() | st.integers(-(2**31), 2**31 - 1), max_size=8),
    bools=st.lists(st.none() | st.booleans(), max_size=8),
    dates=st.lists(st.none() | st.dates(date(1, 1, 1), date(9999, 12, 31)), max_size=8),
    floats=st.lists(st.none() | st.floats(allow_nan=False), max_size=8),
)
@example(ints=[], bools=[], dates=[], floats=[0.1, 71.43, -0.0, 1e308, 5e-324, float("inf"), float("-inf")])
def test_integers_booleans_dates_and_floats_come_back_as_they_went(infrastructure, ints, bools, dates, floats) -> None:  # type: ignore[no-untyped-def]
    url = infrastructure.database_url
    assert read_back(url, float_array(floats), "float8") == floats
    assert math.isnan(read_back(url, float_array([float("nan")]), "float8")[0])
    assert read_back(url, int_array(ints), "int") == ints
    assert read_back(url, bool_array(bools), "boolean") == bools
    assert read_back(url, date_array(dates), "date") == dates
