"""A campaign from targeting to print files, on a small synthetic insurer."""

from __future__ import annotations

import csv
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, func, select, update

from shikaku.actors import SYSTEM
from shikaku.bootstrap import App
from shikaku.clock import FixedClock
from shikaku.config import Settings
from shikaku.issuance.plan import generate_plan
from shikaku.issuance.render import preflight
from shikaku.issuance.runner import run_wave
from shikaku.issuance.service import (
    do_create_campaign,
    do_store_plan,
    do_target_campaign,
    envelopes_by_branch,
)
from shikaku.issuance.status import campaign_status
from shikaku.issuance.tables import (
    certificate,
    issuance_exception,
    mail_piece,
    mail_piece_event,
    print_batch,
    target,
    wave,
)
from shikaku.registry.tables import employer, membership, person

CLOCK = FixedClock.on(date(2025, 7, 25))


def _setup(engine: Engine) -> tuple[int, str]:
    with engine.begin() as conn:
        cid = do_create_campaign(
            conn,
            actor=SYSTEM,
            at=CLOCK.now(),
            name="t",
            snapshot_date=date(2025, 4, 30),
            issue_date=date(2025, 7, 1),
        )
        do_target_campaign(conn, actor=SYSTEM, at=CLOCK.now(), campaign_id=cid)
        counts = envelopes_by_branch(conn, cid)
        plan = generate_plan(counts, start=date(2025, 8, 1), capacity_per_day=400)
        do_store_plan(conn, actor=SYSTEM, at=CLOCK.now(), campaign_id=cid, plan=plan)
        biggest = max(counts, key=lambda k: counts[k])
        code = conn.execute(
            select(wave.c.code).where(wave.c.campaign_id == cid, wave.c.branch_code == biggest)
        ).scalar_one()
    return cid, code


def test_wave_end_to_end(populated: Engine, cipher, tmp_path: Path) -> None:
    app = App(settings=Settings(), engine=populated, clock=CLOCK, cipher=cipher)
    cid, code = _setup(populated)
    # One member leaves after the snapshot; one address is broken: both must be reported.
    with populated.begin() as conn:
        branch = conn.execute(select(wave.c.branch_code).where(wave.c.code == code)).scalar_one()
        ins = conn.execute(
            select(target.c.insured_person_id, target.c.membership_id)
            .where(target.c.campaign_id == cid, target.c.branch_code == branch)
            .order_by(target.c.insured_person_id)
            .limit(2)
        ).all()
        leaver = conn.execute(
            select(target.c.insured_person_id)
            .where(
                target.c.campaign_id == cid,
                target.c.branch_code == branch,
                target.c.insured_person_id > ins[-1].insured_person_id,
            )
            .order_by(target.c.insured_person_id)
        ).first()
        assert leaver is not None
        conn.execute(
            update(membership)
            .where(membership.c.person_id == leaver[0])
            .values(valid_to=date(2025, 6, 30), loss_reason="99")
        )
        conn.execute(
            update(person).where(person.c.id == ins[0].insured_person_id).values(address=None)
        )
        emp = (
            conn.execute(
                select(target.c.employer_id).where(
                    target.c.insured_person_id == ins[1].insured_person_id
                )
            )
            .scalars()
            .first()
        )
        conn.execute(update(employer).where(employer.c.id == emp).values(address=None))
    report = run_wave(
        app,
        actor=SYSTEM,
        campaign_name="t",
        wave_code=code,
        out_dir=tmp_path,
        print_date=date(2025, 7, 25),
        workers=1,
        batch_size=40,
    )
    assert report.prepare.dropped_left >= 1
    assert report.prepare.held_envelopes == 1
    assert not report.failed
    folder = tmp_path / "campaign-t" / code
    with populated.connect() as conn:
        pieces = conn.execute(
            select(func.count()).select_from(mail_piece).where(mail_piece.c.campaign_id == cid)
        ).scalar_one()
        printed_events = conn.execute(
            select(mail_piece_event.c.piece_id, func.count())
            .where(mail_piece_event.c.to_status == "printed")
            .group_by(mail_piece_event.c.piece_id)
        ).all()
        batches = conn.execute(select(print_batch)).all()
        exc = conn.execute(select(issuance_exception.c.rule_id)).scalars().all()
        certs = conn.execute(select(func.count()).select_from(certificate)).scalar_one()
        enveloped = conn.execute(
            select(func.count()).select_from(target).where(target.c.status == "enveloped")
        ).scalar_one()
        status = {s.branch_code: s for s in campaign_status(conn, cid)}
    assert pieces == report.prepare.envelopes > 40
    assert len(printed_events) == pieces and all(n == 1 for _, n in printed_events)
    assert certs == enveloped
    assert "address.missing" in exc
    assert "employer.address_missing" in exc  # reported, the home envelope still printed
    assert report.prepare.employers_without_address == 1
    for b in batches:
        path = tmp_path / "campaign-t" / b.file_name
        assert path.exists() and b.status == "printed"
        assert preflight(path, expected_pages=b.pages) == []
    lines = list(csv.DictReader((folder / "manifest.csv").open(encoding="utf-8-sig")))
    assert len(lines) == pieces and {ln["inserts"] for ln in lines} == {"flyer"}
    assert [ln["postal_code"] for ln in lines] == sorted(ln["postal_code"] for ln in lines) or len(
        batches
    ) > 1  # sorted within the wave: batch order follows postal order
    assert pq.read_table(folder / "manifest.parquet").num_rows == pieces
    assert (folder / "volume-sheet.pdf").exists() and (folder / "employer-lists.pdf").exists()
    assert any((folder / "employers").glob("*.csv"))
    st = status[branch]
    assert st.printed == pieces and st.held >= 1 and st.dropped >= 1
    # pdftotext finds a member's name on the first page of the first batch.
    first = tmp_path / "campaign-t" / batches[0].file_name
    text = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(first), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "資格確認書" in text

    # Running the same wave again renders nothing and changes nothing.
    again = run_wave(
        app,
        actor=SYSTEM,
        campaign_name="t",
        wave_code=code,
        out_dir=tmp_path,
        print_date=date(2025, 7, 25),
        workers=1,
        batch_size=40,
    )
    assert again.prepare.already_prepared and again.batches_rendered == 0
    assert again.batches_skipped == len(batches)


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_retargeting_after_print_adds_nobody(populated: Engine, cipher, tmp_path: Path) -> None:
    app = App(settings=Settings(), engine=populated, clock=CLOCK, cipher=cipher)
    _cid, code = _setup(populated)
    run_wave(
        app,
        actor=SYSTEM,
        campaign_name="t",
        wave_code=code,
        out_dir=tmp_path,
        print_date=date(2025, 7, 25),
        workers=1,
    )
    with populated.begin() as conn:
        later = do_create_campaign(
            conn,
            actor=SYSTEM,
            at=CLOCK.now(),
            name="later",
            snapshot_date=date(2025, 4, 30),
            issue_date=date(2025, 9, 1),
        )
        do_target_campaign(conn, actor=SYSTEM, at=CLOCK.now(), campaign_id=later)
        holders = select(certificate.c.person_id).where(certificate.c.status == "active")
        overlap = conn.execute(
            select(func.count())
            .select_from(target)
            .where(target.c.campaign_id == later, target.c.person_id.in_(holders))
        ).scalar_one()
    assert overlap == 0


def test_several_waves_pipelined_on_one_pool(
    populated: Engine, cipher, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``run_waves`` (``campaign run --all``): every wave printed, every envelope once, the
    progress callback adds up to the envelopes, reports come in wave order; small waves are
    started ahead until enough batches wait for the workers."""
    from shikaku.issuance import runner
    from shikaku.issuance.runner import run_waves

    steps: list[str] = []
    start, finish = runner._start_wave, runner._finish_wave

    def logged_start(*args: Any, **kwargs: Any) -> Any:
        steps.append("start")
        return start(*args, **kwargs)

    def logged_finish(*args: Any, **kwargs: Any) -> Any:
        steps.append("finish")
        return finish(*args, **kwargs)

    monkeypatch.setattr(runner, "_start_wave", logged_start)
    monkeypatch.setattr(runner, "_finish_wave", logged_finish)

    app = App(settings=Settings(), engine=populated, clock=CLOCK, cipher=cipher)
    _setup(populated)
    with populated.connect() as conn:
        codes = list(conn.execute(select(wave.c.code).order_by(wave.c.id)).scalars())[:3]
    seen = {"done": 0, "total": 0}

    def progress(advance: int, add_total: int) -> None:
        seen["done"] += advance
        seen["total"] += add_total

    reports = run_waves(
        app,
        actor=SYSTEM,
        campaign_name="t",
        wave_codes=codes,
        out_dir=tmp_path,
        print_date=date(2025, 7, 25),
        workers=2,
        progress=progress,
    )
    assert [r.wave_code for r in reports] == codes
    assert all(not r.failed and r.manifest is not None for r in reports)
    batches = sum(r.batches_total for r in reports)
    assert batches < runner.QUEUED_BATCHES_PER_WORKER * 2  # small waves: all started at once
    assert steps == ["start"] * len(codes) + ["finish"] * len(codes)
    with populated.connect() as conn:
        statuses = dict(
            conn.execute(select(wave.c.code, wave.c.status).where(wave.c.code.in_(codes))).all()
        )
        pieces = conn.execute(
            select(func.count()).select_from(mail_piece).where(mail_piece.c.status == "printed")
        ).scalar_one()
        printed_events = conn.execute(
            select(func.count())
            .select_from(mail_piece_event)
            .where(mail_piece_event.c.to_status == "printed")
        ).scalar_one()
    assert set(statuses.values()) == {"printed"}
    assert pieces == printed_events == sum(r.envelopes_rendered for r in reports) > 0
    assert seen["done"] == seen["total"] == pieces
