"""mail: returned-mail intake, re-routing to employers, branch tasks, webhook outbox

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 02:11:28.027828
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reroute_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "envelope_id",
            sa.String(length=13),
            nullable=True,
            comment="13 digits, in the cover letter QR",
        ),
        sa.Column("run_on", sa.Date(), nullable=False),
        sa.Column(
            "run_seq", sa.SmallInteger(), nullable=False, comment="1 for the day's first run, …"
        ),
        sa.Column("branch_code", sa.String(length=2), nullable=False),
        sa.Column("employer_id", sa.BigInteger(), nullable=False),
        sa.Column("pieces", sa.Integer(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=True),
        sa.Column("file_pos", sa.Integer(), nullable=True),
        sa.Column("first_page", sa.Integer(), nullable=True),
        sa.Column("last_page", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="planned", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("printed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reroute_batch")),
        sa.UniqueConstraint("envelope_id", name=op.f("uq_reroute_batch_envelope_id")),
        sa.UniqueConstraint(
            "run_on",
            "run_seq",
            "branch_code",
            "employer_id",
            name=op.f("uq_reroute_batch_run_on_run_seq_branch_code_employer_id"),
        ),
    )
    with op.batch_alter_table("reroute_batch", schema=None) as batch_op:
        batch_op.create_index("ix_reroute_batch_status", ["status", "file_name"], unique=False)

    op.create_table(
        "webhook_outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.BigInteger(), nullable=False, comment="return_event.id"),
        sa.Column("branch_code", sa.String(length=2), nullable=False),
        sa.Column(
            "payload",
            sa.Text(),
            nullable=True,
            comment="JSON, fixed at the first attempt; never a name or a My Number",
        ),
        sa.Column("status", sa.String(length=10), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_outbox")),
        sa.UniqueConstraint(
            "event_type", "subject_id", name=op.f("uq_webhook_outbox_event_type_subject_id")
        ),
    )
    with op.batch_alter_table("webhook_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_webhook_outbox_due", ["status", "next_attempt_at"], unique=False)

    op.create_table(
        "reroute_item",
        sa.Column("piece_id", sa.String(length=20), nullable=False, comment="the employer piece"),
        sa.Column("reroute_batch_id", sa.Integer(), nullable=False),
        sa.Column(
            "return_event_id",
            sa.BigInteger(),
            nullable=False,
            comment="the return it re-sends: one employer piece per return",
        ),
        sa.Column(
            "parent_piece_id", sa.String(length=20), nullable=False, comment="the returned piece"
        ),
        sa.ForeignKeyConstraint(
            ["reroute_batch_id"],
            ["reroute_batch.id"],
            name=op.f("fk_reroute_item_reroute_batch_id_reroute_batch"),
        ),
        sa.PrimaryKeyConstraint("piece_id", name=op.f("pk_reroute_item")),
        sa.UniqueConstraint("return_event_id", name=op.f("uq_reroute_item_return_event_id")),
    )
    with op.batch_alter_table("reroute_item", schema=None) as batch_op:
        batch_op.create_index("ix_reroute_item_batch", ["reroute_batch_id"], unique=False)

    op.create_table(
        "wave_posting",
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("posted_on", sa.Date(), nullable=False),
        sa.Column("pieces", sa.Integer(), nullable=False),
        sa.Column("with_tracking", sa.Integer(), server_default="0", nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(
            ["wave_id"], ["wave.id"], name=op.f("fk_wave_posting_wave_id_wave")
        ),
        sa.PrimaryKeyConstraint("wave_id", name=op.f("pk_wave_posting")),
    )
    op.create_table(
        "return_event",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("piece_id", sa.String(length=20), nullable=False),
        sa.Column(
            "trip",
            sa.SmallInteger(),
            nullable=False,
            comment="the piece's n-th journey: 1 first posting, 2 after a re-send home, …",
        ),
        sa.Column(
            "returned_on", sa.Date(), nullable=False, comment="date on the 還付 slip or of receipt"
        ),
        sa.Column(
            "reason", sa.String(length=30), nullable=False, comment="mail.reasons.Reason code"
        ),
        sa.Column(
            "action", sa.String(length=30), nullable=False, comment="mail.reasons.Action code"
        ),
        sa.Column(
            "source", sa.String(length=10), nullable=False, comment="scan / csv / web / demo"
        ),
        sa.Column("branch_code", sa.String(length=2), nullable=False),
        sa.Column("tracking_no", sa.String(length=20), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=60), nullable=False),
        sa.Column(
            "intake_ref",
            sa.String(length=40),
            nullable=False,
            comment="the intake run that recorded it",
        ),
        sa.Column("line", sa.Integer(), nullable=True, comment="line of the uploaded CSV, if any"),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["piece_id"], ["mail_piece.id"], name=op.f("fk_return_event_piece_id_mail_piece")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_event")),
        sa.UniqueConstraint("piece_id", "trip", name=op.f("uq_return_event_piece_id_trip")),
    )
    with op.batch_alter_table("return_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_return_event_branch_day", ["branch_code", "returned_on"], unique=False
        )
        batch_op.create_index("ix_return_event_intake", ["intake_ref"], unique=False)

    op.create_table(
        "branch_task",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("branch_code", sa.String(length=2), nullable=False),
        sa.Column("piece_id", sa.String(length=20), nullable=False),
        sa.Column("return_event_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "kind", sa.String(length=40), nullable=False, comment="mail.reasons.TaskKind code"
        ),
        sa.Column("status", sa.String(length=10), server_default="open", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.String(length=30), nullable=True),
        sa.Column("resolved_by", sa.String(length=60), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["piece_id"], ["mail_piece.id"], name=op.f("fk_branch_task_piece_id_mail_piece")
        ),
        sa.ForeignKeyConstraint(
            ["return_event_id"],
            ["return_event.id"],
            name=op.f("fk_branch_task_return_event_id_return_event"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_branch_task")),
        sa.UniqueConstraint(
            "return_event_id", "kind", name=op.f("uq_branch_task_return_event_id_kind")
        ),
    )
    with op.batch_alter_table("branch_task", schema=None) as batch_op:
        batch_op.create_index("ix_branch_task_open", ["branch_code", "status"], unique=False)
        batch_op.create_index("ix_branch_task_piece", ["piece_id"], unique=False)

    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.create_index("ix_certificate_piece", ["piece_id"], unique=False)

    with op.batch_alter_table("mail_piece", schema=None) as batch_op:
        batch_op.create_index("ix_mail_piece_parent", ["parent_piece_id"], unique=False)
        batch_op.create_index("ix_mail_piece_tracking_no", ["tracking_no"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mail_piece", schema=None) as batch_op:
        batch_op.drop_index("ix_mail_piece_tracking_no")
        batch_op.drop_index("ix_mail_piece_parent")

    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.drop_index("ix_certificate_piece")

    with op.batch_alter_table("branch_task", schema=None) as batch_op:
        batch_op.drop_index("ix_branch_task_piece")
        batch_op.drop_index("ix_branch_task_open")

    op.drop_table("branch_task")
    with op.batch_alter_table("return_event", schema=None) as batch_op:
        batch_op.drop_index("ix_return_event_intake")
        batch_op.drop_index("ix_return_event_branch_day")

    op.drop_table("return_event")
    op.drop_table("wave_posting")
    with op.batch_alter_table("reroute_item", schema=None) as batch_op:
        batch_op.drop_index("ix_reroute_item_batch")

    op.drop_table("reroute_item")
    with op.batch_alter_table("webhook_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_outbox_due")

    op.drop_table("webhook_outbox")
    with op.batch_alter_table("reroute_batch", schema=None) as batch_op:
        batch_op.drop_index("ix_reroute_batch_status")

    op.drop_table("reroute_batch")
