from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shikaku.domain.documents import (
    DOCUMENT_RULES,
    DocumentKind,
    TransitionDates,
    assess_document,
    myna_usable_array,
    myna_usable_on,
    myna_usable_until,
    usable_documents,
)

K = DocumentKind


def test_transition_defaults() -> None:
    d = TransitionDates()
    assert d.legacy_card_last_day == date(2025, 12, 1)
    assert d.provisional_first_day == date(2025, 12, 2)
    assert d.provisional_last_day == date(2026, 3, 31)
    assert d.myna_grace_months == 3


@pytest.mark.parametrize(
    ("expiry", "until"),
    [
        (date(2025, 1, 31), date(2025, 4, 30)),
        (date(2025, 1, 1), date(2025, 4, 30)),
        (date(2025, 11, 15), date(2026, 2, 28)),
        (date(2023, 11, 15), date(2024, 2, 29)),  # leap year
        (date(2023, 11, 30), date(2024, 2, 29)),
        (date(2024, 11, 30), date(2025, 2, 28)),
        (date(2025, 12, 31), date(2026, 3, 31)),
        (date(2025, 10, 31), date(2026, 1, 31)),
    ],
)
def test_myna_grace_end(expiry: date, until: date) -> None:
    assert myna_usable_until(expiry) == until
    assert myna_usable_until(expiry, 3) == until


def test_myna_grace_months_is_a_parameter() -> None:
    assert myna_usable_until(date(2025, 1, 31), grace_months=1) == date(2025, 2, 28)
    assert myna_usable_until(date(2025, 1, 31), grace_months=0) == date(2025, 1, 31)


@pytest.mark.parametrize(
    ("on", "rule", "acceptable", "until"),
    [
        (date(2025, 1, 31), "myna.valid", True, date(2025, 4, 30)),
        (date(2025, 2, 1), "myna.grace", True, date(2025, 4, 30)),
        (date(2025, 4, 30), "myna.grace", True, date(2025, 4, 30)),
        (date(2025, 5, 1), "myna.grace_over", False, date(2025, 4, 30)),
    ],
)
def test_myna_card(on: date, rule: str, acceptable: bool, until: date) -> None:
    a = assess_document(K.MYNA_CARD, on, myna_registered=True, ecert_expiry=date(2025, 1, 31))
    assert (a.rule, a.acceptable, a.usable_until) == (rule, acceptable, until)


def test_myna_messages_carry_the_date() -> None:
    a = assess_document(
        "myna_card", date(2025, 2, 1), myna_registered=True, ecert_expiry=date(2025, 1, 31)
    )
    assert "2025年4月30日" in a.message_ja
    assert "30 April 2025" in a.message_en
    over = assess_document(
        "myna_card", date(2025, 5, 1), myna_registered=True, ecert_expiry=date(2025, 1, 31)
    )
    assert "3か月" in over.message_ja and "資格確認書" in over.message_ja


def test_myna_registration_states() -> None:
    on = date(2026, 1, 15)
    assert assess_document(K.MYNA_CARD, on, myna_registered=False).rule == "myna.not_registered"
    assert assess_document(K.MYNA_CARD, on).rule == "myna.registration_unknown"
    unknown_expiry = assess_document(K.MYNA_CARD, on, myna_registered=True)
    assert (unknown_expiry.rule, unknown_expiry.acceptable, unknown_expiry.usable_until) == (
        "myna.valid",
        True,
        None,
    )


@pytest.mark.parametrize(
    ("on", "printed", "rule", "acceptable", "until"),
    [
        (date(2024, 12, 1), None, "legacy_card.valid", True, date(2025, 12, 1)),
        (date(2024, 12, 2), None, "legacy_card.transitional", True, date(2025, 12, 1)),
        (date(2025, 12, 1), None, "legacy_card.transitional", True, date(2025, 12, 1)),
        (date(2025, 12, 2), None, "legacy_card.provisional", True, date(2026, 3, 31)),
        (date(2026, 3, 31), None, "legacy_card.provisional", True, date(2026, 3, 31)),
        (date(2026, 4, 1), None, "legacy_card.not_accepted", False, date(2026, 3, 31)),
        # printed expiry earlier than the cut-off
        (date(2025, 7, 31), date(2025, 7, 31), "legacy_card.transitional", True, date(2025, 7, 31)),
        (date(2025, 8, 1), date(2025, 7, 31), "legacy_card.expired", False, date(2025, 7, 31)),
        (date(2025, 12, 2), date(2025, 7, 31), "legacy_card.provisional", True, date(2026, 3, 31)),
        # printed expiry later than the cut-off: the cut-off wins
        (date(2025, 12, 2), date(2026, 7, 31), "legacy_card.provisional", True, date(2026, 3, 31)),
    ],
)
def test_legacy_card(
    on: date, printed: date | None, rule: str, acceptable: bool, until: date
) -> None:
    a = assess_document(K.LEGACY_CARD, on, legacy_card_valid_to=printed)
    assert (a.rule, a.acceptable, a.usable_until) == (rule, acceptable, until)
    assert a.kind is K.LEGACY_CARD


def test_provisional_message_says_online_lookup_and_next_time() -> None:
    a = assess_document(K.LEGACY_CARD, date(2025, 12, 2))
    assert "オンライン資格確認" in a.message_ja
    assert "2026年3月31日" in a.message_ja
    assert "マイナ保険証か資格確認書" in a.message_ja
    assert "confirmed online" in a.message_en
    assert "next time" in a.message_en


@pytest.mark.parametrize(
    ("on", "rule", "acceptable"),
    [
        (date(2025, 12, 1), "notice.not_alone", False),
        (date(2025, 12, 2), "notice.provisional", True),
        (date(2026, 3, 31), "notice.provisional", True),
        (date(2026, 4, 1), "notice.not_alone", False),
    ],
)
def test_notice_on_its_own(on: date, rule: str, acceptable: bool) -> None:
    a = assess_document(K.NOTICE, on)
    assert (a.rule, a.acceptable) == (rule, acceptable)


@pytest.mark.parametrize(
    ("on", "valid_to", "rule", "acceptable"),
    [
        (date(2029, 12, 1), date(2029, 12, 1), "certificate.valid", True),
        (date(2029, 12, 2), date(2029, 12, 1), "certificate.expired", False),
        (date(2026, 1, 1), None, "certificate.none", False),
    ],
)
def test_certificate(on: date, valid_to: date | None, rule: str, acceptable: bool) -> None:
    a = assess_document(K.CERTIFICATE, on, certificate_valid_to=valid_to)
    assert (a.rule, a.acceptable, a.usable_until) == (rule, acceptable, valid_to)


def test_dates_are_configuration() -> None:
    extended = TransitionDates(provisional_last_day=date(2026, 9, 30))
    assert assess_document(K.NOTICE, date(2026, 4, 1), dates=extended).acceptable
    assert not assess_document(K.NOTICE, date(2026, 10, 1), dates=extended).acceptable
    two_months = TransitionDates(myna_grace_months=2)
    a = assess_document(
        K.MYNA_CARD,
        date(2025, 4, 1),
        dates=two_months,
        myna_registered=True,
        ecert_expiry=date(2025, 1, 31),
    )
    assert a.rule == "myna.grace_over"
    assert "2か月" in a.message_ja


def test_every_rule_message_formats_completely() -> None:
    # a placeholder other than {until} and {months} raises KeyError; a stray brace survives
    for rule in DOCUMENT_RULES.values():
        for message in (rule.message_ja, rule.message_en):
            text = message.format(until="x", months=3)
            assert text.strip() and "{" not in text and "}" not in text, rule


def test_unknown_kind_raises() -> None:
    with pytest.raises(ValueError):
        assess_document("passport", date(2026, 1, 1))


@pytest.mark.parametrize(
    ("on", "kwargs", "expected"),
    [
        (date(2025, 11, 1), {"legacy_card_held": True, "myna_registered": False}, [K.LEGACY_CARD]),
        (
            date(2026, 1, 15),
            {"legacy_card_held": True, "notice_held": True, "myna_registered": True},
            [K.MYNA_CARD, K.LEGACY_CARD, K.NOTICE],
        ),
        (
            date(2026, 4, 1),
            {
                "legacy_card_held": True,
                "notice_held": True,
                "certificate_valid_to": date(2029, 12, 1),
            },
            [K.CERTIFICATE],
        ),
        (date(2026, 4, 1), {"legacy_card_held": True, "notice_held": True}, []),
    ],
)
def test_usable_documents(
    on: date, kwargs: dict[str, object], expected: list[DocumentKind]
) -> None:
    assert usable_documents(on, **kwargs) == expected  # type: ignore[arg-type]


dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2032, 12, 31))


@settings(max_examples=300)
@given(
    people=st.lists(st.tuples(st.booleans(), st.none() | dates), min_size=1, max_size=40),
    on=dates,
    grace=st.integers(min_value=0, max_value=6),
)
def test_myna_usable_array_matches_scalar(
    people: list[tuple[bool, date | None]], on: date, grace: int
) -> None:
    reg = np.array([r for r, _ in people])
    expiry = np.array([e if e else "NaT" for _, e in people], dtype="datetime64[D]")
    got = myna_usable_array(on, reg, expiry, grace_months=grace)
    expected = [
        myna_usable_on(on, registered=r, ecert_expiry=e, grace_months=grace) for r, e in people
    ]
    assert got.tolist() == expected
    # and the scalar agrees with assess_document
    for r, e in people:
        a = assess_document(
            K.MYNA_CARD,
            on,
            dates=TransitionDates(myna_grace_months=grace),
            myna_registered=r,
            ecert_expiry=e,
        )
        assert a.acceptable == myna_usable_on(on, registered=r, ecert_expiry=e, grace_months=grace)
