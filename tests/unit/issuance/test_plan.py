from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from shikaku.domain.calendar import is_business_day
from shikaku.issuance.plan import PlanError, daily_letters, generate_plan, load_schedule, plan_chart

COUNTS = {f"{i:02d}": 1_000 + 37 * i for i in range(1, 48)}


def test_generated_plan_pilot_first_capacity_business_days() -> None:
    plan = generate_plan(COUNTS, start=date(2025, 8, 1), capacity_per_day=2_000)
    assert plan[0].pilot and plan[0].branch_code == "32"
    assert plan[0].post_from == date(2025, 7, 31)
    assert {w.branch_code for w in plan} == set(COUNTS)
    per_day = daily_letters(plan)
    assert all(is_business_day(d) for d in per_day)
    assert max(sum(v.values()) for v in per_day.values()) <= 2_000
    assert sum(sum(v.values()) for v in per_day.values()) == sum(COUNTS.values())
    # 2025-08-11 (山の日) is a holiday: nothing is posted on it.
    assert date(2025, 8, 11) not in per_day


def test_plan_that_misses_the_cutoff_says_what_capacity_is_needed() -> None:
    with pytest.raises(PlanError, match="envelopes/day are needed"):
        generate_plan(COUNTS, start=date(2025, 11, 20), capacity_per_day=1_000)


def test_schedule_file_toml_and_yaml(tmp_path: Path) -> None:
    toml = tmp_path / "w.toml"
    toml.write_text(
        '[[wave]]\nbranch = "島根"\nfrom = 2025-07-31\npilot = true\n'
        '[[wave]]\nbranch = "13"\nfrom = 2025-08-01\nto = 2025-09-12\n',
        encoding="utf-8",
    )
    plan = load_schedule(toml, {"32": 10, "13": 500})
    assert [(w.code, w.envelopes) for w in plan] == [("P32", 10), ("W13", 500)]
    yml = tmp_path / "w.yaml"
    yml.write_text(
        "waves:\n  - {branch: Tokyo, from: 2025-08-01, to: 2025-08-08}\n", encoding="utf-8"
    )
    assert load_schedule(yml, {"13": 5})[0].branch_code == "13"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[[wave]]\nbranch = "13"\n', "missing field"),
        ('[[wave]]\nbranch = "13"\nfrom = 2025-08-10\nto = 2025-08-01\n', "'to' before"),
        ('[[wave]]\nbranch = "99"\nfrom = 2025-08-01\n', "wave 1"),
        ('[[wave]]\nbranch = "01"\nfrom = 2025-08-01\n', "no window for branches"),
    ],
)
def test_schedule_errors_name_the_wave(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(PlanError, match=message):
        load_schedule(path, {"13": 5} if "01" in body else {})


def test_chart_is_written(tmp_path: Path) -> None:
    plan = generate_plan(COUNTS, start=date(2025, 8, 1), capacity_per_day=5_000)
    out = plan_chart(plan, tmp_path / "plan.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
