"""``shikaku synth``: generate a synthetic insurer and bulk-load it, with a progress bar.

The command body is :func:`run_synth`, a plain function of an :class:`~shikaku.bootstrap.App`;
the Typer command only builds the app from ``ctx.obj`` (which must offer ``build_app()``).
"""

from __future__ import annotations

import time
from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Column as RichColumn
from rich.table import Table

from shikaku.bootstrap import App
from shikaku.domain.dates import parse_date
from shikaku.domain.errors import ValidationError
from shikaku.synth.load import LoadStats, PopulationExistsError, load
from shikaku.synth.population import DEFAULT_AS_OF, synthesize

app = typer.Typer(no_args_is_help=True)

_STAGE_LABELS = {
    "encrypt": "暗号化 / encrypt My Numbers",
    "employer": "事業所 / employer",
    "person": "加入者 / person",
    "membership": "資格 / membership",
    "my_number": "個人番号 / my_number",
    "myna_status": "マイナ保険証 / myna_status",
    "indexes": "索引・制約 / indexes, constraints",
}


def run_synth(
    app_: App,
    members: int,
    seed: int,
    as_of: date,
    replace: bool,
    console: Console,
    *,
    encrypt_workers: int = 0,
) -> LoadStats:
    """Generate ``members`` members from ``seed`` as of ``as_of`` and load them into the app's
    database, showing progress on ``console``; print and return the load statistics."""
    started = time.perf_counter()
    policy = app_.settings.policy
    columns = (
        TextColumn("{task.description}", table_column=RichColumn(min_width=34)),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        gen = bar.add_task("生成 / generate", total=None)

        def on_generate(_stage: str, done: int, total: int) -> None:
            bar.update(gen, completed=done, total=total)

        population = synthesize(members, seed, as_of, progress=on_generate)
        synth_seconds = time.perf_counter() - started
        tasks: dict[str, TaskID] = {}

        def on_load(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(_STAGE_LABELS.get(stage, stage), total=total)
            bar.update(tasks[stage], completed=done, total=total)

        stats = load(
            app_.engine,
            population,
            app_.cipher,
            progress=on_load,
            replace=replace,
            at=app_.clock.now(),
            encrypt_workers=encrypt_workers,
            name_ja=policy.insurer_name_ja,
            name_en=policy.insurer_name_en,
        )

    total = time.perf_counter() - started
    table = Table(title=f"合成データ投入 / synthetic load ({stats.dialect})")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in stats.rows.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)
    console.print(
        f"{members:,} 人 / members, seed {seed}, as of {as_of.isoformat()}: "
        f"generate {synth_seconds:.1f} s + load {stats.seconds:.1f} s = {total:.1f} s "
        f"({members / total:,.0f} members/s)"
    )
    return stats


def _parse_as_of(value: str) -> date:
    try:
        return parse_date(value, field="as_of")
    except ValidationError as err:
        raise typer.BadParameter(
            f"not a date: {value!r} / 日付として読めません (YYYY-MM-DD)"
        ) from err


@app.command("synth")
def synth_command(
    ctx: typer.Context,
    members: Annotated[int, typer.Option("--members", min=1, help="number of members")] = 50_000,
    seed: Annotated[int, typer.Option("--seed", help="random seed (same seed, same rows)")] = 2025,
    as_of: Annotated[
        str, typer.Option("--as-of", help="as-of date for ages and Myna status (YYYY-MM-DD)")
    ] = DEFAULT_AS_OF.isoformat(),
    replace: Annotated[
        bool,
        typer.Option(
            "--replace", help="delete existing members (and rows that refer to them) first"
        ),
    ] = False,
    encrypt_workers: Annotated[
        int,
        typer.Option(
            "--encrypt-workers",
            min=0,
            help="processes encrypting My Numbers while tables load (0: inline)",
        ),
    ] = 0,
) -> None:
    """合成加入者データを生成して一括投入する / Generate a synthetic insurer and bulk-load it."""
    day = _parse_as_of(as_of)
    console = Console()
    app_ = ctx.obj.build_app()
    try:
        run_synth(app_, members, seed, day, replace, console, encrypt_workers=encrypt_workers)
    except PopulationExistsError as err:
        Console(stderr=True).print(f"[red]{err}[/red]")
        raise typer.Exit(1) from err
