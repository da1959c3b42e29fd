"""Shared fixtures: a migrated database on SQLite always, and on PostgreSQL when
``SHIKAKU_TEST_DATABASE_URL`` is set (each test session gets its own throw-away database)."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from shikaku.actors import SYSTEM
from shikaku.clock import FixedClock
from shikaku.crypto import MyNumberCipher
from shikaku.db.engine import make_engine, normalise_url, upgrade
from shikaku.db.tables import metadata
from shikaku.registry.service import do_seed_reference_data

PG_URL = os.environ.get("SHIKAKU_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
TEST_KEY = bytes(range(32))


def pytest_configure(config: pytest.Config) -> None:
    """The CLIs' Rich consoles are module globals and tests read their tables: give every
    console one wide width, whichever test (or pytest-xdist worker) first imports a CLI."""
    os.environ["COLUMNS"] = "200"


@contextlib.contextmanager
def scratch_pg_database(server_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on the server of *server_url*; dropped afterwards."""
    admin_url = make_url(normalise_url(server_url))
    name = f"shikaku_t_{uuid.uuid4().hex[:10]}"
    admin = make_engine(
        admin_url.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str | None]:
    """A fresh PostgreSQL database for this session, migrated to head; dropped afterwards."""
    if not PG_URL:
        yield None
        return
    with scratch_pg_database(PG_URL) as url:
        eng = make_engine(url)
        upgrade(eng)
        eng.dispose()
        yield url


@pytest.fixture
def empty_pg_url() -> Iterator[str]:
    """A new PostgreSQL database with nothing in it, for this test alone (migration tests)."""
    if not PG_URL:
        pytest.skip("SHIKAKU_TEST_DATABASE_URL not set")
    with scratch_pg_database(PG_URL) as url:
        yield url


def _truncate_pg(engine: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def empty_engine(tmp_path: Path, pg_database_url: str | None) -> Iterator[Callable[[str], Engine]]:
    """Factory ``empty_engine(backend)``: a migrated database with every table empty, for
    ``"sqlite"`` a fresh file, for ``"postgresql"`` the session's database truncated (the test
    is skipped when ``SHIKAKU_TEST_DATABASE_URL`` is not set). Disposed of after the test."""
    engines: list[Engine] = []

    def make(backend: str) -> Engine:
        if backend == "sqlite":
            eng = make_engine(f"sqlite:///{tmp_path / 'test.sqlite3'}")
            upgrade(eng)
        else:
            if pg_database_url is None:
                pytest.skip("SHIKAKU_TEST_DATABASE_URL not set")
            eng = make_engine(pg_database_url)
            _truncate_pg(eng)
        engines.append(eng)
        return eng

    yield make
    for eng in engines:
        eng.dispose()


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, empty_engine: Callable[[str], Engine]) -> Engine:
    """A migrated, empty database with the insurer and its 47 branches seeded."""
    eng = empty_engine(request.param)
    with eng.begin() as conn:
        do_seed_reference_data(
            conn,
            actor=SYSTEM,
            at=FixedClock.on(date(2025, 4, 1)).now(),
            name_ja="全国健康保険協会",
            name_en="Japan Health Insurance Association",
        )
    return eng


@pytest.fixture
def cipher() -> MyNumberCipher:
    return MyNumberCipher(TEST_KEY)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock.on(date(2025, 5, 1))
