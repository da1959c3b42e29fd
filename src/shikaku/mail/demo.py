"""Returned mail in ``shikaku demo``: post the printed waves, simulate returns with realistic
reasons, re-route them to employers, show the reconciled ledger.

``shikaku.demo`` calls :func:`demo_step` after printing the waves.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
from rich.console import Console
from sqlalchemy import func, select

from shikaku.actors import SYSTEM
from shikaku.bootstrap import App
from shikaku.domain.mailpiece import PieceStatus
from shikaku.issuance.service import get_campaign
from shikaku.issuance.tables import mail_piece, wave
from shikaku.mail.reasons import SIMULATED_SHARES
from shikaku.mail.returns import ReturnInput
from shikaku.mail.service import do_mark_posted, do_mark_reroutes_posted, do_record_returns
from shikaku.mail.tables import return_event

DEMO_CAMPAIGN = "2025"
DEMO_SOURCE = "demo"
#: returns come back between these many days after posting (特定記録: the post office holds
#: and returns within about a week to three weeks)
RETURN_DELAY_DAYS = (3, 21)


def post_printed_waves(app: App, campaign_name: str) -> int:
    """Mark every wave with printed pieces posted on its first posting day."""
    posted = 0
    with app.engine.connect() as conn:
        cid = int(get_campaign(conn, campaign_name)["id"])  # type: ignore[call-overload]
        waves = conn.execute(
            select(wave.c.code, wave.c.post_from)
            .join(mail_piece, mail_piece.c.wave_id == wave.c.id)
            .where(wave.c.campaign_id == cid, mail_piece.c.status == PieceStatus.PRINTED.value)
            .group_by(wave.c.code, wave.c.post_from)
            .order_by(wave.c.post_from)
        ).all()
    for code, post_from in waves:
        with app.engine.begin() as conn:
            r = do_mark_posted(
                conn,
                actor=SYSTEM,
                at=app.clock.now(),
                campaign_id=cid,
                wave_code=code,
                posted_on=post_from,
            )
        posted += r.posted
    return posted


def simulate_returns(
    app: App, campaign_name: str, rate: float = 0.03, seed: int = 2025
) -> dict[str, int]:
    """Return about ``rate`` of the campaign's posted home pieces with realistic reasons
    (:data:`~shikaku.mail.reasons.SIMULATED_SHARES`). Deterministic for a seed; a second call
    for a campaign that already has simulated returns does nothing. Returns outcome counts."""
    today = app.clock.today()
    with app.engine.connect() as conn:
        cid = int(get_campaign(conn, campaign_name)["id"])  # type: ignore[call-overload]
        done = conn.execute(
            select(func.count())
            .select_from(return_event)
            .join(mail_piece, mail_piece.c.id == return_event.c.piece_id)
            .where(mail_piece.c.campaign_id == cid, return_event.c.source == DEMO_SOURCE)
        ).scalar_one()
        if done:
            return {}
        rows = conn.execute(
            select(mail_piece.c.id, wave.c.post_from)
            .join(wave, wave.c.id == mail_piece.c.wave_id)
            .where(
                mail_piece.c.campaign_id == cid,
                mail_piece.c.parent_piece_id.is_(None),
                mail_piece.c.status == PieceStatus.POSTED.value,
            )
            .order_by(mail_piece.c.id)
        ).all()
    if not rows:
        return {}
    rng = np.random.default_rng(seed)
    picked = np.flatnonzero(rng.random(len(rows)) < rate)
    reasons = list(SIMULATED_SHARES)
    shares = np.array([SIMULATED_SHARES[r] for r in reasons])
    which = rng.choice(len(reasons), size=len(picked), p=shares / shares.sum())
    delays = rng.integers(RETURN_DELAY_DAYS[0], RETURN_DELAY_DAYS[1] + 1, size=len(picked))
    items = []
    for n, (i, k, d) in enumerate(
        zip(picked.tolist(), which.tolist(), delays.tolist(), strict=True)
    ):
        pid, post_from = rows[i]
        day: date = min(today, post_from + timedelta(days=int(d)))
        items.append(ReturnInput(n + 1, pid, None, day, reasons[k]))
    with app.engine.begin() as conn:
        report = do_record_returns(
            conn,
            actor=SYSTEM,
            at=app.clock.now(),
            today=today,
            items=items,
            source=DEMO_SOURCE,
        )
    return report.by_action


def demo_step(app: App, console: Console, directory: Path) -> None:
    """Post, return ~3 %, re-route, post the employer envelopes, reconcile, report."""
    from shikaku.mail.cli import print_reconciliation
    from shikaku.mail.reasons import ACTION_LABELS, Action
    from shikaku.mail.reconcile import reconcile
    from shikaku.mail.reports import write_reports
    from shikaku.mail.reroute import do_reroute

    posted = post_printed_waves(app, DEMO_CAMPAIGN)
    console.print(f"差出 / posted: {posted:,} envelopes")
    by_action = simulate_returns(app, DEMO_CAMPAIGN, rate=0.03, seed=2025)
    if by_action:
        console.print(f"返戻（模擬） / simulated returns: {sum(by_action.values()):,}")
        for action, n in sorted(by_action.items(), key=lambda kv: -kv[1]):
            console.print(f"  {ACTION_LABELS[Action(action)][0]}: {n:,}")
    rep = do_reroute(app.engine, app.clock, actor=SYSTEM, out_dir=directory / "print")
    console.print(
        f"事業所あて再送 / re-routed to employers: {rep.pieces:,} pieces in {rep.envelopes:,} "
        f"envelopes; not re-sent (left the insurer): {rep.destroyed:,}; held: {rep.held:,}"
    )
    for m in rep.manifests:
        console.print(f"  manifest: {m}")
    with app.engine.begin() as conn:
        do_mark_reroutes_posted(conn, actor=SYSTEM, at=app.clock.now())
    with app.engine.connect() as conn:
        cid = int(get_campaign(conn, DEMO_CAMPAIGN)["id"])  # type: ignore[call-overload]
        ledger = reconcile(conn, campaign_id=cid)
        paths = write_reports(conn, directory / "mail-reports", today=app.clock.today())
    print_reconciliation(ledger, console)
    console.print(f"返戻レポート / reports: {paths['returns_by_day'].parent}")
