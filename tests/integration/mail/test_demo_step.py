"""The demo step: post, simulate ~3 % returns, re-route, reconcile (balanced)."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import func, select, update

from shikaku.issuance.tables import campaign, mail_piece
from shikaku.mail.demo import demo_step, simulate_returns
from shikaku.mail.tables import return_event

from .support import make_mailing


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_demo_step(engine, cipher, tmp_path: Path) -> None:
    m = make_mailing(engine, cipher, tmp_path / "print", members=6_000, post=False)
    with engine.begin() as conn:
        conn.execute(update(campaign).values(name="2025"))
    out = StringIO()
    demo_step(m.app, Console(file=out, width=200), tmp_path)
    text = out.getvalue()
    with engine.connect() as conn:
        returns = conn.execute(select(func.count()).select_from(return_event)).scalar_one()
        posted = conn.execute(
            select(func.count())
            .select_from(mail_piece)
            .where(mail_piece.c.parent_piece_id.is_(None))
        ).scalar_one()
        reasons = set(conn.execute(select(return_event.c.reason)).scalars())
    assert 0 < returns < posted * 0.1
    assert "照合OK" in text, text
    assert (tmp_path / "mail-reports" / "returns_by_day.png").exists()
    # deterministic and safe to run again
    assert simulate_returns(m.app, "2025", seed=2025) == {}
    assert "addressee-unknown" in reasons
