"""``shikaku desk …`` through Typer's CliRunner (the sub-app, as the lead will mount it)."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shikaku.desk.cli import app
from shikaku.desk.forecast import MailingPlan, PlanRow, build_forecast
from shikaku.desk.settings import ForecastConfig

from .conftest import DATA

runner = CliRunner()

EXAMPLE_FLAGS = [
    "--calls",
    "100",
    "--interval-minutes",
    "30",
    "--aht-seconds",
    "180",
    "--service-level",
    "0.8",
    "--answer-seconds",
    "20",
    "--max-occupancy",
    "0.85",
    "--shrinkage",
    "0.3",
]


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "160"})
    return result.exit_code, result.output


# --- staffing -----------------------------------------------------------------------------


def test_staffing_single_interval_table() -> None:
    code, out = invoke("staffing", *EXAMPLE_FLAGS)
    assert code == 0, out
    for needle in (
        "raw_agents",
        "14",
        "agents",
        "20",
        "service_level",
        "0.8884",
        "occupancy",
        "0.7143",
        "wait_probability",
        "0.1741",
    ):
        assert needle in out


def test_staffing_single_interval_json() -> None:
    code, out = invoke("staffing", *EXAMPLE_FLAGS, "--json")
    assert code == 0, out
    data = json.loads(out)
    assert set(data) == {"raw_agents", "agents", "service_level", "occupancy", "wait_probability"}
    assert (data["raw_agents"], data["agents"]) == (14, 20)
    assert data["service_level"] == pytest.approx(0.88835, abs=1e-5)
    assert data["occupancy"] == pytest.approx(0.714286, abs=1e-6)
    assert data["wait_probability"] == pytest.approx(0.174132, abs=1e-6)


def test_staffing_needs_input_and_refuses_both() -> None:
    code, out = invoke("staffing")
    assert code == 2 and "--forecast" in out and "--calls" in out
    code, out = invoke("staffing", "--calls", "10", "--forecast", "x.csv")
    assert code == 2
    code, out = invoke("staffing", "--calls", "10", "--service-level", "1.5")
    assert code == 2 and "service_level" in out


# --- search -------------------------------------------------------------------------------


def test_search_japanese_without_spaces() -> None:
    code, out = invoke("search", "資格確認書届かない")
    assert code == 0, out
    assert "certificate-not-arrived" in out and "資格確認書が届きません。" in out


def test_search_side_by_side_in_caller_language() -> None:
    code, out = invoke("search", "--lang", "ko", "자격확인서가", "안", "왔어요")
    assert code == 0, out
    assert "자격확인서가 오지 않았습니다." in out and "資格確認書が届きません。" in out


def test_search_json_with_fallback_notice() -> None:
    code, out = invoke("search", "--lang", "xx", "--json", "--limit", "2", "資格確認書", "紛失")
    assert code == 0, out
    data = json.loads(out)
    assert data["fell_back"] is True and data["lang"] == "ja" and "xx" in data["notice"]
    assert data["hits"][0]["entry_id"] == "certificate-lost"
    assert data["hits"][0]["entry_ja"]["question"].startswith("資格確認書を失くしました")
    assert len(data["hits"]) == 2


def test_search_typo_english() -> None:
    code, out = invoke("search", "--lang", "en", "--json", "smartphne", "iphnoe")
    assert code == 0, out
    assert json.loads(out)["hits"][0]["entry_id"] == "smartphone-iphone"


def test_search_no_hit_exits_1() -> None:
    code, out = invoke("search", "qqqqzzzz")
    assert code == 1 and "no matching entry" in out


# --- content ------------------------------------------------------------------------------


def test_content_check_ok() -> None:
    code, out = invoke("content-check")
    assert code == 0, out
    assert "FAQ content OK" in out and "uz" in out and "machine-draft 15" in out


def test_content_check_reports_broken_file(content_copy: Path) -> None:
    fr = content_copy / "fr.yaml"
    fr.write_text(
        fr.read_text(encoding="utf-8").replace("{call_center_phone}", "{phone}", 1),
        encoding="utf-8",
    )
    code, out = invoke("content-check", "--content-dir", str(content_copy))
    assert code == 1
    flat = " ".join(out.split())
    assert (
        "fr.yaml: entry 'certificate-not-arrived' field 'answer': unknown placeholder "
        "{phone}" in flat
    )


def test_content_hash_show_and_update(content_copy: Path) -> None:
    ja = content_copy / "ja.yaml"
    ja.write_text(
        ja.read_text(encoding="utf-8").replace(
            "資格確認書（正式名称「健康保険資格確認書」）は",
            "資格確認書（正式名称「健康保険資格確認書」）とは",
            1,
        ),
        encoding="utf-8",
    )
    code, out = invoke(
        "content-hash", "what-is-certificate", "--lang", "es", "--content-dir", str(content_copy)
    )
    assert code == 0 and "stale" in out
    code, out = invoke("content-check", "--content-dir", str(content_copy))
    assert code == 1
    code, out = invoke(
        "content-hash",
        "what-is-certificate",
        "--lang",
        "es",
        "--update",
        "--state",
        "reviewed",
        "--content-dir",
        str(content_copy),
    )
    assert code == 0 and "es.yaml: what-is-certificate" in out and "reviewed" in out
    code, out = invoke("content-check", "--content-dir", str(content_copy))
    assert code == 1 and "es.yaml" not in out and "fr.yaml" in out
    code, out = invoke(
        "content-hash",
        "what-is-certificate",
        "--lang",
        "all",
        "--update",
        "--content-dir",
        str(content_copy),
    )
    assert code == 0, out
    code, out = invoke("content-check", "--content-dir", str(content_copy))
    assert code == 0, out
    assert "es.yaml" in (content_copy / "es.yaml").name
    assert "state: reviewed" in (content_copy / "es.yaml").read_text(encoding="utf-8")
    code, out = invoke(
        "content-hash", "--lang", "fr", "--update", "--content-dir", str(content_copy)
    )
    assert code == 2  # --update needs explicit ids
    code, out = invoke("content-hash", "no-such-id")
    assert code == 2


# --- forecast -----------------------------------------------------------------------------


def test_forecast_without_plan_explains_what_is_missing() -> None:
    code, out = invoke("forecast")
    assert code == 2
    assert "--plan" in out and "date,branch_code,letters" in out


def test_forecast_bad_plan_names_the_column(tmp_path: Path) -> None:
    f = tmp_path / "plan.csv"
    f.write_text("day,letters\n2025-08-01,5\n", encoding="utf-8")
    code, out = invoke("forecast", "--plan", str(f), "--out", str(tmp_path / "o"))
    assert code == 2 and "missing column(s) date, branch_code" in out


def test_forecast_then_staffing(tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    code, out = invoke(
        "forecast",
        "--plan",
        str(DATA / "mailing_plan_example.csv"),
        "--shares",
        str(DATA / "language_shares_example.csv"),
        "--out",
        str(out_dir),
        "--json",
    )
    assert code == 0, out
    summary = json.loads(out)
    assert summary["letters"] == 11_599_999
    assert summary["total_calls"] == pytest.approx(
        11_599_999 * 0.04 + 1500 * summary["open_days"], abs=1
    )
    for name in ("forecast.csv", "forecast_daily.csv", "forecast.png"):
        assert (out_dir / name).stat().st_size > 0
    assert (out_dir / "forecast.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, out = invoke(
        "staffing", "--forecast", str(out_dir / "forecast.csv"), "--out", str(out_dir), "--json"
    )
    assert code == 0, out
    st = json.loads(out)
    assert "ja" in st["dedicated"] and st["pooled"]
    assert {q["queue"] for q in st["queues"]} >= {"ja", "interpreter"}
    with (out_dir / "roster.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and {"raw_agents", "agents", "service_level"} <= set(rows[0])
    assert (out_dir / "roster.png").read_bytes()[:4] == b"\x89PNG"
    code, text = invoke(
        "staffing", "--forecast", str(out_dir / "forecast.csv"), "--out", str(out_dir)
    )
    assert code == 0 and "interpreter" in text and "roster.csv" in text
    code, text = invoke(
        "staffing", "--forecast", str(out_dir / "forecast.csv"), "--interval-minutes", "30"
    )
    assert code == 2 and "hourly" in text


def test_forecast_fit_reports_error(tmp_path: Path) -> None:
    plan_rows = [
        PlanRow(date(2025, 8, 1), "13", 300_000),
        PlanRow(date(2025, 8, 22), "27", 500_000),
    ]
    truth = build_forecast(
        MailingPlan(rows=tuple(plan_rows)),
        ForecastConfig(contact_rate=0.06, baseline_calls_per_day=1500),
    )
    plan_file = tmp_path / "plan.csv"
    plan_file.write_text(
        "date,branch_code,letters\n"
        + "".join(f"{r.posting_date},{r.branch_code},{r.letters}\n" for r in plan_rows),
        encoding="utf-8",
    )
    obs = tmp_path / "observed.csv"
    obs.write_text(
        "date,calls\n"
        + "".join(f"{d},{x:.3f}\n" for d, x in zip(truth.days, truth.daily, strict=True)),
        encoding="utf-8",
    )
    code, out = invoke(
        "forecast",
        "--plan",
        str(plan_file),
        "--observed",
        str(obs),
        "--out",
        str(tmp_path / "o"),
        "--json",
    )
    assert code == 0, out
    fit = json.loads(out)["fit"]
    assert fit["contact_rate"] == pytest.approx(0.06, rel=1e-4)
    assert fit["mape_after_percent"] < 0.01 < fit["mape_before_percent"]
    code, text = invoke(
        "forecast", "--plan", str(plan_file), "--observed", str(obs), "--out", str(tmp_path / "o")
    )
    assert code == 0 and "MAPE" in text and "no language shares given" in text


def test_config_file_sets_desk_values(tmp_path: Path) -> None:
    cfg = tmp_path / "shikaku.toml"
    cfg.write_text(
        '[policy]\nprovisional_last_day = "2026-06-30"\n'
        '[desk]\ncall_center_phone = "0570-00-1234"\n'
        "[desk.staffing]\naht_seconds = 180\ninterval_minutes = 30\n",
        encoding="utf-8",
    )
    code, out = invoke("search", "--config", str(cfg), "--json", "資格確認書", "届かない")
    hit = json.loads(out)["hits"][0]
    assert "0570-00-1234" in hit["entry_ja"]["answer"]
    code, out = invoke("search", "--config", str(cfg), "--json", "期限切れ", "保険証")
    answers = " ".join(h["entry_ja"]["answer"] for h in json.loads(out)["hits"])
    assert "2026年6月30日" in answers and "2026年3月31日" not in answers
    code, out = invoke("staffing", "--config", str(cfg), "--calls", "100", "--json")
    assert json.loads(out)["raw_agents"] == 14
    cfg.write_text('[desk]\nphone = "x"\n', encoding="utf-8")
    code, out = invoke("staffing", "--config", str(cfg), "--calls", "100")
    assert code == 2 and "unknown keys" in out


def test_config_help_names_the_settings_tables() -> None:
    """The table names are shown as written (not eaten as Rich markup)."""
    out = CliRunner().invoke(app, ["forecast", "--help"], env={"COLUMNS": "200"}).output
    assert "[policy]" in out and "[desk.staffing]" in out
