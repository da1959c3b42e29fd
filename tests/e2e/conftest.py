"""Shared set-up of the page tests: Debian's /usr/bin/chromium (or ``$SHIKAKU_CHROMIUM``)
driven headless through Playwright, never a downloaded browser; a migrated SQLite database
holding one member; the web app served by uvicorn on a free local port."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import Engine

from shikaku.actors import SYSTEM
from shikaku.bootstrap import App
from shikaku.clock import FixedClock
from shikaku.config import Settings
from shikaku.crypto import MyNumberCipher
from shikaku.db.engine import make_engine, upgrade
from shikaku.registry.service import (
    PersonIn,
    do_create_employer,
    do_enrol_member,
    do_seed_reference_data,
)
from shikaku.web.app import WebOptions, create_app

CHROMIUM = os.environ.get("SHIKAKU_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
E2E_KEY = bytes(range(32))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _populate(engine: Engine, cipher: MyNumberCipher, at: datetime, *, name_en: str) -> None:
    """The insurer, employer 1234567 (合成商事) and its member 山田 太郎 (born 1980-05-10)."""
    with engine.begin() as conn:
        do_seed_reference_data(
            conn, actor=SYSTEM, at=at, name_ja="全国健康保険協会", name_en=name_en
        )
        emp = do_create_employer(
            conn,
            actor=SYSTEM,
            at=at,
            branch_code="13",
            symbol="1234567",
            name="合成商事",
            postal_code=None,
            address=None,
        )
        do_enrol_member(
            conn,
            actor=SYSTEM,
            at=at,
            cipher=cipher,
            employer_id=emp,
            person_in=PersonIn("山田", "太郎", "ヤマダ", "タロウ", 1, date(1980, 5, 10)),
            valid_from=date(2020, 4, 1),
        )


@pytest.fixture(scope="module")
def chromium() -> str:
    """The browser binary; the module's tests are skipped when it is not installed."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    return CHROMIUM


@pytest.fixture(scope="module")
def make_app(
    tmp_path_factory: pytest.TempPathFactory, chromium: str
) -> Iterator[Callable[..., App]]:
    """Factory ``make_app(today, *, name=..., name_en=...)``: an :class:`App` on a fresh,
    migrated SQLite database with the member of :func:`_populate`, its clock fixed on
    ``today``. The databases are disposed of at the end of the module."""
    engines: list[Engine] = []

    def make(
        today: date, *, name: str = "site", name_en: str = "Japan Health Insurance Association"
    ) -> App:
        url = f"sqlite:///{tmp_path_factory.mktemp(name) / 'db.sqlite3'}"
        engine = make_engine(url)
        engines.append(engine)
        upgrade(engine)
        cipher = MyNumberCipher(E2E_KEY)
        clock = FixedClock.on(today)
        _populate(engine, cipher, clock.now(), name_en=name_en)
        return App(Settings(database_url=url), engine, clock, cipher)

    yield make
    for engine in engines:
        engine.dispose()


@pytest.fixture(scope="module")
def serve(make_app: Callable[..., App]) -> Iterator[Callable[[App], str]]:
    """Factory ``serve(app) -> base URL``: the app's web app under uvicorn in a thread on a
    free port of 127.0.0.1. Servers are stopped at the end of the module, before the databases
    of ``make_app`` (which this fixture therefore depends on) are disposed of."""
    running: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(app: App) -> str:
        web = create_app(app, options=WebOptions(access_log=None))
        port = _free_port()
        server = uvicorn.Server(
            uvicorn.Config(web, host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        running.append((server, thread))
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        return f"http://127.0.0.1:{port}"

    yield start
    for server, thread in running:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def page(tmp_path: Path, chromium: str) -> Iterator[Any]:
    """A new page in a headless Chromium with a throw-away profile, Japanese locale."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            user_data_dir=str(tmp_path / "profile"),
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_ARGS,
            locale="ja-JP",
        )
        try:
            yield context.new_page()
        finally:
            context.close()
