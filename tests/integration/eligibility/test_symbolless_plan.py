"""A look-up without the 記号 starts from the date of birth (migration 0014): it reads the people
born that day and their memberships by person, never every employer's member with that
番号・枝番 (which is what the registry holds in a large branch), and it rejects the candidates
inside the indexes, reading only the match from the tables (migration 0016). Checked on the
plans both databases choose, with the registry shaped as in production: many employers sharing
番号・枝番."""

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
    params = (birth.isoformat(), ref.branch_code, ref.number, ref.branch_no)
    plan = [
        row[3] for row in con.execute("EXPLAIN QUERY PLAN " + SQL_BY_NUMBER.format(p="?"), params)
    ]
    con.close()
    # the candidates and their memberships from indexes alone; the table only for the match
    assert plan == [
        "SEARCH c USING COVERING INDEX ix_person_birth_date (birth_date=?)",
        "SEARCH m USING INDEX ix_membership_person "
        "(person_id=? AND branch_code=? AND number=? AND branch_no=?)",
        "SEARCH p USING INTEGER PRIMARY KEY (rowid=?)",
    ], plan
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
    with psycopg.connect(pg_conninfo(database_url(engine)), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE person")  # as autovacuum keeps a large registry
        conn.execute("VACUUM ANALYZE membership")
        # the plan shape of a large registry: index look-ups (tiny tables would be scanned)
        for setting in ("seqscan", "bitmapscan"):
            conn.execute(f"SET enable_{setting} = off")
        explain = "EXPLAIN (ANALYZE, FORMAT JSON) " + _pg_sql()["number"]
        params = (birth, ref.branch_code, ref.number, ref.branch_no)
        plan = conn.execute(explain, params).fetchone()[0][0]["Plan"]  # type: ignore[index]
        rows = conn.execute(_pg_sql()["number"], params).fetchall()
    scans = {n["Alias"]: n for n in _nodes(plan) if "Relation Name" in n}
    # the candidates: from the index alone, no person row read
    assert scans["c"]["Node Type"] == "Index Only Scan"
    assert scans["c"]["Index Name"] == "ix_person_birth_date"
    assert scans["c"]["Heap Fetches"] == 0
    # their memberships: all four columns probed in the index, nothing filtered from the table
    assert scans["m"]["Index Name"] == "ix_membership_person"
    for column in ("person_id", "branch_code", "number", "branch_no"):
        assert column in scans["m"]["Index Cond"]
    assert "Filter" not in scans["m"]
    assert scans["m"]["Actual Rows"] * scans["m"]["Actual Loops"] == 2  # the two matches only
    assert scans["p"]["Index Name"] == "pk_person"
    assert {r[0] for r in rows} == {refs[5].membership_id, refs[25].membership_id}
