"""Returned mail end to end on a small synthetic insurer: posting, intake answers, rules,
re-routing to employers with cover letters, returns from the employer, tasks, reconciliation."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, update

from shikaku.actors import SYSTEM, Actor, Role
from shikaku.issuance.render import preflight
from shikaku.issuance.status import campaign_status
from shikaku.issuance.tables import certificate, mail_piece, mail_piece_event
from shikaku.mail.ids import IdKind, classify, reroute_piece_id
from shikaku.mail.reasons import Action, Resolution, TaskKind
from shikaku.mail.reconcile import ExceptionKind, reconcile
from shikaku.mail.reroute import do_reroute
from shikaku.mail.returns import Outcome
from shikaku.mail.service import (
    do_mark_posted,
    do_mark_reroutes_posted,
    do_record_return,
    do_resolve_task,
    open_tasks,
)
from shikaku.mail.tables import (
    branch_task,
    reroute_batch,
    reroute_item,
    return_event,
    webhook_outbox,
)
from shikaku.registry.service import do_end_membership
from shikaku.registry.tables import employer, membership

from .support import POST_DAY, Mailing, make_mailing


def _record(m: Mailing, ref: str, reason: str, actor: Actor = SYSTEM, **kw: object):  # type: ignore[no-untyped-def]
    with m.app.engine.begin() as conn:
        return do_record_return(
            conn, actor=actor, at=m.clock.now(), today=m.clock.today(), ref=ref, reason=reason, **kw
        )


def _status(m: Mailing, pid: str) -> str:
    with m.app.engine.connect() as conn:
        return str(conn.execute(select(mail_piece.c.status).where(mail_piece.c.id == pid)).scalar())


def _employer_of(m: Mailing, pid: str) -> int:
    with m.app.engine.connect() as conn:
        return int(
            conn.execute(
                select(mail_piece.c.employer_id).where(mail_piece.c.id == pid)
            ).scalar_one()
        )


def _regular_pieces(m: Mailing, n: int) -> list[str]:
    """Posted pieces of members who are not 任意継続 and whose employer has an address."""
    with m.app.engine.connect() as conn:
        rows = conn.execute(
            select(mail_piece.c.id)
            .join(employer, employer.c.id == mail_piece.c.employer_id)
            .where(
                mail_piece.c.campaign_id == m.campaign_id,
                mail_piece.c.status == "posted",
                employer.c.address.is_not(None),
                ~select(certificate.c.id)
                .join(membership, membership.c.id == certificate.c.membership_id)
                .where(certificate.c.piece_id == mail_piece.c.id, membership.c.voluntary)
                .exists(),
            )
            .order_by(mail_piece.c.employer_id, mail_piece.c.id)
        ).scalars()
        out = list(rows)
    assert len(out) >= n
    return out[:n]


def test_posting_is_set_based_idempotent_and_keeps_status_right(
    engine, cipher, tmp_path: Path
) -> None:
    m = make_mailing(engine, cipher, tmp_path / "print", post=False)
    printed = m.pieces("printed")
    assert printed and not m.pieces("posted")
    # never posted: its own answer
    [r] = _record(m, printed[0], "転居先不明")
    assert r.outcome == Outcome.NOT_POSTED and r.action is None
    tracking = {p: f"1{i:011d}" for i, p in enumerate(printed[:5])}
    with engine.begin() as conn:
        rep = do_mark_posted(
            conn,
            actor=SYSTEM,
            at=m.clock.now(),
            campaign_id=m.campaign_id,
            wave_code=m.wave_code,
            posted_on=POST_DAY,
            tracking=tracking | {"999999999999": "1"},
        )
        again = do_mark_posted(
            conn,
            actor=SYSTEM,
            at=m.clock.now(),
            campaign_id=m.campaign_id,
            wave_code=m.wave_code,
            posted_on=POST_DAY,
        )
        events = conn.execute(
            select(func.count())
            .select_from(mail_piece_event)
            .where(mail_piece_event.c.to_status == "posted")
        ).scalar_one()
        st = {s.branch_code: s for s in campaign_status(conn, m.campaign_id)}[m.branch_code]
    assert rep.posted == len(printed) and rep.tracking_set == 5
    assert rep.tracking_unknown == ["999999999999"]
    assert again.posted == 0 and again.already_posted == len(printed)
    assert events == len(printed)
    assert st.printed == st.posted == len(printed)
    # now it can come back, and by its 特定記録 number too
    [r] = _record(m, tracking[printed[1]], "あて所に尋ねあたりません")
    assert r.outcome == Outcome.RECORDED and r.piece_id == printed[1]
    # a branch clerk of another branch may not record it
    other = Actor("clerk", Role.BRANCH_STAFF, "01" if m.branch_code != "01" else "02")
    [r] = _record(m, printed[2], "転居先不明", actor=other)
    assert r.outcome == Outcome.OTHER_BRANCH
    assert _status(m, printed[2]) == "posted"


def test_intake_answers_and_rules(mailing: Mailing) -> None:
    m = mailing
    p = m.pieces("posted")
    [r] = _record(m, p[0], "あて所に尋ねあたりません")
    assert (r.outcome, r.action) == (Outcome.RECORDED, Action.REROUTE_EMPLOYER)
    assert _status(m, p[0]) == "returned"
    # the same return scanned again, or typed with spaces and full-width digits: one return
    wide = str.maketrans("0123456789", "０１２３４５６７８９")
    again = "　".join([p[0][:4], p[0][4:]]).translate(wide)
    [r] = _record(m, again, "転居先不明")
    assert r.outcome == Outcome.ALREADY_RETURNED
    # rules: reason → action (+ task); the piece is held at the branch
    expected = {
        "あて名不完全": (Action.RESEND_HOME, TaskKind.CORRECT_ADDRESS),
        "受取拒絶": (Action.RECORD_REFUSAL, TaskKind.REFUSAL),
        "受取人死亡": (Action.CHECK_ELIGIBILITY, TaskKind.CHECK_ELIGIBILITY),
        "other": (Action.HOLD_AT_BRANCH, TaskKind.REVIEW),
    }
    for pid, (reason, (action, task)) in zip(p[1:], expected.items(), strict=False):
        [r] = _record(m, pid, reason)
        assert (r.outcome, r.action, r.task) == (Outcome.RECORDED, action, task), reason
        assert _status(m, pid) == "held"
    # unknown ids: wrong check digit, right check digit but no such piece, nonsense
    bad_digit = p[5][:-1] + str((int(p[5][-1]) + 1) % 10)
    assert _record(m, bad_digit, "転居先不明")[0].outcome == Outcome.INVALID_ID
    from shikaku.issuance.pieces import piece_id

    ghost = piece_id(m.campaign_id, m.branch_code, 9_999_999)
    assert _record(m, ghost, "転居先不明")[0].outcome == Outcome.UNKNOWN_PIECE
    assert _record(m, "abc", "転居先不明")[0].outcome == Outcome.INVALID_ID
    assert _record(m, p[6], "なんとなく")[0].outcome == Outcome.UNKNOWN_REASON
    tomorrow = m.clock.today() + timedelta(days=1)
    assert _record(m, p[6], "転居先不明", returned_on=tomorrow)[0].outcome == Outcome.FUTURE_DATE
    with m.app.engine.connect() as conn:
        events = conn.execute(select(func.count()).select_from(return_event)).scalar_one()
        tasks = conn.execute(select(func.count()).select_from(branch_task)).scalar_one()
        queued = conn.execute(select(func.count()).select_from(webhook_outbox)).scalar_one()
    assert events == 5 and tasks == 4 and queued == 5


def test_reroute_groups_by_employer_and_reconciles(mailing: Mailing, tmp_path: Path) -> None:
    m = mailing
    pieces = _regular_pieces(m, 12)
    for i, pid in enumerate(pieces):
        _record(m, pid, "あて所に尋ねあたりません" if i % 2 else "転居先不明")
    # a household whose insured person left since printing: not re-sent, employer not bothered
    leaver = pieces[-1]
    with m.app.engine.begin() as conn:
        ms = conn.execute(
            select(certificate.c.membership_id, membership.c.relationship)
            .join(membership, membership.c.id == certificate.c.membership_id)
            .where(certificate.c.piece_id == leaver)
        ).all()
        for mid, _rel in ms:
            conn.execute(
                update(membership)
                .where(membership.c.id == mid)
                .values(valid_to=date(2025, 8, 31), loss_reason="99")
            )
    out = tmp_path / "reroute"
    rep = do_reroute(m.app.engine, m.clock, actor=SYSTEM, out_dir=out)
    assert rep.queued == 12 and rep.destroyed == 1 and not rep.files_failed
    assert rep.pieces == 11
    employers = {_employer_of(m, pid) for pid in pieces[:-1]}
    assert rep.envelopes == len(employers)
    assert _status(m, leaver) == "destroyed"
    with m.app.engine.connect() as conn:
        voided = conn.execute(
            select(func.count())
            .select_from(certificate)
            .where(certificate.c.piece_id == leaver, certificate.c.status == "void")
        ).scalar_one()
        children = conn.execute(
            select(mail_piece).where(mail_piece.c.parent_piece_id.is_not(None))
        ).all()
        batches = conn.execute(select(reroute_batch)).all()
        st = {s.branch_code: s for s in campaign_status(conn, m.campaign_id)}[m.branch_code]
        home_posted = conn.execute(
            select(func.count())
            .select_from(mail_piece)
            .where(
                mail_piece.c.parent_piece_id.is_(None), mail_piece.c.campaign_id == m.campaign_id
            )
        ).scalar_one()
    assert voided == len(ms)
    assert len(children) == 11
    assert {c.parent_piece_id for c in children} == set(pieces[:-1])
    assert all(c.route == "employer" and c.status == "printed" for c in children)
    assert all(classify(c.id) == IdKind.REROUTED_PIECE for c in children)
    assert all(classify(b.envelope_id) == IdKind.ENVELOPE for b in batches)
    assert {b.employer_id for b in batches} == employers
    assert all(_status(m, pid) == "rerouted" for pid in pieces[:-1])
    # the status command still counts home envelopes only
    assert st.printed == home_posted and st.rerouted == 11
    # print-ready cover letters and a packing manifest
    for b in batches:
        assert b.status == "printed" and b.first_page is not None
    for pdf in {b.file_name for b in batches}:
        assert preflight(out / pdf) == []
    lines = list(csv.DictReader(rep.manifests[0].open(encoding="utf-8-sig")))
    assert {ln["returned_piece_id"] for ln in lines} == set(pieces[:-1])
    # running it again changes nothing
    again = do_reroute(m.app.engine, m.clock, actor=SYSTEM, out_dir=out)
    assert again.queued == 0 and again.files_rendered == 0

    with m.app.engine.begin() as conn:
        assert do_mark_reroutes_posted(conn, actor=SYSTEM, at=m.clock.now()) == 11
    with m.app.engine.connect() as conn:
        rec = reconcile(conn, campaign_id=m.campaign_id, deep=True)
    assert rec.ok, rec.exceptions
    led = next(w for w in rec.waves if w.branch_code == m.branch_code)
    assert led.printed == led.posted == led.delivered + led.in_transit + led.returned
    assert led.rerouted == 11 and led.destroyed == 1 and led.employer_pieces == 11

    # the whole employer envelope comes back: every piece in it is held with a task
    env = batches[0]
    [first_child] = [c for c in children if c.employer_id == env.employer_id][:1]
    rows = _record(m, env.envelope_id, "あて所に尋ねあたりません")
    assert rows and all(r.outcome == Outcome.RECORDED for r in rows)
    assert all(r.task == TaskKind.RETURNED_FROM_EMPLOYER for r in rows)
    assert _status(m, first_child.id) == "held"
    # the original letter inside, scanned by its home piece id, is the same return
    [r] = _record(m, str(first_child.parent_piece_id), "転居先不明")
    assert r.outcome == Outcome.ALREADY_RETURNED and r.piece_id == first_child.id
    with m.app.engine.connect() as conn:
        rec = reconcile(conn, campaign_id=m.campaign_id)
        tasks = open_tasks(conn, SYSTEM)
    assert rec.ok, rec.exceptions
    assert {t.kind for t in tasks} == {TaskKind.RETURNED_FROM_EMPLOYER}

    # a tampered ledger is caught, with the piece id
    with m.app.engine.begin() as conn:
        conn.execute(
            update(mail_piece).where(mail_piece.c.id == pieces[0]).values(status="returned")
        )
        conn.execute(
            update(mail_piece).where(mail_piece.c.id == pieces[1]).values(status="printed")
        )
    with m.app.engine.connect() as conn:
        rec = reconcile(conn, campaign_id=m.campaign_id, deep=True)
    assert not rec.ok
    kinds = {e.kind for e in rec.exceptions}
    assert {
        ExceptionKind.OPEN_RETURN,
        ExceptionKind.NOT_POSTED,
        ExceptionKind.LEDGER,
        ExceptionKind.EVENT_MISMATCH,
        ExceptionKind.RECORD_WITHOUT_RETURN,
    } <= kinds
    assert ExceptionKind.ORPHAN not in kinds

    # the ledgers carry piece ids without a foreign key: a row pointing nowhere is caught
    with m.app.engine.begin() as conn:
        conn.execute(
            insert(mail_piece_event).values(
                piece_id="019999999990", at=m.clock.now(), to_status="posted", actor="x"
            )
        )
        conn.execute(
            insert(reroute_item).values(
                piece_id="019999999991",
                reroute_batch_id=987654,
                return_event_id=987654,
                parent_piece_id=pieces[0],
            )
        )
        conn.execute(
            update(return_event)
            .where(return_event.c.piece_id == pieces[2])
            .values(piece_id="019999999992")
        )
    with m.app.engine.connect() as conn:
        rec = reconcile(conn, deep=True)
        shallow = reconcile(conn)
    orphans = sorted(
        (e.piece_id, e.detail.split(":")[0])
        for e in rec.exceptions
        if e.kind == ExceptionKind.ORPHAN
    )
    assert orphans == [
        ("019999999990", "mail_piece_event"),
        ("019999999991", "reroute_item"),
        ("019999999992", "return_event"),
    ]
    assert ExceptionKind.ORPHAN not in shallow.exception_counts
    assert pieces[0] in {e.piece_id for e in rec.exceptions if e.kind == ExceptionKind.OPEN_RETURN}


def test_tasks_partial_leavers_and_voluntary_members(mailing: Mailing, tmp_path: Path) -> None:
    m = mailing
    a, b = _regular_pieces(m, 2)
    # address incomplete → held; staff correct it and send it home again; it can return again
    [r] = _record(m, a, "あて名不完全")
    with m.app.engine.connect() as conn:
        [task] = [t for t in open_tasks(conn, SYSTEM) if t.piece_id == a]
    assert task.kind == TaskKind.CORRECT_ADDRESS
    with m.app.engine.begin() as conn:
        do_resolve_task(
            conn, actor=SYSTEM, at=m.clock.now(), task_id=task.id, resolution=Resolution.RESEND_HOME
        )
    assert _status(m, a) == "resent"
    [r] = _record(m, a, "転居先不明")
    assert r.outcome == Outcome.RECORDED and r.action == Action.REROUTE_EMPLOYER
    with m.app.engine.connect() as conn:
        trips = conn.execute(
            select(return_event.c.trip).where(return_event.c.piece_id == a).order_by("trip")
        ).scalars()
        assert list(trips) == [1, 2]

    # refusal → staff decide to go through the employer after all
    [r] = _record(m, b, "受取拒絶")
    with m.app.engine.connect() as conn:
        [task] = [t for t in open_tasks(conn, SYSTEM) if t.piece_id == b]
    with m.app.engine.begin() as conn:
        do_resolve_task(
            conn, actor=SYSTEM, at=m.clock.now(), task_id=task.id, resolution=Resolution.REROUTE
        )
    rep = do_reroute(m.app.engine, m.clock, actor=SYSTEM, out_dir=tmp_path / "rr")
    assert rep.pieces == 2 and _status(m, b) == "rerouted" and _status(m, a) == "rerouted"

    # a voluntary (任意継続) member has no employer to hand it to: held with a task
    with m.app.engine.connect() as conn:
        vol = conn.execute(
            select(mail_piece.c.id)
            .join(certificate, certificate.c.piece_id == mail_piece.c.id)
            .join(membership, membership.c.id == certificate.c.membership_id)
            .where(mail_piece.c.status == "posted", membership.c.voluntary)
            .limit(1)
        ).scalar()
    if vol is not None:
        [r] = _record(m, vol, "転居先不明")
        assert r.action == Action.HOLD_AT_BRANCH and r.task == TaskKind.NO_EMPLOYER
    with m.app.engine.connect() as conn:
        rec = reconcile(conn, campaign_id=m.campaign_id)
    assert rec.ok, rec.exceptions


def test_dependant_who_left_is_pulled_out_the_rest_still_goes(
    mailing: Mailing, tmp_path: Path
) -> None:
    m = mailing
    with m.app.engine.connect() as conn:
        pid = conn.execute(
            select(certificate.c.piece_id)
            .join(mail_piece, mail_piece.c.id == certificate.c.piece_id)
            .join(employer, employer.c.id == mail_piece.c.employer_id)
            .where(mail_piece.c.status == "posted", employer.c.address.is_not(None))
            .group_by(certificate.c.piece_id)
            .having(func.count() >= 2)
            .order_by(certificate.c.piece_id)
            .limit(1)
        ).scalar()
        assert pid is not None
        dep = conn.execute(
            select(membership.c.id)
            .join(certificate, certificate.c.membership_id == membership.c.id)
            .where(certificate.c.piece_id == pid, membership.c.relationship == 2)
            .limit(1)
        ).scalar_one()
    _record(m, pid, "あて所に尋ねあたりません")
    with m.app.engine.begin() as conn:
        do_end_membership(
            conn,
            actor=SYSTEM,
            at=m.clock.now(),
            membership_id=dep,
            valid_to=date(2025, 9, 1),
            reason="99",
        )
    rep = do_reroute(m.app.engine, m.clock, actor=SYSTEM, out_dir=tmp_path / "rr")
    assert rep.pieces == 1 and rep.certificates_voided == 1 and rep.destroyed == 0
    with m.app.engine.connect() as conn:
        child = conn.execute(select(mail_piece).where(mail_piece.c.parent_piece_id == pid)).one()
        total = conn.execute(
            select(func.count()).select_from(certificate).where(certificate.c.piece_id == pid)
        ).scalar_one()
    assert child.members == total - 1
    lines = list(csv.DictReader(rep.manifests[0].open(encoding="utf-8-sig")))
    assert sum(1 for ln in lines if ln["enclose"].startswith("抜き取り")) == 1


def test_a_return_two_re_sends_from_home_is_decided_by_the_home_pieces_members(
    mailing: Mailing, tmp_path: Path
) -> None:
    """The rules never send a letter back to the employer that returned it, so an employer piece
    is one level below its home piece. Should a deeper chain ever exist (home piece → employer
    piece → a piece re-sending that one), its return is still decided by the members of the
    home piece two levels up — decided by the middle piece's own (no) certificates, it would be
    destroyed as if everyone had left."""
    m = mailing
    [home] = _regular_pieces(m, 1)
    _record(m, home, "転居先不明")
    do_reroute(m.app.engine, m.clock, actor=SYSTEM, out_dir=tmp_path / "r1")
    with m.app.engine.begin() as conn:
        do_mark_reroutes_posted(conn, actor=SYSTEM, at=m.clock.now())
        first = conn.execute(select(mail_piece).where(mail_piece.c.parent_piece_id == home)).one()
        second = reroute_piece_id(m.campaign_id, m.branch_code, 9_999_999)
        conn.execute(
            insert(mail_piece).values(
                {**first._asdict(), "id": second, "parent_piece_id": first.id}
            )
        )
    [r] = _record(m, second, "あて所に尋ねあたりません")
    assert r.outcome == Outcome.RECORDED
    assert (r.action, r.task) == (Action.HOLD_AT_BRANCH, TaskKind.RETURNED_FROM_EMPLOYER)
    assert _status(m, second) == "held"
