"""Contact forecast for a stored certificate campaign, from the database.

The mailing plan is the campaign's stored waves: each wave becomes a
:class:`~shikaku.issuance.plan.WavePlan` with the branch's envelope count (mail pieces already
made plus one per household still waiting), and :func:`~shikaku.issuance.plan.daily_letters`
spreads it over the wave's business days. The language shares are the preferred languages of
the campaign's targeted members. When the inquiry log holds contacts on days of the forecast,
the contact rate (and optionally the baseline) is fitted to them and the error (MAPE) reported.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Connection

from shikaku.config import DEFAULT_LANGUAGES
from shikaku.desk import repo
from shikaku.desk.forecast import (
    FitResult,
    Forecast,
    MailingPlan,
    PlanError,
    PlanRow,
    build_forecast,
    fit,
)
from shikaku.desk.search import resolve_language
from shikaku.desk.service import logged_calls_per_day
from shikaku.desk.settings import ForecastConfig
from shikaku.issuance.plan import WavePlan, daily_letters

__all__ = ["CampaignForecast", "campaign_mailing_plan", "forecast_for_campaign"]


@dataclass(frozen=True)
class CampaignForecast:
    """The forecast of one campaign, the plan it came from and the fit to the log."""

    campaign: str
    waves: tuple[WavePlan, ...]
    plan: MailingPlan
    unfitted: Forecast
    fit: FitResult | None
    observed: Mapping[date, float]
    language_counts: Mapping[str, int]
    notes: tuple[str, ...]

    @property
    def forecast(self) -> Forecast:
        """The fitted forecast when there was a fit, else the configured one."""
        return self.fit.forecast if self.fit is not None else self.unfitted


def _language_shares(
    counts: Mapping[str, int], languages: Sequence[str], notes: list[str]
) -> dict[str, float]:
    served: Counter[str] = Counter()
    unknown: Counter[str] = Counter()
    for code, n in counts.items():
        lang, fell_back, _ = resolve_language(code, languages)
        served[lang] += n
        if fell_back:
            unknown[code] += n
    if unknown:
        listed = ", ".join(f"{k} ({v:,})" for k, v in unknown.most_common())
        notes.append(
            f"未設定の言語コードは日本語として数えました / preferred languages not configured, "
            f"counted as Japanese: {listed}"
        )
    total = sum(served.values())
    if total <= 0:
        notes.append(
            "対象者の言語が不明のため全件を日本語として計算しました / no targeted members' "
            "languages found: every contact is counted as Japanese"
        )
        return {"ja": 1.0}
    return {k: v / total for k, v in served.items() if v > 0}


def campaign_mailing_plan(
    conn: Connection, campaign_name: str, *, languages: Sequence[str] = DEFAULT_LANGUAGES
) -> tuple[list[WavePlan], MailingPlan, dict[str, int]]:
    """(waves with envelope counts, mailing plan, people per preferred language) of a campaign.

    Raises :class:`PlanError` explaining what is missing: the campaign, its waves, or envelopes.
    """
    camp = repo.campaign_by_name(conn, campaign_name)
    if camp is None:
        known = repo.campaign_names(conn)
        raise PlanError(
            f"キャンペーン {campaign_name!r} がありません / no campaign named {campaign_name!r} "
            f"(known: {', '.join(known) or 'none'}). A campaign forecast needs a campaign with "
            "targeted members and stored waves: `shikaku campaign create NAME`, then "
            "`shikaku campaign plan NAME`; or give a plan file with --plan."
        )
    rows = repo.campaign_waves(conn, camp.id)
    if not rows:
        raise PlanError(
            f"キャンペーン {campaign_name!r} に発送計画がありません / campaign {campaign_name!r} "
            "has no stored waves, so there is no mailing plan to forecast from. Plan them with "
            f"`shikaku campaign plan {campaign_name}` (or give a plan file with --plan)."
        )
    envelopes = repo.campaign_envelopes_by_branch(conn, camp.id)
    waves = [
        WavePlan(
            code=w.code,
            branch_code=w.branch_code,
            post_from=w.post_from,
            post_to=w.post_to,
            envelopes=envelopes.get(w.branch_code, 0),
            pilot=w.pilot,
        )
        for w in rows
    ]
    notes: list[str] = []
    planned = {w.branch_code for w in waves}
    unplanned = {b: n for b, n in envelopes.items() if b not in planned and n > 0}
    if unplanned:
        notes.append(
            f"発送回のない支部の封筒 {sum(unplanned.values()):,} 通は予測に含まれません / "
            f"{sum(unplanned.values()):,} envelopes of branches without a wave "
            f"({', '.join(sorted(unplanned))}) are not in the forecast: re-plan the campaign"
        )
    per_day = daily_letters(waves)
    plan_rows = tuple(
        PlanRow(day, branch_code, n)
        for day, by_branch in per_day.items()
        for branch_code, n in sorted(by_branch.items())
        if n > 0
    )
    if not plan_rows:
        raise PlanError(
            f"キャンペーン {campaign_name!r} の発送回に封筒がありません / the waves of campaign "
            f"{campaign_name!r} hold no envelopes (no targeted members waiting and no mail "
            f"pieces). Target members with `shikaku campaign create {campaign_name}` first."
        )
    counts = repo.campaign_languages(conn, camp.id)
    shares = _language_shares(counts, languages, notes)
    plan = MailingPlan(
        rows=plan_rows,
        language_shares=shares,
        source=f"campaign {campaign_name}",
        notes=tuple(notes),
    )
    return waves, plan, counts


def _observed_for(forecast: Forecast, logged: Mapping[date, float]) -> dict[date, float]:
    """Logged counts on the forecast's days, with zeros for open days between the first and
    the last logged day (a day without a logged contact had none)."""
    inside = {d: float(n) for d, n in logged.items() if forecast.days[0] <= d <= forecast.days[-1]}
    if not inside:
        return {}
    first, last = min(inside), max(inside)
    return {d: inside.get(d, 0.0) for d in forecast.days if first <= d <= last}


def forecast_for_campaign(
    conn: Connection,
    campaign_name: str,
    *,
    config: ForecastConfig | None = None,
    languages: Sequence[str] = DEFAULT_LANGUAGES,
    fit_to_log: bool = True,
    fit_baseline: bool = False,
    observed: Mapping[date, float] | None = None,
    channels: Sequence[str] | None = None,
) -> CampaignForecast:
    """Expected contacts per day, hour and language for a stored campaign.

    ``observed`` (daily totals) replaces the inquiry log for the fit; otherwise the log is read
    (optionally only some ``channels``). Without overlapping observations the forecast is not
    fitted and a note says why.
    """
    waves, plan, counts = campaign_mailing_plan(conn, campaign_name, languages=languages)
    base = build_forecast(plan, config)
    notes = list(base.notes)
    result: FitResult | None = None
    obs: dict[date, float] = {}
    if fit_to_log:
        logged = (
            dict(observed)
            if observed is not None
            else {
                d: float(n)
                for d, n in logged_calls_per_day(
                    conn,
                    from_=base.days[0],
                    to=base.days[-1] + timedelta(days=1),
                    channels=channels,
                ).items()
            }
        )
        obs = _observed_for(base, logged)
        if not logged:
            notes.append(
                "問い合わせ記録がないため当てはめていません(接触率は設定値) / no inquiries "
                "logged in the forecast period: not fitted, the contact rate is the configured "
                "assumption"
            )
        elif not obs:
            notes.append(
                "問い合わせ記録が予測期間と重なりません / the logged inquiries do not fall on "
                f"the forecast's days ({base.days[0]} … {base.days[-1]}): not fitted"
            )
        else:
            try:
                result = fit(base, obs, fit_baseline=fit_baseline)
            except PlanError as err:
                notes.append(f"当てはめできません / not fitted: {err}")
    return CampaignForecast(
        campaign=campaign_name,
        waves=tuple(waves),
        plan=plan,
        unfitted=base,
        fit=result,
        observed=obs,
        language_counts=counts,
        notes=tuple(notes),
    )
