"""Batches of a wave rendered on a real Dask LocalCluster with two worker processes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from shikaku.actors import SYSTEM
from shikaku.bootstrap import App
from shikaku.clock import FixedClock
from shikaku.config import Settings
from shikaku.issuance.runner import run_wave
from shikaku.issuance.tables import mail_piece, print_batch

from .test_wave_run import _setup

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_wave_on_local_dask_cluster(populated: Engine, cipher, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    clock = FixedClock.on(date(2025, 7, 25))
    app = App(settings=Settings(), engine=populated, clock=clock, cipher=cipher)
    _, code = _setup(populated)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
    ) as cluster:
        report = run_wave(
            app,
            actor=SYSTEM,
            campaign_name="t",
            wave_code=code,
            out_dir=tmp_path,
            print_date=date(2025, 7, 25),
            cluster=cluster.scheduler_address,
            batch_size=25,
        )
        workers_seen = len(cluster.scheduler.workers)
    assert workers_seen == 2
    assert not report.failed and report.batches_rendered == report.batches_total > 1
    with populated.connect() as conn:
        not_printed = conn.execute(
            select(func.count()).select_from(mail_piece).where(mail_piece.c.status != "printed")
        ).scalar_one()
        files = conn.execute(select(print_batch.c.file_name)).scalars().all()
    assert not_printed == 0
    assert all((tmp_path / "campaign-t" / f).exists() for f in files)
