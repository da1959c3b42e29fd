"""Composition root: the one place that builds settings, engine, clock and cipher."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from shikaku.clock import Clock, SystemClock
from shikaku.config import Settings, load_settings
from shikaku.crypto import MyNumberCipher, load_key
from shikaku.db.engine import make_engine, upgrade

DEFAULT_KEY_FILE = Path("shikaku.key")


@dataclass
class App:
    """Everything a use case needs, built once and handed in."""

    settings: Settings
    engine: Engine
    clock: Clock
    cipher: MyNumberCipher


def build(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    migrate: bool = True,
    create_key: bool = True,
) -> App:
    """Build the application; migrate the schema to head unless told not to."""
    settings = settings or load_settings()
    engine = make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    key = load_key(
        key_hex=settings.key_hex,
        key_file=settings.key_file or DEFAULT_KEY_FILE,
        create=create_key,
    )
    return App(
        settings=settings, engine=engine, clock=clock or SystemClock(), cipher=MyNumberCipher(key)
    )
