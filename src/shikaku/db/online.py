"""Index changes a migration can make on a live PostgreSQL registry without blocking writes.

A plain ``CREATE INDEX`` holds a lock that makes every insert and update of the table wait for
the whole build: about a minute for an index on 40 million people, longer for memberships. On
PostgreSQL these helpers build and drop indexes ``CONCURRENTLY`` instead, in an autocommit
block outside the migration's transaction (PostgreSQL refuses them inside one). On SQLite,
which has no such mode, and for small tables it makes no difference, they do the plain thing.

An interrupted concurrent build leaves an INVALID index behind, which the planner ignores but
every write still maintains; ``IF NOT EXISTS`` would then keep it. :func:`create_index` drops
such a leftover first, so running the migration again finishes the job. Everything is written
to be run again after a failure halfway (each step is ``IF [NOT] EXISTS``), because the steps
commit one by one.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def index_valid(name: str) -> bool | None:
    """PostgreSQL: True/False for a valid/invalid index of that name, None if there is none."""
    row = (
        op.get_bind()
        .execute(
            text("SELECT i.indisvalid FROM pg_index i WHERE i.indexrelid = to_regclass(:name)"),
            {"name": name},
        )
        .first()
    )
    return None if row is None else bool(row[0])


def create_index(name: str, table: str, columns: Sequence[str]) -> None:
    """``CREATE INDEX`` (PostgreSQL: ``CONCURRENTLY``, after dropping an invalid leftover)."""
    if not _postgres():
        op.create_index(name, table, list(columns))
        return
    with op.get_context().autocommit_block():
        if index_valid(name) is False:
            op.drop_index(name, table_name=table, postgresql_concurrently=True, if_exists=True)
        op.create_index(
            name, table, list(columns), postgresql_concurrently=True, if_not_exists=True
        )


def drop_index(name: str, table: str) -> None:
    """``DROP INDEX`` (PostgreSQL: ``CONCURRENTLY``, which does not wait with every reader and
    writer of the table queued behind it)."""
    if not _postgres():
        op.drop_index(name, table_name=table)
        return
    with op.get_context().autocommit_block():
        op.drop_index(name, table_name=table, postgresql_concurrently=True, if_exists=True)


def replace_index(name: str, table: str, columns: Sequence[str]) -> None:
    """Rebuild index *name* on other columns. PostgreSQL: build the new one under a temporary
    name, drop the old one, rename (each concurrent or brief), so the table keeps an index
    all along; elsewhere drop and create."""
    if not _postgres():
        op.drop_index(name, table_name=table)
        op.create_index(name, table, list(columns))
        return
    temporary = f"{name}_new"
    # a leftover of a run stopped halfway may have other columns (an upgrade's, when this is
    # the downgrade): build it afresh
    drop_index(temporary, table)
    create_index(temporary, table, columns)
    drop_index(name, table)
    with op.get_context().autocommit_block():
        op.execute(f'ALTER INDEX IF EXISTS "{temporary}" RENAME TO "{name}"')
