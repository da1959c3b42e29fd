"""``shikaku demo``: a working synthetic insurer in ./shikaku-demo/ in one command."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import func, select

from shikaku.bootstrap import build
from shikaku.config import load_settings
from shikaku.registry.repo import branch_summary
from shikaku.registry.tables import membership

console = Console()
SNAPSHOT = date(2025, 4, 30)  # registration status the 2025 mailing was targeted on


def demo(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Option("--dir", help="demo folder")] = Path("shikaku-demo"),
    members: Annotated[int, typer.Option("--members", help="synthetic members")] = 50_000,
    seed: Annotated[int, typer.Option("--seed", help="random seed")] = 2025,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="do not start the web server")
    ] = False,
) -> None:
    """デモ: 合成加入者を作り支部別の集計を表示 / Build a synthetic insurer and show a summary.

    Creates DIR with a SQLite database and an encryption key, synthesises MEMBERS members
    (deterministic from SEED; skipped when the database already holds members) and prints
    members, insured, dependants, Myna-registered and certificate needs per branch.
    """
    from shikaku.synth.cli import run_synth

    directory.mkdir(parents=True, exist_ok=True)
    url = ctx.obj.database_url or f"sqlite:///{directory / 'shikaku.sqlite3'}"
    settings = replace(
        load_settings(ctx.obj.config, database_url=url), key_file=directory / "shikaku.key"
    )
    app = build(settings)
    with app.engine.connect() as conn:
        existing = conn.execute(select(func.count()).select_from(membership)).scalar_one()
    if existing:
        console.print(
            f"{directory}: {existing:,} 件の資格が既にあります / already populated — "
            "合成をスキップ / skipping synthesis"
        )
    else:
        run_synth(app, members=members, seed=seed, as_of=SNAPSHOT, replace=False, console=console)
    with app.engine.connect() as conn:
        rows = branch_summary(conn, SNAPSHOT, grace_months=settings.policy.myna_grace_months)
    from shikaku.registry.cli import summary_table

    console.print(summary_table(rows, SNAPSHOT))
    console.print(f"データベース / database: {url}")
    if not no_serve:
        console.print("web pages are not part of this version yet / Web画面は未実装です")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
