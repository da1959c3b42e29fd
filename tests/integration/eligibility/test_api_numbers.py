"""Look-ups by numbers through the JSON API: every validity code, copayment boundaries,
normalisation of what clinics type, and problem+json errors. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest

from shikaku.domain.ids.insurer_number import calc_check_digit

from .conftest import OSAKA, TOKYO, Env


def key(ref, *, birth: date, insurer: str = TOKYO, **extra):  # type: ignore[no-untyped-def]
    return dict(
        insurer_number=insurer,
        symbol=ref.symbol,
        number=ref.number,
        branch=ref.branch_no,
        birth_date=birth.isoformat(),
        **extra,
    )


# --- validity codes -------------------------------------------------------------------------


def test_code_1_valid(env: Env) -> None:
    birth = date(1980, 5, 10)
    ref = env.registry.member(birth=birth)
    a = env.check(**key(ref, birth=birth))
    assert a["validity"] == {"code": 1, "label_ja": "有効", "label_en": "valid"}
    assert a["covered"] is True
    e = a["eligibility"]
    assert e["insurer_number"] == TOKYO
    assert e["insurer_name_ja"] == "全国健康保険協会 東京支部"
    assert (e["symbol"], e["number"], e["branch"]) == ("1234567", "1", "00")
    assert e["relationship"]["code"] == 1 and e["relationship"]["label_ja"] == "本人"
    assert e["name"] == "山田\u3000太郎" and e["name_kana"] == "ヤマダ\u3000タロウ"
    assert e["valid_from"] == "2020-04-01" and e["valid_to"] is None
    assert e["copay"]["ratio"] == 30 and e["copay"]["reason"] == "working_age"
    assert a["service_date"] == "2025-12-10"  # default: today (the fixed clock)


def test_code_2_ended_and_not_started(env: Env) -> None:
    birth = date(1980, 5, 10)
    ended = env.registry.member(birth=birth, valid_to=date(2025, 6, 30), loss_reason="03")
    a = env.check(**key(ended, birth=birth))
    assert a["validity"]["code"] == 2 and a["covered"] is False
    assert a["eligibility"]["valid_to"] == "2025-06-30"
    assert a["eligibility"]["loss_reason"]["code"] == "03"
    assert a["eligibility"]["copay"] is None
    # valid on a past service date
    assert env.check(**key(ended, birth=birth, service_date="2025-06-30"))["validity"]["code"] == 1

    later = env.registry.member(birth=birth, valid_from=date(2026, 1, 5), symbol="2345678")
    assert env.check(**key(later, birth=birth))["validity"]["code"] == 2
    # covered from its first day; so new that the national system may not know it yet: 6
    assert env.check(**key(later, birth=birth, service_date="2026-01-05"))["validity"]["code"] == 6


def test_code_3_newer_eligibility_exists(env: Env) -> None:
    birth = date(1985, 2, 3)
    old = env.registry.member(birth=birth, valid_to=date(2025, 9, 30))
    env.registry.rejoin(old, valid_from=date(2025, 10, 1))
    a = env.check(**key(old, birth=birth))
    assert a["validity"] == {
        "code": 3,
        "label_ja": "無効(新しい資格あり)",
        "label_en": "invalid (a newer eligibility exists)",
    }
    assert a["eligibility"]["valid_to"] == "2025-09-30"
    # the new key answers 1
    new = env.check(
        insurer_number=TOKYO, symbol="7654321", number="901", branch="00", birth_date="1985-02-03"
    )
    assert new["validity"]["code"] == 1


def test_code_4_does_not_say_why(env: Env) -> None:
    birth = date(1980, 5, 10)
    ref = env.registry.member(birth=birth)
    unknown = env.check(**{**key(ref, birth=birth), "number": "999"})
    wrong_birth = env.check(**key(ref, birth=date(1980, 5, 11)))
    wrong_branch = env.check(**key(ref, birth=birth, insurer=OSAKA))
    other_insurer = "0613001"
    not_ours = env.check(
        **key(ref, birth=birth, insurer=other_insurer + calc_check_digit(other_insurer))
    )
    for a in (unknown, wrong_birth, wrong_branch, not_ours):
        assert a["validity"]["code"] == 4
        assert a["eligibility"] is None and a["covered"] is False
    # identical bodies apart from the echoed query: nothing tells which part was wrong
    strip = lambda a: {k: v for k, v in a.items() if k not in ("query", "request_id")}  # noqa: E731
    assert strip(unknown) == strip(wrong_birth)


def test_code_5_several_matches_without_symbol(env: Env) -> None:
    birth = date(1990, 7, 7)
    a1 = env.registry.member(birth=birth, symbol="1111111")
    env.registry.member(birth=birth, symbol="2222222")
    no_symbol = {**key(a1, birth=birth), "symbol": None}
    a = env.check(**no_symbol)
    assert a["validity"]["code"] == 5 and a["eligibility"] is None
    # with the symbol it is unambiguous
    assert env.check(**key(a1, birth=birth))["validity"]["code"] == 1


def test_symbol_omitted_single_match(env: Env) -> None:
    birth = date(1990, 7, 7)
    ref = env.registry.member(birth=birth, symbol="1111111")
    a = env.check(insurer_number=TOKYO, number="1", branch="0", birth_date="1990-07-07")
    assert a["validity"]["code"] == 1
    assert a["eligibility"]["symbol"] == ref.symbol


def test_code_6_valid_but_not_yet_registered(env: Env) -> None:
    # today Wed 2025-12-10; the registration lag is 2 business days
    birth = date(1995, 1, 1)
    fresh = env.registry.member(birth=birth, valid_from=date(2025, 12, 9))
    a = env.check(**key(fresh, birth=birth))
    assert a["validity"]["code"] == 6 and a["covered"] is True
    assert a["validity"]["label_ja"] == "有効(未登録)"
    assert a["eligibility"]["copay"]["ratio"] == 30
    settled = env.registry.member(birth=birth, valid_from=date(2025, 12, 5), symbol="3333333")
    assert env.check(**key(settled, birth=birth))["validity"]["code"] == 1  # Fri + 2 = Tue


def test_every_code_is_reachable(env: Env) -> None:
    """Meta-test: codes 1-6 all come back from the API (guards the code list)."""
    birth = date(1980, 1, 2)
    r = env.registry
    valid = r.member(birth=birth, symbol="1000001")
    ended = r.member(birth=birth, symbol="1000002", valid_to=date(2024, 3, 31))
    moved = r.member(birth=birth, symbol="1000003", valid_to=date(2024, 3, 31))
    r.rejoin(moved, valid_from=date(2024, 4, 1), symbol="1000004")
    twin1 = r.member(birth=date(1970, 1, 1), symbol="1000005")
    r.member(birth=date(1970, 1, 1), symbol="1000006")
    fresh = r.member(birth=birth, symbol="1000007", valid_from=date(2025, 12, 10))
    codes = {
        env.check(**key(valid, birth=birth))["validity"]["code"],
        env.check(**key(ended, birth=birth))["validity"]["code"],
        env.check(**key(moved, birth=birth))["validity"]["code"],
        env.check(**{**key(valid, birth=birth), "number": "77"})["validity"]["code"],
        env.check(**{**key(twin1, birth=date(1970, 1, 1)), "symbol": ""})["validity"]["code"],
        env.check(**key(fresh, birth=birth))["validity"]["code"],
    }
    assert codes == {1, 2, 3, 4, 5, 6}


# --- copayment boundaries ---------------------------------------------------------------------

COPAY_CASES = [
    # (birth, service date, ratio, reason) — the legal age rule (年齢計算ニ関スル法律)
    (date(2019, 4, 2), date(2026, 3, 31), 20, "preschool"),  # reaches 6 on 2025-04-01
    (date(2019, 4, 2), date(2026, 4, 1), 30, "working_age"),
    (date(2019, 4, 1), date(2025, 3, 31), 20, "preschool"),  # reaches 6 on 2025-03-31
    (date(2019, 4, 1), date(2025, 4, 1), 30, "working_age"),  # a school year earlier
    (date(1955, 12, 15), date(2025, 12, 31), 30, "working_age"),  # 70 on 2025-12-14
    (date(1955, 12, 15), date(2026, 1, 1), 20, "elderly_general"),
    (date(1955, 12, 1), date(2025, 11, 30), 30, "working_age"),  # born on the 1st:
    (date(1955, 12, 1), date(2025, 12, 1), 20, "elderly_general"),  # birthday month itself
    (date(1956, 1, 1), date(2025, 12, 31), 30, "working_age"),
    (date(1956, 1, 1), date(2026, 1, 1), 20, "elderly_general"),
]


@pytest.mark.parametrize(("birth", "on", "ratio", "reason"), COPAY_CASES)
def test_copay_boundaries(env: Env, birth: date, on: date, ratio: int, reason: str) -> None:
    ref = env.registry.member(birth=birth, valid_from=max(birth, date(2015, 1, 1)))
    a = env.check(**key(ref, birth=birth, service_date=on.isoformat()))
    assert a["validity"]["code"] == 1
    assert (a["eligibility"]["copay"]["ratio"], a["eligibility"]["copay"]["reason"]) == (
        ratio,
        reason,
    )
    assert a["eligibility"]["copay"]["preschool"] is (reason == "preschool")


@pytest.mark.parametrize(
    ("remuneration", "ratio", "reason"),
    [
        (300_000, 30, "elderly_high_income"),
        (280_000, 30, "elderly_high_income"),  # at the threshold
        (260_000, 20, "elderly_general"),
        (None, 20, "elderly_general"),
    ],
)
def test_working_level_income(env: Env, remuneration: int | None, ratio: int, reason: str) -> None:
    birth = date(1954, 6, 10)  # 71
    ref = env.registry.member(birth=birth, remuneration=remuneration)
    copay = env.check(**key(ref, birth=birth))["eligibility"]["copay"]
    assert (copay["ratio"], copay["reason"]) == (ratio, reason)


def test_dependants_follow_the_insured_persons_income(env: Env) -> None:
    r = env.registry
    rich = r.member(birth=date(1954, 6, 10), remuneration=410_000)
    spouse = r.member(birth=date(1955, 3, 3), insured=rich, given="花子", sex=2)
    young_rich = r.member(birth=date(1970, 1, 1), remuneration=620_000, symbol="5555555")
    parent = r.member(birth=date(1953, 8, 8), insured=young_rich, given="一郎")
    a = env.check(**key(spouse, birth=date(1955, 3, 3)))
    assert a["eligibility"]["relationship"]["code"] == 2
    assert a["eligibility"]["copay"]["reason"] == "elderly_high_income"
    # the insured person is under 70, so the 70+ parent pays the general 2割
    b = env.check(**key(parent, birth=date(1953, 8, 8)))
    assert (b["eligibility"]["copay"]["ratio"], b["eligibility"]["copay"]["reason"]) == (
        20,
        "elderly_general",
    )


def test_75th_birthday_ends_membership(env: Env) -> None:
    birth = date(1950, 12, 20)  # 75th birthday 2025-12-20
    ref = env.registry.member(birth=birth)
    before = env.check(**key(ref, birth=birth, service_date="2025-12-19"))
    assert before["validity"]["code"] == 1
    assert before["eligibility"]["valid_to"] is None
    on = env.check(**key(ref, birth=birth, service_date="2025-12-20"))
    assert on["validity"]["code"] == 2
    assert on["eligibility"]["valid_to"] == "2025-12-19"
    assert on["eligibility"]["loss_reason"]["code"] == "75"
    assert on["eligibility"]["copay"] is None


# --- what clinics type ----------------------------------------------------------------------


def test_full_width_digits_and_missing_leading_zeros(env: Env) -> None:
    birth = date(1980, 5, 10)
    dep = env.registry.member(birth=date(2010, 1, 1))
    assert dep.branch_no == "00"
    ref = env.registry.member(birth=birth, symbol="0123456")
    a = env.check(
        insurer_number="０１１３－００１２",
        symbol="０１２３４５６",
        number="０００１",
        branch="０",
        birth_date="昭和55年5月10日",
    )
    assert a["validity"]["code"] == 1
    assert a["query"] == {
        "insurer_number": TOKYO,
        "symbol": "0123456",
        "number": "1",
        "branch": "00",
        "birth_date": "1980-05-10",
        "service_date": "2025-12-10",
        "presented_document": None,
    }
    assert a["eligibility"]["symbol"] == ref.symbol


def test_get_and_post_agree(env: Env) -> None:
    birth = date(1980, 5, 10)
    ref = env.registry.member(birth=birth)
    params = key(ref, birth=birth, presented_document="legacy_card")
    got = env.http.get("/api/v1/eligibility", params=params, headers=env.headers).json()
    posted = env.check(**params)
    for a in (got, posted):
        a.pop("request_id")
    assert got == posted
    form = env.http.post("/api/v1/eligibility", data=params, headers=env.headers).json()
    form.pop("request_id")
    assert form == posted


def test_validation_problem_lists_every_field(env: Env) -> None:
    res = env.http.post(
        "/api/v1/eligibility",
        json={
            "insurer_number": "01130013",
            "symbol": "12",
            "number": "abc",
            "birth_date": "1980-02-30",
            "presented_document": "passport",
        },
        headers=env.headers,
    )
    assert res.status_code == 422
    assert res.headers["content-type"] == "application/problem+json"
    body = res.json()
    assert body["status"] == 422 and body["title"] == "Unprocessable Content"
    assert body["type"].startswith("urn:shikaku:problem:")
    assert body["rule_id"] == "insurer_number.checksum"
    rules = {(e["field"], e["rule_id"]) for e in body["errors"]}
    assert rules == {
        ("insurer_number", "insurer_number.checksum"),
        ("symbol", "member.symbol.length"),
        ("number", "member.number.format"),
        ("branch", "branch.required"),
        ("birth_date", "birth_date.impossible"),
        ("presented_document", "presented_document.unknown"),
    }
    assert all(e["message_ja"] and e["message_en"] for e in body["errors"])


@pytest.mark.parametrize(
    ("body", "status", "rule"),
    [
        (b"{not json", 400, "request.malformed"),
        (b"[1, 2]", 400, "request.malformed"),
    ],
)
def test_malformed_body(env: Env, body: bytes, status: int, rule: str) -> None:
    res = env.http.post(
        "/api/v1/eligibility",
        content=body,
        headers={**env.headers, "content-type": "application/json"},
    )
    assert res.status_code == status and res.json()["rule_id"] == rule


@pytest.mark.parametrize(
    ("service_date", "rule"),
    [
        ("2027-12-10", "service_date.range"),
        ("2008-09-30", "service_date.range"),
        ("yesterday", "date.format"),
    ],
)
def test_service_date_range(env: Env, service_date: str, rule: str) -> None:
    res = env.http.get(
        "/api/v1/eligibility",
        params={
            "insurer_number": TOKYO,
            "number": "1",
            "branch": "0",
            "birth_date": "1980-01-01",
            "service_date": service_date,
        },
        headers=env.headers,
    )
    assert res.status_code == 422
    assert {e["rule_id"] for e in res.json()["errors"]} == {rule}


def test_birth_after_service_date(env: Env) -> None:
    res = env.http.get(
        "/api/v1/eligibility",
        params={"insurer_number": TOKYO, "number": "1", "branch": "0", "birth_date": "2025-12-11"},
        headers=env.headers,
    )
    assert res.status_code == 422 and res.json()["rule_id"] == "birth_date.future"
