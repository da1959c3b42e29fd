"""Alembic environment: the engine is handed in by shikaku.db.engine.upgrade()."""

from __future__ import annotations

from alembic import context

from shikaku.db.engine import make_engine
from shikaku.db.tables import metadata

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # plain `alembic` command line: take the URL from the ini / -x option
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    engine = make_engine(url or "sqlite:///shikaku.sqlite3")

# One transaction per migration, begun and committed by Alembic: a migration that builds an
# index on a large PostgreSQL table steps out of it (shikaku.db.online) to build the index
# CONCURRENTLY, which PostgreSQL refuses inside a transaction.
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()
