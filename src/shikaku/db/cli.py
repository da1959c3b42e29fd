"""``shikaku db …``: schema migrations."""

from __future__ import annotations

import typer

from shikaku.db.engine import make_engine, upgrade

db_app = typer.Typer(no_args_is_help=True, help="データベース / database schema")


@db_app.command("upgrade")
def upgrade_cmd(ctx: typer.Context) -> None:
    """スキーマを最新にする / Migrate the schema to the newest revision (idempotent)."""
    from shikaku.config import load_settings

    settings = load_settings(ctx.obj.config, database_url=ctx.obj.database_url)
    upgrade(make_engine(settings.database_url))
    typer.echo("schema at head / スキーマは最新です")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
