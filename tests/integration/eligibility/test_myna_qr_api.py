"""The Myna-card path (opaque card key) and the QR path (資格確認書)."""

from __future__ import annotations

from datetime import date

import pytest

from shikaku.domain.ids.certificate_qr import CertificateQR, derive_key, encode

from .conftest import TOKYO, Env

BIRTH = date(1980, 5, 10)


def card(env: Env, card_key: str, **extra: str) -> dict:  # type: ignore[type-arg]
    res = env.http.post(
        "/api/v1/eligibility/myna", json={"card_key": card_key, **extra}, headers=env.headers
    )
    assert res.status_code == 200, res.text
    return res.json()  # type: ignore[no-any-return]


def test_registered_card(env: Env) -> None:
    env.registry.member(birth=BIRTH, myna={"card_key": "c0ffee01"})
    a = card(env, "c0ffee01")
    assert a["channel"] == "myna" and a["validity"]["code"] == 1
    assert a["eligibility"]["name"] == "山田\u3000太郎"
    assert a["document"]["kind"] == "myna_card" and a["document"]["rule"] == "myna.valid"
    assert a["myna"]["registered"] is True and a["myna"]["ecert_valid"] is True
    assert a["myna"]["usable_until"] == "2029-08-31"  # expiry 2029-05-10 + 3 months grace


def test_grace_period_after_the_certificate_expires(env: Env) -> None:
    env.registry.member(
        birth=BIRTH, myna={"card_key": "grace1", "ecert_expiry": date(2025, 10, 20)}
    )
    inside = card(env, "grace1", service_date="2026-01-31")
    assert inside["validity"]["code"] == 1
    assert inside["document"]["rule"] == "myna.grace"
    assert inside["myna"]["usable_until"] == "2026-01-31"
    after = card(env, "grace1", service_date="2026-02-01")
    assert after["validity"]["code"] == 4 and after["eligibility"] is None
    assert after["document"]["rule"] == "myna.grace_over"
    assert after["myna"]["usable"] is False


@pytest.mark.parametrize(
    ("myna", "rule"),
    [
        ({"registered": False}, "myna.not_registered"),
        ({"cancelled": True}, "myna.not_registered"),
        ({"returned": True}, "myna.not_registered"),
    ],
)
def test_card_not_usable_reveals_no_member(env: Env, myna: dict, rule: str) -> None:  # type: ignore[type-arg]
    env.registry.member(birth=BIRTH, myna={"card_key": "nope1", **myna})
    a = card(env, "nope1")
    assert a["validity"]["code"] == 4 and a["eligibility"] is None
    assert a["document"]["rule"] == rule and a["document"]["acceptable"] is False


def test_unknown_card(env: Env) -> None:
    a = card(env, "no-such-card")
    assert a["validity"]["code"] == 4 and a["myna"] is None
    assert a["document"]["rule"] == "myna.card_unknown"


def test_card_follows_the_person_to_a_new_employer(env: Env) -> None:
    old = env.registry.member(birth=BIRTH, valid_to=date(2025, 9, 30), myna={"card_key": "mover"})
    env.registry.rejoin(old, valid_from=date(2025, 10, 1), symbol="8888888")
    now = card(env, "mover")
    assert now["validity"]["code"] == 1 and now["eligibility"]["symbol"] == "8888888"
    then = card(env, "mover", service_date="2025-09-01")
    assert then["validity"]["code"] == 1 and then["eligibility"]["symbol"] == "1234567"


def test_card_key_validation(env: Env) -> None:
    res = env.http.post(
        "/api/v1/eligibility/myna", json={"card_key": "bad key!"}, headers=env.headers
    )
    assert res.status_code == 422 and res.json()["rule_id"] == "card_key.format"
    res = env.http.get("/api/v1/eligibility/myna", headers=env.headers)
    assert res.status_code == 422 and res.json()["rule_id"] == "card_key.required"


def _qr(env: Env, ref, valid_to: date, key: bytes | None = None) -> str:  # type: ignore[no-untyped-def]
    key = key or derive_key(env.app.cipher.master_key)
    return encode(CertificateQR(TOKYO, ref.symbol, ref.number, ref.branch_no, BIRTH, valid_to), key)


def test_qr_of_a_certificate(env: Env) -> None:
    ref = env.registry.member(birth=BIRTH)
    text = _qr(env, ref, date(2029, 12, 1))
    res = env.http.post("/api/v1/eligibility/qr", json={"qr": text + "\r\n"}, headers=env.headers)
    a = res.json()
    assert res.status_code == 200 and a["channel"] == "qr"
    assert a["validity"]["code"] == 1
    assert a["document"]["rule"] == "certificate.valid"
    assert a["document"]["valid_until"] == "2029-12-01"
    assert a["query"]["presented_document"] == "certificate"


def test_qr_expired_certificate(env: Env) -> None:
    ref = env.registry.member(birth=BIRTH)
    text = _qr(env, ref, date(2025, 11, 30))
    a = env.http.get("/api/v1/eligibility/qr", params={"qr": text}, headers=env.headers).json()
    assert a["validity"]["code"] == 1
    assert a["document"]["rule"] == "certificate.expired" and not a["document"]["acceptable"]


@pytest.mark.parametrize("mutation", ["forged-key", "edited-birth", "garbage", "version"])
def test_forged_qr_is_refused(env: Env, mutation: str) -> None:
    ref = env.registry.member(birth=BIRTH)
    good = _qr(env, ref, date(2029, 12, 1))
    text = {
        "forged-key": _qr(env, ref, date(2029, 12, 1), key=b"x" * 32),
        "edited-birth": good.replace(":19800510:", ":19800511:"),
        "garbage": "https://example.com/",
        "version": good.replace("SKK1:", "SKK9:"),
    }[mutation]
    res = env.http.post("/api/v1/eligibility/qr", json={"qr": text}, headers=env.headers)
    assert res.status_code == 422
    expected = {
        "forged-key": "qr.tag",
        "edited-birth": "qr.tag",
        "garbage": "qr.format",
        "version": "qr.version",
    }[mutation]
    assert res.json()["rule_id"] == expected
