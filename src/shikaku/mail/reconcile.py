"""The mail ledger, reconciled per branch and wave (``shikaku mail reconcile``).

Proves, with a handful of grouped queries (no per-piece Python):

* people: targeted = enveloped + held + dropped + not yet prepared, and the people in the
  wave's envelopes (``sum(members)``) = the targets put in an envelope;
* envelopes: printed = posted once the wave is posted (and = the count recorded at posting),
  posted = delivered + returned + in transit;
* returns: every home piece in a returned state has a recorded return and vice versa, and
  every returned piece is re-routed, held (with an open task), destroyed (certificates void)
  or re-sent; each re-routed piece has exactly one employer piece, and every employer piece
  was printed.

Anything else is an exception with its piece id; the command exits non-zero when there is one.
``deep=True`` also checks every piece's status against its last event row, and that every row
of the append-only ledgers (piece events, returns, re-route items) still points at an existing
piece or employer envelope — those tables carry the ids without a per-row foreign key
(decision 0009). Slower: it reads the whole event table.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, func, literal, select
from sqlalchemy.orm import aliased

from shikaku.domain.mailpiece import PieceStatus
from shikaku.issuance.tables import certificate, mail_piece, mail_piece_event, target, wave
from shikaku.mail.tables import (
    branch_task,
    reroute_batch,
    reroute_item,
    return_event,
    wave_posting,
)

#: piece ids listed per exception kind (the count is always complete)
EXCEPTION_SAMPLE = 200

P = PieceStatus
RETURNED_STATES = (P.RETURNED, P.HELD, P.REROUTED, P.DESTROYED, P.RESENT)
AFTER_POSTING = (P.POSTED, P.DELIVERED, *RETURNED_STATES)


class ExceptionKind:
    """Exception codes (kebab-case, defined once)."""

    LEDGER = "ledger-mismatch"
    NOT_POSTED = "printed-not-posted"
    OPEN_RETURN = "return-not-actioned"
    NO_RETURN_RECORD = "returned-without-record"
    RECORD_WITHOUT_RETURN = "return-record-without-returned-state"
    NO_CHILD = "rerouted-without-employer-piece"
    HELD_NO_TASK = "held-without-open-task"
    DESTROYED_ACTIVE = "destroyed-with-active-certificate"
    REROUTE_NOT_PRINTED = "employer-piece-not-printed"
    EVENT_MISMATCH = "status-differs-from-last-event"
    ORPHAN = "ledger-row-without-piece"


@dataclass
class WaveLedger:
    campaign_id: int
    wave_id: int
    wave_code: str
    branch_code: str
    posted_on: date | None = None
    posted_recorded: int = 0
    targeted: int = 0
    enveloped: int = 0
    held_people: int = 0
    dropped: int = 0
    waiting: int = 0
    people_in_envelopes: int = 0
    envelopes: int = 0
    planned: int = 0
    cancelled: int = 0
    printed: int = 0  # printed or any later state
    posted: int = 0  # posted or any later state
    delivered: int = 0
    in_transit: int = 0
    returned: int = 0  # every state a returned piece can be in
    open_returns: int = 0
    rerouted: int = 0
    held: int = 0
    destroyed: int = 0
    resent: int = 0
    return_records: int = 0  # pieces in a returned state that have a recorded return
    handed_over: int = 0  # delivered after a return (collected at / handed over by the branch)
    employer_pieces: int = 0
    employer_by_status: dict[str, int] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        return not self.problems()

    def problems(self) -> list[str]:
        out = []
        if self.targeted != self.enveloped + self.held_people + self.dropped + self.waiting:
            out.append("targeted ≠ enveloped + held + dropped + waiting")
        if self.people_in_envelopes != self.enveloped:
            out.append(
                f"people in envelopes {self.people_in_envelopes} ≠ enveloped {self.enveloped}"
            )
        if self.envelopes != self.planned + self.cancelled + self.printed:
            out.append("envelopes ≠ planned + cancelled + printed")
        if self.posted_on is not None and self.printed != self.posted:
            out.append(f"printed {self.printed} ≠ posted {self.posted}")
        if self.posted_on is not None and self.posted_recorded > self.posted:
            out.append(f"posted at posting {self.posted_recorded} > posted now {self.posted}")
        if self.posted != self.delivered + self.in_transit + self.returned:
            out.append("posted ≠ delivered + returned + in transit")
        if self.returned != self.return_records:
            out.append(
                f"returned pieces {self.returned} ≠ pieces with a return {self.return_records}"
            )
        if self.rerouted != self.employer_pieces:
            out.append(f"re-routed {self.rerouted} ≠ employer pieces {self.employer_pieces}")
        return out


@dataclass(frozen=True)
class LedgerException:
    kind: str
    branch_code: str
    wave_code: str
    piece_id: str
    detail: str = ""


@dataclass
class ReconcileReport:
    waves: list[WaveLedger] = field(default_factory=list)
    exceptions: list[LedgerException] = field(default_factory=list)
    exception_counts: dict[str, int] = field(default_factory=dict)
    certificates: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.exception_counts


def reconcile(
    conn: Connection,
    *,
    campaign_id: int | None = None,
    branch_code: str | None = None,
    deep: bool = False,
) -> ReconcileReport:
    """See the module docstring."""
    report = ReconcileReport()
    wconds: list[Any] = []
    if campaign_id is not None:
        wconds.append(wave.c.campaign_id == campaign_id)
    if branch_code is not None:
        wconds.append(wave.c.branch_code == branch_code)
    waves: dict[int, WaveLedger] = {}
    by_cb: dict[tuple[int, str], WaveLedger] = {}
    for r in conn.execute(
        select(
            wave.c.id,
            wave.c.campaign_id,
            wave.c.code,
            wave.c.branch_code,
            wave_posting.c.posted_on,
            wave_posting.c.pieces,
        )
        .outerjoin(wave_posting, wave_posting.c.wave_id == wave.c.id)
        .where(*wconds)
        .order_by(wave.c.branch_code, wave.c.campaign_id)
    ):
        led = WaveLedger(r.campaign_id, r.id, r.code, r.branch_code, r.posted_on, r.pieces or 0)
        waves[r.id] = led
        by_cb[(r.campaign_id, r.branch_code)] = led
    if not waves:
        return report
    ids = list(waves)

    # people (target is per person; a wave is one branch of one campaign)
    tconds: list[Any] = [target.c.campaign_id.in_({w.campaign_id for w in waves.values()})]
    if branch_code is not None:
        tconds.append(target.c.branch_code == branch_code)
    for camp, br, status, n in conn.execute(
        select(target.c.campaign_id, target.c.branch_code, target.c.status, func.count())
        .where(*tconds)
        .group_by(target.c.campaign_id, target.c.branch_code, target.c.status)
    ):
        found = by_cb.get((camp, br))
        if found is None:
            continue
        led = found
        led.targeted += int(n)
        if status == "enveloped":
            led.enveloped += int(n)
        elif status == "held":
            led.held_people += int(n)
        elif status == "dropped-left":
            led.dropped += int(n)
        else:
            led.waiting += int(n)

    # envelopes: one grouped pass over the pieces
    is_home = mail_piece.c.parent_piece_id.is_(None)
    for wid, home, status, n, people in conn.execute(
        select(
            mail_piece.c.wave_id,
            is_home,
            mail_piece.c.status,
            func.count(),
            func.sum(mail_piece.c.members),
        )
        .where(mail_piece.c.wave_id.in_(ids))
        .group_by(mail_piece.c.wave_id, is_home, mail_piece.c.status)
    ):
        led = waves[wid]
        n = int(n)
        if not home:
            led.employer_pieces += n
            led.employer_by_status[status] = led.employer_by_status.get(status, 0) + n
            continue
        st = PieceStatus(status)
        led.envelopes += n
        led.people_in_envelopes += int(people or 0)
        if st == P.PLANNED:
            led.planned += n
        elif st == P.CANCELLED:
            led.cancelled += n
        else:
            led.printed += n
        if st in AFTER_POSTING:
            led.posted += n
        if st == P.DELIVERED:
            led.delivered += n
        elif st == P.POSTED:
            led.in_transit += n
        elif st in RETURNED_STATES:
            led.returned += n
            attr = {
                P.RETURNED: "open_returns",
                P.HELD: "held",
                P.REROUTED: "rerouted",
                P.DESTROYED: "destroyed",
                P.RESENT: "resent",
            }[st]
            setattr(led, attr, getattr(led, attr) + n)

    # home pieces with a recorded return (return_event is small: a few % of pieces)
    home_piece = aliased(mail_piece, name="home_piece")
    returned_values = {s.value for s in RETURNED_STATES}
    for wid, status, n in conn.execute(
        select(
            home_piece.c.wave_id,
            home_piece.c.status,
            func.count(func.distinct(return_event.c.piece_id)),
        )
        .join(home_piece, home_piece.c.id == return_event.c.piece_id)
        .where(home_piece.c.parent_piece_id.is_(None), home_piece.c.wave_id.in_(ids))
        .group_by(home_piece.c.wave_id, home_piece.c.status)
    ):
        if status in returned_values:
            waves[wid].return_records += int(n)
        elif status == P.DELIVERED.value:
            waves[wid].handed_over += int(n)

    # certificates (per campaign): void ones belong to destroyed pieces or leavers
    cconds = [certificate.c.campaign_id.in_({w.campaign_id for w in waves.values()})]
    for status, n in conn.execute(
        select(certificate.c.status, func.count()).where(*cconds).group_by(certificate.c.status)
    ):
        report.certificates[status] = int(n)

    report.waves = list(waves.values())
    _exceptions(conn, report, waves, deep=deep)
    if deep:
        _orphans(conn, report, branch_code)
    return report


def _orphans(conn: Connection, report: ReconcileReport, branch_code: str | None) -> None:
    """Ledger rows whose piece (or envelope) does not exist. Piece events and re-route items
    carry no branch: they are checked only when the whole country is reconciled."""

    def missing(ref: Any, key: Any) -> Any:
        return ~select(key).where(key == ref).exists()

    scope = [return_event.c.branch_code == branch_code] if branch_code else []
    checks: list[tuple[str, Any]] = [
        (
            "return_event",
            select(return_event.c.piece_id, return_event.c.branch_code)
            .where(missing(return_event.c.piece_id, mail_piece.c.id), *scope)
            .order_by(return_event.c.id),
        )
    ]
    if branch_code is None:
        checks += [
            (
                "mail_piece_event",
                select(mail_piece_event.c.piece_id, literal(""))
                .where(missing(mail_piece_event.c.piece_id, mail_piece.c.id))
                .order_by(mail_piece_event.c.id),
            ),
            (
                "reroute_item",
                select(reroute_item.c.piece_id, literal(""))
                .where(missing(reroute_item.c.reroute_batch_id, reroute_batch.c.id))
                .order_by(reroute_item.c.piece_id),
            ),
        ]
    for table, stmt in checks:
        for pid, branch in conn.execute(stmt):
            _note(
                report,
                LedgerException(
                    ExceptionKind.ORPHAN, branch, "", pid, f"{table}: no such piece or envelope"
                ),
            )


def _note(report: ReconcileReport, exc: LedgerException) -> None:
    """Count an exception; keep it while its kind has fewer than EXCEPTION_SAMPLE listed."""
    report.exception_counts[exc.kind] = report.exception_counts.get(exc.kind, 0) + 1
    if report.exception_counts[exc.kind] <= EXCEPTION_SAMPLE:
        report.exceptions.append(exc)


def _add(
    report: ReconcileReport,
    waves: dict[int, WaveLedger],
    kind: str,
    rows: Any,
    detail: str = "",
) -> None:
    for pid, wid, extra in rows:
        w = waves[wid]
        _note(report, LedgerException(kind, w.branch_code, w.wave_code, pid, str(extra or detail)))


def _exceptions(
    conn: Connection, report: ReconcileReport, waves: dict[int, WaveLedger], *, deep: bool
) -> None:
    ids = list(waves)
    mp = mail_piece
    in_waves = mp.c.wave_id.in_(ids)
    for led in report.waves:
        for problem in led.problems():
            report.exception_counts[ExceptionKind.LEDGER] = (
                report.exception_counts.get(ExceptionKind.LEDGER, 0) + 1
            )
            report.exceptions.append(
                LedgerException(ExceptionKind.LEDGER, led.branch_code, led.wave_code, "", problem)
            )
    posted_waves = [w.wave_id for w in waves.values() if w.posted_on is not None]
    if posted_waves:
        _add(
            report,
            waves,
            ExceptionKind.NOT_POSTED,
            conn.execute(
                select(mp.c.id, mp.c.wave_id, mp.c.status)
                .where(
                    mp.c.wave_id.in_(posted_waves),
                    mp.c.parent_piece_id.is_(None),
                    mp.c.status == P.PRINTED.value,
                )
                .order_by(mp.c.id)
            ),
        )
    latest = (
        select(return_event.c.piece_id, func.min(return_event.c.returned_on).label("since"))
        .group_by(return_event.c.piece_id)
        .subquery()
    )
    _add(
        report,
        waves,
        ExceptionKind.OPEN_RETURN,
        conn.execute(
            select(mp.c.id, mp.c.wave_id, latest.c.since)
            .outerjoin(latest, latest.c.piece_id == mp.c.id)
            .where(in_waves, mp.c.status == P.RETURNED.value)
            .order_by(latest.c.since, mp.c.id)
        ),
    )
    has_return = select(return_event.c.id).where(return_event.c.piece_id == mp.c.id).exists()
    _add(
        report,
        waves,
        ExceptionKind.NO_RETURN_RECORD,
        conn.execute(
            select(mp.c.id, mp.c.wave_id, mp.c.status)
            .where(
                in_waves,
                mp.c.status.in_([s.value for s in RETURNED_STATES]),
                ~has_return,
            )
            .order_by(mp.c.id)
        ),
    )
    _add(
        report,
        waves,
        ExceptionKind.RECORD_WITHOUT_RETURN,
        conn.execute(
            select(mp.c.id, mp.c.wave_id, mp.c.status)
            .join(return_event, return_event.c.piece_id == mp.c.id)
            .where(in_waves, mp.c.status.in_([P.PLANNED.value, P.PRINTED.value, P.POSTED.value]))
            .order_by(mp.c.id)
        ),
    )
    child = aliased(mail_piece, name="child")
    n_children = select(func.count()).where(child.c.parent_piece_id == mp.c.id).scalar_subquery()
    _add(
        report,
        waves,
        ExceptionKind.NO_CHILD,
        conn.execute(
            select(mp.c.id, mp.c.wave_id, n_children)
            .where(in_waves, mp.c.status == P.REROUTED.value, n_children != 1)
            .order_by(mp.c.id)
        ),
    )
    open_task = (
        select(branch_task.c.id)
        .where(branch_task.c.piece_id == mp.c.id, branch_task.c.status == "open")
        .exists()
    )
    _add(
        report,
        waves,
        ExceptionKind.HELD_NO_TASK,
        conn.execute(
            select(mp.c.id, mp.c.wave_id, mp.c.status)
            .where(in_waves, mp.c.status == P.HELD.value, ~open_task)
            .order_by(mp.c.id)
        ),
    )
    active_cert = (
        select(certificate.c.id)
        .where(
            certificate.c.piece_id == func.coalesce(mp.c.parent_piece_id, mp.c.id),
            certificate.c.status == "active",
        )
        .exists()
    )
    _add(
        report,
        waves,
        ExceptionKind.DESTROYED_ACTIVE,
        conn.execute(
            select(mp.c.id, mp.c.wave_id, mp.c.status)
            .where(in_waves, mp.c.status == P.DESTROYED.value, active_cert)
            .order_by(mp.c.id)
        ),
    )
    in_planned_batch = (
        select(reroute_item.c.piece_id).where(reroute_item.c.piece_id == mp.c.id).exists()
    )
    _add(
        report,
        waves,
        ExceptionKind.REROUTE_NOT_PRINTED,
        conn.execute(
            select(mp.c.id, mp.c.wave_id, mp.c.status)
            .where(
                in_waves,
                mp.c.parent_piece_id.is_not(None),
                mp.c.status == P.PLANNED.value,
                in_planned_batch,
            )
            .order_by(mp.c.id)
        ),
    )
    if deep:
        last = (
            select(
                mail_piece_event.c.piece_id,
                func.max(mail_piece_event.c.id).label("last_id"),
            )
            .group_by(mail_piece_event.c.piece_id)
            .subquery()
        )
        ev = aliased(mail_piece_event, name="ev")
        _add(
            report,
            waves,
            ExceptionKind.EVENT_MISMATCH,
            conn.execute(
                select(mp.c.id, mp.c.wave_id, ev.c.to_status)
                .join(last, last.c.piece_id == mp.c.id)
                .join(ev, ev.c.id == last.c.last_id)
                .where(in_waves, ev.c.to_status != mp.c.status)
                .order_by(mp.c.id)
            ),
        )


SUMMARY_COLUMNS = (
    "targeted", "enveloped", "printed", "posted", "delivered", "in_transit", "returned",
    "rerouted", "held", "destroyed", "resent", "open_returns", "employer_pieces",
)  # fmt: skip


def summary_by_branch(report: ReconcileReport) -> dict[str, dict[str, int]]:
    """Totals per branch (for the CLI table and the demo)."""
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for w in report.waves:
        row = out[w.branch_code]
        for k in SUMMARY_COLUMNS:
            row[k] += getattr(w, k)
    return {k: dict(v) for k, v in out.items()}


__all__ = ["ExceptionKind", "LedgerException", "ReconcileReport", "WaveLedger", "reconcile"]
