"""The desk's demo step on the demo's campaign: synthetic log once, fitted forecast, Erlang C
at the peak, files written."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from rich.console import Console
from sqlalchemy import func, select

from shikaku.bootstrap import App
from shikaku.clock import FixedClock
from shikaku.config import Settings
from shikaku.crypto import MyNumberCipher
from shikaku.desk.demo import SYNTH_OPERATOR, demo_step
from shikaku.desk.tables import inquiry

from .conftest import CAMPAIGN, Planned


def test_demo_step(planned: Planned, cipher: MyNumberCipher, tmp_path: Path) -> None:
    app = App(Settings(), planned.engine, FixedClock.on(date(2026, 1, 15)), cipher)
    console = Console(record=True, width=160)
    result = demo_step(app, console, tmp_path, campaign=CAMPAIGN)
    assert result is not None and result.logged > 0
    text = console.export_text()
    for needle in ("peak day", "peak hour", "top languages", "agents at peak", "MAPE"):
        assert needle in text
    assert result.forecast.fit is not None
    for name in ("desk-forecast.png", "desk-forecast.csv", "desk-roster.csv"):
        assert (tmp_path / name).stat().st_size > 0
    with planned.engine.connect() as conn:
        n = conn.execute(
            select(func.count()).select_from(inquiry).where(inquiry.c.operator == SYNTH_OPERATOR)
        ).scalar_one()
    assert n == result.logged
    again = demo_step(app, Console(record=True), tmp_path, campaign=CAMPAIGN)
    assert again is not None and again.logged == 0  # the synthetic log is made once


def test_demo_step_without_the_campaign(planned: Planned, cipher: MyNumberCipher) -> None:
    app = App(Settings(), planned.engine, FixedClock.on(date(2026, 1, 15)), cipher)
    console = Console(record=True, width=160)
    assert demo_step(app, console, Path("unused"), campaign="2025") is None
    assert "no contact forecast" in console.export_text()
