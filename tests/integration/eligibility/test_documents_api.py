"""The ``document`` block through the API, around the transition dates (defaults: legacy cards
until 2025-12-01, provisional handling until 2026-03-31, 3-month Myna grace), and with the
dates moved by configuration."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from starlette.testclient import TestClient

from shikaku.config import Policy
from shikaku.web.app import WebOptions, create_app

from .conftest import TOKYO, Env

BIRTH = date(1980, 5, 10)


def ask(env: Env, ref, on: str, document: str) -> dict:  # type: ignore[no-untyped-def]
    return env.check(
        insurer_number=TOKYO,
        symbol=ref.symbol,
        number=ref.number,
        branch=ref.branch_no,
        birth_date=BIRTH.isoformat(),
        service_date=on,
        presented_document=document,
    )


@pytest.mark.parametrize(
    ("on", "document", "acceptable", "rule", "until"),
    [
        ("2024-12-01", "legacy_card", True, "legacy_card.valid", "2025-12-01"),
        ("2025-12-01", "legacy_card", True, "legacy_card.transitional", "2025-12-01"),
        ("2025-12-02", "legacy_card", True, "legacy_card.provisional", "2026-03-31"),
        ("2026-03-31", "legacy_card", True, "legacy_card.provisional", "2026-03-31"),
        ("2026-04-01", "legacy_card", False, "legacy_card.not_accepted", "2026-03-31"),
        ("2025-12-01", "notice", False, "notice.not_alone", None),
        ("2025-12-02", "notice", True, "notice.provisional", "2026-03-31"),
        ("2026-03-31", "notice", True, "notice.provisional", "2026-03-31"),
        ("2026-04-01", "notice", False, "notice.not_alone", None),
        ("2026-04-01", "certificate", True, "certificate.confirmed_online", None),
    ],
)
def test_transition_dates(
    env: Env, on: str, document: str, acceptable: bool, rule: str, until: str | None
) -> None:
    ref = env.registry.member(birth=BIRTH, valid_from=date(2015, 4, 1))
    doc = ask(env, ref, on, document)["document"]
    assert (doc["kind"], doc["acceptable"], doc["rule"], doc["valid_until"]) == (
        document,
        acceptable,
        rule,
        until,
    )
    assert doc["message_ja"] and doc["message_en"]


def test_provisional_message_tells_staff_what_to_do(env: Env) -> None:
    ref = env.registry.member(birth=BIRTH)
    doc = ask(env, ref, "2025-12-10", "legacy_card")["document"]
    assert "2026年3月31日" in doc["message_ja"]
    assert "マイナ保険証か資格確認書" in doc["message_ja"]
    assert "31 March 2026" in doc["message_en"] and "next time" in doc["message_en"]


def test_nothing_is_acceptable_without_a_covering_eligibility(env: Env) -> None:
    ref = env.registry.member(birth=BIRTH, valid_to=date(2025, 10, 31))
    for document in ("legacy_card", "notice", "certificate"):
        a = ask(env, ref, "2025-12-10", document)
        assert a["validity"]["code"] == 2
        assert a["document"]["acceptable"] is False
        assert a["document"]["rule"] == "eligibility.not_covered"


def test_myna_card_typed_numbers_use_the_registration_status(env: Env) -> None:
    # e-certificate expired 2025-09-15: usable to 2025-12-31 (end of the 3rd month after)
    ref = env.registry.member(
        birth=BIRTH, myna={"card_key": "card-grace", "ecert_expiry": date(2025, 9, 15)}
    )
    grace = ask(env, ref, "2025-12-31", "myna_card")
    assert grace["document"]["rule"] == "myna.grace"
    assert grace["document"]["valid_until"] == "2025-12-31"
    assert grace["myna"]["ecert_valid"] is False and grace["myna"]["usable"] is True
    over = ask(env, ref, "2026-01-01", "myna_card")
    assert over["document"]["rule"] == "myna.grace_over" and not over["document"]["acceptable"]
    assert over["validity"]["code"] == 1  # the eligibility itself is fine
    unknown = env.registry.member(birth=BIRTH, symbol="4444444")
    assert ask(env, unknown, "2025-12-10", "myna_card")["document"]["rule"] == (
        "myna.registration_unknown"
    )


def test_transition_dates_come_from_configuration(env: Env) -> None:
    ref = env.registry.member(birth=BIRTH)
    policy = replace(
        Policy(), legacy_card_last_day=date(2025, 12, 1), provisional_last_day=date(2026, 9, 30)
    )
    app = replace(env.app, settings=replace(env.app.settings, policy=policy))
    with TestClient(create_app(app, options=WebOptions(access_log=None))) as http:
        res = http.post(
            "/api/v1/eligibility",
            json={
                "insurer_number": TOKYO,
                "symbol": ref.symbol,
                "number": ref.number,
                "branch": ref.branch_no,
                "birth_date": BIRTH.isoformat(),
                "service_date": "2026-06-01",
                "presented_document": "legacy_card",
            },
            headers=env.headers,
        )
    doc = res.json()["document"]
    assert doc["rule"] == "legacy_card.provisional" and doc["valid_until"] == "2026-09-30"
