"""Erlang C: the published example, known values, minimality, and the interpreter pool."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shikaku.desk.settings import StaffingConfig
from shikaku.desk.staffing import (
    INTERPRETER_QUEUE,
    LoadRow,
    erlang_c,
    load_forecast_csv,
    plan_staffing,
    required_agents,
)


def test_pyworkforce_published_example() -> None:
    """100 calls / 30 min, AHT 3 min, 80 % in 20 s, occupancy ≤ 0.85, shrinkage 0.3."""
    r = required_agents(
        100,
        interval_minutes=30,
        aht_seconds=180,
        service_level=0.8,
        answer_seconds=20,
        max_occupancy=0.85,
        shrinkage=0.3,
    )
    assert (r.raw_agents, r.agents) == (14, 20)
    # Figures pyworkforce prints for the same example.
    assert r.service_level == pytest.approx(0.8883500191794669, abs=1e-12)
    assert r.occupancy == pytest.approx(0.7142857142857143, abs=1e-12)
    assert r.wait_probability == pytest.approx(0.1741319335950498, abs=1e-12)
    assert r.traffic_erlangs == pytest.approx(10.0)


def test_one_agent_fewer_misses_the_target() -> None:
    r = required_agents(
        100,
        interval_minutes=30,
        aht_seconds=180,
        service_level=0.8,
        answer_seconds=20,
        max_occupancy=0.85,
        shrinkage=0.3,
    )
    a, n = r.traffic_erlangs, r.raw_agents - 1
    sl = 1 - erlang_c(a, n) * math.exp(-(n - a) * 20 / 180)
    assert sl < 0.8


@pytest.mark.parametrize(
    ("traffic", "agents", "expected"),
    [
        (10.0, 11, 0.6821),  # textbook table values (Erlang C), 4 decimals
        (10.0, 14, 0.1741),
        (2.0, 3, 0.4444),
        (1.0, 2, 0.3333),
    ],
)
def test_erlang_c_known_values(traffic: float, agents: int, expected: float) -> None:
    assert erlang_c(traffic, agents) == pytest.approx(expected, abs=1e-4)


def test_erlang_c_saturated() -> None:
    assert erlang_c(10.0, 10) == 1.0
    assert erlang_c(10.0, 3) == 1.0


def test_occupancy_cap_binds() -> None:
    # A low service-level target is met early; the 85 % cap then sets the count.
    r = required_agents(
        1000,
        interval_minutes=60,
        aht_seconds=360,
        service_level=0.5,
        answer_seconds=60,
        max_occupancy=0.85,
        shrinkage=0.0,
    )
    assert r.raw_agents == math.ceil(100 / 0.85)
    assert r.occupancy <= 0.85 and r.agents == r.raw_agents


def test_zero_calls() -> None:
    r = required_agents(0)
    assert (r.raw_agents, r.agents, r.service_level, r.wait_probability) == (0, 0, 1.0, 0.0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"calls": -1},
        {"calls": 10, "aht_seconds": 0},
        {"calls": 10, "service_level": 1.0},
        {"calls": 10, "max_occupancy": 0},
        {"calls": 10, "shrinkage": 1.0},
        {"calls": 10, "interval_minutes": 0},
        {"calls": float("nan")},
    ],
)
def test_bad_input_is_refused(kwargs: dict[str, float]) -> None:
    calls = kwargs.pop("calls")
    with pytest.raises(ValueError):
        required_agents(calls, **kwargs)


def test_large_queue_is_fast_and_sane() -> None:
    r = required_agents(20000, interval_minutes=60, aht_seconds=360)
    assert 2000 < r.raw_agents < 2400
    assert r.occupancy <= 0.85 and r.service_level >= 0.8


@settings(max_examples=60, deadline=None)
@given(
    calls=st.floats(0.5, 3000),
    aht=st.floats(60, 900),
    sl=st.floats(0.5, 0.95),
    t=st.floats(5, 120),
    occ=st.floats(0.6, 1.0),
    shr=st.floats(0, 0.5),
)
def test_result_meets_targets_and_is_minimal(
    calls: float, aht: float, sl: float, t: float, occ: float, shr: float
) -> None:
    r = required_agents(
        calls,
        interval_minutes=30,
        aht_seconds=aht,
        service_level=sl,
        answer_seconds=t,
        max_occupancy=occ,
        shrinkage=shr,
    )
    assert r.service_level >= sl - 1e-12 and r.occupancy <= occ + 1e-12
    assert r.agents == math.ceil(r.raw_agents / (1 - shr))
    n = r.raw_agents - 1
    if n > r.traffic_erlangs:
        sl_n = 1 - erlang_c(r.traffic_erlangs, n) * math.exp(-(n - r.traffic_erlangs) * t / aht)
        assert sl_n < sl or r.traffic_erlangs / n > occ
    more = required_agents(
        calls * 1.5,
        interval_minutes=30,
        aht_seconds=aht,
        service_level=sl,
        answer_seconds=t,
        max_occupancy=occ,
        shrinkage=shr,
    )
    assert more.raw_agents >= r.raw_agents


def _load() -> list[LoadRow]:
    rows = []
    for day in (date(2025, 8, 18), date(2025, 8, 19)):
        for hour, scale in ((9, 1.0), (10, 0.5)):
            rows += [
                LoadRow(day, hour, "ja", 600 * scale),
                LoadRow(day, hour, "en", 40 * scale),
                LoadRow(day, hour, "vi", 3 * scale),
                LoadRow(day, hour, "ne", 2 * scale),
                LoadRow(day, hour, "km", 0.4 * scale),
            ]
    return rows


def test_small_languages_go_to_the_interpreter_pool() -> None:
    cfg = StaffingConfig(aht_seconds=360, dedicated_queue_min_agents=3, interpreter_aht_factor=1.5)
    roster = plan_staffing(_load(), cfg)
    assert roster.dedicated == ("ja", "en")
    assert set(roster.pooled) == {"vi", "ne", "km"}
    assert roster.queues == ["ja", "en", INTERPRETER_QUEUE]
    pool = [r for r in roster.rows if r.queue == INTERPRETER_QUEUE]
    assert len(pool) == 4
    first = pool[0]
    assert first.calls == pytest.approx(5.4)
    assert first.aht_seconds == pytest.approx(540.0)
    assert first.result == required_agents(5.4, interval_minutes=60, aht_seconds=540)
    ja_peak = roster.peak("ja")
    assert ja_peak is not None and ja_peak.hour == 9
    assert roster.agent_hours() == sum(r.result.agents for r in roster.rows)


def test_japanese_always_has_its_own_queue() -> None:
    roster = plan_staffing(
        [LoadRow(date(2025, 8, 18), 9, "ja", 0.5), LoadRow(date(2025, 8, 18), 9, "en", 0.5)],
        StaffingConfig(),
    )
    assert roster.dedicated == ("ja",) and roster.pooled == ("en",)


def test_roster_csv_roundtrip(tmp_path: Path) -> None:
    roster = plan_staffing(_load(), StaffingConfig())
    path = roster.write_csv(tmp_path / "roster.csv")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith(
        "date,hour,queue,languages,calls,aht_seconds,traffic_erlangs,raw_agents,agents"
    )
    assert len(lines) == 1 + len(roster.rows)


def test_load_forecast_csv_errors(tmp_path: Path) -> None:
    bad = tmp_path / "f.csv"
    bad.write_text("date,lang,calls\n2025-08-18,ja,1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="missing column"):
        load_forecast_csv(bad)
    with pytest.raises(ValueError, match="not found"):
        load_forecast_csv(tmp_path / "nope.csv")
    bad.write_text("date,hour,lang,calls\n2025-13-01,9,ja,1\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"f\.csv:2"):
        load_forecast_csv(bad)


def test_roster_straight_from_a_forecast_object() -> None:
    from shikaku.desk.forecast import MailingPlan, PlanRow, build_forecast
    from shikaku.desk.staffing import load_rows_from_forecast

    fc = build_forecast(
        MailingPlan(
            rows=(PlanRow(date(2025, 9, 1), "13", 200_000),),
            language_shares={"ja": 0.97, "en": 0.02, "km": 0.01},
        )
    )
    roster = plan_staffing(load_rows_from_forecast(fc.rows()), StaffingConfig())
    assert roster.dedicated[0] == "ja"
    assert sum(r.calls for r in roster.rows) == pytest.approx(fc.total)
