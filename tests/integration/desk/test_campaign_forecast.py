"""Contact forecast from a stored campaign (waves, envelopes, members' languages), fitted to
the inquiry log, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from shikaku.actors import SYSTEM
from shikaku.clock import JST
from shikaku.crypto import MyNumberCipher
from shikaku.desk.campaign import forecast_for_campaign
from shikaku.desk.forecast import Forecast, PlanError, build_forecast
from shikaku.desk.service import desk_actor, do_record_inquiry
from shikaku.desk.settings import ForecastConfig
from shikaku.domain.ids.certificate_qr import derive_key
from shikaku.issuance.plan import daily_letters
from shikaku.issuance.prepare import do_prepare_wave
from shikaku.issuance.tables import mail_piece, target, wave
from shikaku.registry.tables import person

from .conftest import CAMPAIGN, CLOCK, Planned

CFG = ForecastConfig(contact_rate=0.05, baseline_calls_per_day=20)


def test_totals_equal_letters_times_rate_plus_baseline(planned: Planned) -> None:
    with planned.engine.connect() as conn:
        cf = forecast_for_campaign(conn, CAMPAIGN, config=CFG)
        stored = conn.execute(
            select(func.count()).select_from(wave).where(wave.c.campaign_id == planned.campaign_id)
        ).scalar_one()
    letters = sum(planned.envelopes.values())
    assert letters > 500
    assert cf.plan.letters == letters
    assert len(cf.waves) == stored and {w.branch_code for w in cf.waves} == set(planned.envelopes)
    assert {w.branch_code: w.envelopes for w in cf.waves} == planned.envelopes
    fc = cf.forecast
    assert cf.fit is None and fc is cf.unfitted
    assert fc.total == pytest.approx(letters * 0.05 + 20 * len(fc.days), rel=1e-9)
    # The plan is daily_letters over the stored windows: every letter inside its wave's window.
    per_day = daily_letters(cf.waves)
    assert sum(sum(b.values()) for b in per_day.values()) == letters
    windows = {w.branch_code: (w.post_from, w.post_to) for w in cf.waves}
    for row in cf.plan.rows:
        first, last = windows[row.branch_code]
        assert first <= row.posting_date <= last
    assert fc.days[0] == min(w.post_from for w in cf.waves)
    assert any("no inquiries logged" in n for n in cf.notes)


def test_language_shares_come_from_the_targets(planned: Planned) -> None:
    with planned.engine.connect() as conn:
        cf = forecast_for_campaign(conn, CAMPAIGN, config=CFG)
        rows = conn.execute(
            select(person.c.preferred_language)
            .join(target, target.c.person_id == person.c.id)
            .where(target.c.campaign_id == planned.campaign_id)
        ).scalars()
        counts = Counter(rows)
    total = sum(counts.values())
    assert len(counts) > 1, "the synthetic insurer has foreign residents"
    assert cf.plan.language_shares == pytest.approx({k: v / total for k, v in counts.items()})
    by_lang = cf.forecast.by_language()
    assert by_lang["ja"] == pytest.approx(cf.forecast.total * counts["ja"] / total)


def _truth(planned: Planned, rate: float) -> Forecast:
    with planned.engine.connect() as conn:
        cf = forecast_for_campaign(conn, CAMPAIGN, config=CFG, fit_to_log=False)
    return build_forecast(cf.plan, replace(CFG, contact_rate=rate, baseline_calls_per_day=0))


def test_fit_to_the_inquiry_log_reports_the_error(planned: Planned) -> None:
    cfg = replace(CFG, baseline_calls_per_day=0)
    truth = _truth(planned, 0.12)
    logged: dict[date, int] = {}
    with planned.engine.begin() as conn:
        for i, day in enumerate(truth.days[:12]):
            n = round(float(truth.daily[i]))
            logged[day] = n
            for k in range(n):
                do_record_inquiry(
                    conn,
                    actor=desk_actor("op"),
                    at=datetime(2026, 1, 5, 9, tzinfo=JST),
                    contacted_at=datetime(day.year, day.month, day.day, 9 + k % 8, tzinfo=JST),
                    channel="phone",
                    language="ja",
                    caller_type="member",
                    category="certificate",
                    outcome="answered",
                )
    assert sum(logged.values()) > 30
    with planned.engine.connect() as conn:
        cf = forecast_for_campaign(conn, CAMPAIGN, config=cfg)
    assert cf.fit is not None
    assert cf.fit.contact_rate == pytest.approx(0.12, rel=0.1)
    assert cf.fit.mape_after < cf.fit.mape_before
    days_with_calls = [d for d, n in logged.items() if n]
    first, last = min(days_with_calls), max(days_with_calls)
    expected = {d: float(logged.get(d, 0)) for d in truth.days if first <= d <= last}
    assert cf.observed == expected
    assert cf.fit.days_used == len(cf.observed)
    assert cf.forecast is cf.fit.forecast
    assert cf.forecast.config.contact_rate == cf.fit.contact_rate
    with planned.engine.connect() as conn:
        unfitted = forecast_for_campaign(conn, CAMPAIGN, config=cfg, fit_to_log=False)
        by_file = forecast_for_campaign(
            conn, CAMPAIGN, config=cfg, observed={d: 0.0 for d in logged}
        )
    assert unfitted.fit is None
    assert by_file.fit is not None and by_file.fit.contact_rate == 0.0  # the log is not used


def test_a_log_outside_the_period_is_reported_not_fitted(planned: Planned) -> None:
    with planned.engine.begin() as conn:
        do_record_inquiry(
            conn,
            actor=desk_actor("op"),
            at=CLOCK.now(),
            contacted_at=CLOCK.now() - timedelta(days=30),
            channel="phone",
            language="ja",
            caller_type="member",
            category="other",
            outcome="answered",
        )
    with planned.engine.connect() as conn:
        cf = forecast_for_campaign(conn, CAMPAIGN, config=CFG)
    assert cf.fit is None and any("not fitted" in n for n in cf.notes)


def test_without_a_plan_the_error_says_what_is_missing(planned: Planned) -> None:
    with planned.engine.connect() as conn, pytest.raises(PlanError) as unknown:
        forecast_for_campaign(conn, "2099")
    assert "'2099'" in str(unknown.value) and "shikaku campaign plan" in str(unknown.value)
    assert "known: t" in str(unknown.value)
    with planned.engine.begin() as conn:
        conn.execute(wave.delete().where(wave.c.campaign_id == planned.campaign_id))
    with planned.engine.connect() as conn, pytest.raises(PlanError) as no_waves:
        forecast_for_campaign(conn, CAMPAIGN)
    assert "no stored waves" in str(no_waves.value)
    assert f"shikaku campaign plan {CAMPAIGN}" in str(no_waves.value)


def test_prepared_waves_count_their_mail_pieces(planned: Planned, cipher: MyNumberCipher) -> None:
    with planned.engine.connect() as conn:
        before = forecast_for_campaign(conn, CAMPAIGN, config=CFG, fit_to_log=False)
    first = before.waves[0]
    with planned.engine.begin() as conn:
        report = do_prepare_wave(
            conn,
            actor=SYSTEM,
            at=CLOCK.now(),
            campaign_id=planned.campaign_id,
            wave_code=first.code,
            print_date=first.post_from,
            qr_key=derive_key(cipher.master_key),
        )
        pieces = conn.execute(
            select(func.count())
            .select_from(mail_piece)
            .where(mail_piece.c.campaign_id == planned.campaign_id)
        ).scalar_one()
    assert report.envelopes > 0 and pieces == report.envelopes
    with planned.engine.connect() as conn:
        after = forecast_for_campaign(conn, CAMPAIGN, config=CFG, fit_to_log=False)
    got = {w.branch_code: w.envelopes for w in after.waves}
    assert got[first.branch_code] == pieces
    assert after.plan.letters == before.plan.letters - first.envelopes + pieces
