"""A small synthetic insurer with one printed and posted wave, for returned-mail tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, select

from shikaku.actors import SYSTEM
from shikaku.bootstrap import App
from shikaku.clock import FixedClock
from shikaku.config import Settings
from shikaku.crypto import MyNumberCipher
from shikaku.issuance.plan import generate_plan
from shikaku.issuance.runner import run_wave
from shikaku.issuance.service import (
    do_create_campaign,
    do_store_plan,
    do_target_campaign,
    envelopes_by_branch,
)
from shikaku.issuance.tables import mail_piece, wave
from shikaku.mail.service import do_mark_posted
from shikaku.synth import load, synthesize

AS_OF = date(2025, 4, 30)
PRINT_DAY = date(2025, 7, 25)
POST_DAY = date(2025, 8, 1)
RETURN_DAY = date(2025, 9, 5)


@dataclass
class Mailing:
    app: App
    clock: FixedClock
    campaign: str
    campaign_id: int
    wave_code: str
    branch_code: str
    out_dir: Path

    def pieces(self, status: str | None = None) -> list[str]:
        stmt = select(mail_piece.c.id).where(
            mail_piece.c.campaign_id == self.campaign_id, mail_piece.c.parent_piece_id.is_(None)
        )
        if status:
            stmt = stmt.where(mail_piece.c.status == status)
        with self.app.engine.connect() as conn:
            return list(conn.execute(stmt.order_by(mail_piece.c.id)).scalars())


def make_mailing(
    engine: Engine,
    cipher: MyNumberCipher,
    out_dir: Path,
    *,
    members: int = 3_000,
    post: bool = True,
    waves: int = 1,
) -> Mailing:
    """Print (and post) the wave of the biggest branch; with ``waves`` > 1 also those of the
    next biggest branches (the Mailing names the biggest)."""
    load(engine, synthesize(members=members, seed=7, as_of=AS_OF), cipher)
    clock = FixedClock.on(PRINT_DAY)
    app = App(settings=Settings(), engine=engine, clock=clock, cipher=cipher)
    with engine.begin() as conn:
        cid = do_create_campaign(
            conn,
            actor=SYSTEM,
            at=clock.now(),
            name="t",
            snapshot_date=AS_OF,
            issue_date=date(2025, 7, 1),
        )
        do_target_campaign(conn, actor=SYSTEM, at=clock.now(), campaign_id=cid)
        counts = envelopes_by_branch(conn, cid)
        plan = generate_plan(counts, start=date(2025, 8, 1), capacity_per_day=400)
        do_store_plan(conn, actor=SYSTEM, at=clock.now(), campaign_id=cid, plan=plan)
        branches = sorted(counts, key=lambda k: (-counts[k], k))[:waves]
        codes = [
            conn.execute(
                select(wave.c.code).where(wave.c.campaign_id == cid, wave.c.branch_code == b)
            ).scalar_one()
            for b in branches
        ]
    for code in codes:
        run_wave(
            app,
            actor=SYSTEM,
            campaign_name="t",
            wave_code=code,
            out_dir=out_dir,
            print_date=PRINT_DAY,
            workers=1,
            batch_size=100,
        )
    if post:
        clock.at = FixedClock.on(POST_DAY).at
        with engine.begin() as conn:
            for code in codes:
                do_mark_posted(
                    conn,
                    actor=SYSTEM,
                    at=clock.now(),
                    campaign_id=cid,
                    wave_code=code,
                    posted_on=POST_DAY,
                )
    clock.at = FixedClock.on(RETURN_DAY).at
    return Mailing(app, clock, "t", cid, codes[0], branches[0], out_dir)


def record_returns(m: Mailing, pieces: list[str]) -> list[str]:
    """Record an あて所に尋ねあたりません return of each piece (one CSV-like intake)."""
    from shikaku.mail.reasons import Reason
    from shikaku.mail.returns import ReturnInput
    from shikaku.mail.service import do_record_returns

    items = [
        ReturnInput(i, p, None, m.clock.today(), Reason.ADDRESSEE_UNKNOWN)
        for i, p in enumerate(pieces, start=1)
    ]
    with m.app.engine.begin() as conn:
        do_record_returns(
            conn, actor=SYSTEM, at=m.clock.now(), today=m.clock.today(), items=items, source="csv"
        )
    return pieces
