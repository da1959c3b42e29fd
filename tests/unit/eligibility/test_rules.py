"""Pure decisions: validity code, registration lag, copay via the memoising Decider (checked
against the uncached functions), document acceptance."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from shikaku.config import Policy
from shikaku.domain.documents import DocumentKind
from shikaku.eligibility.codes import Validity
from shikaku.eligibility.rules import (
    CONFIRMED_ONLINE,
    NOT_COVERED,
    Decider,
    EligibilityRules,
    assess,
    copay_for,
    decider_for,
    effective_end,
    myna_info,
    validity_for,
)

RULES = EligibilityRules()


@pytest.mark.parametrize(
    ("valid_from", "end", "newer", "on", "today", "code"),
    [
        (date(2020, 4, 1), date(2099, 1, 1), False, date(2025, 12, 10), date(2025, 12, 10), 1),
        (date(2020, 4, 1), date(2025, 6, 30), False, date(2025, 12, 10), date(2025, 12, 10), 2),
        (date(2020, 4, 1), date(2025, 6, 30), True, date(2025, 12, 10), date(2025, 12, 10), 3),
        (date(2026, 1, 1), date(2099, 1, 1), False, date(2025, 12, 31), date(2025, 12, 10), 2),
        # Friday 2025-12-05 + 2 business days = Tuesday 12-09
        (date(2025, 12, 5), date(2099, 1, 1), False, date(2025, 12, 8), date(2025, 12, 8), 6),
        (date(2025, 12, 5), date(2099, 1, 1), False, date(2025, 12, 9), date(2025, 12, 9), 1),
        # year-end closure (12/29-1/3) does not count
        (date(2025, 12, 26), date(2099, 1, 1), False, date(2026, 1, 5), date(2026, 1, 5), 6),
        (date(2025, 12, 26), date(2099, 1, 1), False, date(2026, 1, 6), date(2026, 1, 6), 1),
    ],
)
def test_validity(valid_from, end, newer, on, today, code) -> None:  # type: ignore[no-untyped-def]
    assert validity_for(
        valid_from=valid_from, end=end, has_newer=newer, on=on, today=today, rules=RULES
    ) == Validity(code)


def test_registration_lag_is_configurable() -> None:
    rules = EligibilityRules(registration_lag_business_days=0)
    assert (
        validity_for(
            valid_from=date(2025, 12, 10),
            end=date(2099, 1, 1),
            has_newer=False,
            on=date(2025, 12, 10),
            today=date(2025, 12, 10),
            rules=rules,
        )
        == 1
    )


def test_effective_end_caps_at_the_day_before_75() -> None:
    assert effective_end(date(1950, 12, 20), None, RULES) == date(2025, 12, 19)
    assert effective_end(date(1950, 12, 20), date(2025, 3, 31), RULES) == date(2025, 3, 31)
    assert effective_end(date(1952, 2, 29), None, RULES) == date(2027, 2, 28)


def test_decider_agrees_with_the_plain_functions() -> None:
    d = Decider(RULES)
    day = date(2025, 1, 1)
    births = [date(1950, 1, 1) + timedelta(days=97 * i) for i in range(300)]
    for birth in births:
        on = max(birth, day)
        for insured_birth, smr in ((birth, 300_000), (date(1970, 1, 1), 300_000), (None, None)):
            if on >= date(birth.year + 75, birth.month, 1):
                continue
            expected = copay_for(
                birth=birth,
                on=on,
                insured_birth=insured_birth,
                insured_remuneration=smr,
                rules=RULES,
            )
            assert d.copay(birth, on, insured_birth, smr) == expected
        assert d.end(birth, None) == effective_end(birth, None, RULES)


def test_decider_is_one_per_rules_object() -> None:
    assert decider_for(RULES) is decider_for(RULES)
    assert decider_for(EligibilityRules()) is not decider_for(RULES)


def test_rules_from_policy_take_the_transition_dates() -> None:
    rules = EligibilityRules.from_policy(
        Policy(provisional_last_day=date(2026, 9, 30), myna_grace_months=2)
    )
    assert rules.transition.provisional_last_day == date(2026, 9, 30)
    assert rules.transition.myna_grace_months == 2


def test_rules_from_policy_take_the_lag_and_the_high_income_threshold() -> None:
    rules = EligibilityRules.from_policy(
        Policy(eligibility_registration_lag_business_days=5, high_income_remuneration=300_000)
    )
    assert rules.registration_lag_business_days == 5
    assert rules.high_income_remuneration == 300_000
    assert EligibilityRules.from_policy(Policy()).registration_lag_business_days == 2


def _myna(**kw):  # type: ignore[no-untyped-def]
    base = dict(
        present=True,
        card_held=True,
        insurance_registered=True,
        registration_cancelled=False,
        card_returned=False,
        ecert_expiry=date(2025, 9, 15),
        on=date(2025, 12, 31),
        rules=RULES,
    )
    return myna_info(**{**base, **kw})


def test_myna_grace_period() -> None:
    inside = _myna()
    assert inside.usable and not inside.ecert_valid and inside.usable_until == date(2025, 12, 31)
    assert not _myna(on=date(2026, 1, 1)).usable
    assert not _myna(registration_cancelled=True).usable
    assert not _myna(card_returned=True).registered
    assert _myna(ecert_expiry=None).usable  # unknown expiry counts as valid


def test_assess_wraps_the_domain_rules() -> None:
    on = date(2025, 12, 10)
    kw = dict(myna=None, certificate_valid_to=None, rules=RULES)
    assert assess(DocumentKind.LEGACY_CARD, on, covered=True, **kw).rule == (  # type: ignore[arg-type]
        "legacy_card.provisional"
    )
    assert assess(DocumentKind.LEGACY_CARD, on, covered=False, **kw).rule == NOT_COVERED  # type: ignore[arg-type]
    cert = assess(DocumentKind.CERTIFICATE, on, covered=True, **kw)  # type: ignore[arg-type]
    assert cert.rule == CONFIRMED_ONLINE and cert.acceptable
    with_qr = assess(
        DocumentKind.CERTIFICATE,
        on,
        covered=True,
        myna=None,
        certificate_valid_to=date(2025, 12, 9),
        rules=RULES,
    )
    assert with_qr.rule == "certificate.expired" and not with_qr.acceptable
