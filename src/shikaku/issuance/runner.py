"""Run a wave: prepare it (once), build and render every batch not yet printed on local worker
processes or a Dask cluster, record each finished batch in one transaction, then write the
manifest. Several waves run pipelined on one pool (:func:`run_waves`).

Idempotent and resumable: kill the process at any moment and run the same command again; batches
already recorded are skipped, others are rendered again into the same file names."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import and_, select, update

from shikaku.actors import Actor
from shikaku.bootstrap import App
from shikaku.domain.ids.certificate_qr import derive_key
from shikaku.domain.mailpiece import PieceStatus
from shikaku.issuance.manifest import (
    MANIFEST_FILE,
    PieceLine,
    employer_sections,
    manifest_lines,
    render_employer_lists,
    render_volume_sheet,
    volume_rows,
    write_exceptions,
    write_manifest,
)
from shikaku.issuance.pieces import move_where
from shikaku.issuance.prepare import (
    BATCH_ENVELOPES,
    Household,
    MemberRow,
    PrepareReport,
    do_prepare_wave,
    envelope_context,
    get_wave,
)
from shikaku.issuance.service import get_campaign
from shikaku.issuance.tables import campaign, mail_piece, print_batch, wave
from shikaku.issuance.worker import TaskResult, render_task
from shikaku.registry.audit import write_audit
from shikaku.registry.tables import branch

log = logging.getLogger(__name__)
#: progress(envelopes just done, envelopes newly added to the total): a wave adds its envelopes
#: (and counts those printed by an earlier run as done) when it starts, then each batch.
Progress = Callable[[int, int], None]


@dataclass
class RunReport:
    wave_code: str
    prepare: PrepareReport
    batches_total: int = 0
    batches_skipped: int = 0
    batches_rendered: int = 0
    envelopes_rendered: int = 0
    pages_rendered: int = 0
    failed: list[tuple[int, list[str]]] = field(default_factory=list)
    manifest: Path | None = None


@contextmanager
def make_executor(workers: int, cluster: str | None) -> Iterator[Executor]:
    """Local processes by default; ``tcp://host:port`` sends batches to a Dask scheduler."""
    if cluster:
        from distributed import Client

        client = Client(cluster)
        try:
            yield client.get_executor()
        finally:
            client.close()
    else:
        with ProcessPoolExecutor(max_workers=max(1, workers)) as pool:
            yield pool


class _WaveData:
    """What the workers need to build and render the wave's envelopes, read once per run."""

    def __init__(self, app: App, campaign_id: int, wave_id: int, qr_key: bytes) -> None:
        from shikaku.issuance.prepare import wave_members

        with app.engine.connect() as conn:
            pieces = conn.execute(
                select(
                    mail_piece.c.id,
                    mail_piece.c.insured_person_id,
                    mail_piece.c.batch_id,
                    mail_piece.c.branch_code,
                )
                .where(mail_piece.c.wave_id == wave_id)
                .order_by(mail_piece.c.batch_id, mail_piece.c.batch_pos)
            ).all()
            self.by_batch: dict[int, list[tuple[str, int]]] = {}
            for p in pieces:
                self.by_batch.setdefault(p.batch_id, []).append((p.id, p.insured_person_id))
            branch_code = pieces[0].branch_code if pieces else ""
            camp = (
                conn.execute(select(campaign).where(campaign.c.id == campaign_id)).mappings().one()
            )
            br = conn.execute(select(branch).where(branch.c.code == branch_code)).mappings().one()
            rows = wave_members(conn, campaign_id, branch_code, statuses=("enveloped",))
        self.households: dict[int, list[MemberRow]] = {}
        for r in rows:
            self.households.setdefault(r.insured_person_id, []).append(r)
        self.context = envelope_context(br, camp, qr_key, app.settings.policy.insurer_name_ja)

    def households_of(self, batch_id: int) -> list[Household]:
        return [(pid, self.households[ins]) for pid, ins in self.by_batch.get(batch_id, [])]


def _record(app: App, actor: Actor, res: TaskResult) -> None:
    """Mark a rendered batch printed, its pieces printed with one event each: set-based, so
    the main process spends little per batch (the page ranges were stored at prepare and the
    worker checked the file against them)."""
    at = app.clock.now()
    with app.engine.begin() as conn:
        done = conn.execute(
            update(print_batch)
            .where(print_batch.c.id == res.batch_id, print_batch.c.status != "printed")
            .values(status="printed", pages=res.pages, sha256=res.sha256, rendered_at=at)
        ).rowcount
        if not done:
            return  # recorded by an earlier run
        move_where(
            conn,
            and_(
                mail_piece.c.batch_id == res.batch_id,
                mail_piece.c.status == str(PieceStatus.PLANNED),
            ),
            from_status=PieceStatus.PLANNED,
            to_status=PieceStatus.PRINTED,
            actor=actor.login,
            at=at,
        )


#: Batches kept queued per worker behind the wave being recorded (see :func:`run_waves`).
QUEUED_BATCHES_PER_WORKER = 3


@dataclass
class _Started:
    """A wave whose batches are on the workers (see :func:`run_waves`)."""

    campaign_id: int
    wave_id: int
    base: Path
    report: RunReport
    docs: list[Future[str]]
    futures: dict[Future[TaskResult], int]
    total: int
    lines: list[PieceLine]  # the manifest as prepared (statuses before this run)
    file_of: dict[int, str]  # batch id → file name
    executor: Executor


def run_wave(
    app: App,
    *,
    actor: Actor,
    campaign_name: str,
    wave_code: str,
    out_dir: Path,
    print_date: date,
    workers: int = 1,
    cluster: str | None = None,
    font_path: str | None = None,
    progress: Progress | None = None,
    batch_size: int = BATCH_ENVELOPES,
    executor: Executor | None = None,
) -> RunReport:
    """See the module docstring. Pass ``executor`` to share worker processes between waves."""
    reports = run_waves(
        app,
        actor=actor,
        campaign_name=campaign_name,
        wave_codes=[wave_code],
        out_dir=out_dir,
        print_date=print_date,
        workers=workers,
        cluster=cluster,
        font_path=font_path,
        progress=progress,
        batch_size=batch_size,
        executor=executor,
    )
    return reports[0]


def run_waves(
    app: App,
    *,
    actor: Actor,
    campaign_name: str,
    wave_codes: Sequence[str],
    out_dir: Path,
    print_date: date,
    workers: int = 1,
    cluster: str | None = None,
    font_path: str | None = None,
    progress: Progress | None = None,
    batch_size: int = BATCH_ENVELOPES,
    executor: Executor | None = None,
    on_report: Callable[[RunReport], None] | None = None,
) -> list[RunReport]:
    """Run several waves on one pool, pipelined: while the workers render wave *n*, this
    process prepares the next waves and queues their batches (until
    ``QUEUED_BATCHES_PER_WORKER`` batches per worker wait), so the workers never wait for the
    database work between waves. Each wave is recorded and its manifest written as soon as its
    batches are done; ``on_report`` is called with each finished wave's report."""
    if executor is None:
        with make_executor(workers, cluster) as pool:
            return run_waves(
                app,
                actor=actor,
                campaign_name=campaign_name,
                wave_codes=wave_codes,
                out_dir=out_dir,
                print_date=print_date,
                font_path=font_path,
                progress=progress,
                batch_size=batch_size,
                executor=pool,
                on_report=on_report,
                workers=workers,
            )
    qr_key = derive_key(app.cipher.master_key)
    reports: list[RunReport] = []
    outputs: list[Future[Any]] = []
    # Waves are started (prepared, batches queued) ahead of the one being recorded until at
    # least this many batches wait behind it: one big wave is enough, but small branches have
    # one or two batches each and the workers would run dry while this process prepares.
    ahead = QUEUED_BATCHES_PER_WORKER * max(1, workers)
    started_waves: deque[_Started] = deque()

    def finish_oldest() -> None:
        reports.append(_finish_wave(app, actor, started_waves.popleft(), progress, outputs))
        if on_report:
            on_report(reports[-1])

    for code in wave_codes:
        started = _start_wave(
            app,
            actor=actor,
            campaign_name=campaign_name,
            wave_code=code,
            out_dir=out_dir,
            print_date=print_date,
            font_path=font_path,
            progress=progress,
            batch_size=batch_size,
            executor=executor,
            qr_key=qr_key,
        )
        started_waves.append(started)
        while len(started_waves) > 1 and (
            sum(len(w.futures) for w in list(started_waves)[1:]) >= ahead
        ):
            finish_oldest()
    while started_waves:
        finish_oldest()
    for out in outputs:
        out.result()  # every manifest written before returning
    return reports


def _start_wave(
    app: App,
    *,
    actor: Actor,
    campaign_name: str,
    wave_code: str,
    out_dir: Path,
    print_date: date,
    font_path: str | None,
    progress: Progress | None,
    batch_size: int,
    executor: Executor,
    qr_key: bytes,
) -> _Started:
    """Prepare the wave (once) and put its documents and unprinted batches on the workers."""
    with app.engine.begin() as conn:
        camp = get_campaign(conn, campaign_name)
        campaign_id = int(camp["id"])  # type: ignore[call-overload]
        prep = do_prepare_wave(
            conn,
            actor=actor,
            at=app.clock.now(),
            campaign_id=campaign_id,
            wave_code=wave_code,
            print_date=print_date,
            qr_key=qr_key,
            font_path=font_path,
            batch_size=batch_size,
            insurer_name_ja=app.settings.policy.insurer_name_ja,
        )
    report = RunReport(wave_code=wave_code, prepare=prep)
    base = out_dir / f"campaign-{campaign_name}"
    folder = base / wave_code
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob(".*.tmp"):
        stale.unlink()  # left by a run that was killed while writing
    with app.engine.connect() as conn:
        w = get_wave(conn, campaign_id, wave_code)
        wave_id = int(w["id"])  # type: ignore[call-overload]
        batches = conn.execute(
            select(
                print_batch.c.id,
                print_batch.c.file_name,
                print_batch.c.pieces,
                print_batch.c.status,
            )
            .where(print_batch.c.wave_id == wave_id)
            .order_by(print_batch.c.seq)
        ).all()
        # The volume sheet and the employers' lists depend only on what prepare decided, so
        # they render on the workers alongside the batches.
        lines = manifest_lines(conn, wave_id)
        docs: list[Future[str]] = [
            executor.submit(
                render_volume_sheet,
                str(folder / "volume-sheet.pdf"),
                volume_rows(lines),
                wave_code,
                font_path,
            ),
        ]
        lists = employer_sections(
            conn,
            campaign_id=campaign_id,
            branch_code=str(w["branch_code"]),
            wave_code=wave_code,
        )
        if lists:
            docs.append(executor.submit(render_employer_lists, str(folder), lists, font_path))
    report.batches_total = len(batches)
    pending = [b for b in batches if b.status != "printed"]
    report.batches_skipped = len(batches) - len(pending)
    total = sum(b.pieces for b in batches)
    if progress:
        progress(sum(b.pieces for b in batches if b.status == "printed"), total)
    futures: dict[Future[TaskResult], int] = {}
    if pending:
        if prep.context is not None:  # prepared just now: the households are in memory
            households, context = prep.batch_households, prep.context
        else:  # prepared by an earlier run (resuming): read them back
            data = _WaveData(app, campaign_id, wave_id, qr_key)
            households = {b.id: data.households_of(b.id) for b in pending}
            context = data.context
        for b in pending:
            fut = executor.submit(
                render_task,
                b.id,
                households[b.id],
                context,
                str(base / b.file_name),
                font_path,
            )
            futures[fut] = b.pieces
    file_of = {b.id: b.file_name for b in batches}
    return _Started(
        campaign_id, wave_id, base, report, docs, futures, total, lines, file_of, executor
    )


def _finish_wave(
    app: App,
    actor: Actor,
    started: _Started,
    progress: Progress | None,
    outputs: list[Future[Any]],
) -> RunReport:
    """Record the wave's batches as they finish, then queue its manifest on a worker (the
    future goes to *outputs*)."""
    report, futures = started.report, started.futures
    campaign_id, wave_id, wave_code = started.campaign_id, started.wave_id, report.wave_code
    for fut in as_completed(futures):
        res = fut.result()
        if res.problems:
            report.failed.append((res.batch_id, res.problems))
            log.error("preflight failed", extra={"batch_id": res.batch_id})
            continue
        _record(app, actor, res)
        report.batches_rendered += 1
        report.envelopes_rendered += futures[fut]
        report.pages_rendered += res.pages
        if progress:
            progress(futures[fut], 0)
    for doc in started.docs:
        doc.result()
    # The manifest is the prepared one with the batches just recorded marked printed; a worker
    # writes it (CSV + Parquet) while this process goes on. run_waves waits for it.
    failed_files = {started.file_of[batch_id] for batch_id, _ in report.failed}
    printed = str(PieceStatus.PRINTED)
    lines = [
        ln
        if ln.batch_file in failed_files or ln.status != str(PieceStatus.PLANNED)
        else replace(ln, status=printed)
        for ln in started.lines
    ]
    folder = started.base / wave_code
    outputs.append(started.executor.submit(write_manifest, lines, folder))
    report.manifest = folder / MANIFEST_FILE
    with app.engine.begin() as conn:
        write_exceptions(conn, campaign_id=campaign_id, wave_id=wave_id, folder=folder)
        if not report.failed:
            remaining = conn.execute(
                select(print_batch.c.id).where(
                    print_batch.c.wave_id == wave_id, print_batch.c.status != "printed"
                )
            ).first()
            if remaining is None:
                conn.execute(
                    update(wave)
                    .where(wave.c.id == wave_id)
                    .values(status="printed", finished_at=app.clock.now())
                )
        write_audit(
            conn,
            actor=actor,
            at=app.clock.now(),
            action="run-wave",
            subject_type="wave",
            subject_id=wave_id,
            detail={
                "rendered": report.batches_rendered,
                "skipped": report.batches_skipped,
                "failed": len(report.failed),
            },
        )
    return report
