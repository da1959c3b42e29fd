"""The audit chain: every query leaves a row, nothing personal is stored, the chain verifies,
and editing, deleting or truncating rows is detected. SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError

from shikaku.eligibility.audit import (
    RECORD_FIELDS,
    AuditWriter,
    chain_hash,
    head,
    now_us,
    read_spill,
    sink_factory,
    to_us,
    verify_chain,
)
from shikaku.eligibility.tables import eligibility_audit

from .conftest import TOKYO, Env, database_url

BIRTH = date(1980, 5, 10)


def rows(engine: Engine) -> list[dict]:  # type: ignore[type-arg]
    with engine.connect() as conn:
        return [
            dict(r)
            for r in conn.execute(
                select(eligibility_audit).order_by(eligibility_audit.c.seq)
            ).mappings()
        ]


def verify(engine: Engine, anchor: tuple[int, str] | None = None):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return verify_chain(conn, anchor=anchor)


@contextmanager
def tamper(engine: Engine) -> Iterator[object]:
    """A privileged connection that bypasses the append-only triggers."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER eligibility_audit_no_update"))
            conn.execute(text("DROP TRIGGER eligibility_audit_no_delete"))
        else:
            conn.execute(text("ALTER TABLE eligibility_audit DISABLE TRIGGER USER"))
        yield conn
        if engine.dialect.name != "sqlite":
            conn.execute(text("ALTER TABLE eligibility_audit ENABLE TRIGGER USER"))


def _some_queries(env: Env, n: int = 6) -> None:
    ref = env.registry.member(birth=BIRTH, myna={"card_key": "audit-card"})
    for i in range(n):
        env.check(
            insurer_number=TOKYO,
            symbol=ref.symbol,
            number=ref.number,
            branch=ref.branch_no,
            birth_date=BIRTH.isoformat(),
            presented_document="legacy_card" if i % 2 else None,
        )
    env.flush_audit()


def test_every_query_writes_one_row_without_personal_data(env: Env) -> None:
    ref = env.registry.member(birth=BIRTH, myna={"card_key": "audit-card"})
    env.check(
        insurer_number=TOKYO,
        symbol=ref.symbol,
        number=ref.number,
        branch=ref.branch_no,
        birth_date=BIRTH.isoformat(),
        presented_document="legacy_card",
    )
    env.http.post("/api/v1/eligibility/myna", json={"card_key": "audit-card"}, headers=env.headers)
    env.http.post("/api/v1/eligibility", json={"number": "x"}, headers=env.headers)  # 422
    env.http.get("/api/v1/eligibility")  # 401: no client, no row
    env.flush_audit()
    got = rows(env.engine)
    assert [r["channel"] for r in got] == ["numbers", "myna", "numbers"]
    first = got[0]
    assert first["membership_id"] == ref.membership_id
    assert first["validity"] == 1 and first["outcome"] == "ok"
    assert first["document_kind"] == "legacy_card"
    assert first["document_rule"] == "legacy_card.provisional" and first["acceptable"] is True
    assert first["institution_code"] == "1312345678"
    assert first["service_date"] == date(2025, 12, 10)
    assert got[2]["validity"] is None and got[2]["outcome"] == "insurer_number.required"
    flat = " ".join(str(v) for r in got for v in r.values())
    for personal in ("山田", "太郎", "ヤマダ", "1980-05-10", "19800510"):
        assert personal not in flat
    assert verify(env.engine).ok


def test_rows_survive_shutdown_without_an_explicit_flush(env: Env) -> None:
    ref = env.registry.member(birth=BIRTH)
    runtime = env.http.app.state.runtime  # type: ignore[attr-defined]
    runtime.audit.interval = 3600  # the background thread will not get to it
    runtime.audit._wake.set()
    for _ in range(25):
        env.check(
            insurer_number=TOKYO,
            symbol=ref.symbol,
            number=ref.number,
            branch=ref.branch_no,
            birth_date=BIRTH.isoformat(),
        )
    env.http.__exit__(None, None, None)  # lifespan shutdown
    assert len(rows(env.engine)) == 25
    assert verify(env.engine).ok


def test_triggers_make_the_table_append_only(env: Env) -> None:
    _some_queries(env, 2)
    for statement in ("UPDATE eligibility_audit SET validity = 4", "DELETE FROM eligibility_audit"):
        with pytest.raises(DBAPIError, match="append-only"), env.engine.begin() as conn:
            conn.execute(text(statement))
    assert len(rows(env.engine)) == 2


def test_edited_row_is_detected(env: Env) -> None:
    _some_queries(env)
    with tamper(env.engine) as conn:
        conn.execute(text("UPDATE eligibility_audit SET validity = 4 WHERE seq = 3"))  # type: ignore[attr-defined]
    report = verify(env.engine)
    assert not report.ok
    assert [(p.seq, p.kind) for p in report.problems] == [(3, "edited")]


def test_deleted_row_is_detected(env: Env) -> None:
    _some_queries(env)
    with tamper(env.engine) as conn:
        conn.execute(text("DELETE FROM eligibility_audit WHERE seq = 4"))  # type: ignore[attr-defined]
    report = verify(env.engine)
    assert [(p.seq, p.kind) for p in report.problems] == [(5, "deleted")]
    assert "4" in report.problems[0].detail


def test_deleted_first_row_is_detected(env: Env) -> None:
    _some_queries(env)
    with tamper(env.engine) as conn:
        conn.execute(text("DELETE FROM eligibility_audit WHERE seq = 1"))  # type: ignore[attr-defined]
    assert [(p.seq, p.kind) for p in verify(env.engine).problems] == [(2, "deleted")]


def test_edited_and_rehashed_row_breaks_the_next_link(env: Env) -> None:
    _some_queries(env)
    row = rows(env.engine)[2]  # seq 3
    forged = {**row, "membership_id": 999_999}
    rec = (to_us(forged["at"]), *(forged[k] for k in RECORD_FIELDS[1:]))
    new_hash = chain_hash(row["prev_hash"], 3, rec)
    with tamper(env.engine) as conn:
        conn.execute(  # type: ignore[attr-defined]
            text("UPDATE eligibility_audit SET membership_id = 999999, hash = :h WHERE seq = 3"),
            {"h": new_hash},
        )
    assert [(p.seq, p.kind) for p in verify(env.engine).problems] == [(4, "broken-link")]


def test_truncated_tail_needs_an_anchor(env: Env) -> None:
    _some_queries(env)
    with env.engine.connect() as conn:
        anchor = head(conn)
    assert anchor[0] == 6
    assert verify(env.engine, anchor).ok
    with tamper(env.engine) as conn:
        conn.execute(text("DELETE FROM eligibility_audit WHERE seq >= 5"))  # type: ignore[attr-defined]
    assert verify(env.engine).ok  # a shorter chain is still a valid chain...
    report = verify(env.engine, anchor)  # ...but not the one we anchored
    assert [(p.seq, p.kind) for p in report.problems] == [(6, "deleted")]


def _record(i: int) -> tuple:  # type: ignore[type-arg]
    return (
        now_us(),
        1,
        "1312345678",
        "batch",
        f"t{i}",
        i,
        date(2025, 12, 10),
        1,
        None,
        None,
        None,
        "ok",
    )


def test_concurrent_writers_share_one_chain(env: Env) -> None:
    url = database_url(env.engine)
    writers = [AuditWriter(sink_factory(url), interval=0.005, max_batch=37) for _ in range(3)]
    for w in writers:
        w.start()

    def feed(w: AuditWriter, base: int) -> None:
        for i in range(400):
            w.submit(_record(base + i))

    threads = [threading.Thread(target=feed, args=(w, k * 1000)) for k, w in enumerate(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for w in writers:
        w.close()
    got = rows(env.engine)
    assert [r["seq"] for r in got] == list(range(1, 1201))
    assert len({r["request_id"] for r in got}) == 1200
    assert verify(env.engine).ok


class _Down:
    def append(self, records: object) -> None:
        raise ConnectionError("database unreachable")

    def close(self) -> None:
        pass


def test_unreachable_database_spills_then_replays(env: Env, tmp_path: Path) -> None:
    writer = AuditWriter(lambda: _Down(), interval=0.01, spill_dir=tmp_path)
    for i in range(10):
        writer.submit(_record(i))
    writer.close(attempts=1)
    assert writer.stats.spilled == 10
    [spill] = list(tmp_path.glob("*.jsonl"))
    records = read_spill(spill)
    assert len(records) == 10 and records[3][4] == "t3"
    sink = sink_factory(database_url(env.engine))()
    sink.append(records)
    sink.close()
    with env.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(eligibility_audit)).scalar() == 10
    assert verify(env.engine).ok


def test_process_writer_chains_and_survives_close(env: Env) -> None:
    from shikaku.eligibility.audit import process_sink_factory

    url = database_url(env.engine)
    writer = AuditWriter(
        process_sink_factory(url, interval=0.01, max_batch=50, spill_dir=None),
        interval=0.01,
        max_batch=50,
    )
    writer.start()
    for i in range(333):
        writer.submit(_record(i))
    writer.close()  # hands the rest to the child and waits for it to write everything
    got = rows(env.engine)
    assert [r["request_id"] for r in got] == [f"t{i}" for i in range(333)]
    assert got[0]["service_date"] == date(2025, 12, 10) and got[0]["acceptable"] is None
    assert verify(env.engine).ok
