"""Wires every feature's Typer sub-app and top-level commands into the main CLI."""

from __future__ import annotations

import importlib
import logging

import typer

log = logging.getLogger(__name__)

# (module, attribute, name, help) of sub-apps.
SUB_APPS: tuple[tuple[str, str, str, str], ...] = (
    ("shikaku.registry.cli", "app", "registry", "加入者台帳 / member registry"),
    ("shikaku.desk.cli", "app", "desk", "問い合わせ窓口 / inquiry desk"),
    ("shikaku.issuance.cli", "app", "campaign", "資格確認書の一斉送付 / certificate mailing"),
    ("shikaku.mail.cli", "app", "mail", "返戻郵便 / returned mail"),
    ("shikaku.eligibility.cli", "clients_app", "clients", "照会クライアント / eligibility clients"),
    ("shikaku.eligibility.cli", "audit_app", "audit", "照会監査ログ / eligibility audit log"),
)
COMMAND_MODULES: tuple[str, ...] = (
    "shikaku.demo",
    "shikaku.synth.cli",
    "shikaku.db.cli",
    "shikaku.eligibility.cli",
)


def register(app: typer.Typer) -> None:
    for module_name, attr, name, help_text in SUB_APPS:
        module = importlib.import_module(module_name)
        app.add_typer(getattr(module, attr), name=name, help=help_text)
    for module_name in COMMAND_MODULES:
        module = importlib.import_module(module_name)
        if hasattr(module, "register"):
            module.register(app)
        else:  # a Typer app whose commands become top-level commands
            app.registered_commands.extend(module.app.registered_commands)
