"""Notify a branch system of each return: HTTP POST from an outbox, HMAC-signed, retried with
exponential back-off (``shikaku mail webhook-send``).

Every recorded return is queued for notification in the same transaction (so a return is never
recorded without its notification, nor notified without being recorded): one ``webhook_outbox``
row per intake, branch and block of at most :data:`RETURNS_PER_NOTIFICATION` returns, so a
scan at the counter sends one POST and a million-row upload a few thousand, not a million
(decision 0010). The body lists every return of the block::

    {"type": "mail.returned", "branch_code": "13", "intake_ref": "…", "count": 2,
     "returns": [{"id": 41, "piece_id": "…", "returned_on": "2025-09-05", "reason": "moved",
                  "action": "reroute-employer", "trip": 1, "source": "csv"}, …]}

The sender delivers due rows after commit. The body is fixed at the first attempt, so retries
send the same bytes; the receiver de-duplicates on ``X-Shikaku-Delivery``.

Headers: ``X-Shikaku-Event``, ``X-Shikaku-Delivery`` (outbox id), ``X-Shikaku-Timestamp`` (Unix
seconds) and ``X-Shikaku-Signature: sha256=<hex>`` = HMAC-SHA256(secret, ``timestamp + "." +
body``). Receivers should reject timestamps older than a few minutes (replay).

Back-off: attempt n failed → next attempt after ``base × 2^(n-1)`` (capped at ``cap``); after
``max_attempts`` the row is ``dead`` and shows up in the report for staff.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, func, insert, literal, select, update

from shikaku.clock import Clock
from shikaku.mail.tables import return_event, webhook_outbox

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Shikaku-Signature"
TIMESTAMP_HEADER = "X-Shikaku-Timestamp"
DELIVERY_HEADER = "X-Shikaku-Delivery"
EVENT_HEADER = "X-Shikaku-Event"
BATCH = 50  # outbox rows read per pass
RETURNED_EVENT = "mail.returned"
#: returns listed in one notification at most
RETURNS_PER_NOTIFICATION = 500


@dataclass(frozen=True)
class BackOff:
    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=6)
    max_attempts: int = 10

    def delay(self, attempts: int) -> timedelta:
        """Wait after the ``attempts``-th failed attempt (1-based)."""
        return min(self.cap, self.base * (2 ** max(0, attempts - 1)))


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    dead: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256 over ``timestamp.body``."""
    mac = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: bytes, timestamp: str, body: bytes, signature: str) -> bool:
    """For receivers (and tests): constant-time comparison."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def queue_notifications(
    conn: Connection, event_id: Any, branch_code: Any, *, intake_ref: str, at: datetime
) -> None:
    """Queue the notifications of an intake's new returns: ``event_id`` and ``branch_code``
    are columns of one table holding a row per return the intake recorded (``intake_ref``).

    Blocks follow the event ids of each branch, so a block's returns are the intake's returns of
    that branch with ids from its first to its last.
    """
    numbered = select(
        event_id.label("event_id"),
        branch_code.label("branch_code"),
        (
            (func.row_number().over(partition_by=branch_code, order_by=event_id) - 1)
            // RETURNS_PER_NOTIFICATION
        ).label("block"),
    ).subquery()
    conn.execute(
        insert(webhook_outbox).from_select(
            ["event_type", "subject_id", "last_subject_id", "intake_ref", "returns", "branch_code",
             "status", "next_attempt_at", "created_at"],
            select(
                literal(RETURNED_EVENT),
                func.min(numbered.c.event_id),
                func.max(numbered.c.event_id),
                literal(intake_ref),
                func.count(),
                numbered.c.branch_code,
                literal("pending"),
                literal(at),
                literal(at),
            ).group_by(numbered.c.branch_code, numbered.c.block),
        )
    )  # fmt: skip


def _payload(conn: Connection, row: dict[str, object]) -> str:
    """The block as JSON: ids, dates and codes only — never a name or a My Number."""
    first = row["subject_id"]
    last = row["last_subject_id"] if row["last_subject_id"] is not None else first
    stmt = (
        select(
            return_event.c.id,
            return_event.c.piece_id,
            return_event.c.returned_on,
            return_event.c.reason,
            return_event.c.action,
            return_event.c.trip,
            return_event.c.source,
        )
        .where(
            return_event.c.id.between(first, last),
            return_event.c.branch_code == row["branch_code"],
        )
        .order_by(return_event.c.id)
    )
    if row["intake_ref"] is not None:
        stmt = stmt.where(return_event.c.intake_ref == row["intake_ref"])
    returns = [
        {
            "id": r.id,
            "piece_id": r.piece_id,
            "returned_on": str(r.returned_on),
            "reason": r.reason,
            "action": r.action,
            "trip": r.trip,
            "source": r.source,
        }
        for r in conn.execute(stmt)
    ]
    return json.dumps(
        {
            "type": row["event_type"],
            "branch_code": row["branch_code"],
            "intake_ref": row["intake_ref"],
            "count": len(returns),
            "returns": returns,
        },
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )


def send_due(
    engine: Engine,
    clock: Clock,
    *,
    url: str,
    secret: bytes,
    branch_code: str | None = None,
    backoff: BackOff | None = None,
    client: httpx.Client | None = None,
    timeout: float = 10.0,
    limit: int | None = None,
) -> SendReport:
    """Deliver every pending row that is due now (one pass)."""
    import httpx

    backoff = backoff or BackOff()
    report = SendReport()
    own_client = client is None
    http = client or httpx.Client(timeout=timeout)
    try:
        while limit is None or report.sent + report.failed + report.dead < limit:
            now = clock.now()
            with engine.connect() as conn:
                stmt = (
                    select(webhook_outbox)
                    .where(
                        webhook_outbox.c.status == "pending",
                        webhook_outbox.c.next_attempt_at <= now,
                    )
                    .order_by(webhook_outbox.c.id)
                    .limit(BATCH)
                )
                if branch_code is not None:
                    stmt = stmt.where(webhook_outbox.c.branch_code == branch_code)
                rows = [dict(r) for r in conn.execute(stmt).mappings()]
                for row in rows:
                    if not row["payload"]:
                        row["payload"] = _payload(conn, row)
            if not rows:
                break
            for row in rows:
                _deliver(engine, clock, http, url, secret, row, backoff, report)
    finally:
        if own_client:
            http.close()
    return report


def _deliver(
    engine: Engine,
    clock: Clock,
    http: httpx.Client,
    url: str,
    secret: bytes,
    row: dict[str, object],
    backoff: BackOff,
    report: SendReport,
) -> None:
    import httpx

    body_text = str(row["payload"])
    body = body_text.encode()
    now = clock.now()
    ts = str(int(now.timestamp()))
    headers = {
        "Content-Type": "application/json",
        EVENT_HEADER: str(row["event_type"]),
        DELIVERY_HEADER: str(row["id"]),
        TIMESTAMP_HEADER: ts,
        SIGNATURE_HEADER: sign(secret, ts, body),
    }
    error: str | None = None
    try:
        resp = http.post(url, content=body, headers=headers)
        if not 200 <= resp.status_code < 300:
            error = f"HTTP {resp.status_code}"
    except httpx.HTTPError as err:
        error = f"{type(err).__name__}: {err}"
    attempts = int(row["attempts"]) + 1  # type: ignore[call-overload]
    values: dict[str, object] = {"attempts": attempts, "payload": body_text}
    if error is None:
        values.update(status="sent", sent_at=now, last_error=None)
        report.sent += 1
    elif attempts >= backoff.max_attempts:
        values.update(status="dead", last_error=error)
        report.dead += 1
        report.errors.append((int(row["id"]), error))  # type: ignore[call-overload]
    else:
        values.update(next_attempt_at=now + backoff.delay(attempts), last_error=error)
        report.failed += 1
        report.errors.append((int(row["id"]), error))  # type: ignore[call-overload]
        log.warning("webhook delivery failed", extra={"outbox_id": row["id"], "error": error})
    with engine.begin() as conn:
        conn.execute(
            update(webhook_outbox).where(webhook_outbox.c.id == row["id"]).values(**values)
        )


def next_due(engine: Engine) -> datetime | None:
    """When the earliest pending row becomes due (for a waiting sender loop)."""
    from sqlalchemy import func

    with engine.connect() as conn:
        value = conn.execute(
            select(func.min(webhook_outbox.c.next_attempt_at)).where(
                webhook_outbox.c.status == "pending"
            )
        ).scalar()
    return value if isinstance(value, datetime) else None
