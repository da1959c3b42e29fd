"""Issuance tables: campaigns, targets, waves, print batches, mail pieces and their events,
issued certificates, and the exceptions held back for branch staff."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from shikaku.db.meta import metadata
from shikaku.registry.tables import BigId

campaign = Table(
    "campaign",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("snapshot_date", Date, nullable=False, comment="registration status as of"),
    Column("issue_date", Date, nullable=False, comment="交付年月日 printed on certificates"),
    Column("valid_to", Date, nullable=False, comment="shared expiry of the issue window"),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

wave = Table(
    "wave",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("campaign.id"), nullable=False),
    Column("code", String(20), nullable=False),
    Column("branch_code", String(2), ForeignKey("branch.code"), nullable=False),
    Column("post_from", Date, nullable=False),
    Column("post_to", Date, nullable=False),
    Column("pilot", Integer, nullable=False, server_default="0"),
    Column("status", String(20), nullable=False, server_default="planned"),
    Column("prepared_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    UniqueConstraint("campaign_id", "code"),
    UniqueConstraint("campaign_id", "branch_code"),
    UniqueConstraint("id", "campaign_id"),  # what mail_piece's (wave, campaign) key refers to
)

target = Table(
    "target",
    metadata,
    Column("campaign_id", Integer, ForeignKey("campaign.id"), primary_key=True),
    Column("person_id", BigInteger, ForeignKey("person.id"), primary_key=True),
    Column("membership_id", BigInteger, ForeignKey("membership.id"), nullable=False),
    Column("insured_person_id", BigInteger, nullable=False),
    Column("employer_id", BigInteger, nullable=False),
    Column("branch_code", String(2), nullable=False),
    Column("reason", String(30), nullable=False),
    Column("valid_to", Date, nullable=False),
    Column("cap_reason", String(20), nullable=False, server_default="window"),
    Column(
        "status",
        String(20),
        nullable=False,
        server_default="targeted",
        comment="targeted / enveloped / dropped-left / held",
    ),
    Column("piece_id", String(20)),
)
Index("ix_target_branch", target.c.campaign_id, target.c.branch_code)
Index("ix_target_insured", target.c.campaign_id, target.c.insured_person_id)

print_batch = Table(
    "print_batch",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("wave_id", Integer, ForeignKey("wave.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("file_name", String(200), nullable=False),
    Column("pieces", Integer, nullable=False),
    Column("pages", Integer),
    Column("sha256", String(64)),
    Column("status", String(20), nullable=False, server_default="pending"),
    Column("rendered_at", DateTime(timezone=True)),
    UniqueConstraint("wave_id", "seq"),
)

mail_piece = Table(
    "mail_piece",
    metadata,
    Column("id", String(20), primary_key=True, comment="piece id printed in the QR code"),
    # one key for both: the wave exists and belongs to the piece's campaign (migration 0012)
    Column("campaign_id", Integer, nullable=False),
    Column("wave_id", Integer, nullable=False),
    Column("batch_id", Integer, ForeignKey("print_batch.id")),
    Column("batch_pos", Integer, comment="order inside the batch file"),
    Column("first_page", Integer),
    Column("last_page", Integer),
    Column("insured_person_id", BigInteger, nullable=False),
    Column("employer_id", BigInteger, nullable=False),
    Column("branch_code", String(2), nullable=False),
    Column("route", String(10), nullable=False, server_default="home"),
    Column("postal_code", String(7), nullable=False),
    Column("members", Integer, nullable=False),
    Column("tracking_no", String(20), comment="特定記録 number, filled at posting"),
    Column("status", String(20), nullable=False, server_default="planned"),
    Column("parent_piece_id", String(20), comment="the returned piece this one re-sends"),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    ForeignKeyConstraint(["wave_id", "campaign_id"], ["wave.id", "wave.campaign_id"]),
)
# On PostgreSQL half of each page is left free (fillfactor 50, set by migration 0007, which
# create_all does not know) so that status moves stay on their page.
# No index holds ``status``: every lifecycle move writes it, and an unindexed column lets the
# move be a heap-only update (migration 0007, decision 0009).
# a household's piece in a wave (prepare links targets to their piece through it)
Index("ix_mail_piece_wave_insured", mail_piece.c.wave_id, mail_piece.c.insured_person_id)
# a rendered batch's pieces move together; employer pieces have no batch (migration 0011)
Index(
    "ix_mail_piece_batch",
    mail_piece.c.batch_id,
    postgresql_where=mail_piece.c.batch_id.is_not(None),
    sqlite_where=mail_piece.c.batch_id.is_not(None),
)

mail_piece_event = Table(
    "mail_piece_event",
    metadata,
    Column("id", BigId, primary_key=True),
    # no foreign key: an append-only ledger (migration 0008, decision 0009)
    Column("piece_id", String(20), nullable=False),  # mail_piece.id
    Column("at", DateTime(timezone=True), nullable=False),
    Column("from_status", String(20)),
    Column("to_status", String(20), nullable=False),
    Column("actor", String(60), nullable=False),
    Column("detail", Text),
)
Index("ix_mail_piece_event_piece", mail_piece_event.c.piece_id)

certificate = Table(
    "certificate",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("person_id", BigInteger, ForeignKey("person.id"), nullable=False),
    Column("membership_id", BigInteger, ForeignKey("membership.id"), nullable=False),
    Column("campaign_id", Integer, ForeignKey("campaign.id")),
    Column("piece_id", String(20)),
    Column("issue_date", Date, nullable=False),
    Column("valid_to", Date, nullable=False),
    Column("status", String(20), nullable=False, server_default="active", comment="active / void"),
    UniqueConstraint("campaign_id", "person_id"),
)
Index("ix_certificate_person", certificate.c.person_id)

issuance_exception = Table(
    "issuance_exception",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("campaign.id"), nullable=False),
    Column("wave_id", Integer, ForeignKey("wave.id")),
    Column("person_id", BigInteger, nullable=False),
    Column("branch_code", String(2), nullable=False),
    Column("member_key", String(40), nullable=False, comment="記号・番号・枝番"),
    Column("rule_id", String(60), nullable=False),
    Column("message_ja", Text, nullable=False),
    Column("message_en", Text, nullable=False),
    Column("resolved_at", DateTime(timezone=True)),
    UniqueConstraint("campaign_id", "person_id", "rule_id"),
)
