"""Bulk load of a synthetic population into SQLite (always) and PostgreSQL (when
``SHIKAKU_TEST_DATABASE_URL`` is set): counts, round-trip of My Numbers, refusal and replace,
atomicity on a crash, and the schema left exactly as it was."""

from __future__ import annotations

import importlib
import sqlite3
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine, text

from shikaku.actors import SYSTEM
from shikaku.crypto import MyNumberCipher
from shikaku.db.engine import make_engine, upgrade
from shikaku.registry.repo import branch_summary
from shikaku.registry.service import do_create_employer
from shikaku.synth.load import PopulationExistsError, load
from shikaku.synth.population import Population, needs_certificate, synthesize

# The module, not the function that shikaku.synth exports under the same name.
synth_load = importlib.import_module("shikaku.synth.load")

SYNTH_AS_OF = date(2025, 4, 30)
SYNTH_AT = datetime(2025, 5, 1, 9, 0, tzinfo=timezone(timedelta(hours=9)))
SYNTH_KEY = bytes(range(32))
POP_TABLES = ("employer", "person", "membership", "my_number", "myna_status")


@pytest.fixture(scope="module")
def synth_pop_5k() -> Population:
    return synthesize(5_000, 2025, SYNTH_AS_OF)


@pytest.fixture(params=["sqlite", "postgresql"])
def synth_engine(request: pytest.FixtureRequest, empty_engine: Callable[[str], Engine]) -> Engine:
    """An empty, migrated database (the population tables empty, no branches yet)."""
    return empty_engine(request.param)


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in POP_TABLES
        }


def _schema(engine: Engine) -> set[Any]:
    """Index and constraint definitions of the population tables."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.execute(
                text(
                    "SELECT type, name, tbl_name, sql FROM sqlite_master "
                    "WHERE tbl_name IN ('employer','person','membership','my_number','myna_status')"
                )
            )
        else:
            rows = conn.execute(
                text(
                    "SELECT conname, conrelid::regclass::text, pg_get_constraintdef(oid) "
                    "FROM pg_constraint WHERE conrelid::regclass::text = ANY(:t) "
                    "UNION ALL SELECT indexname, tablename, indexdef FROM pg_indexes "
                    "WHERE tablename = ANY(:t)"
                ),
                {"t": list(POP_TABLES)},
            )
        return {tuple(r) for r in rows}


def test_load_counts_round_trip_and_summary(synth_engine: Engine, synth_pop_5k: Population) -> None:
    cipher = MyNumberCipher(SYNTH_KEY)
    before = _schema(synth_engine)
    seen: set[str] = set()
    stats = load(
        synth_engine,
        synth_pop_5k,
        cipher,
        at=SYNTH_AT,
        progress=lambda stage, _d, _t: seen.add(stage),
    )
    assert stats.rows == synth_pop_5k.row_counts()
    assert _counts(synth_engine) == synth_pop_5k.row_counts()
    assert stats.members == 5_000 and stats.seconds > 0 and stats.members_per_second > 0
    assert {"encrypt", "person", "membership", "my_number"} <= seen
    assert _schema(synth_engine) == before

    with synth_engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT person_id, ciphertext, blind_index, last4, key_id FROM my_number "
                "ORDER BY person_id LIMIT 5"
            )
        ).all()
        want = dict(
            zip(
                synth_pop_5k.my_number["person_id"].tolist(),
                synth_pop_5k.my_number["number"].tolist(),
                strict=True,
            )
        )
        for person_id, blob, blind, last4, key_id in rows:
            number = cipher.decrypt(bytes(blob))
            assert number == want[person_id]
            assert bytes(blind) == cipher.blind_index(number)
            assert last4 == number[-4:] and key_id == cipher.key_id
        branches = conn.execute(text("SELECT count(*) FROM branch")).scalar_one()
        assert branches == 47
        audit = conn.execute(
            text("SELECT count(*) FROM audit_event WHERE action = 'synth-load'")
        ).scalar_one()
        assert audit == 1
        # Dates and flags come back as SQLAlchemy types, NULLs as NULLs.
        row = conn.execute(
            text("SELECT birth_date, foreign_resident, stay_until FROM person WHERE id = 1")
        ).one()
        assert str(row[0]) == str(synth_pop_5k.person["birth_date"][0])

        summary = branch_summary(conn, SYNTH_AS_OF)
    active = synth_pop_5k.active()
    assert sum(s.members for s in summary) == int(active.sum())
    assert sum(s.needing_certificate for s in summary) == int(
        (needs_certificate(synth_pop_5k) & active).sum()
    )


def test_ids_continue_after_the_load(synth_engine: Engine, synth_pop_5k: Population) -> None:
    load(synth_engine, synth_pop_5k, MyNumberCipher(SYNTH_KEY), at=SYNTH_AT)
    with synth_engine.begin() as conn:
        new_id = do_create_employer(
            conn,
            actor=SYSTEM,
            at=SYNTH_AT,
            branch_code="13",
            symbol="1234567",
            name="株式会社テスト",
            postal_code=None,
            address=None,
        )
    assert new_id == len(synth_pop_5k.employer["id"]) + 1


def test_refuses_existing_members_unless_replace(synth_engine: Engine) -> None:
    cipher = MyNumberCipher(SYNTH_KEY)
    first = synthesize(800, 1, SYNTH_AS_OF)
    second = synthesize(600, 2, SYNTH_AS_OF)
    load(synth_engine, first, cipher, at=SYNTH_AT)
    with pytest.raises(PopulationExistsError, match="--replace"):
        load(synth_engine, second, cipher, at=SYNTH_AT)
    assert _counts(synth_engine)["person"] == 800
    load(synth_engine, second, cipher, at=SYNTH_AT, replace=True)
    assert _counts(synth_engine) == second.row_counts()
    with synth_engine.connect() as conn:
        name = conn.execute(text("SELECT family_name FROM person WHERE id = 1")).scalar_one()
    assert name == second.person["family_name"][0]


def test_a_crash_mid_load_leaves_nothing(
    synth_engine: Engine, synth_pop_5k: Population, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _schema(synth_engine)
    calls = {"n": 0}
    real_copy, real_rows = synth_load.copy_text, synth_load.sqlite_rows

    def boom(real: Any) -> Any:
        def wrapper(table: dict[str, np.ndarray], start: int, stop: int) -> Any:
            if "relationship" in table:  # the membership table
                calls["n"] += 1
                raise RuntimeError("simulated crash")
            return real(table, start, stop)

        return wrapper

    monkeypatch.setattr(synth_load, "copy_text", boom(real_copy))
    monkeypatch.setattr(synth_load, "sqlite_rows", boom(real_rows))
    with pytest.raises(RuntimeError, match="simulated crash"):
        load(synth_engine, synth_pop_5k, MyNumberCipher(SYNTH_KEY), at=SYNTH_AT)
    assert calls["n"] == 1
    assert set(_counts(synth_engine).values()) == {0}
    assert _schema(synth_engine) == before
    monkeypatch.undo()
    load(synth_engine, synth_pop_5k, MyNumberCipher(SYNTH_KEY), at=SYNTH_AT)
    assert _counts(synth_engine)["membership"] == 5_000


def test_sqlite_pragmas_are_restored(tmp_path: Path, synth_pop_5k: Population) -> None:
    path = tmp_path / "pragmas.sqlite3"
    eng = make_engine(f"sqlite:///{path}", pool_size=1, max_overflow=0)
    upgrade(eng)
    load(eng, synth_pop_5k, MyNumberCipher(SYNTH_KEY), at=SYNTH_AT)
    with eng.connect() as conn:
        raw = conn.connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        assert raw.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert raw.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    eng.dispose()


class _SynthCliObj:
    """Stands in for the main CLI's context object: only ``build_app()`` is used."""

    def __init__(self, url: str) -> None:
        self.url = url

    def build_app(self) -> Any:
        from shikaku.bootstrap import build
        from shikaku.clock import FixedClock
        from shikaku.config import Settings

        settings = Settings(database_url=self.url, key_hex=SYNTH_KEY.hex())
        return build(settings, clock=FixedClock(SYNTH_AT))


def test_cli_synth_command(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from shikaku.synth.cli import app

    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    runner = CliRunner()
    args = ["--members", "1500", "--seed", "3", "--as-of", "2025-04-30"]
    result = runner.invoke(app, args, obj=_SynthCliObj(url))
    assert result.exit_code == 0, result.output
    assert "members/s" in result.output
    again = runner.invoke(app, args, obj=_SynthCliObj(url))
    assert again.exit_code == 1
    replaced = runner.invoke(app, [*args, "--replace"], obj=_SynthCliObj(url))
    assert replaced.exit_code == 0, replaced.output
    eng = make_engine(url)
    assert _counts(eng)["person"] == 1500
    eng.dispose()
    bad = runner.invoke(app, ["--as-of", "not-a-date"], obj=_SynthCliObj(url))
    assert bad.exit_code == 2
