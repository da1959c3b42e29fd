"""Returned-mail tables: returns (one row per return of a piece), employer envelopes of the
re-routing runs, branch tasks, wave postings and the webhook outbox.

The mail pieces themselves live in ``issuance.tables.mail_piece``: a re-routed piece is a new
``mail_piece`` row (route ``employer``, ``parent_piece_id`` = the returned piece).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from shikaku.db.meta import metadata
from shikaku.issuance.tables import certificate, mail_piece
from shikaku.registry.tables import BigId

# Look-ups the returned-mail flow needs on issuance's tables (declared here, created by the
# mail migration): a 特定記録 number typed at the counter, the children of a re-routed piece,
# the certificates inside a piece. The first two hold only the pieces that have the value
# (migration 0011): home pieces have no parent, employer pieces no tracking number at first.
Index(
    "ix_mail_piece_tracking_no",
    mail_piece.c.tracking_no,
    postgresql_where=mail_piece.c.tracking_no.is_not(None),
    sqlite_where=mail_piece.c.tracking_no.is_not(None),
)
Index(
    "ix_mail_piece_parent",
    mail_piece.c.parent_piece_id,
    postgresql_where=mail_piece.c.parent_piece_id.is_not(None),
    sqlite_where=mail_piece.c.parent_piece_id.is_not(None),
)
Index("ix_certificate_piece", certificate.c.piece_id)

return_event = Table(
    "return_event",
    metadata,
    Column("id", BigId, primary_key=True),
    # no foreign key: an append-only ledger (migration 0008, decision 0009)
    Column("piece_id", String(20), nullable=False),  # mail_piece.id
    Column(
        "trip",
        SmallInteger,
        nullable=False,
        comment="the piece's n-th journey: 1 first posting, 2 after a re-send home, …",
    ),
    Column("returned_on", Date, nullable=False, comment="date on the 還付 slip or of receipt"),
    Column("reason", String(30), nullable=False, comment="mail.reasons.Reason code"),
    Column("action", String(30), nullable=False, comment="mail.reasons.Action code"),
    Column("source", String(10), nullable=False, comment="scan / csv / web / demo"),
    Column("branch_code", String(2), nullable=False),
    Column("tracking_no", String(20)),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("actor", String(60), nullable=False),
    Column("intake_ref", String(40), nullable=False, comment="the intake run that recorded it"),
    Column("line", Integer, comment="line of the uploaded CSV, if any"),
    Column("handled_at", DateTime(timezone=True)),
    # The same return recorded twice (a second scan, an overlapping upload) is one return.
    UniqueConstraint("piece_id", "trip"),
)
Index("ix_return_event_branch_day", return_event.c.branch_code, return_event.c.returned_on)

reroute_batch = Table(
    "reroute_batch",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("envelope_id", String(13), unique=True, comment="13 digits, in the cover letter QR"),
    Column("run_on", Date, nullable=False),
    Column("run_seq", SmallInteger, nullable=False, comment="1 for the day's first run, …"),
    Column("branch_code", String(2), nullable=False),
    Column("employer_id", BigInteger, nullable=False),
    Column("pieces", Integer, nullable=False),
    Column("members", Integer, nullable=False),
    Column("file_name", String(200)),
    Column("file_pos", Integer),
    Column("first_page", Integer),
    Column("last_page", Integer),
    Column("status", String(20), nullable=False, server_default="planned"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("printed_at", DateTime(timezone=True)),
    UniqueConstraint("run_on", "run_seq", "branch_code", "employer_id"),
)
Index("ix_reroute_batch_status", reroute_batch.c.status, reroute_batch.c.file_name)

reroute_item = Table(
    "reroute_item",
    metadata,
    Column("piece_id", String(20), primary_key=True, comment="the employer piece"),
    # no foreign key: an append-only ledger (migration 0008, decision 0009)
    Column("reroute_batch_id", Integer, nullable=False),  # reroute_batch.id
    Column(
        "return_event_id",
        BigInteger,
        nullable=False,
        unique=True,
        comment="the return it re-sends: one employer piece per return",
    ),
    Column("parent_piece_id", String(20), nullable=False, comment="the returned piece"),
)
Index("ix_reroute_item_batch", reroute_item.c.reroute_batch_id)

branch_task = Table(
    "branch_task",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("branch_code", String(2), nullable=False),
    Column("piece_id", String(20), ForeignKey("mail_piece.id"), nullable=False),
    Column("return_event_id", BigInteger, ForeignKey("return_event.id"), nullable=False),
    Column("kind", String(40), nullable=False, comment="mail.reasons.TaskKind code"),
    Column("status", String(10), nullable=False, server_default="open"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True)),
    Column("resolution", String(30)),
    Column("resolved_by", String(60)),
    Column("note", Text),
    UniqueConstraint("return_event_id", "kind"),
)
Index("ix_branch_task_open", branch_task.c.branch_code, branch_task.c.status)
Index("ix_branch_task_piece", branch_task.c.piece_id)

wave_posting = Table(
    "wave_posting",
    metadata,
    Column("wave_id", Integer, ForeignKey("wave.id"), primary_key=True),
    Column("posted_on", Date, nullable=False),
    Column("pieces", Integer, nullable=False),
    Column("with_tracking", Integer, nullable=False, server_default="0"),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("actor", String(60), nullable=False),
)

webhook_outbox = Table(
    "webhook_outbox",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("event_type", String(40), nullable=False),
    # one row per intake, branch and block of returns (decision 0010)
    Column("subject_id", BigInteger, nullable=False, comment="return_event.id"),
    Column("last_subject_id", BigInteger, comment="the block's last return_event.id"),
    Column("intake_ref", String(40), comment="the intake that recorded the block's returns"),
    Column("returns", Integer, nullable=False, server_default="1", comment="returns in the block"),
    Column("branch_code", String(2), nullable=False),
    Column(
        "payload", Text, comment="JSON, fixed at the first attempt; never a name or a My Number"
    ),
    Column("status", String(10), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    UniqueConstraint("event_type", "subject_id"),
)
Index("ix_webhook_outbox_due", webhook_outbox.c.status, webhook_outbox.c.next_attempt_at)
