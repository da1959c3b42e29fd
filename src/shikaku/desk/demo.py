"""The desk's part of ``shikaku demo``: the contact forecast for the demo campaign's waves.

``demo_step(app, console, directory)`` logs a few weeks of synthetic inquiries (once), builds
the forecast for campaign ``2025`` from its stored waves, fits it to that log, sizes the desk
with Erlang C and writes ``desk-forecast.png``, ``desk-forecast.csv`` and ``desk-roster.csv``.

The demo insurer is small (tens of thousands of members, not 40 million), so the baseline
calls per day are scaled to its size; the contact rate, delay curve and hourly profile are the
configured ones. The synthetic log is drawn from the model with a different contact rate
(:data:`SYNTH_CONTACT_RATE`), so the fit has something to find.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table
from sqlalchemy import Connection, func, select

from shikaku.bootstrap import App
from shikaku.clock import JST
from shikaku.desk import repo
from shikaku.desk.campaign import CampaignForecast, forecast_for_campaign
from shikaku.desk.forecast import Forecast, PlanError, build_forecast
from shikaku.desk.settings import DeskSettings, load_desk_settings
from shikaku.desk.staffing import Roster, load_rows_from_forecast, plan_staffing
from shikaku.desk.tables import inquiry
from shikaku.registry.repo import active_on
from shikaku.registry.tables import membership

__all__ = ["CAMPAIGN", "DemoResult", "demo_step"]

CAMPAIGN = "2025"
#: 協会けんぽ members at the end of FY2024 (shared/domain.md §9.1): scales the baseline.
NATIONAL_MEMBERS = 39_713_000
SYNTH_OPERATOR = "demo-synth"
SYNTH_CONTACT_RATE = 0.065  # the "true" rate behind the synthetic log (configured: 0.04)
SYNTH_DAYS = 30  # desk days of the mailing that have a log
SYNTH_SEED = 2025
#: What synthetic callers ask about (category, FAQ entry or None, weight).
SYNTH_TOPICS: tuple[tuple[str, str | None, float], ...] = (
    ("certificate", "certificate-not-arrived", 0.22),
    ("certificate", "what-is-certificate", 0.18),
    ("myna-card", None, 0.16),
    ("transition", None, 0.14),
    ("certificate", "certificate-lost", 0.08),
    ("membership", None, 0.08),
    ("employer", None, 0.06),
    ("other", None, 0.08),
)


@dataclass(frozen=True)
class DemoResult:
    forecast: CampaignForecast
    roster: Roster
    logged: int
    files: tuple[Path, ...]


def _members(conn: Connection, campaign: str, today: date) -> int:
    """Members on the campaign's snapshot date (today when there is no such campaign)."""
    ref = repo.campaign_by_name(conn, campaign)
    on = ref.snapshot_date if ref is not None else today
    stmt = select(func.count()).select_from(membership).where(active_on(on))
    return int(conn.execute(stmt).scalar_one())


def _log_synthetic(app: App, forecast: Forecast, desk: DeskSettings) -> int:
    """Draw SYNTH_DAYS of contacts from the model at SYNTH_CONTACT_RATE and record them with
    the service (validation and audit included). Skipped when they are already there."""
    from shikaku.desk.service import DeskVocabulary, desk_actor, do_record_inquiry

    with app.engine.connect() as conn:
        done = conn.execute(
            select(func.count()).select_from(inquiry).where(inquiry.c.operator == SYNTH_OPERATOR)
        ).scalar_one()
    if done:
        return 0
    truth = build_forecast(forecast.plan, replace(forecast.config, contact_rate=SYNTH_CONTACT_RATE))
    rng = np.random.default_rng(SYNTH_SEED)
    now = app.clock.now()
    hours = np.asarray(truth.config.hourly_profile, dtype=float)
    langs = list(truth.langs)
    shares = np.array([truth.shares[x] for x in langs])
    weights = np.array([w for _, _, w in SYNTH_TOPICS])
    actor = desk_actor(SYNTH_OPERATOR)
    vocab = DeskVocabulary(languages=desk.languages)
    n = 0
    with app.engine.begin() as conn:
        for i, day in enumerate(truth.days[:SYNTH_DAYS]):
            for _ in range(int(rng.poisson(truth.daily[i]))):
                hour = truth.hours[int(rng.choice(len(hours), p=hours / hours.sum()))]
                at = datetime(day.year, day.month, day.day, hour, int(rng.integers(60)), tzinfo=JST)
                if at > now:
                    continue
                lang = langs[int(rng.choice(len(langs), p=shares))]
                cat, entry, _ = SYNTH_TOPICS[int(rng.choice(len(SYNTH_TOPICS), p=weights))]
                callback = rng.random() < 0.05
                do_record_inquiry(
                    conn,
                    actor=actor,
                    at=now,
                    operator=SYNTH_OPERATOR,
                    contacted_at=at,
                    channel="phone" if rng.random() < 0.9 else "web",
                    language=lang,
                    caller_type="member" if rng.random() < 0.85 else "employer",
                    category=cat,
                    faq_entry_id=entry,
                    interpreter_used=lang not in ("ja", "en"),
                    outcome="callback" if callback else "answered",
                    follow_up="折り返し(合成データ)" if callback else None,
                    follow_up_due=(at + timedelta(days=1)).date() if callback else None,
                    vocabulary=vocab,
                )
                n += 1
    return n


def demo_step(
    app: App,
    console: Console,
    directory: Path,
    *,
    campaign: str = CAMPAIGN,
    log_inquiries: bool = True,
    desk: DeskSettings | None = None,
) -> DemoResult | None:
    """Forecast, fit and staff the demo campaign; print a short table; write the files."""
    desk = desk or load_desk_settings(None, app.settings.policy)
    with app.engine.connect() as conn:
        members = _members(conn, campaign, app.clock.today())
    scale = max(members, 1) / NATIONAL_MEMBERS
    cfg = replace(
        desk.forecast, baseline_calls_per_day=desk.forecast.baseline_calls_per_day * scale
    )
    try:
        with app.engine.connect() as conn:
            first = forecast_for_campaign(
                conn, campaign, config=cfg, languages=desk.languages, fit_to_log=False
            )
    except PlanError as err:
        console.print(f"[yellow]入電予測なし / no contact forecast: {err}[/yellow]")
        return None
    logged = _log_synthetic(app, first.unfitted, desk) if log_inquiries else 0
    with app.engine.connect() as conn:
        cf = forecast_for_campaign(conn, campaign, config=cfg, languages=desk.languages)
    final = cf.forecast
    roster = plan_staffing(load_rows_from_forecast(final.rows()), desk.staffing)

    directory.mkdir(parents=True, exist_ok=True)
    from shikaku.desk.charts import forecast_chart

    files = (
        forecast_chart(
            final,
            directory / "desk-forecast.png",
            observed=dict(cf.observed) or None,
            title=f"Expected contacts per day, campaign {campaign} (demo scale)",
        ),
        final.write_csv(directory / "desk-forecast.csv"),
        roster.write_csv(directory / "desk-roster.csv"),
    )

    calls = final.calls  # (days, hours, languages)
    by_interval = calls.sum(axis=2)
    di, hi = np.unravel_index(int(by_interval.argmax()), by_interval.shape)
    peak_day, peak_hour = final.days[int(di)], final.hours[int(hi)]
    at_peak = [r for r in roster.rows if r.day == peak_day and r.hour == peak_hour]
    agents = sum(r.result.agents for r in at_peak)
    queues = ", ".join(f"{r.queue} {r.result.agents}" for r in at_peak)
    top = sorted(final.shares.items(), key=lambda kv: -kv[1])[:4]

    t = Table(title=f"入電予測 / contact forecast — campaign {campaign}")
    t.add_column("項目 item")
    t.add_column("値 value", justify="right")
    t.add_row("発送回 waves · 封筒 letters", f"{len(cf.waves)} · {cf.plan.letters:,}")
    t.add_row("期間 period", f"{final.days[0]} … {final.days[-1]}")
    t.add_row("入電計 total calls", f"{final.total:,.0f}")
    t.add_row("ピーク日 peak day", f"{peak_day} ({final.daily[int(di)]:,.1f} calls)")
    t.add_row("ピーク時間帯 peak hour", f"{peak_hour:02d}:00 ({by_interval[di, hi]:,.1f} calls)")
    t.add_row("上位言語 top languages", " · ".join(f"{k} {v:.1%}" for k, v in top))
    t.add_row("ピーク時の必要人員 agents at peak (Erlang C)", f"{agents} ({queues})")
    if cf.fit is not None:
        f = cf.fit
        t.add_row(
            "当てはめ fit (logged days)",
            f"rate {cf.unfitted.config.contact_rate:.3f} → {f.contact_rate:.3f}, "
            f"MAPE {f.mape_before:.1f}% → {f.mape_after:.1f}% ({f.days_used} days)",
        )
        if logged or log_inquiries:
            t.add_row("合成記録の真の率 synthetic log drawn at", f"rate {SYNTH_CONTACT_RATE:.3f}")
    t.add_row("基礎入電 baseline/day (scaled)", f"{cfg.baseline_calls_per_day:,.2f}")
    console.print(t)
    for note in cf.notes:
        console.print(f"[yellow]{note}[/yellow]")
    if logged:
        console.print(f"合成の問い合わせ記録 / synthetic inquiries logged: {logged:,}")
    console.print("入電予測 / forecast: " + ", ".join(str(p) for p in files))
    return DemoResult(forecast=cf, roster=roster, logged=logged, files=files)
