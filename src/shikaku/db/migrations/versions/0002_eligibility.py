"""eligibility: clinic clients, the hash-chained audit log (append-only), symbol-less index

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 00:05:21.680934
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_SQLITE_TRIGGERS = (
    """CREATE TRIGGER eligibility_audit_no_update BEFORE UPDATE ON eligibility_audit
    BEGIN SELECT RAISE(ABORT, 'eligibility_audit is append-only'); END""",
    """CREATE TRIGGER eligibility_audit_no_delete BEFORE DELETE ON eligibility_audit
    BEGIN SELECT RAISE(ABORT, 'eligibility_audit is append-only'); END""",
)
_PG_TRIGGERS = (
    """CREATE FUNCTION eligibility_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'eligibility_audit is append-only'; END $$""",
    """CREATE TRIGGER eligibility_audit_append_only BEFORE UPDATE OR DELETE
    ON eligibility_audit FOR EACH ROW EXECUTE FUNCTION eligibility_audit_append_only()""",
)


def upgrade() -> None:
    op.create_table(
        "eligibility_audit",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, comment="UTC"),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("institution_code", sa.String(length=10), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("request_id", sa.String(length=32), nullable=False),
        sa.Column(
            "membership_id",
            sa.BigInteger(),
            nullable=True,
            comment="the member answered about; NULL if none",
        ),
        sa.Column("service_date", sa.Date(), nullable=True),
        sa.Column(
            "validity",
            sa.SmallInteger(),
            nullable=True,
            comment="OQSCD006; NULL when the query was refused",
        ),
        sa.Column("document_kind", sa.String(length=12), nullable=True),
        sa.Column("document_rule", sa.String(length=40), nullable=True),
        sa.Column("acceptable", sa.Boolean(), nullable=True),
        sa.Column(
            "outcome", sa.String(length=40), nullable=False, comment="ok or the validation rule id"
        ),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_eligibility_audit")),
        comment="append-only, hash-chained; never a name, a birth date or a My Number",
    )
    op.create_table(
        "eligibility_client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "institution_code",
            sa.String(length=10),
            nullable=False,
            comment="医療機関コード, 10 digits",
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "key_prefix",
            sa.String(length=16),
            nullable=False,
            comment="first characters, for display",
        ),
        sa.Column(
            "key_hash", sa.String(length=64), nullable=False, comment="sha256 of the API key"
        ),
        sa.Column("scopes", sa.String(length=100), nullable=False, comment="space-separated"),
        sa.Column("rate_per_second", sa.Integer(), server_default="20", nullable=False),
        sa.Column("burst", sa.Integer(), server_default="40", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eligibility_client")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_eligibility_client_key_hash")),
    )
    with op.batch_alter_table("eligibility_client", schema=None) as batch_op:
        batch_op.create_index(
            "ix_eligibility_client_institution", ["institution_code"], unique=False
        )

    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.create_index(
            "ix_membership_branch_number", ["branch_code", "number", "branch_no"], unique=False
        )

    triggers = _SQLITE_TRIGGERS if op.get_context().dialect.name == "sqlite" else _PG_TRIGGERS
    for statement in triggers:
        op.execute(statement)


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS eligibility_audit_no_update")
        op.execute("DROP TRIGGER IF EXISTS eligibility_audit_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS eligibility_audit_append_only ON eligibility_audit")
        op.execute("DROP FUNCTION IF EXISTS eligibility_audit_append_only()")

    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_index("ix_membership_branch_number")

    with op.batch_alter_table("eligibility_client", schema=None) as batch_op:
        batch_op.drop_index("ix_eligibility_client_institution")
    op.drop_table("eligibility_client")

    op.drop_table("eligibility_audit")
