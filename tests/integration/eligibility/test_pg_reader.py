"""The asynchronous PostgreSQL reader coalesces concurrent look-ups into batches and still
answers each one with its own rows (PostgreSQL only)."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from sqlalchemy import Engine

from shikaku.eligibility.repo import AsyncPostgresReader, pg_conninfo

from .conftest import Registry, database_url


def test_concurrent_lookups_are_batched_and_answered_correctly(engine: Engine, cipher) -> None:  # type: ignore[no-untyped-def]
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL reader")
    registry = Registry(engine, cipher)
    refs = [registry.member(birth=date(1960 + i, 1, 1), symbol=f"{1000000 + i}") for i in range(30)]

    async def main() -> tuple[list[list], int]:  # type: ignore[type-arg]
        reader = AsyncPostgresReader(pg_conninfo(database_url(engine)), size=2)
        await reader.open()
        calls = 0
        original = reader._run_batch

        async def counting(conn, batch):  # type: ignore[no-untyped-def]
            nonlocal calls
            calls += 1
            await original(conn, batch)

        reader._run_batch = counting  # type: ignore[method-assign]
        keys = [(r.branch_code, r.symbol, r.number, r.branch_no) for r in refs]
        keys.insert(7, ("13", "9999999", "1", "00"))  # unknown
        results = await asyncio.gather(*(reader.by_key(*k) for k in keys * 3))
        await reader.aclose()
        return results, calls

    results, batches = asyncio.run(main())
    assert batches < len(results)  # coalesced
    for i, rows in enumerate(results):
        k = i % 31
        if k == 7:
            assert rows == []
        else:
            ref = refs[k if k < 7 else k - 1]
            assert [r.membership_id for r in rows] == [ref.membership_id]


def _nodes(plan: dict) -> list[dict]:  # type: ignore[type-arg]
    found = [plan]
    for child in plan.get("Plans", []):
        found += _nodes(child)
    return found


def test_a_key_look_up_finds_its_member_by_every_key_column(engine: Engine, cipher) -> None:  # type: ignore[no-untyped-def]
    """番号 is numbered per employer, so (branch, 番号, 枝番) is shared by every employer's first
    member. The coalesced key statement must find its member through all four key columns (the
    unique key) and never filter the employers' members by symbol afterwards, which is what
    PostgreSQL's planner did while an index on (branch, 番号, 枝番) existed (migrations 0013,
    0015)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL planner")
    import psycopg

    from shikaku.eligibility.repo import SESSION_SETTINGS, _pg_sql

    registry = Registry(engine, cipher)
    refs = [registry.member(birth=date(1970, 1, 1), symbol=f"{2000000 + i}") for i in range(40)]
    assert len({(r.number, r.branch_no) for r in refs}) == 1  # all share 番号・枝番
    key = refs[17]
    with psycopg.connect(pg_conninfo(database_url(engine))) as conn:
        conn.execute("ANALYZE membership")
        for statement in SESSION_SETTINGS:
            conn.execute(statement)
        # the plan shape of a large registry: index look-ups in a nested loop
        for setting in ("seqscan", "bitmapscan", "hashjoin", "mergejoin"):
            conn.execute(f"SET enable_{setting} = off")
        columns = ([key.branch_code], [key.symbol], [key.number], [key.branch_no])
        explain = "EXPLAIN (ANALYZE, FORMAT JSON) " + _pg_sql()["keys"]
        plan = conn.execute(explain, columns).fetchone()[0][0]["Plan"]  # type: ignore[index]
        conn.rollback()
    scans = [n for n in _nodes(plan) if n.get("Relation Name") == "membership"]
    assert len(scans) == 1
    scan = scans[0]
    assert scan["Node Type"] in ("Index Scan", "Index Only Scan")
    assert scan["Index Name"] == "uq_membership_branch_code_symbol_number_branch_no"
    for column in ("branch_code", "symbol", "number", "branch_no"):
        assert column in scan["Index Cond"]
    assert scan.get("Rows Removed by Filter", 0) == 0
    assert plan["Actual Rows"] == 1


def test_a_lost_connection_fails_its_batch_and_the_reader_recovers(engine: Engine, cipher) -> None:  # type: ignore[no-untyped-def]
    """A batch whose connection died fails (its callers get the error), gives its batch slot
    back and the connection is replaced: later look-ups are answered, none waits forever."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL reader")
    import psycopg

    registry = Registry(engine, cipher)
    ref = registry.member(birth=date(1975, 5, 5), symbol="3000001")
    key = (ref.branch_code, ref.symbol, ref.number, ref.branch_no)
    conninfo = pg_conninfo(database_url(engine))

    async def main() -> tuple[int, list[list]]:  # type: ignore[type-arg]
        reader = AsyncPostgresReader(conninfo, size=2)
        await reader.open()
        try:
            assert [r.membership_id for r in await reader.by_key(*key)] == [ref.membership_id]
            pids = [conn.info.backend_pid for conn in reader._conns]
            with psycopg.connect(conninfo, autocommit=True) as admin:
                for pid in pids:
                    admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            failures = 0
            for _ in range(100):
                try:
                    await asyncio.wait_for(reader.by_key(*key), timeout=10)
                    break
                except psycopg.Error:
                    failures += 1
                    await asyncio.sleep(0.05)
            together = await asyncio.wait_for(
                asyncio.gather(*(reader.by_key(*key) for _ in range(20))), timeout=10
            )
            return failures, together
        finally:
            await reader.aclose()

    failures, together = asyncio.run(main())
    assert 1 <= failures <= 2  # each dead connection fails one batch, then is replaced
    assert all([r.membership_id for r in rows] == [ref.membership_id] for rows in together)
