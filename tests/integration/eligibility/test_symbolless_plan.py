"""A look-up without the 記号 starts from the date of birth (migration 0014): it reads the people
born that day and their memberships by person, never every employer's member with that
番号・枝番 (which is what the registry holds in a large branch). Checked on the plans both
databases choose, with the registry shaped as in production: many employers sharing 番号・枝番."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest
from sqlalchemy import Engine

from shikaku.eligibility.repo import (
    SQL_BY_NUMBER,
    SqliteReader,
    _pg_sql,
    pg_conninfo,
    sqlite_path,
)

from .conftest import Registry, database_url
from .test_pg_reader import _nodes

BIRTHS = [date(1950 + i, 1 + i % 12, 1 + i % 28) for i in range(40)]
BIRTHS[25] = BIRTHS[5]


def _registry(engine: Engine, cipher) -> list:  # type: ignore[no-untyped-def,type-arg]
    """Forty employers' first members: all share 番号・枝番; two share the date of birth."""
    registry = Registry(engine, cipher)
    refs = [registry.member(birth=b, symbol=f"{3000000 + i}") for i, b in enumerate(BIRTHS)]
    assert len({(r.number, r.branch_no) for r in refs}) == 1
    return refs


def test_sqlite_starts_from_the_date_of_birth(engine: Engine, cipher) -> None:  # type: ignore[no-untyped-def]
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite planner")
    refs = _registry(engine, cipher)
    path = sqlite_path(database_url(engine))
    assert path is not None
    con = sqlite3.connect(path)
    ref, birth = refs[5], BIRTHS[5]
    params = (ref.branch_code, ref.number, ref.branch_no, birth.isoformat())
    plan = [
        row[3] for row in con.execute("EXPLAIN QUERY PLAN " + SQL_BY_NUMBER.format(p="?"), params)
    ]
    con.close()
    assert len(plan) == 2, plan
    assert "p USING INDEX ix_person_birth_date (birth_date=?)" in plan[0]
    assert "m USING INDEX ix_membership_person (person_id=?)" in plan[1]
    # and the reader answers with the members born that day only
    reader = SqliteReader(path)
    rows = reader.by_number(ref.branch_code, ref.number, ref.branch_no, birth)
    reader.close()
    assert {r.membership_id for r in rows} == {refs[5].membership_id, refs[25].membership_id}


def test_postgresql_starts_from_the_date_of_birth(engine: Engine, cipher) -> None:  # type: ignore[no-untyped-def]
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL planner")
    import psycopg

    refs = _registry(engine, cipher)
    ref, birth = refs[5], BIRTHS[5]
    with psycopg.connect(pg_conninfo(database_url(engine))) as conn:
        conn.execute("ANALYZE person")
        conn.execute("ANALYZE membership")
        # the plan shape of a large registry: index look-ups (tiny tables would be scanned)
        for setting in ("seqscan", "bitmapscan"):
            conn.execute(f"SET enable_{setting} = off")
        explain = "EXPLAIN (ANALYZE, FORMAT JSON) " + _pg_sql()["number"]
        params = (ref.branch_code, ref.number, ref.branch_no, birth)
        plan = conn.execute(explain, params).fetchone()[0][0]["Plan"]  # type: ignore[index]
        rows = conn.execute(_pg_sql()["number"], params).fetchall()
        conn.rollback()
    scans = {n["Relation Name"]: n for n in _nodes(plan) if "Relation Name" in n}
    assert scans["person"]["Index Name"] == "ix_person_birth_date"
    assert scans["membership"]["Index Name"] == "ix_membership_person"
    assert scans["membership"].get("Rows Removed by Filter", 0) <= 1
    assert {r[0] for r in rows} == {refs[5].membership_id, refs[25].membership_id}
