from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shikaku.domain.targeting import (
    NO_REASON,
    TARGET_REASONS,
    TargetingPolicy,
    delivery_route,
    primary_reason_array,
    reason_by_code,
    target_reasons,
)

ON = date(2026, 1, 31)


def codes(**kwargs: object) -> list[str]:
    on = kwargs.pop("on", ON)
    return [r.code for r in target_reasons(on, **kwargs)]  # type: ignore[arg-type]


def test_table() -> None:
    assert [r.code for r in TARGET_REASONS] == [
        "no_card",
        "not_registered",
        "registration_cancelled",
        "card_returned",
        "ecert_grace_over",
        "restricted",
        "care_needs",
        "card_lost_or_renewing",
        "new_member_request",
    ]
    automatic = {r.code for r in TARGET_REASONS if r.automatic}
    assert automatic == {
        "no_card",
        "not_registered",
        "registration_cancelled",
        "card_returned",
        "ecert_grace_over",
        "restricted",
    }
    assert reason_by_code("ecert_grace_over").via == "employer"
    assert reason_by_code("no_card").via == "home"
    assert all(r.label_ja and r.label_en for r in TARGET_REASONS)


HELD = {"card_held": True, "registered": True}


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"card_held": False}, ["no_card"]),
        ({"card_held": True, "registered": False}, ["not_registered"]),
        (HELD, []),
        ({**HELD, "registration_cancelled": True}, ["registration_cancelled"]),
        ({"card_held": False, "card_returned": True}, ["card_returned"]),
        ({**HELD, "restricted": True}, ["restricted"]),
        ({**HELD, "care_needs_application": True}, ["care_needs"]),
        ({**HELD, "card_lost_application": True}, ["card_lost_or_renewing"]),
        ({**HELD, "enrolment_request": True}, ["new_member_request"]),
        # several reasons: primary first
        (
            {"card_held": False, "restricted": True, "enrolment_request": True},
            ["no_card", "restricted", "new_member_request"],
        ),
    ],
)
def test_reasons(kwargs: dict[str, object], expected: list[str]) -> None:
    assert codes(**kwargs) == expected


@pytest.mark.parametrize(
    ("on", "over"),
    [
        (date(2025, 12, 31), False),  # expiry 2025-09-30 → usable to 2025-12-31
        (date(2026, 1, 1), True),
    ],
)
def test_ecert_grace_boundary(on: date, over: bool) -> None:
    got = codes(on=on, card_held=True, registered=True, ecert_expiry=date(2025, 9, 30))
    assert got == (["ecert_grace_over"] if over else [])


def test_grace_over_needs_a_live_registration() -> None:
    got = codes(
        card_held=True, registered=True, registration_cancelled=True, ecert_expiry=date(2020, 1, 1)
    )
    assert got == ["registration_cancelled"]
    assert codes(card_held=True, registered=True, ecert_expiry=None) == []


def test_disabled_reasons_and_grace_policy() -> None:
    policy = TargetingPolicy(disabled=frozenset({"no_card"}))
    assert [r.code for r in target_reasons(ON, card_held=False, policy=policy)] == []
    one_month = TargetingPolicy(grace_months=1)
    got = target_reasons(
        date(2025, 11, 1),
        card_held=True,
        registered=True,
        ecert_expiry=date(2025, 9, 30),
        policy=one_month,
    )
    assert [r.code for r in got] == ["ecert_grace_over"]


def test_delivery_route() -> None:
    r = reason_by_code("ecert_grace_over")
    assert delivery_route(r) == "employer"
    assert delivery_route(r, voluntary_member=True) == "home"


dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2032, 12, 31))
person = st.fixed_dictionaries(
    {
        "card_held": st.booleans(),
        "card_returned": st.booleans(),
        "registered": st.booleans(),
        "registration_cancelled": st.booleans(),
        "ecert_expiry": st.none() | dates,
        "restricted": st.booleans(),
        "care_needs_application": st.booleans(),
        "card_lost_application": st.booleans(),
        "enrolment_request": st.booleans(),
    }
)


@settings(max_examples=300, deadline=None)
@given(
    people=st.lists(person, min_size=1, max_size=40),
    on=dates,
    disabled=st.frozensets(st.sampled_from([r.code for r in TARGET_REASONS]), max_size=3),
    grace=st.integers(min_value=0, max_value=5),
)
def test_vectorised_primary_matches_scalar(
    people: list[dict[str, object]], on: date, disabled: frozenset[str], grace: int
) -> None:
    policy = TargetingPolicy(grace_months=grace, disabled=disabled)
    arrays: dict[str, object] = {
        key: np.array([p[key] for p in people], dtype=bool)
        for key in people[0]
        if key != "ecert_expiry"
    }
    expiry = np.array([p["ecert_expiry"] or "NaT" for p in people], dtype="datetime64[D]")
    got = primary_reason_array(on, ecert_expiry=expiry, policy=policy, **arrays)  # type: ignore[arg-type]
    expected = []
    for p in people:
        reasons = target_reasons(on, policy=policy, **p)  # type: ignore[arg-type]
        expected.append(TARGET_REASONS.index(reasons[0]) if reasons else NO_REASON)
    assert got.tolist() == expected
    assert got.dtype == np.int8


def test_array_defaults() -> None:
    got = primary_reason_array(ON, card_held=np.array([False, True]))
    assert got.tolist() == [0, 1]  # no_card; held but not registered
