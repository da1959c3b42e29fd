"""Webhook notifications against a real HTTP server on 127.0.0.1 (signature, retries with
back-off, dead letters), and the reports (CSV files and chart)."""

from __future__ import annotations

import csv
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from sqlalchemy import select

from shikaku.actors import SYSTEM
from shikaku.mail import webhook
from shikaku.mail.intake import do_import_returns
from shikaku.mail.reports import oldest_open, reroute_volumes, returns_by_day, write_reports
from shikaku.mail.reroute import do_reroute
from shikaku.mail.service import do_record_return
from shikaku.mail.tables import webhook_outbox
from shikaku.mail.webhook import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    BackOff,
    send_due,
    verify,
)

from .support import Mailing

SECRET = b"branch-13-shared-secret"


class Receiver(BaseHTTPRequestHandler):
    fail_first: ClassVar[int] = 0
    seen: ClassVar[list[dict[str, Any]]] = []
    attempts: ClassVar[int] = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        cls = type(self)
        cls.attempts += 1
        if cls.attempts <= cls.fail_first:
            self.send_response(503)
            self.end_headers()
            return
        ok = verify(SECRET, self.headers[TIMESTAMP_HEADER], body, self.headers[SIGNATURE_HEADER])
        cls.seen.append(
            {"ok": ok, "delivery": self.headers[DELIVERY_HEADER], "body": json.loads(body)}
        )
        self.send_response(200 if ok else 401)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def _serve(handler: type[BaseHTTPRequestHandler]) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/returns"


def test_webhook_signed_retried_with_backoff(mailing: Mailing) -> None:
    m = mailing
    pieces = m.pieces("posted")[:3]
    with m.app.engine.begin() as conn:
        for p in pieces:
            do_record_return(
                conn,
                actor=SYSTEM,
                at=m.clock.now(),
                today=m.clock.today(),
                ref=p,
                reason="転居先不明",
            )

    class Flaky(Receiver):
        fail_first = 4  # the first two passes fail for two of the rows
        seen: ClassVar[list[dict[str, Any]]] = []
        attempts = 0

    server, url = _serve(Flaky)
    backoff = BackOff(base=timedelta(seconds=30), max_attempts=5)
    try:
        start = m.clock.at
        first = send_due(m.app.engine, m.clock, url=url, secret=SECRET, backoff=backoff)
        assert (first.sent, first.failed) == (0, 3)
        # not due yet: nothing is sent before the back-off has passed
        assert send_due(m.app.engine, m.clock, url=url, secret=SECRET, backoff=backoff).sent == 0
        m.clock.at = start + timedelta(seconds=31)
        second = send_due(m.app.engine, m.clock, url=url, secret=SECRET, backoff=backoff)
        assert (second.sent, second.failed) == (2, 1)
        with m.app.engine.connect() as conn:
            row = conn.execute(
                select(webhook_outbox).where(webhook_outbox.c.status == "pending")
            ).one()
        assert row.attempts == 2  # next wait doubles: 60 s after the second failure
        m.clock.at = start + timedelta(seconds=31 + 59)
        assert send_due(m.app.engine, m.clock, url=url, secret=SECRET, backoff=backoff).sent == 0
        m.clock.at = start + timedelta(seconds=31 + 61)
        third = send_due(m.app.engine, m.clock, url=url, secret=SECRET, backoff=backoff)
        assert third.sent == 1
    finally:
        server.shutdown()
        m.clock.at = start
    assert all(s["ok"] for s in Flaky.seen) and len(Flaky.seen) == 3
    # one scan at the counter is one intake: one notification listing its one return
    assert all(s["body"]["count"] == 1 for s in Flaky.seen)
    assert {s["body"]["returns"][0]["piece_id"] for s in Flaky.seen} == set(pieces)
    assert len({s["delivery"] for s in Flaky.seen}) == 3
    body = Flaky.seen[0]["body"]
    assert set(body) == {"type", "branch_code", "intake_ref", "count", "returns"}
    assert body["type"] == "mail.returned" and body["branch_code"] == m.branch_code
    assert set(body["returns"][0]) == {
        "id", "piece_id", "returned_on", "reason", "action", "trip", "source",
    }  # fmt: skip
    with m.app.engine.connect() as conn:
        assert set(conn.execute(select(webhook_outbox.c.status)).scalars()) == {"sent"}


def test_webhook_one_notification_per_block_of_an_intake(
    mailing: Mailing, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An upload is notified in blocks: every return in exactly one body, none twice; a later
    intake in the same transaction gets its own notification."""
    m = mailing
    monkeypatch.setattr(webhook, "RETURNS_PER_NOTIFICATION", 3)
    posted = m.pieces("posted")
    batch, single = posted[:7], posted[7]
    path = tmp_path / "returns.csv"
    path.write_text(
        "piece_id,tracking_no,returned_on,reason\n"
        + "".join(f"{p},,2025-09-04,転居先不明\n" for p in batch),
        encoding="utf-8",
    )
    with m.app.engine.begin() as conn:
        rep = do_import_returns(
            conn, actor=SYSTEM, at=m.clock.now(), today=m.clock.today(), path=path
        )
        do_record_return(
            conn, actor=SYSTEM, at=m.clock.now(), today=m.clock.today(), ref=single,
            reason="受取拒絶",
        )  # fmt: skip
    assert rep.recorded == 7
    with m.app.engine.connect() as conn:
        blocks = (
            conn.execute(select(webhook_outbox.c.returns).order_by(webhook_outbox.c.id))
            .scalars()
            .all()
        )
    assert sorted(blocks) == [1, 1, 3, 3]

    class Ok(Receiver):
        seen: ClassVar[list[dict[str, Any]]] = []
        attempts = 0

    server, url = _serve(Ok)
    try:
        sent = send_due(m.app.engine, m.clock, url=url, secret=SECRET)
    finally:
        server.shutdown()
    assert sent.sent == 4 and all(s["ok"] for s in Ok.seen)
    listed = [r["piece_id"] for s in Ok.seen for r in s["body"]["returns"]]
    assert sorted(listed) == sorted([*batch, single])
    assert all(s["body"]["count"] == len(s["body"]["returns"]) for s in Ok.seen)
    [alone] = [s["body"] for s in Ok.seen if s["body"]["returns"][0]["piece_id"] == single]
    assert alone["count"] == 1 and alone["returns"][0]["reason"] == "refused"


def test_webhook_gives_up_after_max_attempts(mailing: Mailing) -> None:
    m = mailing
    with m.app.engine.begin() as conn:
        do_record_return(
            conn,
            actor=SYSTEM,
            at=m.clock.now(),
            today=m.clock.today(),
            ref=m.pieces("posted")[0],
            reason="受取拒絶",
        )

    class Down(Receiver):
        fail_first = 10**6
        attempts = 0

    server, url = _serve(Down)
    backoff = BackOff(base=timedelta(seconds=1), max_attempts=3)
    start = m.clock.at
    try:
        dead = 0
        for i in range(4):
            m.clock.at = start + timedelta(hours=i)
            dead += send_due(m.app.engine, m.clock, url=url, secret=SECRET, backoff=backoff).dead
    finally:
        server.shutdown()
        m.clock.at = start
    assert dead == 1 and Down.attempts == 3
    # nothing listening at all: a connection error is a failed attempt, not a crash
    rep = send_due(m.app.engine, m.clock, url="http://127.0.0.1:9/x", secret=SECRET)
    assert rep.sent == 0


def test_reports_csv_and_chart(mailing: Mailing, tmp_path: Path) -> None:
    m = mailing
    pieces = m.pieces("posted")
    reasons = ["あて所に尋ねあたりません"] * 5 + ["転居先不明"] * 3 + ["受取拒絶", "あて名不完全"]
    with m.app.engine.begin() as conn:
        for p, reason in zip(pieces, reasons, strict=False):
            do_record_return(
                conn, actor=SYSTEM, at=m.clock.now(), today=m.clock.today(), ref=p, reason=reason
            )
    do_reroute(m.app.engine, m.clock, actor=SYSTEM, out_dir=tmp_path / "rr")
    with m.app.engine.connect() as conn:
        days = returns_by_day(conn)
        vols = reroute_volumes(conn)
        old = oldest_open(conn, today=m.clock.today() + timedelta(days=3))
        paths = write_reports(conn, tmp_path / "rep", today=m.clock.today())
    by_reason = {d.reason: d.returns for d in days}
    assert by_reason == {
        "addressee-unknown": 5,
        "moved-no-forwarding": 3,
        "refused": 1,
        "address-incomplete": 1,
    }
    assert sum(v.pieces for v in vols) == 8 and all(v.printed == v.envelopes for v in vols)
    assert {o.reason for o in old} == {"refused", "address-incomplete"}
    assert all(o.age_days == 3 and o.status == "held" and o.task for o in old)
    rows = list(csv.DictReader(paths["returns_by_day"].open(encoding="utf-8-sig")))
    assert sum(int(r["returns"]) for r in rows) == 10
    assert paths["chart"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
