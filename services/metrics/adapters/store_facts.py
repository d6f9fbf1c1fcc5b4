"""Fact rows in SQL: lock and read them, write them back, recount them per leaf.

Rows are locked `for no key update`, the lock an update that keeps the key takes anyway: it
excludes every other writer of the row, and costs less than `for update` (8 % of the decisions
statement in a micro-benchmark), which would also exclude key-share locks no one takes here.

The hot path (a batch of decisions) is three statements whatever its size: lock the existing rows
in key order, insert the few missing ones, update the changed ones from arrays.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.events.vocabulary import Title
from shared.sql_arrays import bool_array, date_array, int_array, text_array

from ..domain.cells import Counts, Tally, TallySum
from ..domain.facts import DecisionFact, FactRow
from ..ports import FactKey, LeafYear
from .sql import FACT_FIELDS, fact_of

_LOCK_FACTS = sa.text(
    f"""
    select {", ".join("f." + c for c in FACT_FIELDS)} from unnest(cast(:ids as text[]), cast(:years as int[])) as k(entity_id, year)
    join fact f on f.title = :title and f.entity_id = k.entity_id and f.year = k.year
    order by f.entity_id, f.year
    for no key update of f
    """
)
_INSERT_BLANK = sa.text(
    """
    insert into fact (title, entity_id, year)
    select :title, * from unnest(cast(:ids as text[]), cast(:years as int[]))
    on conflict do nothing
    """
)
_WRITE_FACTS = sa.text(
    """
    update fact f set leaf_code = u.leaf_code, registered = u.registered, registration_version = u.registration_version,
        decided = u.decided, granted = u.granted, assessable = u.assessable, rule_version = u.rule_version,
        rule_effective_from = u.rule_effective_from, decision_revision = u.decision_revision
    from unnest(cast(:ids as text[]), cast(:years as int[]), cast(:leaf as text[]), cast(:registered as boolean[]),
                cast(:registration_version as int[]), cast(:decided as boolean[]), cast(:granted as boolean[]),
                cast(:assessable as boolean[]), cast(:rule_version as text[]), cast(:effective as date[]),
                cast(:revision as int[]))
         as u(entity_id, year, leaf_code, registered, registration_version, decided, granted, assessable,
              rule_version, rule_effective_from, decision_revision)
    where f.title = :title and f.entity_id = u.entity_id and f.year = u.year
    """
)
_OPEN_YEAR = sa.text(
    """
    insert into fact (title, entity_id, year, leaf_code)
    select title, entity_id, :year, leaf_code from place
    where title = :title and from_year <= :year and (until_year is null or until_year > :year)
    on conflict (title, entity_id, year) do update set leaf_code = excluded.leaf_code
      where fact.leaf_code is distinct from excluded.leaf_code
    """
)
_DECIDE = sa.text(
    """
    with changed as (
        update fact f set decided = true, granted = i.granted, assessable = i.assessable,
            rule_version = i.rule_version, rule_effective_from = i.effective, decision_revision = i.revision
        from unnest(cast(cast(:ids as text) as text[]), cast(cast(:years as text) as int[]),
                    cast(cast(:granted as text) as boolean[]), cast(cast(:assessable as text) as boolean[]),
                    cast(cast(:rule_version as text) as text[]), cast(cast(:effective as text) as date[]),
                    cast(cast(:revision as text) as int[]))
             as i(entity_id, year, granted, assessable, rule_version, effective, revision),
             lateral (select o.ctid as row_id, o.decided, o.granted, o.assessable, o.rule_version,
                             o.rule_effective_from, o.decision_revision
                      from fact o where o.title = :title and o.entity_id = i.entity_id and o.year = i.year
                      for no key update) as old
        where f.ctid = old.row_id
          and (not old.decided
               or (old.rule_effective_from, old.rule_version, old.decision_revision)
                  < (i.effective, i.rule_version, i.revision))
        returning f.year, f.leaf_code, f.registered, old.decided as was_decided, old.granted as was_granted,
                  old.assessable as was_assessable, old.rule_version as was_version, i.granted, i.assessable,
                  i.rule_version
    )
    select year, leaf_code, case when was_decided then was_version end as was_version, rule_version,
           count(*) as changed,
           count(*) filter (where not (registered or was_decided)) as registered,
           count(*) filter (where granted) - count(*) filter (where was_decided and was_granted) as recognised,
           count(*) filter (where assessable) - count(*) filter (where was_decided and was_assessable) as assessed,
           count(*) filter (where was_decided) as replaced
    from changed group by 1, 2, 3, 4
    """
)
_MISSING = sa.text(
    """
    select k.entity_id, k.year from unnest(cast(:ids as text[]), cast(:years as int[])) as k(entity_id, year)
    where not exists (select 1 from fact f where f.title = :title and f.entity_id = k.entity_id and f.year = k.year)
    """
)
_TALLY_COLUMNS = """
    count(*) as total,
    count(*) filter (where registered or decided) as registered,
    count(*) filter (where decided and granted) as recognised,
    count(*) filter (where decided and assessable) as assessed,
    count(*) filter (where decided) as decided
"""
_LEAF_TALLIES = sa.text(
    f"select leaf_code, rule_version, {_TALLY_COLUMNS} from fact"
    " where title = :title and year = :year and leaf_code is not null group by leaf_code, rule_version"
)
_TALLIES_AT_LEAVES = sa.text(
    f"select title, year, leaf_code, rule_version, {_TALLY_COLUMNS} from fact"
    " where leaf_code = any(cast(:leaves as text[])) group by title, year, leaf_code, rule_version"
)


def add_tally_row(tallies: dict[Any, Tally], key: Any, row: Any) -> None:
    """Sum one grouped row (per rule version) into a leaf's tally."""
    counts = Counts(int(row.total), int(row.registered), int(row.recognised), int(row.assessed))
    versions = (
        {row.rule_version: int(row.decided)} if row.rule_version is not None and row.decided else {}
    )
    tallies[key] = tallies[key] + Tally.of(counts, versions)


class FactStatements:
    connection: AsyncConnection

    async def _lock(self, title: Title, keys: Sequence[FactKey]) -> dict[FactKey, FactRow]:
        rows = await self.connection.execute(
            _LOCK_FACTS,
            {"title": title.value, "ids": [e for e, _ in keys], "years": [y for _, y in keys]},
        )
        return {(r[0], r[1]): fact_of(title, r) for r in rows}

    async def lock_facts(self, title: Title, keys: Iterable[FactKey]) -> dict[FactKey, FactRow]:
        keys = sorted(set(keys))
        if not keys:
            return {}
        found = await self._lock(title, keys)
        missing = [k for k in keys if k not in found]
        if missing:
            # Someone may insert the same key meanwhile: do nothing on conflict, then lock what is there.
            await self.connection.execute(
                _INSERT_BLANK,
                {
                    "title": title.value,
                    "ids": [e for e, _ in missing],
                    "years": [y for _, y in missing],
                },
            )
            found.update(await self._lock(title, missing))
        return found

    async def _decide(
        self,
        title: Title,
        decisions: Mapping[FactKey, DecisionFact],
        into: dict[tuple[int, str], TallySum],
    ) -> int:
        keys = sorted(decisions)  # one lock order for every transaction
        chosen = [decisions[k] for k in keys]
        rows = await self.connection.execute(
            _DECIDE,
            {  # array literals: see shared.sql_arrays
                "title": title.value,
                "ids": text_array([e for e, _ in keys]),
                "years": int_array([y for _, y in keys]),
                "granted": bool_array([d.granted for d in chosen]),
                "assessable": bool_array([d.assessable for d in chosen]),
                "rule_version": text_array([d.rule_version for d in chosen]),
                "effective": date_array([d.rule_effective_from for d in chosen]),
                "revision": int_array([d.revision for d in chosen]),
            },
        )
        changed = 0
        for (
            year,
            leaf,
            was_version,
            version,
            count,
            registered,
            recognised,
            assessed,
            replaced,
        ) in rows:
            changed += count
            if leaf is None:
                continue  # not placed that year: counted nowhere
            total = into[(year, leaf)]
            total.registered += registered
            total.recognised += recognised
            total.assessed += assessed
            total.versions[version] = total.versions.get(version, 0) + count
            if was_version is not None:
                total.versions[was_version] = total.versions.get(was_version, 0) - replaced
        return changed

    async def decide(
        self, title: Title, decisions: Mapping[FactKey, DecisionFact]
    ) -> dict[tuple[int, str], Tally]:
        """`with_decision` on every row in one statement, summed per (year, leaf) in the database.

        The same arithmetic as `FactRow.contribution` before and after, done in SQL so that a batch
        of thousands of decisions returns a few hundred rows. The lateral select locks each row
        before reading it, so "before" is what the update replaced even under concurrency; the
        update then finds the locked row by its physical address (ctid), so the statement costs
        one index lookup per decision however large the table is (joining on the key again let
        the planner hash the title's whole table for every batch).

        Rows that did not change are older decisions (nothing to do), rows not created yet
        (entities not placed that year), or rows another transaction changed after this
        statement's snapshot: the lock then yields the newer version, which the snapshot cannot
        see, so the update skips it. The second pass creates the missing rows and decides again
        with a fresh snapshot, under the locks this transaction now holds; rows the first pass
        changed are equal to their decision by then and are not counted twice.
        """
        sums: dict[tuple[int, str], TallySum] = defaultdict(TallySum)
        if decisions and await self._decide(title, decisions, sums) < len(decisions):
            rest = sorted(decisions)
            params = {
                "title": title.value,
                "ids": [e for e, _ in rest],
                "years": [y for _, y in rest],
            }
            missing = [
                (r.entity_id, r.year) for r in await self.connection.execute(_MISSING, params)
            ]
            if missing:
                blank = {
                    "title": title.value,
                    "ids": [e for e, _ in missing],
                    "years": [y for _, y in missing],
                }
                await self.connection.execute(_INSERT_BLANK, blank)
            await self._decide(title, decisions, sums)
        return {key: tally for key, total in sums.items() if not (tally := total.tally()).is_zero}

    async def fact_keys_of(self, title: Title, entity_ids: Iterable[str]) -> list[FactKey]:
        rows = await self.connection.execute(
            sa.text(
                "select entity_id, year from fact where title = :title and entity_id = any(cast(:ids as text[]))"
            ),
            {"title": title.value, "ids": list(set(entity_ids))},
        )
        return [(r.entity_id, r.year) for r in rows]

    async def write_facts(self, title: Title, rows: Sequence[FactRow]) -> None:
        if not rows:
            return
        decisions = [r.decision for r in rows]
        await self.connection.execute(
            _WRITE_FACTS,
            {
                "title": title.value,
                "ids": [r.entity_id for r in rows],
                "years": [r.year for r in rows],
                "leaf": [r.leaf_code for r in rows],
                "registered": [r.registered for r in rows],
                "registration_version": [r.registration_version for r in rows],
                "decided": [d is not None for d in decisions],
                "granted": [bool(d and d.granted) for d in decisions],
                "assessable": [bool(d and d.assessable) for d in decisions],
                "rule_version": [d.rule_version if d else None for d in decisions],
                "effective": [d.rule_effective_from if d else None for d in decisions],
                "revision": [d.revision if d else 0 for d in decisions],
            },
        )

    async def open_year(self, title: Title, year: int) -> None:
        await self.connection.execute(_OPEN_YEAR, {"title": title.value, "year": year})

    async def leaf_tallies(self, title: Title, year: int) -> dict[str, Tally]:
        tallies: dict[str, Tally] = defaultdict(Tally)
        for row in await self.connection.execute(
            _LEAF_TALLIES, {"title": title.value, "year": year}
        ):
            add_tally_row(tallies, row.leaf_code, row)
        return dict(tallies)

    async def tallies_at_leaves(self, leaves: Iterable[str]) -> dict[LeafYear, Tally]:
        tallies: dict[LeafYear, Tally] = defaultdict(Tally)
        rows = await self.connection.execute(_TALLIES_AT_LEAVES, {"leaves": list(set(leaves))})
        for row in rows:
            add_tally_row(tallies, (Title(row.title), row.year, row.leaf_code), row)
        return dict(tallies)
