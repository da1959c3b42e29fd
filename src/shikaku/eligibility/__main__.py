"""``python -m shikaku.eligibility serve|clients|audit``: the eligibility commands on their own,
with the same global options as ``shikaku`` (useful for a serving host that runs nothing else)."""

from __future__ import annotations

import typer

from shikaku.cli import main_options
from shikaku.eligibility.cli import audit_app, clients_app, register


def make_app() -> typer.Typer:
    app = typer.Typer(name="shikaku-eligibility", no_args_is_help=True, callback=main_options)
    app.add_typer(clients_app, name="clients", help="照会クライアント / eligibility clients")
    app.add_typer(audit_app, name="audit", help="照会監査ログ / eligibility audit log")
    register(app)
    return app


if __name__ == "__main__":
    make_app()()
