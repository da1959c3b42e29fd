"""Kill ``shikaku campaign run`` for real in the middle of a wave, run it again, and check that
every envelope was printed exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from shikaku.actors import SYSTEM
from shikaku.clock import FixedClock
from shikaku.crypto import MyNumberCipher
from shikaku.db.engine import make_engine, upgrade
from shikaku.issuance.plan import generate_plan
from shikaku.issuance.render import preflight
from shikaku.issuance.service import (
    do_create_campaign,
    do_store_plan,
    do_target_campaign,
    envelopes_by_branch,
)
from shikaku.issuance.tables import mail_piece, mail_piece_event, print_batch, wave
from shikaku.registry.service import do_seed_reference_data
from shikaku.synth import load, synthesize

KEY = bytes(range(32))


@pytest.mark.slow
def test_kill_and_resume(tmp_path: Path) -> None:
    db = tmp_path / "k.sqlite3"
    key_file = tmp_path / "k.key"
    key_file.write_text(KEY.hex())
    eng = make_engine(f"sqlite:///{db}")
    upgrade(eng)
    at = FixedClock.on(date(2025, 7, 25)).now()
    with eng.begin() as conn:
        do_seed_reference_data(
            conn, actor=SYSTEM, at=at, name_ja="全国健康保険協会", name_en="JHIA"
        )
    load(eng, synthesize(members=6_000, seed=11, as_of=date(2025, 4, 30)), MyNumberCipher(KEY))
    with eng.begin() as conn:
        cid = do_create_campaign(
            conn,
            actor=SYSTEM,
            at=at,
            name="k",
            snapshot_date=date(2025, 4, 30),
            issue_date=date(2025, 7, 1),
        )
        do_target_campaign(conn, actor=SYSTEM, at=at, campaign_id=cid)
        counts = envelopes_by_branch(conn, cid)
        do_store_plan(
            conn,
            actor=SYSTEM,
            at=at,
            campaign_id=cid,
            plan=generate_plan(counts, start=date(2025, 8, 1)),
        )
        big = max(counts, key=lambda k: counts[k])
        code = conn.execute(select(wave.c.code).where(wave.c.branch_code == big)).scalar_one()
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "shikaku",
        "--database-url",
        f"sqlite:///{db}",
        "--key-file",
        str(key_file),
        "campaign",
        "run",
        "k",
        "--wave",
        code,
        "--out",
        str(out),
        "--workers",
        "1",
        "--batch-size",
        "10",
        "--print-date",
        "2025-07-25",
    ]
    env = {**os.environ, "COLUMNS": "120"}
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, start_new_session=True
    )
    deadline = time.monotonic() + 120
    printed = 0
    while time.monotonic() < deadline and proc.poll() is None:
        with eng.connect() as conn:
            printed = conn.execute(
                select(func.count())
                .select_from(print_batch)
                .where(print_batch.c.status == "printed")
            ).scalar_one()
        if printed >= 2:
            break
        time.sleep(0.05)
    assert proc.poll() is None, f"the run finished before it could be killed: {proc.stderr}"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    with eng.connect() as conn:
        total = conn.execute(select(func.count()).select_from(print_batch)).scalar_one()
        done_before = conn.execute(
            select(func.count()).select_from(print_batch).where(print_batch.c.status == "printed")
        ).scalar_one()
    assert 0 < done_before < total

    rerun = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    with eng.connect() as conn:
        batches = conn.execute(select(print_batch)).all()
        pieces = conn.execute(select(func.count()).select_from(mail_piece)).scalar_one()
        events = conn.execute(
            select(mail_piece_event.c.piece_id, func.count())
            .where(mail_piece_event.c.to_status == "printed")
            .group_by(mail_piece_event.c.piece_id)
        ).all()
        planned = conn.execute(
            select(func.count())
            .select_from(mail_piece_event)
            .where(mail_piece_event.c.to_status == "planned")
        ).scalar_one()
    assert all(b.status == "printed" for b in batches)
    assert planned == pieces
    assert len(events) == pieces and all(n == 1 for _, n in events)
    folder = out / "campaign-k" / code
    assert not list(folder.glob(".*.tmp"))
    for b in batches:
        assert preflight(out / "campaign-k" / b.file_name, expected_pages=b.pages) == []
