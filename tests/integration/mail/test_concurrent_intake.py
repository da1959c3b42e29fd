"""Two intakes of the same piece at once (PostgreSQL): the one that commits second finds the
return already recorded, answers "already returned" for it and records the rest of its rows."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from shikaku.actors import SYSTEM
from shikaku.mail import returns
from shikaku.mail.reasons import Reason
from shikaku.mail.returns import Outcome, ReturnInput, apply_returns
from shikaku.mail.tables import return_event, webhook_outbox

from .support import Mailing


def test_a_return_recorded_meanwhile_loses_on_the_unique_key(
    mailing: Mailing, monkeypatch: pytest.MonkeyPatch
) -> None:
    m = mailing
    if m.app.engine.dialect.name != "postgresql":
        pytest.skip("a second writer inside an open intake needs PostgreSQL")
    contested, other = m.pieces("posted")[:2]
    day = m.clock.today()
    original = returns.fix_origins
    interfered: list[int] = []

    def fix_origins_then_interfere(conn: Any, t: Any) -> None:
        """Runs after the intake classified its rows and before it records them: another
        session records the contested piece's return and commits."""
        original(conn, t)
        if interfered:
            return
        interfered.append(1)
        with m.app.engine.begin() as other_conn:
            rep = apply_returns(
                other_conn,
                actor=SYSTEM,
                at=m.clock.now(),
                today=day,
                items=[ReturnInput(1, contested, None, day, Reason.MOVED_NO_FORWARDING)],
                source="web",
            )
        assert rep.recorded == 1

    monkeypatch.setattr(returns, "fix_origins", fix_origins_then_interfere)
    with m.app.engine.begin() as conn:
        rep = apply_returns(
            conn,
            actor=SYSTEM,
            at=m.clock.now(),
            today=day,
            items=[
                ReturnInput(2, contested, None, day, Reason.MOVED_NO_FORWARDING),
                ReturnInput(3, other, None, day, Reason.MOVED_NO_FORWARDING),
            ],
            source="csv",
            detail=True,
        )
    assert interfered == [1]
    by_piece = {r.piece_id: r.outcome for r in rep.rows}
    assert by_piece == {contested: Outcome.ALREADY_RETURNED, other: Outcome.RECORDED}
    assert rep.recorded == 1
    with m.app.engine.connect() as conn:
        sources = dict(conn.execute(select(return_event.c.piece_id, return_event.c.source)).all())
        notified = conn.execute(select(func.sum(webhook_outbox.c.returns))).scalar_one()
    assert sources == {contested: "web", other: "csv"}  # each return once, by its winner
    assert notified == 2
