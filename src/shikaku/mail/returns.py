"""Recording returns, set-based: one code path for a single scan at the counter and for a
million-row upload.

Every intake (scanner, CSV, web page) turns its input into :class:`ReturnInput` rows, which
are staged in a temporary table and then classified, recorded and applied by a fixed sequence
of ``UPDATE … FROM`` / ``INSERT … SELECT`` statements in the caller's transaction:

1. resolve 特定記録 tracking numbers and employer-envelope ids to pieces; a home piece that was
   already re-routed stands for the employer piece that re-sent it;
2. classify each row: unknown piece, other branch, never posted, already returned (in the
   database or earlier in the same input), or a new return;
3. decide the action from the rules (:mod:`shikaku.mail.reasons`): members who have all left
   the insurer → destroy; a re-route that cannot happen (任意継続, employer without address) →
   hold with a task;
4. insert ``return_event`` rows (unique on piece + trip: a concurrent duplicate loses and is
   reported as already returned), move the pieces with their event rows, void certificates of
   destroyed pieces, open branch tasks, queue webhook notifications (one per branch and block
   of returns).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Date,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    case,
    cast,
    exists,
    func,
    insert,
    literal,
    not_,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from shikaku.actors import Actor, Role
from shikaku.domain.mailpiece import PieceStatus, check_move
from shikaku.issuance.tables import certificate, mail_piece, mail_piece_event
from shikaku.mail.ids import ENVELOPE_ID_LENGTH, IdKind, classify, normalise_id
from shikaku.mail.reasons import (
    DEFAULT_RULES,
    HOLDING_ACTIONS,
    TASK_FOR_ACTION,
    Action,
    Reason,
    ReturnRules,
    TaskKind,
    parse_reason,
)
from shikaku.mail.tables import (
    branch_task,
    reroute_batch,
    reroute_item,
    return_event,
)
from shikaku.mail.webhook import queue_notifications
from shikaku.registry.tables import employer, membership

#: Rows above which PostgreSQL staging uses COPY instead of executemany.
COPY_THRESHOLD = 2_000
INSERT_CHUNK = 10_000
UNIQUE_VIOLATION = "23505"  # PostgreSQL SQLSTATE


class Outcome(StrEnum):
    """The answer for one intake row."""

    RECORDED = "recorded"
    ALREADY_RETURNED = "already-returned"
    UNKNOWN_PIECE = "unknown-piece"
    NOT_POSTED = "not-posted"
    OTHER_BRANCH = "other-branch"
    INVALID_ID = "invalid-id"
    UNKNOWN_REASON = "unknown-reason"
    FUTURE_DATE = "future-date"
    BAD_DATE = "bad-date"


#: rule id, Japanese and English message of every outcome that is not a new return
OUTCOME_MESSAGES: dict[Outcome, tuple[str, str, str]] = {
    Outcome.RECORDED: ("return.recorded", "返戻を記録しました", "return recorded"),
    Outcome.ALREADY_RETURNED: (
        "return.already_returned",
        "この郵便物の返戻は記録済みです（重複）",
        "this piece's return is already recorded (duplicate)",
    ),
    Outcome.UNKNOWN_PIECE: (
        "return.piece.unknown",
        "該当する郵便物がありません",
        "no mail piece with this id or tracking number",
    ),
    Outcome.NOT_POSTED: (
        "return.piece.not_posted",
        "この郵便物は差し出されていません（未発送）",
        "this piece was never posted",
    ),
    Outcome.OTHER_BRANCH: (
        "return.piece.other_branch",
        "他支部の郵便物です（担当支部へ回付してください）",
        "the piece belongs to another branch (forward it there)",
    ),
    Outcome.INVALID_ID: (
        "return.piece_id.invalid",
        "管理番号の形式またはチェックデジットが正しくありません",
        "the piece id has a wrong format or check digit",
    ),
    Outcome.UNKNOWN_REASON: (
        "return.reason.unknown",
        "還付事由が不明です",
        "unknown return reason",
    ),
    Outcome.FUTURE_DATE: (
        "return.date.future",
        "返戻日が未来の日付です",
        "the return date is in the future",
    ),
    Outcome.BAD_DATE: (
        "return.date.format",
        "返戻日の形式が正しくありません（例: 2025-09-05）",
        "the return date is not a valid date (for example 2025-09-05)",
    ),
}

RETURNABLE = (PieceStatus.POSTED, PieceStatus.DELIVERED, PieceStatus.RESENT)
NEVER_POSTED = (PieceStatus.PLANNED, PieceStatus.PRINTED, PieceStatus.CANCELLED)
ALREADY_BACK = (
    PieceStatus.RETURNED,
    PieceStatus.HELD,
    PieceStatus.DESTROYED,
    PieceStatus.REROUTED,
)


class ReturnInput(NamedTuple):
    """One validated intake row: a piece (or envelope) id or a tracking number. (A named
    tuple: an upload makes a million of them.)"""

    line: int
    ref: str | None
    tracking_no: str | None
    returned_on: date
    reason: Reason


@dataclass(frozen=True)
class RowResult:
    line: int
    ref: str
    piece_id: str | None
    outcome: Outcome
    action: Action | None = None
    task: TaskKind | None = None
    return_event_id: int | None = None

    @property
    def rule_id(self) -> str:
        return OUTCOME_MESSAGES[self.outcome][0]

    @property
    def message_ja(self) -> str:
        return OUTCOME_MESSAGES[self.outcome][1]

    @property
    def message_en(self) -> str:
        return OUTCOME_MESSAGES[self.outcome][2]


@dataclass
class ApplyReport:
    intake_ref: str
    staged: int = 0
    recorded: int = 0
    by_outcome: dict[str, int] = field(default_factory=dict)
    by_action: dict[str, int] = field(default_factory=dict)
    #: every row that is not a new return, and (when ``detail``) the recorded ones too
    rows: list[RowResult] = field(default_factory=list)


def parse_input(
    line: int,
    *,
    ref: str | None,
    tracking_no: str | None,
    returned_on: str | date | None,
    reason: str,
    today: date,
) -> ReturnInput | RowResult:
    """Validate one row's fields; a :class:`RowResult` with the failure otherwise."""
    from shikaku.domain.dates import parse_date
    from shikaku.domain.errors import ValidationError

    shown = (ref or tracking_no or "").strip()
    pid = normalise_id(ref) if ref and ref.strip() else None
    trk = normalise_id(tracking_no) if tracking_no and tracking_no.strip() else None
    if pid is None and trk is None:
        return RowResult(line, shown, None, Outcome.INVALID_ID)
    if pid is not None and classify(pid) == IdKind.INVALID:
        return RowResult(line, shown, None, Outcome.INVALID_ID)
    if trk is not None and not 10 <= len(trk) <= 20:
        return RowResult(line, shown, None, Outcome.INVALID_ID)
    parsed_reason = parse_reason(reason or "")
    if parsed_reason is None:
        return RowResult(line, shown, pid, Outcome.UNKNOWN_REASON)
    if isinstance(returned_on, date):
        day = returned_on
    elif returned_on is None or not str(returned_on).strip():
        day = today
    else:
        try:
            day = parse_date(str(returned_on), field="returned_on")
        except ValidationError:
            return RowResult(line, shown, pid, Outcome.BAD_DATE)
    if day > today:
        return RowResult(line, shown, pid, Outcome.FUTURE_DATE)
    return ReturnInput(line, pid, trk, day, parsed_reason)


# -- staging ------------------------------------------------------------------------------------


def _staging(conn: Connection) -> tuple[Table, Table, Table]:
    """The three temporary tables of one intake: the input as given (``s``), classified
    (``c``) and the new returns with their event ids (``g``)."""
    md = MetaData()
    s = Table(
        "tmp_return_in",
        md,
        Column("rid", Integer, primary_key=True, autoincrement=False),
        Column("line", Integer, nullable=False),
        Column("ref", String(20)),
        Column("tracking_no", String(20)),
        Column("returned_on", Date, nullable=False),
        Column("reason", String(30), nullable=False),
        Column("piece_id", String(20)),
        Column("outcome", String(30)),
        prefixes=["TEMPORARY"],
    )
    c = Table(
        "tmp_return_class",
        md,
        Column("rid", Integer, primary_key=True, autoincrement=False),
        Column("line", Integer, nullable=False),
        Column("ref", String(20)),
        Column("tracking_no", String(20)),
        Column("returned_on", Date, nullable=False),
        Column("reason", String(30), nullable=False),
        Column("piece_id", String(20)),
        Column("origin_id", String(20)),
        Column("from_status", String(20)),
        Column("route", String(10)),
        Column("branch_code", String(2)),
        Column("employer_id", BigInteger),
        Column("trip", Integer),
        Column("outcome", String(30)),
        Column("action", String(30)),
        Column("task_kind", String(40)),
        prefixes=["TEMPORARY"],
    )
    g = Table(
        "tmp_return_new",
        md,
        Column("event_id", BigInteger, primary_key=True, autoincrement=False),
        Column("piece_id", String(20), nullable=False),
        Column("origin_id", String(20)),
        Column("from_status", String(20), nullable=False),
        Column("branch_code", String(2), nullable=False),
        Column("reason", String(30), nullable=False),
        Column("action", String(30), nullable=False),
        Column("task_kind", String(40)),
        prefixes=["TEMPORARY"],
    )
    Index("ix_tmp_return_in_piece", s.c.piece_id)
    for t in (g, c, s):
        t.drop(conn, checkfirst=True)
    for t in (s, c, g):
        t.create(conn)
    roomy(conn, c)  # its action and task are filled in by an update of every row
    return s, c, g


def roomy(conn: Connection, *tables: Table) -> None:
    """PostgreSQL: leave half of each page of these (new, empty) work tables free, so an update
    of every row that changes no indexed column stays on its page (no new index entries)."""
    if conn.dialect.name != "postgresql":
        return
    for t in tables:
        conn.exec_driver_sql(f"ALTER TABLE {t.name} SET (fillfactor = 50)")


def _stage(conn: Connection, s: Table, items: Sequence[ReturnInput]) -> None:
    cols = ("rid", "line", "ref", "tracking_no", "returned_on", "reason", "piece_id")
    rows = (
        (
            i,
            it.line,
            it.ref,
            it.tracking_no,
            it.returned_on,
            it.reason.value,
            it.ref if it.ref and len(it.ref) != ENVELOPE_ID_LENGTH else None,
        )
        for i, it in enumerate(items, start=1)
    )
    if conn.dialect.name == "postgresql" and len(items) >= COPY_THRESHOLD:
        raw: Any = conn.connection.dbapi_connection
        with raw.cursor() as cur, cur.copy(f"COPY {s.name} ({', '.join(cols)}) FROM STDIN") as cp:
            for r in rows:
                cp.write_row(r)
        return
    batch: list[dict[str, Any]] = []
    for r in rows:
        batch.append(dict(zip(cols, r, strict=True)))
        if len(batch) >= INSERT_CHUNK:
            conn.execute(insert(s), batch)
            batch = []
    if batch:
        conn.execute(insert(s), batch)


#: PostgreSQL memory for the hash joins and sorts of one intake or re-routing step.
WORK_MEM = "128MB"


def tune(conn: Connection, *staged: Table) -> None:
    """PostgreSQL: planner statistics for freshly filled temporary tables (autovacuum never
    sees them) or tables a step just grew, and enough memory for the step's hash joins; a
    no-op elsewhere."""
    if conn.dialect.name != "postgresql":
        return
    conn.exec_driver_sql(f"SET LOCAL work_mem = '{WORK_MEM}'")
    for t in staged:
        conn.exec_driver_sql(f"ANALYZE {t.name}")


def _insert_ignore(conn: Connection, table: Table) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` for the connection's dialect."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def _record_new(conn: Connection, columns: list[str], rows: Any) -> None:
    """Insert the new returns, skipping any that a concurrent intake recorded first.

    The classification has already left out every return on record, so a conflict on (piece,
    trip) only happens when another intake of the same piece committed in the meantime. On
    PostgreSQL a plain ``INSERT`` is tried first, in a savepoint: ``ON CONFLICT DO NOTHING``
    makes every row a speculative insertion, a third dearer (1,000,000 rows: 8.1 s against
    5.3 s). Only when that plain insert meets such a conflict is it rolled back and redone
    with ``ON CONFLICT DO NOTHING``."""
    if conn.dialect.name == "postgresql":
        try:
            with conn.begin_nested():
                conn.execute(insert(return_event).from_select(columns, rows))
            return
        except IntegrityError as err:
            if getattr(err.orig, "sqlstate", None) != UNIQUE_VIOLATION:
                raise
    conn.execute(
        _insert_ignore(conn, return_event).from_select(columns, rows).on_conflict_do_nothing()
    )


# -- rule helpers shared with re-routing -------------------------------------------------------


def member_facts(origins: Any, today: date) -> Any:
    """Per home piece (subquery ``piece_id, active, voluntary``): how many of the members whose
    certificates ride in it are still members on ``today``, and whether any is 任意継続.
    ``origins`` selects the home piece ids to look at (one grouped pass, no per-piece query)."""
    still = or_(membership.c.valid_to.is_(None), membership.c.valid_to >= today)
    return (
        select(
            certificate.c.piece_id.label("piece_id"),
            func.sum(case((and_(certificate.c.status == "active", still), 1), else_=0)).label(
                "active"
            ),
            func.max(case((membership.c.voluntary, 1), else_=0)).label("voluntary"),
        )
        .select_from(certificate)
        .join(membership, membership.c.id == certificate.c.membership_id)
        .where(certificate.c.piece_id.in_(origins))
        .group_by(certificate.c.piece_id)
        .subquery()
    )


def employer_reachable(e: Any = employer) -> Any:
    """SQL over ``employer`` (or an alias of it): it has an address to send to."""
    return and_(e.c.postal_code.is_not(None), e.c.address.is_not(None), e.c.address != "")


def fix_origins(conn: Connection, t: Table) -> None:
    """Certificates hang on the home piece at the root of a chain of re-sends: walk ``origin_id``
    up while it still has a parent (touches only the rows that need it)."""
    parent = aliased(mail_piece, name="parent")
    for _ in range(10):
        moved = conn.execute(
            update(t)
            .where(t.c.origin_id == parent.c.id, parent.c.parent_piece_id.is_not(None))
            .values(origin_id=parent.c.parent_piece_id)
        ).rowcount
        if not moved:
            return


def _decision(
    *, route: Any, reason: Any, facts: Any, emp: Any, rules: ReturnRules
) -> tuple[Any, Any]:
    """The action and the task of a new return, as SQL over its piece's route, the reason, the
    members of its home piece (``facts``, from :func:`member_facts`) and its employer."""
    home = case(
        *[(reason == r.value, literal(a.value)) for r, a in rules.home.items()],
        else_=literal(Action.HOLD_AT_BRANCH.value),
    )
    base = case((route == "employer", literal(rules.from_employer.value)), else_=home)
    reachable = employer_reachable(emp)
    nobody = func.coalesce(facts.c.active, 0) == 0
    to_employer = base == Action.REROUTE_EMPLOYER.value
    voluntary = func.coalesce(facts.c.voluntary, 0) == 1
    action = case(
        (nobody, literal(Action.DESTROY.value)),
        (and_(to_employer, or_(voluntary, not_(reachable))), literal(Action.HOLD_AT_BRANCH.value)),
        else_=base,
    )
    task = case(
        (nobody, None),
        (and_(to_employer, voluntary), literal(TaskKind.NO_EMPLOYER.value)),
        (and_(to_employer, not_(reachable)), literal(TaskKind.EMPLOYER_ADDRESS_MISSING.value)),
        (route == "employer", literal(TaskKind.RETURNED_FROM_EMPLOYER.value)),
        *[(base == a.value, literal(k.value)) for a, k in TASK_FOR_ACTION.items()],
        else_=None,
    )
    return action, task


# -- the whole step ----------------------------------------------------------------------------


def apply_returns(
    conn: Connection,
    *,
    actor: Actor,
    at: datetime,
    today: date,
    items: Sequence[ReturnInput],
    source: str,
    rules: ReturnRules = DEFAULT_RULES,
    detail: bool = False,
) -> ApplyReport:
    """Record ``items`` (see the module docstring) in the caller's transaction."""
    ref = uuid.uuid4().hex
    report = ApplyReport(intake_ref=ref, staged=len(items))
    if not items:
        return report
    s, c, g = _staging(conn)
    _stage(conn, s, items)
    tune(conn, s)
    R = Outcome  # short alias keeps the SQL readable

    # 1a. an employer envelope stands for every piece in it
    env_rows = conn.execute(
        select(s.c.rid, s.c.line, s.c.ref, s.c.returned_on, s.c.reason).where(
            s.c.piece_id.is_(None), s.c.tracking_no.is_(None)
        )
    ).all()
    if env_rows:
        next_rid = len(items) + 1
        for r in env_rows:
            kids = list(
                conn.execute(
                    select(reroute_item.c.piece_id)
                    .join(reroute_batch, reroute_batch.c.id == reroute_item.c.reroute_batch_id)
                    .where(reroute_batch.c.envelope_id == r.ref)
                    .order_by(reroute_item.c.piece_id)
                ).scalars()
            )
            if not kids:
                conn.execute(update(s).where(s.c.rid == r.rid).values(outcome=R.UNKNOWN_PIECE))
                continue
            conn.execute(
                insert(s),
                [
                    dict(
                        rid=next_rid + i,
                        line=r.line,
                        ref=r.ref,
                        returned_on=r.returned_on,
                        reason=r.reason,
                        piece_id=k,
                    )
                    for i, k in enumerate(kids)
                ],
            )
            next_rid += len(kids)
            conn.execute(update(s).where(s.c.rid == r.rid).values(outcome="expanded"))
    # 1b. 特定記録 numbers (only rows whose id is not a known piece): the staged numbers' pieces
    #     found in one grouped join, not one sub-select per row
    tracked = (
        select(
            mail_piece.c.tracking_no.label("tracking_no"),
            func.min(mail_piece.c.id).label("piece_id"),
        )
        .where(mail_piece.c.tracking_no.in_(select(s.c.tracking_no)))
        .group_by(mail_piece.c.tracking_no)
        .subquery()
    )
    conn.execute(
        update(s)
        .where(
            s.c.outcome.is_(None),
            s.c.tracking_no == tracked.c.tracking_no,
            ~exists().where(mail_piece.c.id == s.c.piece_id),
        )
        .values(piece_id=tracked.c.piece_id)
    )
    # 1c. a re-routed home piece stands for its (latest) employer piece
    child = aliased(mail_piece, name="child")
    rerouted = aliased(mail_piece, name="rerouted")
    for _ in range(5):
        latest = (
            select(child.c.parent_piece_id.label("parent"), func.max(child.c.id).label("kid"))
            .join(rerouted, rerouted.c.id == child.c.parent_piece_id)
            .where(
                rerouted.c.status == PieceStatus.REROUTED.value,
                child.c.parent_piece_id.in_(select(s.c.piece_id).where(s.c.outcome.is_(None))),
            )
            .group_by(child.c.parent_piece_id)
            .subquery()
        )
        moved = conn.execute(
            update(s)
            .where(s.c.piece_id == latest.c.parent, s.c.outcome.is_(None))
            .values(piece_id=latest.c.kid)
        ).rowcount
        if not moved:
            break

    # 2. classify in one pass: piece facts, trip, outcome (first row of a piece wins)
    in_scope: Any = true()
    if actor.role == Role.BRANCH_STAFF:
        in_scope = mail_piece.c.branch_code == (actor.branch_code or "")
    prev = (
        select(return_event.c.piece_id.label("piece_id"), func.count().label("n"))
        .where(return_event.c.piece_id.in_(select(s.c.piece_id)))
        .group_by(return_event.c.piece_id)
        .subquery()
    )
    first_of_piece = func.row_number().over(partition_by=s.c.piece_id, order_by=s.c.rid) == 1
    outcome = case(
        (s.c.outcome.is_not(None), s.c.outcome),
        (mail_piece.c.id.is_(None), R.UNKNOWN_PIECE.value),
        (not_(in_scope), R.OTHER_BRANCH.value),
        (mail_piece.c.status.in_([x.value for x in NEVER_POSTED]), R.NOT_POSTED.value),
        (mail_piece.c.status.in_([x.value for x in ALREADY_BACK]), R.ALREADY_RETURNED.value),
        (first_of_piece, R.RECORDED.value),
        else_=R.ALREADY_RETURNED.value,
    )
    conn.execute(
        insert(c).from_select(
            [
                "rid",
                "line",
                "ref",
                "tracking_no",
                "returned_on",
                "reason",
                "piece_id",
                "origin_id",
                "from_status",
                "route",
                "branch_code",
                "employer_id",
                "trip",
                "outcome",
            ],
            select(
                s.c.rid,
                s.c.line,
                s.c.ref,
                func.coalesce(mail_piece.c.tracking_no, s.c.tracking_no),
                s.c.returned_on,
                s.c.reason,
                s.c.piece_id,
                func.coalesce(mail_piece.c.parent_piece_id, mail_piece.c.id),
                mail_piece.c.status,
                mail_piece.c.route,
                mail_piece.c.branch_code,
                mail_piece.c.employer_id,
                func.coalesce(prev.c.n, 0) + 1,
                outcome,
            )
            .select_from(
                s.outerjoin(mail_piece, mail_piece.c.id == s.c.piece_id).outerjoin(
                    prev, prev.c.piece_id == s.c.piece_id
                )
            )
            .where(or_(s.c.outcome.is_(None), s.c.outcome != "expanded")),
        )
    )
    recorded = c.c.outcome == R.RECORDED.value
    fix_origins(conn, c)
    tune(conn, c)

    # 3. action and task, from the rules and the registry (one grouped pass over the
    #    certificates of the home pieces). A separate pass: computed inside the classification
    #    above, the million-row intake of the benchmark took 17-18.5 s for that one statement
    #    against 15-16 s for the two (bench/README.md, returned mail).
    facts = member_facts(select(c.c.origin_id).where(recorded), today)
    emp = aliased(employer, name="emp")
    action, task = _decision(route=c.c.route, reason=c.c.reason, facts=facts, emp=emp, rules=rules)
    decided = (
        select(c.c.rid, action.label("action"), task.label("task"))
        .select_from(
            c.outerjoin(facts, facts.c.piece_id == c.c.origin_id).outerjoin(
                emp, emp.c.id == c.c.employer_id
            )
        )
        .where(recorded)
        .subquery()
    )
    conn.execute(
        update(c)
        .where(c.c.rid == decided.c.rid)
        .values(action=decided.c.action, task_kind=decided.c.task)
    )

    # 4. record (a concurrent intake of the same piece loses on the unique key)
    _record_new(
        conn,
        [
            "piece_id",
            "trip",
            "returned_on",
            "reason",
            "action",
            "source",
            "branch_code",
            "tracking_no",
            "received_at",
            "actor",
            "intake_ref",
            "line",
            "handled_at",
        ],
        select(
            c.c.piece_id,
            c.c.trip,
            c.c.returned_on,
            c.c.reason,
            c.c.action,
            literal(source),
            c.c.branch_code,
            c.c.tracking_no,
            literal(at),
            literal(actor.login),
            literal(ref),
            c.c.line,
            case((c.c.action == Action.DESTROY.value, literal(at)), else_=None),
        )
        # No ORDER BY (sorting a million wide rows spilled to disk: 2.7 s): the classification
        # wrote the rows in piece-id order, whose leading digits are campaign and branch, so a
        # branch's returns get neighbouring ids and a webhook block spans a short id range.
        # The block's intake and branch filters keep it exact in any order.
        .where(recorded),
    )
    conn.execute(
        insert(g).from_select(
            ["event_id", "piece_id", "origin_id", "from_status", "branch_code", "reason",
             "action", "task_kind"],
            select(
                return_event.c.id,
                c.c.piece_id,
                c.c.origin_id,
                c.c.from_status,
                c.c.branch_code,
                c.c.reason,
                c.c.action,
                c.c.task_kind,
            )
            .select_from(c)
            .join(
                return_event,
                and_(
                    return_event.c.intake_ref == ref,
                    return_event.c.piece_id == c.c.piece_id,
                    return_event.c.trip == c.c.trip,
                ),
            )
            .where(recorded),
        )
    )  # fmt: skip
    conn.execute(
        update(c)
        .where(recorded, ~exists().where(g.c.piece_id == c.c.piece_id))
        .values(outcome=R.ALREADY_RETURNED.value, action=None, task_kind=None)
    )
    tune(conn, g)

    # lifecycle: every move this step makes must be legal
    for from_status, act in conn.execute(
        select(g.c.from_status, g.c.action).group_by(g.c.from_status, g.c.action)
    ).all():
        check_move(PieceStatus(from_status), PieceStatus.RETURNED)
        final = _final_status(Action(act))
        if final != PieceStatus.RETURNED:
            check_move(PieceStatus.RETURNED, final)
    _events(conn, g, at=at, actor=actor, to=PieceStatus.RETURNED, where=true())
    _events(
        conn,
        g,
        at=at,
        actor=actor,
        to=PieceStatus.DESTROYED,
        where=g.c.action == Action.DESTROY.value,
        from_returned=True,
    )
    _events(
        conn,
        g,
        at=at,
        actor=actor,
        to=PieceStatus.HELD,
        where=g.c.action.in_([a.value for a in HOLDING_ACTIONS]),
        from_returned=True,
    )
    final_status = case(
        (g.c.action == Action.DESTROY.value, literal(PieceStatus.DESTROYED.value)),
        (
            g.c.action.in_([a.value for a in HOLDING_ACTIONS]),
            literal(PieceStatus.HELD.value),
        ),
        else_=literal(PieceStatus.RETURNED.value),
    )
    conn.execute(
        update(mail_piece)
        .where(mail_piece.c.id == g.c.piece_id)
        .values(status=final_status, updated_at=at)
    )
    conn.execute(
        update(certificate)
        .where(
            certificate.c.status == "active",
            certificate.c.piece_id.in_(
                select(g.c.origin_id).where(g.c.action == Action.DESTROY.value)
            ),
        )
        .values(status="void")
    )
    conn.execute(
        insert(branch_task).from_select(
            ["branch_code", "piece_id", "return_event_id", "kind", "status", "created_at"],
            select(
                g.c.branch_code,
                g.c.piece_id,
                g.c.event_id,
                g.c.task_kind,
                literal("open"),
                literal(at),
            ).where(g.c.task_kind.is_not(None)),
        )
    )
    queue_notifications(conn, g.c.event_id, g.c.branch_code, intake_ref=ref, at=at)

    # 5. answers
    for out, act, n in conn.execute(
        select(c.c.outcome, c.c.action, func.count()).group_by(c.c.outcome, c.c.action)
    ):
        report.by_outcome[out] = report.by_outcome.get(out, 0) + int(n)
        if out == R.RECORDED:
            report.by_action[act] = int(n)
    report.recorded = report.by_outcome.get(R.RECORDED, 0)
    stmt = select(
        c.c.line, c.c.ref, c.c.tracking_no, c.c.piece_id, c.c.outcome, c.c.action,
        c.c.task_kind, g.c.event_id,
    ).select_from(c.outerjoin(g, g.c.piece_id == c.c.piece_id))  # fmt: skip
    if not detail:
        stmt = stmt.where(c.c.outcome != R.RECORDED)
    for row in conn.execute(stmt.order_by(c.c.rid)):
        is_new = row.outcome == R.RECORDED
        report.rows.append(
            RowResult(
                line=row.line,
                ref=row.ref or row.tracking_no or "",
                piece_id=row.piece_id,
                outcome=Outcome(row.outcome),
                action=Action(row.action) if row.action and is_new else None,
                task=TaskKind(row.task_kind) if row.task_kind and is_new else None,
                return_event_id=row.event_id if is_new else None,
            )
        )
    for t in (g, c, s):
        t.drop(conn)
    return report


def _final_status(action: Action) -> PieceStatus:
    if action == Action.DESTROY:
        return PieceStatus.DESTROYED
    if action in HOLDING_ACTIONS:
        return PieceStatus.HELD
    return PieceStatus.RETURNED


def _events(
    conn: Connection,
    g: Table,
    *,
    at: datetime,
    actor: Actor,
    to: PieceStatus,
    where: Any,
    from_returned: bool = False,
) -> None:
    """One event row per new return matching ``where`` (its move to ``to``)."""
    from_status: Any = literal(PieceStatus.RETURNED.value) if from_returned else g.c.from_status
    conn.execute(
        insert(mail_piece_event).from_select(
            ["piece_id", "at", "from_status", "to_status", "actor", "detail"],
            select(
                g.c.piece_id,
                literal(at),
                from_status,
                literal(to.value),
                literal(actor.login),
                literal('{"return_event": ')
                + cast(g.c.event_id, String)
                + literal(', "reason": "')
                + g.c.reason
                + literal('"}'),
            ).where(where),
        )
    )
