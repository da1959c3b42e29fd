"""desk: the inquiry log

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 03:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inquiry",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), nullable=False, comment="when the contact happened"
        ),
        sa.Column("day", sa.Date(), nullable=False, comment="date of the contact in Japan (JST)"),
        sa.Column(
            "hour", sa.SmallInteger(), nullable=False, comment="hour of the contact in Japan (JST)"
        ),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("operator", sa.String(length=60), nullable=False),
        sa.Column(
            "channel", sa.String(length=10), nullable=False, comment="phone / mail / web / counter"
        ),
        sa.Column(
            "language",
            sa.String(length=10),
            nullable=False,
            comment="configured language code served",
        ),
        sa.Column(
            "requested_language",
            sa.String(length=20),
            nullable=True,
            comment="code asked for when it fell back to ja",
        ),
        sa.Column(
            "caller_type",
            sa.String(length=10),
            nullable=False,
            comment="member / employer / clinic / other",
        ),
        sa.Column(
            "category", sa.String(length=40), nullable=False, comment="FAQ category or 'other'"
        ),
        sa.Column(
            "faq_entry_id",
            sa.String(length=60),
            nullable=True,
            comment="FAQ entry the answer came from",
        ),
        sa.Column("insurer_number", sa.String(length=8), nullable=True),
        sa.Column("symbol", sa.String(length=8), nullable=True, comment="記号"),
        sa.Column(
            "number", sa.String(length=8), nullable=True, comment="番号 without leading zeros"
        ),
        sa.Column("branch_no", sa.String(length=2), nullable=True, comment="枝番"),
        sa.Column("membership_id", sa.BigInteger(), nullable=True),
        sa.Column("branch_code", sa.String(length=2), nullable=True),
        sa.Column("interpreter_used", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("follow_up", sa.Text(), nullable=True),
        sa.Column("follow_up_due", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "caller_type in ('member', 'employer', 'clinic', 'other')",
            name=op.f("ck_inquiry_caller_type_code"),
        ),
        sa.CheckConstraint(
            "channel in ('phone', 'mail', 'web', 'counter')", name=op.f("ck_inquiry_channel_code")
        ),
        sa.ForeignKeyConstraint(
            ["membership_id"], ["membership.id"], name=op.f("fk_inquiry_membership_id_membership")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inquiry")),
    )
    with op.batch_alter_table("inquiry", schema=None) as batch_op:
        batch_op.create_index("ix_inquiry_category_day", ["category", "day"], unique=False)
        batch_op.create_index("ix_inquiry_day", ["day"], unique=False)
        batch_op.create_index("ix_inquiry_faq_entry", ["faq_entry_id"], unique=False)
        batch_op.create_index("ix_inquiry_follow_up_due", ["follow_up_due"], unique=False)
        batch_op.create_index("ix_inquiry_language_day", ["language", "day"], unique=False)
        batch_op.create_index("ix_inquiry_membership", ["membership_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inquiry", schema=None) as batch_op:
        batch_op.drop_index("ix_inquiry_membership")
        batch_op.drop_index("ix_inquiry_language_day")
        batch_op.drop_index("ix_inquiry_follow_up_due")
        batch_op.drop_index("ix_inquiry_faq_entry")
        batch_op.drop_index("ix_inquiry_day")
        batch_op.drop_index("ix_inquiry_category_day")

    op.drop_table("inquiry")
