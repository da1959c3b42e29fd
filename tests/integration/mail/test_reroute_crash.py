"""A crash during re-routing leaves every piece in exactly one state; a rerun finishes the job.

Three crashes: inside the planning transaction, between two print files (in process), and a
real SIGKILL of ``shikaku mail reroute`` while it renders (SQLite file)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from shikaku.actors import SYSTEM
from shikaku.issuance.render import preflight
from shikaku.issuance.tables import mail_piece, mail_piece_event
from shikaku.mail import reroute as reroute_mod
from shikaku.mail.reconcile import ExceptionKind, reconcile
from shikaku.mail.reroute import do_reroute
from shikaku.mail.tables import reroute_batch, reroute_item

from .support import Mailing, make_mailing, record_returns


def _return_all(m: Mailing, n: int) -> list[str]:
    return record_returns(m, m.pieces("posted")[:n])


def _states(m: Mailing, pieces: list[str]) -> dict[str, str]:
    with m.app.engine.connect() as conn:
        return dict(
            conn.execute(
                select(mail_piece.c.id, mail_piece.c.status).where(mail_piece.c.id.in_(pieces))
            ).all()
        )


def _one_event_per_state(m: Mailing) -> None:
    """Every piece's event trail has no repeated transition (nothing done twice)."""
    with m.app.engine.connect() as conn:
        dup = conn.execute(
            select(mail_piece_event.c.piece_id, mail_piece_event.c.to_status, func.count())
            .group_by(mail_piece_event.c.piece_id, mail_piece_event.c.to_status)
            .having(func.count() > 1)
        ).all()
    assert dup == []


def test_crash_while_planning_rolls_back(mailing: Mailing, tmp_path: Path, monkeypatch) -> None:
    m = mailing
    pieces = _return_all(m, 20)
    real = reroute_mod._plan_envelopes

    def boom(*a: Any, **kw: Any) -> int:
        real(*a, **kw)
        raise RuntimeError("power cut")

    monkeypatch.setattr(reroute_mod, "_plan_envelopes", boom)
    with pytest.raises(RuntimeError):
        do_reroute(m.app.engine, m.clock, actor=SYSTEM, out_dir=tmp_path / "rr")
    assert set(_states(m, pieces).values()) == {"returned"}
    with m.app.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(reroute_batch)).scalar_one() == 0
        children = conn.execute(
            select(func.count())
            .select_from(mail_piece)
            .where(mail_piece.c.parent_piece_id.is_not(None))
        ).scalar_one()
        assert children == 0
    monkeypatch.setattr(reroute_mod, "_plan_envelopes", real)
    rep = do_reroute(m.app.engine, m.clock, actor=SYSTEM, out_dir=tmp_path / "rr")
    assert rep.pieces == 20 and set(_states(m, pieces).values()) == {"rerouted"}
    _one_event_per_state(m)


def test_crash_between_files_then_rerun(mailing: Mailing, tmp_path: Path, monkeypatch) -> None:
    m = mailing
    pieces = _return_all(m, 30)
    monkeypatch.setattr(reroute_mod, "COVERS_PER_FILE", 2)
    real = reroute_mod.render_cover_letters
    calls = {"n": 0}

    def flaky(*a: Any, **kw: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # the operator's Ctrl-C, or a kill, mid-run
        return real(*a, **kw)

    monkeypatch.setattr(reroute_mod, "render_cover_letters", flaky)
    out = tmp_path / "rr"
    with pytest.raises(KeyboardInterrupt):
        do_reroute(m.app.engine, m.clock, actor=SYSTEM, out_dir=out)
    # every returned piece is re-routed exactly once; its employer piece is planned or printed
    assert set(_states(m, pieces).values()) == {"rerouted"}
    with m.app.engine.connect() as conn:
        kids = dict(
            conn.execute(
                select(mail_piece.c.parent_piece_id, mail_piece.c.status).where(
                    mail_piece.c.parent_piece_id.in_(pieces)
                )
            ).all()
        )
        rec = reconcile(conn, campaign_id=m.campaign_id)
    assert set(kids) == set(pieces) and set(kids.values()) == {"planned", "printed"}
    assert not rec.ok and set(rec.exception_counts) == {ExceptionKind.REROUTE_NOT_PRINTED}
    # the rerun renders only what is missing
    monkeypatch.setattr(reroute_mod, "render_cover_letters", real)
    rep = do_reroute(m.app.engine, m.clock, actor=SYSTEM, out_dir=out)
    assert rep.queued == 0 and rep.files_rendered >= 1
    with m.app.engine.connect() as conn:
        statuses = set(
            conn.execute(
                select(mail_piece.c.status).where(mail_piece.c.parent_piece_id.in_(pieces))
            ).scalars()
        )
        files = set(conn.execute(select(reroute_batch.c.file_name)).scalars())
        rec = reconcile(conn, campaign_id=m.campaign_id, deep=True)
    assert statuses == {"printed"}
    assert rec.ok, rec.exceptions
    for f in files:
        assert preflight(out / f) == []
    _one_event_per_state(m)


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_sigkill_while_rendering(engine, cipher, tmp_path: Path) -> None:
    m = make_mailing(engine, cipher, tmp_path / "print", members=6_000)
    pieces = _return_all(m, 60)
    key = tmp_path / "k.key"
    key.write_text(bytes(range(32)).hex())
    url = str(engine.url)
    out = tmp_path / "rr"
    # one envelope per file and a slowed renderer, so the kill lands between files
    script = (
        "import time, sys\n"
        "from shikaku.mail import reroute as r\n"
        "r.COVERS_PER_FILE = 1\n"
        "real = r.render_cover_letters\n"
        "def slow(*a, **k):\n"
        "    time.sleep(0.15)\n"
        "    return real(*a, **k)\n"
        "r.render_cover_letters = slow\n"
        "from shikaku.cli import main\n"
        "sys.argv = ['shikaku', '--database-url', sys.argv[1], '--key-file', sys.argv[2],"
        " 'mail', 'reroute', '--out', sys.argv[3], '--run-on', '2025-09-05']\n"
        "main()\n"
    )
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-c", script, url, str(key), str(out)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            printed = conn.execute(
                select(func.count())
                .select_from(reroute_batch)
                .where(reroute_batch.c.status == "printed")
            ).scalar_one()
        if printed >= 2:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(reroute_batch)).scalar_one()
        printed = conn.execute(
            select(func.count())
            .select_from(reroute_batch)
            .where(reroute_batch.c.status == "printed")
        ).scalar_one()
    assert 2 <= printed < total, "the kill should land in the middle of the run"
    assert set(_states(m, pieces).values()) == {"rerouted"}
    rep = do_reroute(m.app.engine, m.clock, actor=SYSTEM, out_dir=out)
    assert rep.queued == 0 and rep.files_rendered == total - printed
    with engine.connect() as conn:
        rec = reconcile(conn, campaign_id=m.campaign_id, deep=True)
        linked = conn.execute(select(func.count()).select_from(reroute_item)).scalar_one()
    assert rec.ok, rec.exceptions
    assert linked == len(pieces)
    assert not list(out.rglob("*.part"))
    _one_event_per_state(m)
