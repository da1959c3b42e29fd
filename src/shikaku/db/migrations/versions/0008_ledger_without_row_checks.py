"""mail: the append-only ledgers of mail pieces carry their piece and batch ids without a
per-row foreign-key check

``mail_piece_event``, ``return_event`` and ``reroute_item`` are only ever appended to by
set-based ``INSERT … SELECT`` statements that read the piece (or envelope) they refer to in the
same transaction, and mail pieces and envelopes are never deleted. On PostgreSQL the foreign key
ran a look-up and a row lock on the referenced row for every appended row — over half the cost
of each insert into these tables. ``shikaku mail reconcile --references`` checks that every
ledger row still points at a piece or envelope (decision 0009).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 09:50:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

#: (table, column, referred table, referred column)
LEDGER_REFERENCES = (
    ("mail_piece_event", "piece_id", "mail_piece", "id"),
    ("return_event", "piece_id", "mail_piece", "id"),
    ("reroute_item", "reroute_batch_id", "reroute_batch", "id"),
)


def _name(table: str, column: str, referred: str) -> str:
    return f"fk_{table}_{column}_{referred}"


def upgrade() -> None:
    for table, column, referred, _ in LEDGER_REFERENCES:
        with op.batch_alter_table(table) as b:
            b.drop_constraint(_name(table, column, referred), type_="foreignkey")


def downgrade() -> None:
    for table, column, referred, referred_column in LEDGER_REFERENCES:
        with op.batch_alter_table(table) as b:
            b.create_foreign_key(
                _name(table, column, referred), referred, [column], [referred_column]
            )
