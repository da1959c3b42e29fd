"""issuance/mail: index a mail piece's batch, tracking number and parent only where it has one

Each of the three columns is empty for a large class of pieces: a home piece has no parent
piece, an employer piece (re-routing) has no print batch and no 特定記録 number until it is
posted. Their indexes held an entry for every piece all the same, which every insert paid for
(ten million home pieces nationally, up to a million employer pieces in one re-routing run).
Every query that uses them compares the column with a value, which a partial index
``WHERE col IS NOT NULL`` answers, on PostgreSQL and SQLite alike.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 12:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_mail_piece_batch", "batch_id"),
    ("ix_mail_piece_tracking_no", "tracking_no"),
    ("ix_mail_piece_parent", "parent_piece_id"),
)


def upgrade() -> None:
    for name, column in INDEXES:
        op.drop_index(name, table_name="mail_piece")
        where = sa.text(f"{column} IS NOT NULL")
        op.create_index(name, "mail_piece", [column], postgresql_where=where, sqlite_where=where)


def downgrade() -> None:
    for name, column in INDEXES:
        op.drop_index(name, table_name="mail_piece")
        op.create_index(name, "mail_piece", [column])
