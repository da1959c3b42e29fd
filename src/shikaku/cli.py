"""The ``shikaku`` command line. Feature CLIs are Typer sub-apps mounted here."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from shikaku.bootstrap import App, build
from shikaku.config import load_settings

console = Console()
err_console = Console(stderr=True)

app = typer.Typer(
    name="shikaku",
    help="資格確認書の発行・返戻郵便・オンライン資格確認・問い合わせ窓口 / "
    "Run the switch to the My Number insurance card: registry, certificates, returned mail, "
    "eligibility checks and the inquiry desk.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)


@dataclass
class CliContext:
    """Global options, and a lazily built application (the composition root runs once)."""

    database_url: str | None = None
    config: Path | None = None
    key_file: Path | None = None
    _app: App | None = field(default=None, repr=False)

    def build_app(self) -> App:
        if self._app is None:
            settings = load_settings(self.config, database_url=self.database_url)
            if self.key_file is not None:
                from dataclasses import replace

                settings = replace(settings, key_file=self.key_file)
            self._app = build(settings)
        return self._app


@app.callback()
def main_options(
    ctx: typer.Context,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            envvar="SHIKAKU_DATABASE_URL",
            help="SQLAlchemy URL; default: SQLite file ./shikaku.sqlite3",
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", envvar="SHIKAKU_CONFIG", help="TOML file with [policy] overrides"),
    ] = None,
    key_file: Annotated[
        Path | None,
        typer.Option(
            "--key-file",
            envvar="SHIKAKU_KEY_FILE",
            help="My Number encryption key file (created if missing)",
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="debug logging")] = False,
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    ctx.obj = CliContext(database_url=database_url, config=config, key_file=key_file)


def _mount() -> None:
    from shikaku.commands import register

    register(app)


def main() -> None:
    _mount()
    app()
