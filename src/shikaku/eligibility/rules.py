"""Pure decisions of the eligibility answer: validity code, copayment, document acceptance.

No I/O and no clock: the service hands in the row it found and the dates. The rules behind
the codes are recorded in docs/decisions/0005-eligibility-validity-codes.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from shikaku.config import Policy
from shikaku.domain.calendar import DEFAULT_CALENDAR, BusinessCalendar, add_business_days
from shikaku.domain.copay import (
    DEFAULT_COPAY_POLICY,
    CopayPolicy,
    copay,
    elderly_share_start,
    is_preschool,
    membership_end,
)
from shikaku.domain.documents import (
    DocumentAssessment,
    DocumentKind,
    TransitionDates,
    assess_document,
    myna_usable_on,
    myna_usable_until,
)
from shikaku.eligibility.codes import Validity

_ONE_DAY = timedelta(days=1)

#: Rules of our own, next to those of shikaku.domain.documents.DOCUMENT_RULES.
NOT_COVERED = "eligibility.not_covered"
CONFIRMED_ONLINE = "certificate.confirmed_online"
CARD_UNKNOWN = "myna.card_unknown"
_OWN_MESSAGES = {
    NOT_COVERED: (
        "この受診日に有効な資格が確認できないため、この書類では保険診療として受け付けられません。"
        "最新の資格確認書かマイナ保険証を確認してください。",
        "No eligibility valid on the service date could be confirmed, so this document cannot "
        "be accepted for insured treatment. Ask for the current eligibility certificate or My "
        "Number insurance card.",
    ),
    CONFIRMED_ONLINE: (
        "資格確認書の番号で資格をオンラインで確認できました。有効期限は券面で確認してください。",
        "Eligibility was confirmed online from the certificate's numbers. Check the expiry date "
        "printed on the certificate.",
    ),
    CARD_UNKNOWN: (
        "このカードに対応する資格が見つかりません。資格確認書か資格情報のお知らせで確認してください。",
        "No eligibility is linked to this card. Check with the eligibility certificate or the "
        "notice of eligibility information.",
    ),
}


@dataclass(frozen=True, slots=True)
class EligibilityRules:
    """Policy values the answer depends on (defaults from domain.md; see ADR 0005)."""

    transition: TransitionDates = field(default_factory=TransitionDates)
    #: Code 6 while a membership started fewer than this many business days ago.
    registration_lag_business_days: int = 2
    #: 現役並み所得者: the insured person's 標準報酬月額 at or above this (yen).
    high_income_remuneration: int = 280_000
    copay_policy: CopayPolicy = DEFAULT_COPAY_POLICY
    calendar: BusinessCalendar = DEFAULT_CALENDAR
    #: A service date may lie at most this many days after today (batch pre-checks).
    max_days_ahead: int = 366
    earliest_service_date: date = date(2008, 10, 1)  # 協会けんぽ founded

    @classmethod
    def from_policy(cls, policy: Policy) -> EligibilityRules:
        """Take the transition dates, the registration lag and the 現役並み threshold from the
        installation's policy; the rest default."""
        return cls(
            transition=TransitionDates(
                legacy_card_last_day=policy.legacy_card_last_day,
                provisional_last_day=policy.provisional_last_day,
                myna_grace_months=policy.myna_grace_months,
            ),
            registration_lag_business_days=policy.eligibility_registration_lag_business_days,
            high_income_remuneration=policy.high_income_remuneration,
        )


@dataclass(frozen=True, slots=True)
class CopayInfo:
    ratio: int  # percent: 20 or 30
    reason: str  # shikaku.domain.copay.CopayReason value
    preschool: bool  # PreschoolClassification


@dataclass(frozen=True, slots=True)
class MynaInfo:
    """What the registration-status data says about the person's Myna card on the date."""

    card_found: bool
    registered: bool  # card held, registered for insurance, not cancelled, not returned
    insurance_registered: bool
    registration_cancelled: bool
    card_returned: bool
    ecert_expiry: date | None
    ecert_valid: bool  # the e-certificate itself has not expired on the date
    usable_until: date | None  # last day of the grace period after the e-certificate expiry
    usable: bool


def effective_end(birth: date, valid_to: date | None, rules: EligibilityRules) -> date:
    """Last covered day: the recorded end, or the day before the 75th birthday if earlier
    (membership moves to 後期高齢者医療制度 on the birthday, recorded or not yet)."""
    last = membership_end(birth, policy=rules.copay_policy) - _ONE_DAY
    return last if valid_to is None or valid_to > last else valid_to


def ended_by_age(birth: date, valid_to: date | None, rules: EligibilityRules) -> bool:
    """True when the 75th birthday, not a recorded loss, ends the membership."""
    last = membership_end(birth, policy=rules.copay_policy) - _ONE_DAY
    return valid_to is None or valid_to > last


def validity_for(
    *,
    valid_from: date,
    end: date,
    has_newer: bool,
    on: date,
    today: date,
    rules: EligibilityRules,
) -> Validity:
    """1 valid; 6 valid but so new the national system may not have it yet; 3 not valid on
    *on* while the person has a newer membership; 2 not valid otherwise."""
    return _validity(valid_from, end, has_newer, on, today, rules)


def _validity(
    valid_from: date, end: date, has_newer: bool, on: date, today: date, rules: EligibilityRules
) -> Validity:
    if valid_from <= on <= end:
        if _recently_started(valid_from, today, rules):
            return Validity.VALID_UNREGISTERED
        return Validity.VALID
    return Validity.INVALID_NEWER_EXISTS if has_newer else Validity.INVALID


@lru_cache(maxsize=64)
def _old_before(today: date, lag: int) -> date:
    """Memberships that started before this day are past any registration lag."""
    return today - timedelta(days=7 * lag + 14)


def _recently_started(valid_from: date, today: date, rules: EligibilityRules) -> bool:
    lag = rules.registration_lag_business_days
    if lag <= 0 or valid_from < _old_before(today, lag):  # cheap exit: nearly every row
        return False
    return today < add_business_days(valid_from, lag, calendar=rules.calendar)


def copay_for(
    *,
    birth: date,
    on: date,
    insured_birth: date | None,
    insured_remuneration: int | None,
    rules: EligibilityRules,
) -> CopayInfo:
    """Share on *on*. 現役並み applies in the 70–74 band when the insured person (the member
    themself, or the dependant's insured person) is in that band too with 標準報酬月額 at or
    above the threshold."""
    policy = rules.copay_policy
    high_income = (
        insured_birth is not None
        and insured_remuneration is not None
        and insured_remuneration >= rules.high_income_remuneration
        and on >= elderly_share_start(birth, policy=policy)
        and on >= elderly_share_start(insured_birth, policy=policy)
    )
    decision = copay(birth, on, high_income=high_income, policy=policy)
    return CopayInfo(
        ratio=decision.ratio,
        reason=str(decision.reason),
        preschool=is_preschool(birth, on, policy=policy),
    )


def myna_info(
    *,
    present: bool,
    card_held: bool,
    insurance_registered: bool,
    registration_cancelled: bool,
    card_returned: bool,
    ecert_expiry: date | None,
    on: date,
    rules: EligibilityRules,
) -> MynaInfo:
    """The card's standing on *on* (grace period per domain.documents.myna_usable_until)."""
    grace = rules.transition.myna_grace_months
    registered = (
        present
        and card_held
        and insurance_registered
        and not registration_cancelled
        and not card_returned
    )
    return MynaInfo(
        card_found=present,
        registered=registered,
        insurance_registered=present and insurance_registered,
        registration_cancelled=registration_cancelled,
        card_returned=card_returned,
        ecert_expiry=ecert_expiry,
        ecert_valid=ecert_expiry is None or on <= ecert_expiry,
        usable_until=myna_usable_until(ecert_expiry, grace) if ecert_expiry else None,
        usable=myna_usable_on(
            on, registered=registered, ecert_expiry=ecert_expiry, grace_months=grace
        ),
    )


def _own(kind: DocumentKind, rule: str, acceptable: bool) -> DocumentAssessment:
    ja, en = _OWN_MESSAGES[rule]
    return DocumentAssessment(
        acceptable=acceptable,
        rule=rule,
        usable_until=None,
        message_ja=ja,
        message_en=en,
        kind=kind,
    )


def card_unknown() -> DocumentAssessment:
    """The document block when no eligibility is linked to the card presented."""
    return _own(DocumentKind.MYNA_CARD, CARD_UNKNOWN, False)


def assess(
    kind: DocumentKind,
    on: date,
    *,
    covered: bool,
    myna: MynaInfo | None,
    certificate_valid_to: date | None,
    rules: EligibilityRules,
) -> DocumentAssessment:
    """Is *kind* acceptable on *on*? The document rules of the domain, plus: nothing is
    acceptable without a covering eligibility, and a certificate whose expiry we do not know
    (typed numbers, no QR) is accepted on the online confirmation with a reminder to check
    the printed expiry."""
    if kind is DocumentKind.CERTIFICATE and certificate_valid_to is None:
        return _own(kind, CONFIRMED_ONLINE if covered else NOT_COVERED, covered)
    result = assess_document(
        kind,
        on,
        dates=rules.transition,
        myna_registered=None if myna is None else myna.registered,
        ecert_expiry=None if myna is None else myna.ecert_expiry,
        certificate_valid_to=certificate_valid_to,
    )
    if result.acceptable and not covered:
        return _own(kind, NOT_COVERED, False)
    return result


class Decider:
    """The decisions above, memoised for one set of rules.

    The inputs repeat all day (a few tens of thousands of dates of birth, one service date,
    a handful of document states), and every decision is a pure function of them, so the hot
    path mostly looks answers up instead of redoing the calendar arithmetic.
    """

    def __init__(self, rules: EligibilityRules, *, size: int = 65_536) -> None:
        self.rules = rules
        policy = rules.copay_policy
        self._last_day = lru_cache(maxsize=size)(
            lambda birth: membership_end(birth, policy=policy) - _ONE_DAY
        )
        self._elderly_start = lru_cache(maxsize=size)(
            lambda birth: elderly_share_start(birth, policy=policy)
        )
        self._copay = lru_cache(maxsize=size)(self._copay_uncached)
        self.myna = lru_cache(maxsize=size)(self._myna_uncached)
        self.assess = lru_cache(maxsize=size)(self._assess_uncached)

    def validity(
        self, valid_from: date, end: date, has_newer: bool, on: date, today: date
    ) -> Validity:
        """:func:`validity_for`, positional."""
        return _validity(valid_from, end, has_newer, on, today, self.rules)

    def end(self, birth: date, valid_to: date | None) -> date:
        """:func:`effective_end`, memoised."""
        last = self._last_day(birth)
        return last if valid_to is None or valid_to > last else valid_to

    def elderly(self, birth: date, on: date) -> bool:
        """True in the 70–74 band (where 現役並み matters)."""
        return on >= self._elderly_start(birth)

    def ended_by_age(self, birth: date, valid_to: date | None) -> bool:
        last = self._last_day(birth)
        return valid_to is None or valid_to > last

    def copay(
        self,
        birth: date,
        on: date,
        insured_birth: date | None,
        insured_remuneration: int | None,
    ) -> CopayInfo:
        """:func:`copay_for`, memoised on what actually matters for the share."""
        high_income = (
            on >= self._elderly_start(birth)
            and insured_birth is not None
            and insured_remuneration is not None
            and insured_remuneration >= self.rules.high_income_remuneration
            and on >= self._elderly_start(insured_birth)
        )
        return self._copay(birth, on, high_income)

    def _copay_uncached(self, birth: date, on: date, high_income: bool) -> CopayInfo:
        policy = self.rules.copay_policy
        decision = copay(birth, on, high_income=high_income, policy=policy)
        return CopayInfo(
            ratio=decision.ratio,
            reason=str(decision.reason),
            preschool=is_preschool(birth, on, policy=policy),
        )

    def _myna_uncached(
        self,
        present: bool,
        card_held: bool,
        insurance_registered: bool,
        registration_cancelled: bool,
        card_returned: bool,
        ecert_expiry: date | None,
        on: date,
    ) -> MynaInfo:
        return myna_info(
            present=present,
            card_held=card_held,
            insurance_registered=insurance_registered,
            registration_cancelled=registration_cancelled,
            card_returned=card_returned,
            ecert_expiry=ecert_expiry,
            on=on,
            rules=self.rules,
        )

    def _assess_uncached(
        self,
        kind: DocumentKind,
        on: date,
        covered: bool,
        myna: MynaInfo | None,
        certificate_valid_to: date | None,
    ) -> DocumentAssessment:
        return assess(
            kind,
            on,
            covered=covered,
            myna=myna,
            certificate_valid_to=certificate_valid_to,
            rules=self.rules,
        )


_deciders: dict[int, tuple[EligibilityRules, Decider]] = {}


def decider_for(rules: EligibilityRules) -> Decider:
    """The memoising decider of *rules* (one per rules object)."""
    hit = _deciders.get(id(rules))
    if hit is not None and hit[0] is rules:
        return hit[1]
    if len(_deciders) > 64:
        _deciders.clear()
    decider = Decider(rules)
    _deciders[id(rules)] = (rules, decider)
    return decider
