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
