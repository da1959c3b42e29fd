"""issuance

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 00:06:54.959413
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "campaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("snapshot_date", sa.Date(), nullable=False, comment="registration status as of"),
        sa.Column(
            "issue_date", sa.Date(), nullable=False, comment="交付年月日 printed on certificates"
        ),
        sa.Column(
            "valid_to", sa.Date(), nullable=False, comment="shared expiry of the issue window"
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign")),
        sa.UniqueConstraint("name", name=op.f("uq_campaign_name")),
    )
    op.create_table(
        "wave",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("branch_code", sa.String(length=2), nullable=False),
        sa.Column("post_from", sa.Date(), nullable=False),
        sa.Column("post_to", sa.Date(), nullable=False),
        sa.Column("pilot", sa.Integer(), server_default="0", nullable=False),
        sa.Column("status", sa.String(length=20), server_default="planned", nullable=False),
        sa.Column("prepared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["branch_code"], ["branch.code"], name=op.f("fk_wave_branch_code_branch")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_wave_campaign_id_campaign")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wave")),
        sa.UniqueConstraint(
            "campaign_id", "branch_code", name=op.f("uq_wave_campaign_id_branch_code")
        ),
        sa.UniqueConstraint("campaign_id", "code", name=op.f("uq_wave_campaign_id_code")),
    )
    op.create_table(
        "issuance_exception",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("branch_code", sa.String(length=2), nullable=False),
        sa.Column("member_key", sa.String(length=40), nullable=False, comment="記号・番号・枝番"),
        sa.Column("rule_id", sa.String(length=60), nullable=False),
        sa.Column("message_ja", sa.Text(), nullable=False),
        sa.Column("message_en", sa.Text(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_issuance_exception_campaign_id_campaign"),
        ),
        sa.ForeignKeyConstraint(
            ["wave_id"], ["wave.id"], name=op.f("fk_issuance_exception_wave_id_wave")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issuance_exception")),
        sa.UniqueConstraint(
            "campaign_id",
            "person_id",
            "rule_id",
            name=op.f("uq_issuance_exception_campaign_id_person_id_rule_id"),
        ),
    )
    op.create_table(
        "print_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("pieces", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column("rendered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["wave_id"], ["wave.id"], name=op.f("fk_print_batch_wave_id_wave")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_print_batch")),
        sa.UniqueConstraint("wave_id", "seq", name=op.f("uq_print_batch_wave_id_seq")),
    )
    op.create_table(
        "certificate",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("membership_id", sa.BigInteger(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("piece_id", sa.String(length=20), nullable=True),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.String(length=20),
            server_default="active",
            nullable=False,
            comment="active / void",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_certificate_campaign_id_campaign")
        ),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["membership.id"],
            name=op.f("fk_certificate_membership_id_membership"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_certificate_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate")),
        sa.UniqueConstraint(
            "campaign_id", "person_id", name=op.f("uq_certificate_campaign_id_person_id")
        ),
    )
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.create_index("ix_certificate_person", ["person_id"], unique=False)

    op.create_table(
        "mail_piece",
        sa.Column(
            "id", sa.String(length=20), nullable=False, comment="piece id printed in the QR code"
        ),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("batch_pos", sa.Integer(), nullable=True, comment="order inside the batch file"),
        sa.Column("first_page", sa.Integer(), nullable=True),
        sa.Column("last_page", sa.Integer(), nullable=True),
        sa.Column("insured_person_id", sa.BigInteger(), nullable=False),
        sa.Column("employer_id", sa.BigInteger(), nullable=False),
        sa.Column("branch_code", sa.String(length=2), nullable=False),
        sa.Column("route", sa.String(length=10), server_default="home", nullable=False),
        sa.Column("postal_code", sa.String(length=7), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column(
            "tracking_no",
            sa.String(length=20),
            nullable=True,
            comment="特定記録 number, filled at posting",
        ),
        sa.Column("status", sa.String(length=20), server_default="planned", nullable=False),
        sa.Column(
            "parent_piece_id",
            sa.String(length=20),
            nullable=True,
            comment="the returned piece this one re-sends",
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["print_batch.id"], name=op.f("fk_mail_piece_batch_id_print_batch")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_mail_piece_campaign_id_campaign")
        ),
        sa.ForeignKeyConstraint(["wave_id"], ["wave.id"], name=op.f("fk_mail_piece_wave_id_wave")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_piece")),
    )
    with op.batch_alter_table("mail_piece", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mail_piece_branch_status", ["branch_code", "status"], unique=False
        )
        batch_op.create_index("ix_mail_piece_wave_status", ["wave_id", "status"], unique=False)

    op.create_table(
        "target",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("membership_id", sa.BigInteger(), nullable=False),
        sa.Column("insured_person_id", sa.BigInteger(), nullable=False),
        sa.Column("employer_id", sa.BigInteger(), nullable=False),
        sa.Column("branch_code", sa.String(length=2), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("cap_reason", sa.String(length=20), server_default="window", nullable=False),
        sa.Column(
            "status",
            sa.String(length=20),
            server_default="targeted",
            nullable=False,
            comment="targeted / enveloped / dropped-left / held",
        ),
        sa.Column("piece_id", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_target_campaign_id_campaign")
        ),
        sa.ForeignKeyConstraint(
            ["membership_id"], ["membership.id"], name=op.f("fk_target_membership_id_membership")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_target_person_id_person")
        ),
        sa.PrimaryKeyConstraint("campaign_id", "person_id", name=op.f("pk_target")),
    )
    with op.batch_alter_table("target", schema=None) as batch_op:
        batch_op.create_index("ix_target_branch", ["campaign_id", "branch_code"], unique=False)
        batch_op.create_index(
            "ix_target_insured", ["campaign_id", "insured_person_id"], unique=False
        )

    op.create_table(
        "mail_piece_event",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("piece_id", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=60), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["piece_id"], ["mail_piece.id"], name=op.f("fk_mail_piece_event_piece_id_mail_piece")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_piece_event")),
    )
    with op.batch_alter_table("mail_piece_event", schema=None) as batch_op:
        batch_op.create_index("ix_mail_piece_event_piece", ["piece_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("mail_piece_event", schema=None) as batch_op:
        batch_op.drop_index("ix_mail_piece_event_piece")

    op.drop_table("mail_piece_event")
    with op.batch_alter_table("target", schema=None) as batch_op:
        batch_op.drop_index("ix_target_insured")
        batch_op.drop_index("ix_target_branch")

    op.drop_table("target")
    with op.batch_alter_table("mail_piece", schema=None) as batch_op:
        batch_op.drop_index("ix_mail_piece_wave_status")
        batch_op.drop_index("ix_mail_piece_branch_status")

    op.drop_table("mail_piece")
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.drop_index("ix_certificate_person")

    op.drop_table("certificate")
    op.drop_table("print_batch")
    op.drop_table("issuance_exception")
    op.drop_table("wave")
    op.drop_table("campaign")
