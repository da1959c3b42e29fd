"""一括照会: a CSV of tomorrow's appointments in, a CSV of answers out."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from shikaku.eligibility.batch import OUTPUT_COLUMNS

from .conftest import TOKYO, Env
from .test_audit import rows as audit_rows

URL = "/api/v1/eligibility/batch"


def post(
    env: Env, text: str, *, file_encoding: str = "utf-8", ctype: str = "text/csv", **params: str
):  # type: ignore[no-untyped-def]
    return env.http.post(
        URL,
        content=text.encode(file_encoding),
        params=params,
        headers={**env.headers, "content-type": ctype},
    )


def parse(body: bytes, encoding: str = "utf-8") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode(encoding))))


def test_batch_answers_each_row_in_order(env: Env) -> None:
    r = env.registry
    a = r.member(birth=date(1980, 5, 10))
    child = r.member(
        birth=date(2020, 4, 2), insured=a, given="花子", sex=2, valid_from=date(2020, 4, 2)
    )
    ended = r.member(birth=date(1975, 1, 1), symbol="2222222", valid_to=date(2025, 11, 30))
    text = (
        "ref,insurer_number,symbol,number,branch,birth_date,presented_document\n"
        f"A-001,{TOKYO},{a.symbol},{a.number},{a.branch_no},1980-05-10,notice\n"
        f"A-002,{TOKYO},,{child.number},1,2020/4/2,\n"
        f"A-003,{TOKYO},{ended.symbol},1,0,1975-01-01,legacy_card\n"
        f"A-004,{TOKYO},1234567,1,,1980-05-10,\n"
        "\n"
        f"A-005,{TOKYO},1234567,77,0,1980-05-10,\n"
    )
    res = post(env, text)
    assert res.status_code == 200, res.text
    assert res.headers["content-type"].startswith("text/csv")
    out = parse(res.content)
    assert list(out[0].keys()) == list(OUTPUT_COLUMNS)
    assert [row["ref"] for row in out] == ["A-001", "A-002", "A-003", "A-004", "A-005"]
    assert [row["line"] for row in out] == ["2", "3", "4", "5", "7"]
    first, second, third, fourth, fifth = out
    assert first["service_date"] == "2025-12-11"  # default: tomorrow
    assert (first["validity_code"], first["copay_ratio"], first["document_rule"]) == (
        "1",
        "30",
        "notice.provisional",
    )
    assert first["name_kana"] == "ヤマダ\u3000タロウ"
    assert (second["validity_code"], second["copay_ratio"], second["relationship"]) == (
        "1",
        "20",
        "2",
    )
    assert (third["validity_code"], third["document_acceptable"], third["document_rule"]) == (
        "2",
        "0",
        "eligibility.not_covered",
    )
    assert (fourth["status"], fourth["error_rule"], fourth["error_field"]) == (
        "error",
        "branch.required",
        "branch",
    )
    assert fifth["validity_code"] == "4" and fifth["name"] == ""
    env.flush_audit()
    logged = audit_rows(env.engine)
    assert [row["channel"] for row in logged] == ["batch"] * 5
    assert logged[3]["outcome"] == "branch.required"
    assert logged[0]["request_id"].endswith("-2")


def test_service_date_parameter_and_shift_jis(env: Env) -> None:
    env.registry.member(birth=date(1980, 5, 10))
    text = (
        "保険者番号のメモ,insurer_number,number,branch,birth_date\n"
        "メモ,０１１３００１２,１,００,昭和55年5月10日\n"
    )
    res = post(env, text, file_encoding="cp932", service_date="2026-04-01")
    out = parse(res.content)
    assert out[0]["service_date"] == "2026-04-01" and out[0]["validity_code"] == "1"
    sjis = post(env, text, file_encoding="cp932", encoding="shift_jis")
    assert "shift_jis" in sjis.headers["content-type"]
    assert parse(sjis.content, "cp932")[0]["validity_label"] == "有効"


@pytest.mark.parametrize(
    ("text", "status", "rule"),
    [
        ("", 400, "batch.empty"),
        ("ref,number\nx,1\n", 400, "batch.header"),
    ],
)
def test_unusable_files(env: Env, text: str, status: int, rule: str) -> None:
    res = post(env, text)
    assert res.status_code == status and res.json()["rule_id"] == rule


def test_too_many_rows(env: Env) -> None:
    env.http.app.state.runtime.options.batch_max_rows = 3  # type: ignore[attr-defined]
    text = "insurer_number,number,branch,birth_date\n" + "01130012,1,0,1980-01-01\n" * 4
    res = post(env, text)
    assert res.status_code == 413 and res.json()["rule_id"] == "batch.too_many_rows"


def test_not_csv(env: Env) -> None:
    res = post(env, "{}", ctype="application/json")
    assert res.status_code == 415


def test_bad_default_service_date(env: Env) -> None:
    res = post(env, "insurer_number,number,branch,birth_date\n", service_date="tomorrow")
    assert res.status_code == 422 and res.json()["rule_id"] == "date.format"


def test_shift_jis_file_with_a_stray_byte_is_refused_naming_the_line(env: Env) -> None:
    # 0xFD is no Shift_JIS character; Python's cp932 codec would let it through as U+F8F1
    header = "ref,insurer_number,number,branch,birth_date\n".encode("cp932")
    good = f"受付1,{TOKYO},1,0,1980-01-01\n".encode("cp932")
    stray = b"\xfd" + f"受付2,{TOKYO},2,0,1980-01-01\n".encode("cp932")
    res = env.http.post(
        URL, content=header + good + stray, headers={**env.headers, "content-type": "text/csv"}
    )
    assert res.status_code == 400
    body = res.json()
    assert body["rule_id"] == "batch.encoding"
    assert "Line 3" in body["message_en"] and "3行目" in body["message_ja"]
    # declared as Shift_JIS: the same check
    res = env.http.post(
        URL,
        content=header + stray,
        headers={**env.headers, "content-type": "text/csv; charset=cp932"},
    )
    assert res.status_code == 400 and res.json()["rule_id"] == "batch.encoding"
