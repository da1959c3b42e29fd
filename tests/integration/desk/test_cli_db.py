"""``shikaku desk log / inquiries / forecast --campaign`` against a database, through the
sub-app with the parent's CliContext (as ``shikaku --database-url URL desk …`` runs them)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from sqlalchemy import Engine
from typer.testing import CliRunner

from shikaku.cli import CliContext
from shikaku.desk.cli import app

from .conftest import CAMPAIGN, Planned

runner = CliRunner()


def invoke(engine: Engine, tmp_path: Path, *args: str) -> tuple[int, str]:
    obj = CliContext(
        database_url=engine.url.render_as_string(hide_password=False),
        key_file=tmp_path / "test.key",
    )
    result = runner.invoke(app, list(args), obj=obj, env={"COLUMNS": "200"})
    return result.exit_code, result.output


def flat(out: str) -> str:
    """Output with Rich's line wrapping undone (wrapping depends on the terminal width)."""
    return " ".join(out.split())


def test_log_then_search_and_export(engine: Engine, tmp_path: Path) -> None:
    code, out = invoke(
        engine,
        tmp_path,
        "log",
        "--operator",
        "op-kato",
        "--lang",
        "pt-BR",
        "--category",
        "certificate-lost",
        "--interpreter",
        "--at",
        "2025-08-04T10:15",
        "--json",
    )
    assert code == 0, out
    rec = json.loads(out)
    assert rec["language"] == "pt" and rec["notices"] == []
    code, out = invoke(
        engine,
        tmp_path,
        "log",
        "--operator",
        "op-kato",
        "--lang",
        "xx",
        "--category",
        "other",
        "--at",
        "2025-08-05T11:00",
    )
    text = flat(out)
    assert code == 0 and "recorded inquiry" in text and "'xx'" in text
    code, out = invoke(engine, tmp_path, "inquiries", "--json", "--from", "2025-08-04")
    rows = json.loads(out)
    assert code == 0 and [r["language"] for r in rows] == ["ja", "pt"]
    assert rows[1]["faq_entry_id"] == "certificate-lost" and rows[1]["interpreter_used"]
    code, out = invoke(engine, tmp_path, "inquiries", "--category", "certificate", "--json")
    assert code == 0 and [r["faq_entry_id"] for r in json.loads(out)] == ["certificate-lost"]
    code, out = invoke(engine, tmp_path, "inquiries", "--category", "certificate")
    assert code == 0 and "inquiries (1)" in flat(out)
    code, out = invoke(engine, tmp_path, "inquiries", "--lang", "vi")
    assert code == 1 and "no matching inquiry" in flat(out)
    target = tmp_path / "export.csv"
    code, out = invoke(engine, tmp_path, "inquiries", "--csv", str(target))
    assert code == 0 and "exported 2" in flat(out)
    with target.open(encoding="utf-8-sig") as fh:
        assert [r["requested_language"] for r in csv.DictReader(fh)] == ["", "xx"]


def test_log_bad_input_names_the_fields(engine: Engine, tmp_path: Path) -> None:
    code, out = invoke(
        engine,
        tmp_path,
        "log",
        "--operator",
        "op",
        "--category",
        "weather",
        "--symbol",
        "12",
        "--number",
        "1",
        "--branch-no",
        "0",
        "--outcome",
        "callback",
        "--json",
    )
    assert code == 2
    fields = {e["field"]: e["rule_id"] for e in json.loads(out)["errors"]}
    assert fields == {
        "category": "inquiry.category.unknown",
        "symbol": "member.symbol.length",
        "follow_up": "inquiry.follow_up.required",
        "follow_up_due": "inquiry.follow_up_due.required",
    }
    code, out = invoke(engine, tmp_path, "log", "--operator", "op", "--category", "weather")
    text = "".join(out.split())  # Rich wraps at the terminal width
    assert code == 2 and "✗category(inquiry.category.unknown)" in text and "FAQcategory" in text


def test_forecast_for_a_campaign(planned: Planned, tmp_path: Path) -> None:
    out_dir = tmp_path / "o"
    code, out = invoke(
        planned.engine,
        tmp_path,
        "forecast",
        "--campaign",
        CAMPAIGN,
        "--contact-rate",
        "0.05",
        "--baseline",
        "20",
        "--out",
        str(out_dir),
        "--json",
    )
    assert code == 0, out
    summary = json.loads(out)
    letters = sum(planned.envelopes.values())
    assert summary["campaign"] == CAMPAIGN and summary["letters"] == letters
    assert summary["total_calls"] == round(letters * 0.05 + 20 * summary["open_days"], 1)
    assert "fit" not in summary and any("no inquiries logged" in n for n in summary["notes"])
    assert len(summary["calls_by_language"]) > 1
    assert (out_dir / "forecast.png").read_bytes()[:4] == b"\x89PNG"
    code, out = invoke(planned.engine, tmp_path, "forecast", "--campaign", "nope")
    assert code == 2 and "no campaign named 'nope'" in flat(out)
    code, out = invoke(
        planned.engine, tmp_path, "forecast", "--campaign", CAMPAIGN, "--plan", "x.csv"
    )
    assert code == 2 and "--plan" in flat(out)


def test_database_commands_need_the_parent_command(tmp_path: Path) -> None:
    result = runner.invoke(app, ["inquiries"])
    assert result.exit_code == 2 and "shikaku [--database-url URL] desk" in result.output
