"""mail: one webhook notification per intake, branch and block of returns

A ``webhook_outbox`` row now stands for the returns with ids ``subject_id`` to
``last_subject_id`` that one intake (``intake_ref``) recorded for one branch, at most
``shikaku.mail.webhook.RETURNS_PER_NOTIFICATION`` of them (decision 0010). Rows written before
this revision stand for their one return (``last_subject_id`` = ``subject_id``).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 12:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "last_subject_id",
                sa.BigInteger(),
                nullable=True,
                comment="the block's last return_event.id",
            )
        )
        batch_op.add_column(
            sa.Column(
                "intake_ref",
                sa.String(length=40),
                nullable=True,
                comment="the intake that recorded the block's returns",
            )
        )
        batch_op.add_column(
            sa.Column(
                "returns",
                sa.Integer(),
                server_default="1",
                nullable=False,
                comment="returns in the block",
            )
        )
    op.execute("UPDATE webhook_outbox SET last_subject_id = subject_id")


def downgrade() -> None:
    with op.batch_alter_table("webhook_outbox", schema=None) as batch_op:
        batch_op.drop_column("returns")
        batch_op.drop_column("intake_ref")
        batch_op.drop_column("last_subject_id")
