"""``shikaku registry …``: feed imports and summaries."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from shikaku.actors import SYSTEM
from shikaku.registry.feeds import FeedFileError, do_import_myna_status
from shikaku.registry.repo import BranchSummary, branch_summary

app = typer.Typer(no_args_is_help=True)
console = Console()


@app.command("import-myna-status")
def import_myna_status(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            help="monthly registration-status CSV (UTF-8 or Shift_JIS)",
        ),
    ],
    reject_file: Annotated[Path | None, typer.Option(help="where to write rejected rows")] = None,
) -> None:
    """マイナ保険証の登録状況ファイルを取り込む / Import the monthly Myna-status feed.

    Valid rows are applied in one transaction; invalid rows go to FILE.rejects.csv with line,
    field, rule id and message. Importing the same file again changes nothing.
    """
    app_ = ctx.obj.build_app()
    try:
        with app_.engine.begin() as conn:
            report = do_import_myna_status(
                conn,
                actor=SYSTEM,
                at=app_.clock.now(),
                path=file,
                cipher=app_.cipher,
                reject_path=reject_file,
            )
    except FeedFileError as err:
        console.print(f"[red]{err}[/red]")
        raise typer.Exit(2) from err
    if report.already_imported:
        console.print(
            f"{file}: 取込済みのため変更なし / already imported (sha256 "
            f"{report.sha256[:12]}…), nothing changed"
        )
        return
    console.print(
        f"{file}: 行 rows {report.rows_total:,} · 反映 applied {report.applied:,} · "
        f"変更なし unchanged {report.unchanged:,} · 不備 rejected {len(report.rejects):,}"
    )
    if report.rejects:
        for rj in report.rejects[:10]:
            console.print(
                f"  {file.name}:{rj.line} [{rj.field}] {rj.rule_id}: "
                f"{rj.message_ja} / {rj.message_en}"
            )
        if len(report.rejects) > 10:
            console.print(f"  … {len(report.rejects) - 10:,} more")
        console.print(f"不備一覧 / reject file: {report.reject_file}")
        raise typer.Exit(1)


def summary_table(rows: list[BranchSummary], on: date) -> Table:
    table = Table(
        title=f"支部別加入者 / members by branch ({on.isoformat()})",
        caption="加入者 members · 被保険者 insured · 被扶養者 dependants · "
        "マイナ保険証 Myna card usable · 要確認書 needs a certificate",
    )
    table.add_column("支部", no_wrap=True)
    for header in ("加入者", "被保険者", "被扶養者", "マイナ保険証", "要確認書", "%"):
        table.add_column(header, justify="right", no_wrap=True)
    totals = [0, 0, 0, 0, 0]
    for r in rows:
        vals = [r.members, r.insured, r.dependants, r.myna_registered, r.needing_certificate]
        totals = [a + b for a, b in zip(totals, vals, strict=True)]
        share = 100 * r.needing_certificate / r.members if r.members else 0.0
        table.add_row(f"{r.code} {r.name_ja}", *[f"{v:,}" for v in vals], f"{share:.1f}")
    share = 100 * totals[4] / totals[0] if totals[0] else 0.0
    table.add_row("計 total", *[f"{v:,}" for v in totals], f"{share:.1f}", style="bold")
    return table


@app.command("summary")
def summary(
    ctx: typer.Context,
    on: Annotated[str | None, typer.Option(help="date (YYYY-MM-DD); default today")] = None,
) -> None:
    """支部別の加入者数と資格確認書の対象者数 / Members and certificate needs per branch."""
    app_ = ctx.obj.build_app()
    day = date.fromisoformat(on) if on else app_.clock.today()
    with app_.engine.connect() as conn:
        rows = branch_summary(conn, day, grace_months=app_.settings.policy.myna_grace_months)
    console.print(summary_table(rows, day))
