"""Re-routing plans groups of branches side by side on PostgreSQL (one connection and one
transaction per group, one run number), with the same result as one transaction; a group that
fails rolls back alone and a rerun plans the rest."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text

from shikaku.actors import SYSTEM
from shikaku.crypto import MyNumberCipher
from shikaku.issuance.tables import mail_piece
from shikaku.mail import reroute as reroute_mod
from shikaku.mail.ids import IdKind, classify
from shikaku.mail.reconcile import reconcile
from shikaku.mail.reroute import do_reroute, split_branches
from shikaku.mail.tables import reroute_batch, reroute_item

from .support import Mailing, make_mailing, record_returns


def test_branches_are_split_into_groups_of_about_equal_size() -> None:
    sizes = {"13": 900, "27": 500, "14": 450, "01": 40, "47": 10}
    groups = split_branches(sizes, 2)
    assert sorted(c for g in groups for c in g) == sorted(sizes)
    loads = sorted(sum(sizes[c] for c in g) for g in groups)
    assert loads == [950, 950]
    assert split_branches(sizes, 1) == [sorted(sizes)]
    assert split_branches({"13": 5}, 4) == [["13"]]  # no empty groups
    assert split_branches({}, 2) == []


def _two_branches(engine: Engine, cipher: MyNumberCipher, tmp_path: Path) -> Mailing:
    if engine.dialect.name != "postgresql":
        pytest.skip("branch groups are planned side by side on PostgreSQL only")
    return make_mailing(engine, cipher, tmp_path / "print", waves=2)


def _return(m: Mailing, per_branch: int) -> dict[str, list[str]]:
    with m.app.engine.connect() as conn:
        rows = conn.execute(
            select(mail_piece.c.branch_code, mail_piece.c.id)
            .where(mail_piece.c.status == "posted")
            .order_by(mail_piece.c.id)
        ).all()
    by_branch: dict[str, list[str]] = {}
    for code, pid in rows:
        if len(by_branch.setdefault(code, [])) < per_branch:
            by_branch[code].append(pid)
    assert len(by_branch) == 2
    record_returns(m, [p for ps in by_branch.values() for p in ps])
    return by_branch


def _status(m: Mailing, pieces: list[str]) -> set[str]:
    with m.app.engine.connect() as conn:
        return set(
            conn.execute(select(mail_piece.c.status).where(mail_piece.c.id.in_(pieces))).scalars()
        )


def test_groups_planned_side_by_side_give_one_run(
    engine: Engine, cipher: MyNumberCipher, tmp_path: Path, monkeypatch: Any
) -> None:
    m = _two_branches(engine, cipher, tmp_path)
    by_branch = _return(m, 15)
    groups: list[list[str]] = []
    real = reroute_mod.do_plan_reroute

    def spy(*a: Any, **kw: Any) -> Any:
        groups.append(list(kw.get("branch_codes") or []))
        return real(*a, **kw)

    monkeypatch.setattr(reroute_mod, "do_plan_reroute", spy)
    rep = do_reroute(m.app.engine, m.clock, actor=SYSTEM, out_dir=tmp_path / "rr", workers=2)
    assert sorted(groups) == sorted([[b] for b in by_branch])  # two groups, one branch each
    everything = [p for ps in by_branch.values() for p in ps]
    assert rep.queued == 30 and rep.pieces + rep.destroyed + rep.held == 30
    assert rep.run_seq == 1 and not rep.files_failed
    assert _status(m, everything) <= {"rerouted", "destroyed", "held"}
    with m.app.engine.connect() as conn:
        runs = set(conn.execute(select(reroute_batch.c.run_on, reroute_batch.c.run_seq)).all())
        kids = conn.execute(
            select(mail_piece.c.id, mail_piece.c.branch_code, mail_piece.c.parent_piece_id).where(
                mail_piece.c.parent_piece_id.is_not(None)
            )
        ).all()
        items = conn.execute(select(func.count()).select_from(reroute_item)).scalar_one()
        envelopes = list(conn.execute(select(reroute_batch.c.envelope_id)).scalars())
        rec = reconcile(conn, campaign_id=m.campaign_id)
    assert runs == {(m.clock.today(), 1)}
    assert len(kids) == rep.pieces == items
    assert len({k.id for k in kids}) == len(kids)
    assert all(classify(k.id) == IdKind.REROUTED_PIECE for k in kids)
    assert {k.branch_code for k in kids} == set(by_branch)
    assert len(set(envelopes)) == len(envelopes) == rep.envelopes
    assert rec.ok, rec.exception_counts
    # nothing left to do
    again = do_reroute(m.app.engine, m.clock, actor=SYSTEM, out_dir=tmp_path / "rr", workers=2)
    assert again.queued == 0


def test_a_failing_group_rolls_back_alone_and_a_rerun_plans_the_rest(
    engine: Engine, cipher: MyNumberCipher, tmp_path: Path, monkeypatch: Any
) -> None:
    m = _two_branches(engine, cipher, tmp_path)
    by_branch = _return(m, 10)
    failing, fine = sorted(by_branch)
    real = reroute_mod.do_plan_reroute

    def flaky(*a: Any, **kw: Any) -> Any:
        rep = real(*a, **kw)
        if failing in (kw.get("branch_codes") or []):
            raise RuntimeError("connection lost")
        return rep

    monkeypatch.setattr(reroute_mod, "do_plan_reroute", flaky)
    with pytest.raises(RuntimeError, match="connection lost"):
        do_reroute(m.app.engine, m.clock, actor=SYSTEM, out_dir=tmp_path / "rr", workers=2)
    assert _status(m, by_branch[failing]) == {"returned"}
    assert _status(m, by_branch[fine]) <= {"rerouted", "destroyed", "held"}
    monkeypatch.setattr(reroute_mod, "do_plan_reroute", real)
    rep = do_reroute(m.app.engine, m.clock, actor=SYSTEM, out_dir=tmp_path / "rr", workers=2)
    assert rep.queued == 10 and rep.run_seq == 2
    assert _status(m, by_branch[failing]) <= {"rerouted", "destroyed", "held"}
    with m.app.engine.connect() as conn:
        rec = reconcile(conn, campaign_id=m.campaign_id)
        per_branch = dict(
            conn.execute(
                select(mail_piece.c.branch_code, func.count())
                .where(mail_piece.c.parent_piece_id.is_not(None))
                .group_by(mail_piece.c.branch_code)
            ).all()
        )
    assert rec.ok, rec.exception_counts
    assert set(per_branch) <= set(by_branch)


def test_a_second_run_meanwhile_stops_with_a_clear_message(
    mailing: Mailing, tmp_path: Path
) -> None:
    """One re-routing run at a time: while one holds the run lock, another (an overlapping
    cron job) stops at once, through the API and the command, and plans nothing."""
    m = mailing
    if m.app.engine.dialect.name != "postgresql":
        pytest.skip("the run lock is a PostgreSQL advisory lock")
    from typer.testing import CliRunner

    from shikaku.cli import CliContext
    from shikaku.mail.cli import app
    from shikaku.mail.reroute import RUN_LOCK_KEY, RerouteBusy

    pieces = record_returns(m, m.pieces("posted")[:5])
    key = tmp_path / "k.key"
    key.write_text(bytes(range(32)).hex())
    url = m.app.engine.url.render_as_string(hide_password=False)
    obj = CliContext(database_url=url, key_file=key)
    with m.app.engine.connect() as running:
        running.execute(select(func.pg_advisory_lock(RUN_LOCK_KEY)))
        with pytest.raises(RerouteBusy, match="in progress"):
            do_reroute(m.app.engine, m.clock, actor=SYSTEM, out_dir=tmp_path / "rr")
        result = CliRunner().invoke(
            app, ["reroute", "--out", str(tmp_path / "rr")], obj=obj, env={"COLUMNS": "200"}
        )
        assert result.exit_code == 2, result.output
        assert "実行中" in result.output and "in progress" in result.output
        assert _status(m, pieces) == {"returned"}
        running.execute(select(func.pg_advisory_unlock(RUN_LOCK_KEY)))
        running.commit()
    rep = do_reroute(m.app.engine, m.clock, actor=SYSTEM, out_dir=tmp_path / "rr")
    assert rep.queued == 5
    with m.app.engine.connect() as probe:  # the run gave its lock back
        assert probe.execute(select(func.pg_try_advisory_lock(RUN_LOCK_KEY))).scalar_one()
        probe.execute(select(func.pg_advisory_unlock(RUN_LOCK_KEY)))


def test_ctrl_c_cancels_the_groups_at_once_and_they_roll_back(
    engine: Engine, cipher: MyNumberCipher, tmp_path: Path, monkeypatch: Any
) -> None:
    """Ctrl-C while the groups plan: their running statements are cancelled, each group's
    transaction rolls back, the command stops within seconds, and a rerun plans everything."""
    m = _two_branches(engine, cipher, tmp_path)
    by_branch = _return(m, 10)
    everything = [p for ps in by_branch.values() for p in ps]
    real_plan, real_wait = reroute_mod.do_plan_reroute, reroute_mod.wait

    def slow(conn: Any, **kw: Any) -> Any:
        rep = real_plan(conn, **kw)  # the group's rows are written, not yet committed
        conn.execute(select(func.pg_sleep(120)))  # a statement that would take minutes
        return rep

    def interrupted(futures: Any) -> Any:
        with m.app.engine.connect() as probe:  # both groups inside their long statement
            for _ in range(200):
                sleeping = probe.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep%'"
                        " AND pid <> pg_backend_pid() AND state = 'active'"
                        " AND datname = current_database()"
                    )
                ).scalar_one()
                probe.commit()
                if sleeping == 2:
                    break
                time.sleep(0.05)
        assert sleeping == 2
        raise KeyboardInterrupt

    monkeypatch.setattr(reroute_mod, "do_plan_reroute", slow)
    monkeypatch.setattr(reroute_mod, "wait", interrupted)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        do_reroute(m.app.engine, m.clock, actor=SYSTEM, out_dir=tmp_path / "rr", workers=2)
    assert time.monotonic() - started < 60  # not the 120 s the statements would have taken
    assert _status(m, everything) == {"returned"}  # both groups rolled back
    monkeypatch.setattr(reroute_mod, "do_plan_reroute", real_plan)
    monkeypatch.setattr(reroute_mod, "wait", real_wait)
    rep = do_reroute(m.app.engine, m.clock, actor=SYSTEM, out_dir=tmp_path / "rr", workers=2)
    assert rep.queued == 20
    assert _status(m, everything) <= {"rerouted", "destroyed", "held"}
