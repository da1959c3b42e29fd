"""``shikaku demo``: a working synthetic insurer in ./shikaku-demo/ in one command."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import func, select

from shikaku.actors import SYSTEM
from shikaku.bootstrap import App, build
from shikaku.config import load_settings
from shikaku.registry.repo import branch_summary
from shikaku.registry.tables import membership

console = Console()
SNAPSHOT = date(2025, 4, 30)  # registration status the 2025 mailing was targeted on
ISSUE_DATE = date(2025, 7, 1)
CAMPAIGN = "2025"
DEMO_CAPACITY = 180  # envelopes per business day: 120,000 a day scaled to 50,000 members


def _campaign(app: App, directory: Path) -> None:
    """Target, plan, and print the pilot wave and the first regular wave."""
    from shikaku.issuance.cli import print_plan
    from shikaku.issuance.plan import generate_plan, plan_chart
    from shikaku.issuance.runner import run_wave
    from shikaku.issuance.service import (
        do_create_campaign,
        do_store_plan,
        do_target_campaign,
        envelopes_by_branch,
    )

    at = app.clock.now()
    with app.engine.begin() as conn:
        cid = do_create_campaign(
            conn, actor=SYSTEM, at=at, name=CAMPAIGN, snapshot_date=SNAPSHOT, issue_date=ISSUE_DATE
        )
        report = do_target_campaign(conn, actor=SYSTEM, at=at, campaign_id=cid)
        plan = generate_plan(
            envelopes_by_branch(conn, cid), start=date(2025, 8, 1), capacity_per_day=DEMO_CAPACITY
        )
        if plan:
            do_store_plan(conn, actor=SYSTEM, at=at, campaign_id=cid, plan=plan)
    console.print(
        f"対象者 / targeted: {sum(report.by_reason.values()):,} (new this run {report.added:,})"
    )
    if not plan:  # everything already enveloped in an earlier run
        return
    print_plan(plan, CAMPAIGN)
    chart = plan_chart(plan, directory / "plan.png")
    console.print(f"発送計画の図 / plan chart: {chart}")
    for w in plan[:2]:
        r = run_wave(
            app,
            actor=SYSTEM,
            campaign_name=CAMPAIGN,
            wave_code=w.code,
            out_dir=directory / "print",
            print_date=w.post_from,
            workers=2,
        )
        console.print(
            f"wave {w.code}: {r.prepare.envelopes:,} envelopes, "
            f"{r.batches_total} files, manifest {r.manifest}"
        )


def demo(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Option("--dir", help="demo folder")] = Path("shikaku-demo"),
    members: Annotated[int, typer.Option("--members", help="synthetic members")] = 50_000,
    seed: Annotated[int, typer.Option("--seed", help="random seed")] = 2025,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="do not start the web server")
    ] = False,
) -> None:
    """デモ: 合成加入者から資格確認書の発送まで / Synthetic insurer to printed certificates.

    Creates DIR with a SQLite database and an encryption key, synthesises MEMBERS members
    (deterministic from SEED; skipped when the database already holds members), prints a
    summary per branch, targets the 2025 campaign, plans the waves, prints the pilot wave
    (島根) and the first regular wave into DIR/print/, simulates ~3% returned letters and
    re-routes them to employers, forecasts the inquiry desk's calls and staffing, then serves
    the web pages on http://127.0.0.1:8000/ (unless --no-serve). Safe to run again.
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
    _campaign(app, directory)
    from shikaku.desk.demo import demo_step as desk_step
    from shikaku.mail.demo import demo_step as mail_step

    mail_step(app, console, directory)
    desk_step(app, console, directory)
    console.print(f"データベース / database: {url}")
    app.engine.dispose()
    if no_serve:
        return
    from shikaku.eligibility.cli import serve

    ctx.obj.database_url, ctx.obj.key_file = url, directory / "shikaku.key"
    console.print(
        "Web画面を起動します（Ctrl-C で終了）/ serving the pages; Ctrl-C stops: "
        "http://127.0.0.1:8000/reception (受付 reception), http://127.0.0.1:8000/desk "
        "(問い合わせ窓口 operator desk)"
    )
    ctx.invoke(serve, ctx=ctx, database_url=url)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
