"""``shikaku mail …``: post waves, take in returned mail (scans, CSV), re-route it to employers,
reconcile the ledger, report, and notify branch systems."""

from __future__ import annotations

import os
import time
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from shikaku.actors import SYSTEM
from shikaku.bootstrap import App
from shikaku.issuance.service import IssuanceError, get_campaign, unfinished_waves
from shikaku.mail.reasons import (
    ACTION_LABELS,
    DEFAULT_RULES,
    REASONS,
    TASK_LABELS,
    Action,
    Resolution,
    ReturnRules,
    RulesError,
    load_rules,
)
from shikaku.mail.returns import OUTCOME_MESSAGES, ReturnInput, RowResult, parse_input

app = typer.Typer(no_args_is_help=True)
console = Console()
DEFAULT_REROUTE_OUT = Path("print")
SECRET_ENV = "SHIKAKU_WEBHOOK_SECRET"


def _app(ctx: typer.Context) -> App:
    built: App = ctx.obj.build_app()
    return built


def _day(value: str | None, default: date) -> date:
    return date.fromisoformat(value) if value else default


def _rules(path: Path | None) -> ReturnRules:
    if path is None:
        return DEFAULT_RULES
    try:
        return load_rules(path)
    except RulesError as err:
        console.print(f"[red]{err}[/red]")
        raise typer.Exit(2) from err


def _campaign_id(app_: App, name: str) -> int:
    with app_.engine.connect() as conn:
        try:
            return int(get_campaign(conn, name)["id"])  # type: ignore[call-overload]
        except IssuanceError as err:
            console.print(f"[red]{err}[/red]")
            raise typer.Exit(2) from err


def read_tracking(path: Path) -> dict[str, str]:
    """piece_id,tracking_no (or 管理番号,追跡番号) → {piece id: tracking number}."""
    from shikaku.mail.ids import normalise_id
    from shikaku.registry.feeds import read_csv_records

    records, rejects = read_csv_records(
        path.read_bytes(),
        ("piece_id", "tracking_no"),
        source=str(path),
        aliases={"管理番号": "piece_id", "追跡番号": "tracking_no"},
    )
    for rj in rejects:
        console.print(f"[yellow]{path}:{rj.line}: {rj.rule_id} {rj.message_en}[/yellow]")
    return {
        normalise_id(r["piece_id"]): normalise_id(r["tracking_no"])
        for _, r in records
        if r["tracking_no"].strip()
    }


@app.command("post")
def post(
    ctx: typer.Context,
    campaign: Annotated[str | None, typer.Argument(help="campaign name")] = None,
    wave: Annotated[list[str] | None, typer.Option("--wave", help="wave code (repeatable)")] = None,
    all_waves: Annotated[bool, typer.Option("--all", help="every printed wave")] = False,
    posted_on: Annotated[str | None, typer.Option(help="posting day; default today")] = None,
    tracking: Annotated[
        Path | None, typer.Option(help="CSV piece_id,tracking_no (特定記録 numbers)")
    ] = None,
    reroutes: Annotated[
        bool, typer.Option("--reroutes", help="post the printed employer envelopes instead")
    ] = False,
) -> None:
    """差出 / Mark a wave's printed pieces posted (needed before returns can exist), or with
    --reroutes the printed employer envelopes of re-routing runs."""
    from shikaku.mail.service import MailError, do_mark_posted, do_mark_reroutes_posted

    app_ = _app(ctx)
    day = _day(posted_on, app_.clock.today())
    if reroutes:
        with app_.engine.begin() as conn:
            n = do_mark_reroutes_posted(conn, actor=SYSTEM, at=app_.clock.now())
        console.print(f"事業所あて差出 / employer pieces posted: {n:,}")
        return
    if campaign is None:
        console.print("[red]campaign name needed / キャンペーン名を指定してください[/red]")
        raise typer.Exit(2)
    cid = _campaign_id(app_, campaign)
    codes = list(wave or [])
    if all_waves:
        with app_.engine.connect() as conn:
            pending = set(unfinished_waves(conn, cid))
            from sqlalchemy import select

            from shikaku.issuance.tables import wave as wave_t

            codes += [
                c
                for c in conn.execute(
                    select(wave_t.c.code).where(wave_t.c.campaign_id == cid).order_by(wave_t.c.code)
                ).scalars()
                if c not in pending and c not in codes
            ]
    if not codes:
        console.print("[red]--wave CODE か --all を指定してください / give --wave or --all[/red]")
        raise typer.Exit(2)
    numbers = read_tracking(tracking) if tracking else None
    table = Table(title=f"差出 / posted — campaign {campaign}, {day}")
    for h in ("wave", "支部 branch", "posted now", "already", "not printed", "tracking"):
        table.add_column(h, justify="right" if h not in ("wave", "支部 branch") else "left")
    for code in codes:
        try:
            with app_.engine.begin() as conn:
                r = do_mark_posted(
                    conn,
                    actor=SYSTEM,
                    at=app_.clock.now(),
                    campaign_id=cid,
                    wave_code=code,
                    posted_on=day,
                    tracking=numbers,
                )
        except MailError as err:
            console.print(f"[red]{err}[/red]")
            raise typer.Exit(2) from err
        table.add_row(
            code,
            r.branch_code,
            f"{r.posted:,}",
            f"{r.already_posted:,}",
            f"{r.not_printed:,}",
            f"{r.tracking_set:,}",
        )
    console.print(table)


def _print_rows(rows: list[RowResult], title: str) -> None:
    table = Table(title=title)
    for h in ("line", "id", "piece", "outcome", "next / 次の対応"):
        table.add_column(h)
    for r in rows:
        if r.action is not None:
            nxt = ACTION_LABELS[r.action][0]
            if r.task is not None:
                nxt += f"（{TASK_LABELS[r.task][0]}）"
        else:
            nxt = OUTCOME_MESSAGES[r.outcome][1]
        style = "green" if r.action is not None else "yellow"
        table.add_row(str(r.line), r.ref, r.piece_id or "", f"[{style}]{r.outcome}[/]", nxt)
    console.print(table)


@app.command("scan")
def scan(
    ctx: typer.Context,
    images: Annotated[list[Path], typer.Argument(help="scanned envelopes (PNG, JPEG, TIFF…)")],
    reason: Annotated[
        str, typer.Option(help="還付事由: code, Japanese slip text or English label")
    ] = "addressee-unknown",
    returned_on: Annotated[str | None, typer.Option(help="return date; default today")] = None,
    rules: Annotated[Path | None, typer.Option(help="TOML rules file")] = None,
) -> None:
    """スキャン取込 / Read the piece-id QR code on scanned returned envelopes and record them."""
    from shikaku.mail.scan import decode_images
    from shikaku.mail.service import do_record_returns

    app_ = _app(ctx)
    today = app_.clock.today()
    items: list[ReturnInput] = []
    answers: list[RowResult] = []
    for n, res in enumerate(decode_images(list(images)), start=1):
        if res.error or not res.ids:
            why = res.error or (
                "no piece-id QR code found / 管理番号のQRコードが見つかりません"
                + (f" (other codes: {len(res.hits)})" if res.hits else "")
            )
            console.print(f"[yellow]{res.image}: {why}[/yellow]")
            continue
        for ref in res.ids:
            parsed = parse_input(
                n, ref=ref, tracking_no=None, returned_on=returned_on, reason=reason, today=today
            )
            if isinstance(parsed, RowResult):
                answers.append(parsed)
            else:
                items.append(parsed)
    if items:
        with app_.engine.begin() as conn:
            report = do_record_returns(
                conn,
                actor=SYSTEM,
                at=app_.clock.now(),
                today=today,
                items=items,
                source="scan",
                rules=_rules(rules),
                detail=True,
            )
        answers.extend(report.rows)
    _print_rows(sorted(answers, key=lambda r: r.line), "スキャン取込 / scanned returns")


@app.command("import")
def import_csv(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV: piece_id,tracking_no,returned_on,reason")],
    results: Annotated[
        Path | None, typer.Option(help="where to write line-by-line answers")
    ] = None,
    rules: Annotated[Path | None, typer.Option(help="TOML rules file")] = None,
) -> None:
    """CSV取込 / Take in returns from the post office or the scanning station. Good rows are
    applied; bad rows are reported by line with a rule id (exit status 1 when any)."""
    from shikaku.mail.intake import do_import_returns
    from shikaku.registry.feeds import FeedFileError

    app_ = _app(ctx)
    try:
        with app_.engine.begin() as conn:
            rep = do_import_returns(
                conn,
                actor=SYSTEM,
                at=app_.clock.now(),
                today=app_.clock.today(),
                path=file,
                rules=_rules(rules),
                results_path=results,
            )
    except FeedFileError as err:
        console.print(f"[red]{err}[/red]")
        raise typer.Exit(2) from err
    if rep.already_imported:
        console.print(f"{file}: 取込済み / already imported (sha256 {rep.sha256[:12]}…)")
        return
    console.print(
        f"{file}: rows {rep.rows_total:,} · 記録 recorded {rep.recorded:,} · "
        f"重複 duplicates {len(rep.duplicates):,} · エラー rejected {len(rep.rejects):,}"
    )
    for action, n in sorted(rep.by_action.items()):
        console.print(f"  {ACTION_LABELS[Action(action)][0]} / {action}: {n:,}")
    for rj in rep.rejects[:20]:
        console.print(f"  [yellow]line {rj.line}: {rj.rule_id} — {rj.message_ja} / {rj.message_en}")
    if rep.results_file:
        console.print(f"  details: {rep.results_file}")
    if rep.rejects:
        raise typer.Exit(1)


@app.command("reroute")
def reroute(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option(help="output folder for cover letters")] = (
        DEFAULT_REROUTE_OUT
    ),
    run_on: Annotated[str | None, typer.Option(help="run date; default today")] = None,
    branch: Annotated[str | None, typer.Option(help="only this branch (code)")] = None,
    font: Annotated[str | None, typer.Option(help="TrueType font for the PDFs")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            help="PostgreSQL: groups of branches planned side by side, one connection each "
            "(default 2; 1 = one transaction)",
            min=1,
        ),
    ] = None,
) -> None:
    """事業所あて再送 / Group returned pieces by employer: one envelope each, a cover letter
    (PDF) and a packing manifest. Safe to interrupt and run again."""
    from shikaku.mail.reroute import do_reroute
    from shikaku.mail.service import MailError

    app_ = _app(ctx)
    try:
        rep = do_reroute(
            app_.engine,
            app_.clock,
            actor=SYSTEM,
            out_dir=out,
            run_on=_day(run_on, app_.clock.today()),
            branch_code=branch,
            font_path=font,
            workers=workers,
        )
    except MailError as err:  # another run holds the run lock
        console.print(f"[red]{err}[/red]")
        raise typer.Exit(2) from err
    console.print(
        f"queued {rep.queued:,} → 事業所あて envelopes {rep.envelopes:,} "
        f"(pieces {rep.pieces:,}, certificates {rep.members or 0:,}); "
        f"廃棄 destroyed (left) {rep.destroyed:,}; 保留 held {rep.held:,}; "
        f"void certificates {rep.certificates_voided:,}"
    )
    console.print(
        f"files rendered {rep.files_rendered}; manifests: {[str(m) for m in rep.manifests]}"
    )
    for name, why in rep.files_failed:
        console.print(f"[red]{name}: {why}[/red]")
    if rep.files_failed:
        raise typer.Exit(1)


@app.command("reconcile")
def reconcile_cmd(
    ctx: typer.Context,
    campaign: Annotated[str | None, typer.Option(help="campaign name")] = None,
    branch: Annotated[str | None, typer.Option(help="branch code")] = None,
    deep: Annotated[bool, typer.Option(help="also check every status against its events")] = False,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="write exceptions to CSV")] = None,
) -> None:
    """台帳照合 / Prove per branch and wave: targeted = printed = posted = delivered + returned
    + in transit, and every return re-routed, held, destroyed or re-sent. Exit 1 otherwise."""
    from shikaku.mail.reconcile import reconcile

    app_ = _app(ctx)
    cid = _campaign_id(app_, campaign) if campaign else None
    started = time.perf_counter()
    with app_.engine.connect() as conn:
        rep = reconcile(conn, campaign_id=cid, branch_code=branch, deep=deep)
    print_reconciliation(rep, console)
    console.print(f"({time.perf_counter() - started:.2f} s)")
    if csv_out:
        from shikaku.mail.reports import write_csv

        write_csv(
            csv_out, ["kind", "branch_code", "wave_code", "piece_id", "detail"], rep.exceptions
        )
    if not rep.ok:
        raise typer.Exit(1)


LEDGER_COLUMNS = (
    "wave", "支部", "targeted", "enveloped", "printed", "posted", "delivered", "in transit",
    "returned", "rerouted", "held", "destroyed", "resent", "open", "employer pcs", "",
)  # fmt: skip
LEDGER_FIELDS = (
    "targeted", "enveloped", "printed", "posted", "delivered", "in_transit", "returned",
    "rerouted", "held", "destroyed", "resent", "open_returns", "employer_pieces",
)  # fmt: skip


def print_reconciliation(rep: object, out: Console) -> None:
    """The ledger table and the exceptions (shared with the demo)."""
    from shikaku.mail.reconcile import ReconcileReport

    assert isinstance(rep, ReconcileReport)
    table = Table(title="返戻郵便 台帳照合 / mail ledger")
    cols = LEDGER_COLUMNS
    for c in cols:
        table.add_column(c, justify="left" if c in ("wave", "支部", "") else "right")
    for w in rep.waves:
        if not w.envelopes and not w.targeted:
            continue
        mark = "[green]OK[/green]" if w.balanced else "[red]NG[/red]"
        table.add_row(
            w.wave_code,
            w.branch_code,
            *(f"{getattr(w, a):,}" for a in LEDGER_FIELDS),
            mark,
        )
    out.print(table)
    if rep.ok:
        out.print("[green]照合OK / ledger balanced: no exceptions[/green]")
        return
    out.print("[red]例外あり / exceptions:[/red]")
    for kind, n in sorted(rep.exception_counts.items()):
        out.print(f"  [red]{kind}: {n:,}[/red]")
    for e in rep.exceptions[:30]:
        out.print(f"    {e.branch_code} {e.wave_code} {e.piece_id} {e.detail}")


@app.command("report")
def report(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option(help="folder for CSV files and the chart")] = Path(
        "mail-reports"
    ),
    branch: Annotated[str | None, typer.Option(help="branch code")] = None,
) -> None:
    """報告 / Returns per branch per day by reason, re-routing volumes, the oldest open
    returns (CSV), and a chart (PNG)."""
    from shikaku.mail.reports import oldest_open, returns_by_day, write_reports

    app_ = _app(ctx)
    today = app_.clock.today()
    with app_.engine.connect() as conn:
        paths = write_reports(conn, out, today=today, branch_code=branch)
        days = returns_by_day(conn, branch_code=branch)
        oldest = oldest_open(conn, today=today, branch_code=branch, limit=10)
    totals: dict[str, int] = {}
    for d in days:
        totals[d.reason] = totals.get(d.reason, 0) + d.returns
    table = Table(title="返戻理由 / returns by reason")
    table.add_column("reason")
    table.add_column("還付事由")
    table.add_column("returns", justify="right")
    for info in REASONS:
        if info.code.value in totals:
            table.add_row(info.code.value, info.label_ja, f"{totals[info.code.value]:,}")
    console.print(table)
    if oldest:
        t2 = Table(title="未処理の古い返戻 / oldest open returns")
        for h in ("piece", "支部", "returned", "reason", "status", "task", "days"):
            t2.add_column(h)
        for o in oldest:
            t2.add_row(
                o.piece_id,
                o.branch_code,
                str(o.returned_on),
                o.reason,
                o.status,
                o.task or "",
                str(o.age_days),
            )
        console.print(t2)
    for name, path in paths.items():
        console.print(f"{name}: {path}")


@app.command("tasks")
def tasks(
    ctx: typer.Context,
    branch: Annotated[str | None, typer.Option(help="branch code")] = None,
    limit: Annotated[int, typer.Option(help="rows")] = 50,
) -> None:
    """支部タスク / Open tasks on held pieces, oldest first."""
    from dataclasses import replace

    from shikaku.mail.service import open_tasks

    app_ = _app(ctx)
    actor = replace(SYSTEM, branch_code=branch) if branch else SYSTEM
    with app_.engine.connect() as conn:
        rows = open_tasks(conn, actor, limit=limit)
    table = Table(title="支部タスク / open tasks")
    for h in ("id", "支部", "piece", "returned", "reason", "task"):
        table.add_column(h)
    for t in rows:
        if branch and t.branch_code != branch:
            continue
        table.add_row(
            str(t.id),
            t.branch_code,
            t.piece_id,
            str(t.returned_on),
            t.reason,
            f"{t.kind} {TASK_LABELS[t.kind][0]}",
        )
    console.print(table)


@app.command("resolve")
def resolve(
    ctx: typer.Context,
    task_id: Annotated[int, typer.Argument(help="task id")],
    resolution: Annotated[
        Resolution, typer.Argument(help="resend-home / reroute / handed-over / destroy")
    ],
    note: Annotated[str | None, typer.Option(help="note for the record")] = None,
) -> None:
    """タスク完了 / Close a task on a held piece."""
    from shikaku.mail.service import MailError, do_resolve_task

    app_ = _app(ctx)
    try:
        with app_.engine.begin() as conn:
            do_resolve_task(
                conn,
                actor=SYSTEM,
                at=app_.clock.now(),
                task_id=task_id,
                resolution=resolution,
                note=note,
            )
    except MailError as err:
        console.print(f"[red]{err}[/red]")
        raise typer.Exit(2) from err
    console.print(f"task {task_id}: {resolution.value}")


@app.command("webhook-send")
def webhook_send(
    ctx: typer.Context,
    url: Annotated[str, typer.Option(help="the branch system's endpoint")],
    secret_env: Annotated[
        str, typer.Option(help="environment variable holding the HMAC secret")
    ] = SECRET_ENV,
    branch: Annotated[str | None, typer.Option(help="only this branch's returns")] = None,
    wait: Annotated[
        float, typer.Option(help="keep retrying for up to this many seconds (0: one pass)")
    ] = 0.0,
) -> None:
    """通知送信 / POST each queued return to a branch system (HMAC-SHA256 signed), retrying
    failures with exponential back-off."""
    from shikaku.clock import JST
    from shikaku.mail.webhook import next_due, send_due

    secret = os.environ.get(secret_env)
    if not secret:
        console.print(f"[red]set {secret_env} / 環境変数 {secret_env} に秘密鍵を設定してください")
        raise typer.Exit(2)
    app_ = _app(ctx)
    deadline = time.monotonic() + wait
    total = {"sent": 0, "failed": 0, "dead": 0}
    while True:
        rep = send_due(app_.engine, app_.clock, url=url, secret=secret.encode(), branch_code=branch)
        total["sent"] += rep.sent
        total["failed"] += rep.failed
        total["dead"] += rep.dead
        due = next_due(app_.engine)
        if due is None or time.monotonic() >= deadline:
            break
        if due.tzinfo is None:
            due = due.replace(tzinfo=JST)
        pause = (due - datetime.now(JST)).total_seconds()
        pause = max(0.2, min(pause, deadline - time.monotonic(), 60.0))
        time.sleep(pause)
        if time.monotonic() >= deadline:
            break
    console.print(
        f"sent {total['sent']:,} · will retry {total['failed']:,} attempts · dead {total['dead']:,}"
    )
    if total["dead"]:
        raise typer.Exit(1)
