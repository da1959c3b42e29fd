"""``shikaku campaign …``: target, plan, print and track 資格確認書 mailings."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from shikaku.actors import SYSTEM
from shikaku.issuance import status as status_mod
from shikaku.issuance.plan import (
    DEFAULT_CAPACITY,
    DEFAULT_CUTOFF,
    PILOT_BRANCH,
    PILOT_DATE,
    PlanError,
    WavePlan,
    generate_plan,
    load_schedule,
    plan_chart,
)
from shikaku.issuance.prepare import WaveError
from shikaku.issuance.runner import RunReport, run_waves
from shikaku.issuance.service import (
    IssuanceError,
    do_create_campaign,
    do_store_plan,
    do_target_campaign,
    envelopes_by_branch,
    get_campaign,
    unfinished_waves,
)

app = typer.Typer(no_args_is_help=True)
console = Console()
DEFAULT_OUT = Path("print")


def _day(value: str | None, default: date) -> date:
    return date.fromisoformat(value) if value else default


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="campaign name, e.g. 2025")],
    snapshot: Annotated[str, typer.Option(help="registration status as of (YYYY-MM-DD)")] = (
        "2025-04-30"
    ),
    issue_date: Annotated[str, typer.Option(help="交付年月日 printed on certificates")] = (
        "2025-07-01"
    ),
) -> None:
    """キャンペーンを作り対象者を抽出 / Create a campaign and target everyone who needs a
    certificate on the snapshot date (re-running adds only new targets)."""
    app_ = ctx.obj.build_app()
    with app_.engine.begin() as conn:
        cid = do_create_campaign(
            conn,
            actor=SYSTEM,
            at=app_.clock.now(),
            name=name,
            snapshot_date=date.fromisoformat(snapshot),
            issue_date=date.fromisoformat(issue_date),
        )
        report = do_target_campaign(conn, actor=SYSTEM, at=app_.clock.now(), campaign_id=cid)
    table = Table(title=f"対象者 / targets — campaign {name}")
    table.add_column("理由 reason")
    table.add_column("人数 people", justify="right")
    for code, n in sorted(report.by_reason.items(), key=lambda kv: -kv[1]):
        table.add_row(code, f"{n:,}")
    table.add_row("計 total", f"{sum(report.by_reason.values()):,}", style="bold")
    console.print(table)
    console.print(f"新規 added {report.added:,} · 保留 held {report.held:,}")


@app.command("plan")
def plan(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="campaign name")],
    schedule: Annotated[Path | None, typer.Option(help="TOML/YAML file of branch windows")] = None,
    capacity: Annotated[int, typer.Option(help="envelopes per business day")] = DEFAULT_CAPACITY,
    start: Annotated[str | None, typer.Option(help="first posting day after the pilot")] = None,
    pilot_branch: Annotated[str, typer.Option(help="pilot branch code")] = PILOT_BRANCH,
    pilot_date: Annotated[str | None, typer.Option(help="pilot posting day")] = None,
    chart: Annotated[Path | None, typer.Option(help="PNG/SVG chart of letters per day")] = None,
) -> None:
    """発送計画 / Plan waves per branch (from a schedule file or from capacity)."""
    app_ = ctx.obj.build_app()
    try:
        with app_.engine.begin() as conn:
            cid = int(get_campaign(conn, name)["id"])  # type: ignore[call-overload]
            counts = envelopes_by_branch(conn, cid)
            if schedule:
                waves = load_schedule(schedule, counts)
            else:
                pd = _day(pilot_date, PILOT_DATE)
                waves = generate_plan(
                    counts,
                    start=_day(start, date(2025, 8, 1)),
                    capacity_per_day=capacity,
                    pilot_branch=pilot_branch,
                    pilot_date=pd,
                    cutoff=DEFAULT_CUTOFF,
                )
            do_store_plan(conn, actor=SYSTEM, at=app_.clock.now(), campaign_id=cid, plan=waves)
    except (PlanError, IssuanceError) as err:
        console.print(f"[red]{err}[/red]")
        raise typer.Exit(2) from err
    print_plan(waves, name)
    if chart:
        console.print(f"chart: {plan_chart(waves, chart)}")


def print_plan(waves: list[WavePlan], name: str) -> None:
    table = Table(title=f"発送計画 / wave plan — campaign {name}")
    for h in ("wave", "支部 branch", "from", "to", "通数 envelopes"):
        table.add_column(h, justify="right" if h.startswith("通") else "left")
    for w in waves:
        table.add_row(
            w.code + (" (pilot)" if w.pilot else ""),
            w.branch_code,
            str(w.post_from),
            str(w.post_to),
            f"{w.envelopes:,}",
        )
    console.print(table)


@app.command("run")
def run(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="campaign name")],
    wave: Annotated[
        list[str] | None, typer.Option("--wave", help="wave code, e.g. P32 or W13 (repeatable)")
    ] = None,
    all_waves: Annotated[bool, typer.Option("--all", help="every wave not printed yet")] = False,
    out: Annotated[Path, typer.Option(help="output folder for print files")] = DEFAULT_OUT,
    workers: Annotated[int, typer.Option(help="local worker processes")] = 2,
    cluster: Annotated[str | None, typer.Option(help="Dask scheduler, tcp://HOST:PORT")] = None,
    print_date: Annotated[str | None, typer.Option(help="print day; default today")] = None,
    batch_size: Annotated[
        int, typer.Option(help="envelopes per PDF file (max 1000)", min=1, max=1000)
    ] = 1000,
) -> None:
    """印刷データ作成 / Prepare and render waves into print-ready PDF batches plus manifests.

    Safe to interrupt: running the same command again finishes the wave with every envelope
    exactly once. Several waves share one pool of workers."""
    app_ = ctx.obj.build_app()
    with app_.engine.connect() as conn:
        try:
            cid = int(get_campaign(conn, name)["id"])  # type: ignore[call-overload]
        except IssuanceError as err:
            console.print(f"[red]{err}[/red]")
            raise typer.Exit(2) from err
        codes = list(wave or [])
        if all_waves:
            codes += [c for c in unfinished_waves(conn, cid) if c not in codes]
    if not codes:
        console.print("[red]--wave か --all を指定してください / give --wave CODE or --all[/red]")
        raise typer.Exit(2)
    reports: list[RunReport] = []
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]} envelopes/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as bar:
        label = f"wave {codes[0]}" if len(codes) == 1 else f"{len(codes)} waves"
        task = bar.add_task(label, total=None, rate="–")

        def progress(advance: int, add_total: int) -> None:
            t = bar.tasks[task]
            bar.update(task, total=(t.total or 0) + add_total, advance=advance)
            if t.elapsed:
                bar.update(task, rate=f"{t.completed / t.elapsed:,.0f}")

        def finished(report: RunReport) -> None:
            reports.append(report)
            _say(bar.console, report)

        try:
            run_waves(
                app_,
                actor=SYSTEM,
                campaign_name=name,
                wave_codes=codes,
                out_dir=out,
                print_date=_day(print_date, app_.clock.today()),
                workers=workers,
                cluster=cluster,
                progress=progress,
                batch_size=batch_size,
                on_report=finished,
            )
        except (IssuanceError, WaveError) as err:
            console.print(f"[red]{err}[/red]")
            raise typer.Exit(2) from err
    if any(r.failed for r in reports):
        raise typer.Exit(1)


def _say(out: Console, report: RunReport) -> None:
    """One finished wave's summary (printed above the progress bar)."""
    code, p = report.wave_code, report.prepare
    if p.dropped_left:
        out.print(
            f"wave {code}: 資格喪失のため除外 / dropped, left the insurer since the snapshot: "
            f"{p.dropped_left:,}"
        )
    if p.held_envelopes:
        out.print(
            f"[yellow]wave {code}: 保留 / held back for branch staff: {p.held_envelopes:,} "
            f"envelopes (see exceptions.csv)[/yellow]"
        )
        for key, rule, msg in p.exceptions[:5]:
            out.print(f"  {key} {rule}: {msg}")
    out.print(
        f"wave {code}: batches {report.batches_total} (rendered "
        f"{report.batches_rendered}, already done {report.batches_skipped}) · pages "
        f"{report.pages_rendered:,} · manifest {report.manifest}"
    )
    for batch_id, problems in report.failed:
        out.print(f"[red]batch {batch_id} failed preflight: {'; '.join(problems)}[/red]")


@app.command("status")
def status(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="campaign name")],
) -> None:
    """進捗 / Per branch: targeted, printed, posted, returned, re-routed, pending."""
    app_ = ctx.obj.build_app()
    with app_.engine.connect() as conn:
        cid = int(get_campaign(conn, name)["id"])  # type: ignore[call-overload]
        rows = status_mod.campaign_status(conn, cid)
    table = Table(title=f"進捗 / status — campaign {name}")
    cols = status_mod.STATUS_COLUMNS
    table.add_column("支部 branch")
    for c in cols:
        table.add_column(c, justify="right")
    for r in rows:
        table.add_row(r.branch_code, *[f"{getattr(r, c):,}" for c in cols])
    console.print(table)
