"""Contact forecast: totals, delivery on business days, language and hour split, fitting."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from shikaku.config import DEFAULT_LANGUAGES
from shikaku.desk.forecast import (
    MailingPlan,
    PlanError,
    PlanRow,
    add_business_days,
    build_forecast,
    fit,
    load_language_shares,
    load_observed,
    load_plan,
)
from shikaku.desk.settings import ForecastConfig

from .conftest import DATA

SHARES = {"ja": 0.9, "en": 0.05, "vi": 0.05}


def plan(*rows: tuple[date, int]) -> MailingPlan:
    return MailingPlan(rows=tuple(PlanRow(d, "13", n) for d, n in rows), language_shares=SHARES)


def test_total_is_letters_times_rate_plus_baseline() -> None:
    p = plan((date(2025, 8, 1), 100_000), (date(2025, 8, 8), 250_000))
    cfg = ForecastConfig(contact_rate=0.05, baseline_calls_per_day=800)
    fc = build_forecast(p, cfg)
    assert fc.total == pytest.approx(350_000 * 0.05 + 800 * len(fc.days))
    assert fc.mail_calls.sum() == pytest.approx(350_000 * 0.05)
    assert fc.landed.sum() == pytest.approx(350_000)
    assert fc.calls.sum() == pytest.approx(fc.total)


def test_split_by_language_and_hour() -> None:
    fc = build_forecast(plan((date(2025, 8, 1), 100_000)))
    calls = fc.calls
    assert calls.shape == (len(fc.days), len(fc.hours), 3)
    by_lang = calls.sum(axis=(0, 1))
    for k, lang in enumerate(fc.langs):
        assert by_lang[k] == pytest.approx(fc.total * SHARES[lang])
    assert calls.sum(axis=(0, 2)) / fc.total == pytest.approx(np.asarray(fc.config.hourly_profile))
    assert fc.langs[0] == "ja"


def test_letters_land_on_business_days_and_calls_on_open_days() -> None:
    # Posted Friday 2025-08-08; Monday 08-11 is 山の日 (a holiday): land 08-12 and 08-13.
    assert add_business_days(date(2025, 8, 8), 1) == date(2025, 8, 12)
    assert add_business_days(date(2025, 8, 8), 2) == date(2025, 8, 13)
    assert add_business_days(date(2025, 8, 9), 0) == date(2025, 8, 12)  # Saturday → next
    fc = build_forecast(
        plan((date(2025, 8, 8), 10_000)), ForecastConfig(delivery_lag_shares=(0.0, 0.6, 0.4))
    )
    landed = {d: x for d, x in zip(fc.days, fc.landed, strict=True) if x}
    assert landed == {
        date(2025, 8, 12): pytest.approx(6000),
        date(2025, 8, 13): pytest.approx(4000),
    }
    assert all(d.weekday() < 5 for d in fc.days)
    assert date(2025, 8, 11) not in fc.days


def test_delay_curve_shapes_the_calls() -> None:
    cfg = ForecastConfig(
        contact_rate=0.1,
        baseline_calls_per_day=0,
        delivery_lag_shares=(1.0,),
        delay_curve=(0.5, 0.3, 0.2),
    )
    fc = build_forecast(plan((date(2025, 9, 1), 1000)), cfg)  # Monday
    assert list(fc.days) == [date(2025, 9, 1), date(2025, 9, 2), date(2025, 9, 3)]
    assert fc.mail_calls == pytest.approx([50, 30, 20])


def test_saturday_desk_and_closed_dates() -> None:
    cfg = ForecastConfig(
        open_weekdays=(0, 1, 2, 3, 4, 5),
        closed_dates=(date(2025, 9, 2),),
        delivery_lag_shares=(1.0,),
        delay_curve=(0.5, 0.5),
    )
    fc = build_forecast(plan((date(2025, 9, 1), 1000)), cfg)
    assert date(2025, 9, 2) not in fc.days
    assert fc.days[:2] == (date(2025, 9, 1), date(2025, 9, 3))


def test_bad_configuration_is_explained() -> None:
    with pytest.raises(PlanError, match="delay_curve"):
        build_forecast(plan((date(2025, 9, 1), 1)), ForecastConfig(delay_curve=(0.5, 0.2)))
    with pytest.raises(PlanError, match="hourly_profile"):
        build_forecast(plan((date(2025, 9, 1), 1)), ForecastConfig(hours=(9, 10)))


def _synthetic_observed(
    p: MailingPlan, rate: float, noise: float, seed: int = 1
) -> dict[date, float]:
    truth = build_forecast(p, ForecastConfig(contact_rate=rate))
    rng = np.random.default_rng(seed)
    return {
        d: float(x * (1 + rng.normal(0, noise)))
        for d, x in zip(truth.days, truth.daily, strict=True)
    }


def test_fit_recovers_a_known_rate() -> None:
    p = plan(*[(date(2025, 8, 1) + timedelta(days=7 * k), 200_000) for k in range(8)])
    observed = _synthetic_observed(p, rate=0.065, noise=0.0)
    result = fit(build_forecast(p, ForecastConfig(contact_rate=0.03)), observed)
    assert result.contact_rate == pytest.approx(0.065, rel=1e-9)
    assert result.mape_after == pytest.approx(0.0, abs=1e-9)
    assert result.mape_before > 10
    noisy = fit(build_forecast(p), _synthetic_observed(p, rate=0.065, noise=0.05))
    assert noisy.contact_rate == pytest.approx(0.065, rel=0.05)
    assert noisy.mape_after < noisy.mape_before


def test_fit_with_baseline_and_partial_observations() -> None:
    p = plan(*[(date(2025, 8, 1) + timedelta(days=7 * k), 200_000) for k in range(6)])
    truth = build_forecast(p, ForecastConfig(contact_rate=0.02, baseline_calls_per_day=2500))
    observed = {d: float(x) for d, x in list(zip(truth.days, truth.daily, strict=True))[:25]}
    observed[date(2030, 1, 1)] = 5.0  # outside the forecast: ignored
    result = fit(build_forecast(p), observed, fit_baseline=True)
    assert result.days_used == 25
    assert result.contact_rate == pytest.approx(0.02, rel=1e-6)
    assert result.baseline_calls_per_day == pytest.approx(2500, rel=1e-6)
    assert result.forecast.config.contact_rate == result.contact_rate


def test_fit_without_overlap_is_explained() -> None:
    fc = build_forecast(plan((date(2025, 8, 1), 1000)))
    with pytest.raises(PlanError, match="do not overlap"):
        fit(fc, {date(2024, 1, 4): 10.0})


# --- files -------------------------------------------------------------------------------


def test_example_plan_and_shares_load() -> None:
    mp = load_plan(
        DATA / "mailing_plan_example.csv",
        shares_path=DATA / "language_shares_example.csv",
        languages=DEFAULT_LANGUAGES,
    )
    assert mp.letters == pytest.approx(11_600_000, abs=10)
    assert sum(mp.language_shares.values()) == pytest.approx(1.0)
    assert mp.rows[0] == PlanRow(date(2025, 7, 31), "32", 50_000)
    assert not mp.notes


def test_plan_without_shares_counts_japanese_with_a_note(tmp_path: Path) -> None:
    f = tmp_path / "p.csv"
    f.write_text('date,branch_code,letters\n2025-08-01,13,"1,000"\n', encoding="utf-8")
    mp = load_plan(f)
    assert mp.language_shares == {"ja": 1.0} and mp.letters == 1000 and mp.notes


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("date,letters\n2025-08-01,10\n", "missing column(s) branch_code"),
        ("date,branch_code,letters\n", "has no rows"),
        ("date,branch_code,letters\n2025-08-01,13,10\n2025-02-30,13,5\n", "p.csv:3: date"),
        ("date,branch_code,letters\n2025-08-01,13,ten\n", "p.csv:2: letters 'ten'"),
        ("date,branch_code,letters\n2025-08-01,,10\n", "p.csv:2: field 'branch_code' is empty"),
        ("date,branch_code,letters\n2025-08-01,13,-5\n", "must not be negative"),
    ],
)
def test_plan_errors_name_file_line_and_field(tmp_path: Path, content: str, message: str) -> None:
    f = tmp_path / "p.csv"
    f.write_text(content, encoding="utf-8")
    with pytest.raises(PlanError) as exc:
        load_plan(f)
    assert message in str(exc.value)


def test_missing_plan_file_explains_the_format(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="date, branch_code, letters"):
        load_plan(tmp_path / "none.csv")


def test_toml_plan_with_shares(tmp_path: Path) -> None:
    f = tmp_path / "plan.toml"
    f.write_text(
        '[[mailing]]\ndate = 2025-07-31\nbranch_code = "32"\nletters = 50000\n'
        '[[mailing]]\ndate = "2025-08-07"\nbranch_code = "13"\nletters = 1000\n'
        "[language_shares]\nja = 95\nen = 5\n",
        encoding="utf-8",
    )
    mp = load_plan(f, languages=DEFAULT_LANGUAGES)
    assert mp.letters == 51_000
    assert mp.language_shares == {"ja": pytest.approx(0.95), "en": pytest.approx(0.05)}
    f.write_text("[[mailing]]\ndate = 2025-07-31\nletters = 1\n", encoding="utf-8")
    with pytest.raises(PlanError, match=r"\[\[mailing\]\] #1: missing branch_code"):
        load_plan(f)


def test_shares_reject_unknown_language(tmp_path: Path) -> None:
    f = tmp_path / "s.csv"
    f.write_text("lang,share\nja,0.9\nde,0.1\n", encoding="utf-8")
    with pytest.raises(PlanError, match="'de' is not configured"):
        load_language_shares(f, DEFAULT_LANGUAGES)
    f.write_text("lang,share\nja,0\n", encoding="utf-8")
    with pytest.raises(PlanError, match="add up to 0"):
        load_language_shares(f, DEFAULT_LANGUAGES)


def test_observed_csv_sums_rows_per_day(tmp_path: Path) -> None:
    f = tmp_path / "o.csv"
    f.write_text(
        "date,hour,lang,calls\n2025-08-01,9,ja,10\n2025-08-01,10,en,2.5\n2025-08-04,9,ja,7\n",
        encoding="utf-8",
    )
    assert load_observed(f) == {date(2025, 8, 1): 12.5, date(2025, 8, 4): 7.0}


def test_forecast_csv_files(tmp_path: Path) -> None:
    fc = build_forecast(
        plan((date(2025, 8, 1), 10_000)), replace(ForecastConfig(), baseline_calls_per_day=10)
    )
    long = fc.write_csv(tmp_path / "f.csv").read_text(encoding="utf-8").splitlines()
    assert long[0] == "date,hour,lang,calls"
    assert len(long) == 1 + len(fc.days) * len(fc.hours) * len(fc.langs)
    total = sum(float(x.split(",")[3]) for x in long[1:])
    assert total == pytest.approx(fc.total, abs=0.01 * len(long))
    daily = fc.write_daily_csv(tmp_path / "d.csv").read_text(encoding="utf-8").splitlines()
    assert daily[0] == "date,letters_landed,mail_calls,baseline_calls,calls"
