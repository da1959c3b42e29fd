"""Engine construction and schema migration for SQLite (embedded) and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (the eligibility API) run while a batch writes; foreign keys are off by
    # default in SQLite and we want the same integrity as PostgreSQL.
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


#: Session settings for every PostgreSQL connection. The returned-mail steps stage up to a
#: million rows in temporary tables, which live in the backend's own buffers: with the default
#: 8 MB each of their scans and updates goes through the kernel. The memory is taken only by a
#: session that uses temporary tables, and only as far as it needs it; PostgreSQL refuses to
#: change it once a session has touched one, so it is set when the connection opens.
PG_SESSION_OPTIONS = "-c temp_buffers=256MB"


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite files get WAL and foreign keys."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    connect_args = dict(kwargs.pop("connect_args", {}))
    connect_args["options"] = f"{connect_args.get('options', '')} {PG_SESSION_OPTIONS}".strip()
    return create_engine(url, connect_args=connect_args, **kwargs)


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (idempotent)."""
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


def is_migrated(engine: Engine) -> bool:
    return inspect(engine).has_table("alembic_version")
