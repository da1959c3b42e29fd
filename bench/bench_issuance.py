"""Benchmark the issuance pipeline: target → plan → prepare + render + manifest.

For each database (a fresh SQLite file; a PostgreSQL database created and dropped here) it loads
a synthetic insurer once (``shikaku.synth``, not timed), then times, with the issuance tables
emptied before every run:

* **targeting** — ``do_create_campaign`` + ``do_target_campaign`` (the set-based INSERT … SELECT);
* **the whole pipeline** — targeting, planning, and every wave prepared, built and rendered into
  batch PDFs (preflighted) and written out with its manifest by ``run_waves`` (what
  ``shikaku campaign run --all`` does: waves pipelined on one pool of local worker processes).

It reports medians, the projection to the national 11.6 million certificates on this machine
(time × 11.6M ÷ certificates printed), and the speed-up of the render stage from 1 to 2 local
workers measured on a smaller population in the same run (the baseline), next to the machine's
own ceiling for it: independent sample batches rendered by 1 and by 2 processes with nothing
else running (two busy processes on this 2-vCPU machine do not each run at full speed).

    .venv/bin/python bench/bench_issuance.py [--members 1000000] [--speedup-members 200000]
        [--runs 3] [--targets sqlite,postgresql] [--pg-url postgresql://postgres@127.0.0.1/test]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine, delete, func, select, text
from sqlalchemy.engine import make_url

from shikaku.actors import SYSTEM
from shikaku.bootstrap import App
from shikaku.clock import FixedClock
from shikaku.config import Settings
from shikaku.crypto import MyNumberCipher
from shikaku.db.engine import make_engine, normalise_url, upgrade
from shikaku.issuance.plan import generate_plan
from shikaku.issuance.render import render_batch
from shikaku.issuance.render.samples import sample_envelopes
from shikaku.issuance.runner import run_waves
from shikaku.issuance.service import (
    do_create_campaign,
    do_store_plan,
    do_target_campaign,
    envelopes_by_branch,
)
from shikaku.issuance.tables import (
    campaign,
    certificate,
    issuance_exception,
    mail_piece,
    mail_piece_event,
    print_batch,
    target,
    wave,
)
from shikaku.registry.service import do_seed_reference_data
from shikaku.synth import load, synthesize

KEY = bytes(range(32))
SNAPSHOT = date(2025, 4, 30)
ISSUE = date(2025, 7, 1)
NATIONAL = 11_600_000
AT = datetime(2025, 7, 1, tzinfo=UTC)
BENCH_DB = "shikaku_bench_issuance"


@contextmanager
def database(kind: str, pg_url: str, folder: Path) -> Iterator[Engine]:
    if kind == "sqlite":
        eng = make_engine(f"sqlite:///{folder / 'bench.sqlite3'}")
        yield eng
        eng.dispose()
        return
    admin_url = make_url(normalise_url(pg_url))
    admin = make_engine(
        admin_url.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{BENCH_DB}"'))
    eng = make_engine(admin_url.set(database=BENCH_DB).render_as_string(hide_password=False))
    try:
        yield eng
    finally:
        eng.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
        admin.dispose()


def populate(eng: Engine, members: int) -> None:
    upgrade(eng)
    with eng.begin() as conn:
        do_seed_reference_data(
            conn, actor=SYSTEM, at=AT, name_ja="全国健康保険協会", name_en="JHIA"
        )
    load(eng, synthesize(members=members, seed=2025, as_of=SNAPSHOT), MyNumberCipher(KEY))
    if eng.dialect.name == "postgresql":
        with eng.begin() as conn:
            conn.execute(text("ANALYZE"))


def reset(eng: Engine) -> None:
    with eng.begin() as conn:
        for t in (
            mail_piece_event,
            mail_piece,
            print_batch,
            certificate,
            issuance_exception,
            target,
            wave,
            campaign,
        ):
            conn.execute(delete(t))


def target_once(eng: Engine) -> tuple[float, int]:
    t0 = time.perf_counter()
    with eng.begin() as conn:
        cid = do_create_campaign(
            conn, actor=SYSTEM, at=AT, name="bench", snapshot_date=SNAPSHOT, issue_date=ISSUE
        )
        report = do_target_campaign(conn, actor=SYSTEM, at=AT, campaign_id=cid)
    return time.perf_counter() - t0, report.added


def pipeline_once(eng: Engine, out: Path, workers: int) -> dict[str, float]:
    app = App(
        settings=Settings(),
        engine=eng,
        clock=FixedClock.on(date(2025, 7, 25)),
        cipher=MyNumberCipher(KEY),
    )
    t0 = time.perf_counter()
    seconds_target, _ = target_once(eng)
    with eng.begin() as conn:
        cid = conn.execute(select(campaign.c.id)).scalar_one()
        counts = envelopes_by_branch(conn, cid)
        plan = generate_plan(counts, start=date(2025, 8, 1), capacity_per_day=10_000_000)
        do_store_plan(conn, actor=SYSTEM, at=AT, campaign_id=cid, plan=plan)
    t_plan = time.perf_counter()
    reports = run_waves(
        app,
        actor=SYSTEM,
        campaign_name="bench",
        wave_codes=[w.code for w in plan],
        out_dir=out,
        print_date=date(2025, 7, 25),
        workers=workers,
    )
    assert not any(r.failed for r in reports)
    pages = sum(r.pages_rendered for r in reports)
    envelopes = sum(r.envelopes_rendered for r in reports)
    t_end = time.perf_counter()
    with eng.connect() as conn:
        certs = conn.execute(select(func.count()).select_from(certificate)).scalar_one()
    shutil.rmtree(out, ignore_errors=True)
    return dict(
        target=seconds_target,
        plan=t_plan - t0 - seconds_target,
        render=t_end - t_plan,
        total=t_end - t0,
        pages=pages,
        envelopes=envelopes,
        certificates=certs,
    )


def _render_sample(job: tuple[int, str]) -> int:
    seed, out = job
    envelopes = sample_envelopes(300, seed=seed, max_members=1)
    return render_batch(envelopes, Path(out)).pages


def ceiling_once(folder: Path, workers: int, batches: int = 16) -> float:
    """The machine's own limit for the speed-up: ``batches`` independent sample batches
    rendered by a pool of ``workers`` processes, with nothing for the main process to do."""
    jobs = [(seed, str(folder / f"ceiling-{seed}.pdf")) for seed in range(batches)]
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_render_sample, jobs[:workers]))  # start-up and imports not timed
        t0 = time.perf_counter()
        list(pool.map(_render_sample, jobs))
        return time.perf_counter() - t0


def med(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--members", type=int, default=1_000_000)
    ap.add_argument("--speedup-members", type=int, default=200_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--pipeline-runs", type=int, default=1)
    ap.add_argument("--targets", default="sqlite,postgresql")
    ap.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1/test")
    args = ap.parse_args()
    rows: list[str] = []
    with tempfile.TemporaryDirectory(prefix="shikaku-bench-") as tmp:
        folder = Path(tmp)
        for kind in args.targets.split(","):
            with database(kind, args.pg_url, folder) as eng:
                print(f"[{kind}] loading {args.members:,} members …", flush=True)
                populate(eng, args.members)
                tt = []
                for _ in range(args.runs):
                    reset(eng)
                    seconds, added = target_once(eng)
                    tt.append(seconds)
                print(
                    f"[{kind}] targeting: median {med(tt):.2f} s for {added:,} targets "
                    f"({args.members / med(tt):,.0f} members/s)",
                    flush=True,
                )
                results = []
                for _ in range(args.pipeline_runs):
                    reset(eng)
                    results.append(pipeline_once(eng, folder / "out", workers=2))
                r = {k: med([x[k] for x in results]) for k in results[0]}
                projection_h = r["total"] * NATIONAL / r["certificates"] / 3600
                print(f"[{kind}] pipeline: {r}", flush=True)
                rows.append(
                    f"| {kind} | {args.members:,} | {med(tt):.2f} | {r['certificates']:,.0f} | "
                    f"{r['envelopes']:,.0f} | {r['pages']:,.0f} | {r['total']:.0f} | "
                    f"{r['pages'] / r['render']:,.0f} | {projection_h:.2f} |"
                )
            if kind == "sqlite" and args.speedup_members:
                sfolder = folder / "speedup"
                sfolder.mkdir()
                with database("sqlite", args.pg_url, sfolder) as eng:
                    populate(eng, args.speedup_members)
                    timing: dict[int, list[float]] = {1: [], 2: []}
                    for _ in range(args.runs):
                        for workers in (1, 2):
                            reset(eng)
                            timing[workers].append(
                                pipeline_once(eng, sfolder / "out", workers)["render"]
                            )
                    one, two = med(timing[1]), med(timing[2])
                    print(
                        f"[speed-up] render {args.speedup_members:,} members: 1 worker "
                        f"{one:.1f} s, 2 workers {two:.1f} s → {one / two:.2f}×",
                        flush=True,
                    )
                    c1 = med([ceiling_once(sfolder, 1) for _ in range(args.runs)])
                    c2 = med([ceiling_once(sfolder, 2) for _ in range(args.runs)])
                    print(
                        f"[speed-up] machine ceiling (independent render batches, no main "
                        f"process work): 1 process {c1:.1f} s, 2 processes {c2:.1f} s → "
                        f"{c1 / c2:.2f}×",
                        flush=True,
                    )
    print(
        "\n| database | members | targeting s | certificates | envelopes | pages | pipeline s "
        "| render pages/s | projection 11.6M h |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(row)


if __name__ == "__main__":
    main()
