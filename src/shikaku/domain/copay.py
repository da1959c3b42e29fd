"""Copayment share (一部負担金割合) by age, in percent as the national code lists use it.

Bands (domain.md §6), with ages under the legal age rule (:mod:`shikaku.domain.age`):

==============================  ========  ==============================================
band                            share     from / until
==============================  ========  ==============================================
preschool (義務教育就学前)        20        until the first 31 March on or after the day
                                          the child reaches 6 (born 1 April → reaches 6
                                          on 31 March → that 31 March is the last day)
working age                     30        from the next day until the 70–74 band starts
70–74                           20 or 30  from the 1st of the month after the month in
                                          which the person reaches 70 (born on the 1st →
                                          the birthday month itself); 30 for 現役並み所得者
75+                             —         membership ends on the 75th birthday
                                          (後期高齢者医療制度): :class:`NotAMember`
==============================  ========  ==============================================

The 1割 share for people born on or before 1944-04-01 is not modelled: that closed group
is 75+ and so no longer in this insurer.

:func:`copay_ratio_array` gives the same answers for whole arrays. Instead of an age per
person it turns each band boundary into one cut-off date of birth for the given day (see
:func:`shikaku.domain.age.latest_birth_reached`) and compares the array with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from shikaku.domain.age import birthday, date_reaching_age, latest_birth_reached
from shikaku.domain.dates import first_of_month
from shikaku.domain.errors import InvalidDate, NotAMember

__all__ = [
    "COPAY_INVALID",
    "COPAY_NOT_MEMBER",
    "DEFAULT_COPAY_POLICY",
    "CopayDecision",
    "CopayPolicy",
    "CopayReason",
    "copay",
    "copay_ratio",
    "copay_ratio_array",
    "copay_reason",
    "elderly_share_start",
    "is_preschool",
    "membership_end",
    "preschool_last_day",
]

_ONE_DAY = timedelta(days=1)

#: Codes in :func:`copay_ratio_array` output for people without a share.
COPAY_NOT_MEMBER = 0  # on or after the 75th birthday
COPAY_INVALID = -1  # no date of birth (NaT) or born after the date asked about


class CopayReason(StrEnum):
    """Why a share applies; stable codes for APIs and reports."""

    PRESCHOOL = "preschool"
    WORKING_AGE = "working_age"
    ELDERLY_GENERAL = "elderly_general"
    ELDERLY_HIGH_INCOME = "elderly_high_income"


@dataclass(frozen=True, slots=True)
class CopayPolicy:
    """Ages, the school-year end and the shares (percent). Defaults from domain.md §6."""

    preschool_age: int = 6
    school_year_end_month: int = 3
    school_year_end_day: int = 31
    elderly_age: int = 70
    membership_end_age: int = 75
    preschool_ratio: int = 20
    working_ratio: int = 30
    elderly_ratio: int = 20
    elderly_high_income_ratio: int = 30

    def __post_init__(self) -> None:
        # 29 February would make "the first school-year end after" undefined in most years.
        date(2001, self.school_year_end_month, self.school_year_end_day)
        if not 0 < self.preschool_age < self.elderly_age < self.membership_end_age:
            raise ValueError("CopayPolicy ages must increase")

    def school_year_end(self, year: int) -> date:
        """The school-year end (31 March by default) in *year*."""
        return date(year, self.school_year_end_month, self.school_year_end_day)

    def ratio_for(self, reason: CopayReason) -> int:
        """Share in percent for a reason."""
        if reason is CopayReason.PRESCHOOL:
            return self.preschool_ratio
        if reason is CopayReason.WORKING_AGE:
            return self.working_ratio
        if reason is CopayReason.ELDERLY_GENERAL:
            return self.elderly_ratio
        return self.elderly_high_income_ratio


DEFAULT_COPAY_POLICY = CopayPolicy()


class CopayDecision(NamedTuple):
    """A share in percent (20, 30) and the reason code."""

    ratio: int
    reason: CopayReason


def preschool_last_day(birth: date, *, policy: CopayPolicy = DEFAULT_COPAY_POLICY) -> date:
    """Last day of the preschool share: the first school-year end on or after the day the
    child reaches the preschool age (6)."""
    reached = date_reaching_age(birth, policy.preschool_age)
    end = policy.school_year_end(reached.year)
    return end if end >= reached else policy.school_year_end(reached.year + 1)


def elderly_share_start(birth: date, *, policy: CopayPolicy = DEFAULT_COPAY_POLICY) -> date:
    """First day of the 70–74 share: the 1st of the month after the month in which the
    person reaches 70 (the birthday month itself for people born on the 1st)."""
    reached = date_reaching_age(birth, policy.elderly_age)
    if reached.month == 12:
        return date(reached.year + 1, 1, 1)
    return date(reached.year, reached.month + 1, 1)


def membership_end(birth: date, *, policy: CopayPolicy = DEFAULT_COPAY_POLICY) -> date:
    """The 75th birthday: the first day the person is no longer a member (資格喪失日)."""
    return birthday(birth, policy.membership_end_age)


def is_preschool(birth: date, on: date, *, policy: CopayPolicy = DEFAULT_COPAY_POLICY) -> bool:
    """True when *on* falls in the preschool band (``PreschoolClassification`` = 1)."""
    return birth <= on <= preschool_last_day(birth, policy=policy)


def copay(
    birth: date,
    on: date,
    *,
    high_income: bool = False,
    policy: CopayPolicy = DEFAULT_COPAY_POLICY,
) -> CopayDecision:
    """Share and reason on *on*. *high_income* (現役並み所得者) matters only for 70–74.

    Raises :class:`~shikaku.domain.errors.NotAMember` from the 75th birthday on, and
    :class:`~shikaku.domain.errors.InvalidDate` (``age.before_birth``) before birth.
    """
    if on < birth:
        raise InvalidDate("age.before_birth", field="on", value=on)
    if on >= membership_end(birth, policy=policy):
        raise NotAMember("copay.not_a_member", field="birth_date", value=birth)
    # The year guards only skip work: the preschool band ends by 31 March of the year the
    # child turns preschool_age + 1, and the 70–74 band cannot start before the year the
    # person turns elderly_age − 1 (born 1 January reaches 70 on 31 December before).
    years = on.year - birth.year
    if years <= policy.preschool_age + 1 and on <= preschool_last_day(birth, policy=policy):
        reason = CopayReason.PRESCHOOL
    elif years >= policy.elderly_age - 1 and on >= elderly_share_start(birth, policy=policy):
        reason = CopayReason.ELDERLY_HIGH_INCOME if high_income else CopayReason.ELDERLY_GENERAL
    else:
        reason = CopayReason.WORKING_AGE
    return CopayDecision(policy.ratio_for(reason), reason)


def copay_ratio(
    birth: date,
    on: date,
    *,
    high_income: bool = False,
    policy: CopayPolicy = DEFAULT_COPAY_POLICY,
) -> int:
    """Share in percent (20 or 30) on *on*; see :func:`copay` for the errors."""
    return copay(birth, on, high_income=high_income, policy=policy).ratio


def copay_reason(
    birth: date,
    on: date,
    *,
    high_income: bool = False,
    policy: CopayPolicy = DEFAULT_COPAY_POLICY,
) -> CopayReason:
    """Reason code on *on*; see :func:`copay` for the errors."""
    return copay(birth, on, high_income=high_income, policy=policy).reason


def copay_ratio_array(
    birth_dates: npt.NDArray[np.datetime64],
    on: date,
    high_income: npt.ArrayLike | None = None,
    *,
    policy: CopayPolicy = DEFAULT_COPAY_POLICY,
) -> npt.NDArray[np.int8]:
    """Vectorised :func:`copay_ratio`: an ``int8`` array of shares (20/30), with
    :data:`COPAY_NOT_MEMBER` (0) where the scalar raises ``NotAMember`` and
    :data:`COPAY_INVALID` (−1) for NaT or a birth after *on*.
    """
    births = np.asarray(birth_dates).astype("datetime64[D]")
    income = (
        np.zeros(births.shape, dtype=bool)
        if high_income is None
        else np.broadcast_to(np.asarray(high_income, dtype=bool), births.shape)
    )
    # Each boundary becomes one cut-off birth date for this `on` (see module docstring).
    # 75+: the 75th birthday is on or before `on` ⟺ 75 reached by the day before.
    cut_member = np.datetime64(latest_birth_reached(on - _ONE_DAY, policy.membership_end_age))
    # Preschool: not yet 6 on the last school-year end strictly before `on`.
    last_end = policy.school_year_end(on.year)
    if last_end >= on:
        last_end = policy.school_year_end(on.year - 1)
    cut_preschool = np.datetime64(latest_birth_reached(last_end, policy.preschool_age))
    # 70–74: reached 70 by the last day of the previous month.
    cut_elderly = np.datetime64(
        latest_birth_reached(first_of_month(on) - _ONE_DAY, policy.elderly_age)
    )

    elderly_ratio = np.where(income, policy.elderly_high_income_ratio, policy.elderly_ratio)
    out = np.full(births.shape, policy.working_ratio, dtype=np.int8)
    out = np.where(births <= cut_elderly, elderly_ratio, out)
    out = np.where(births > cut_preschool, policy.preschool_ratio, out)
    out = np.where(births <= cut_member, COPAY_NOT_MEMBER, out)
    invalid = np.isnat(births) | (births > np.datetime64(on, "D"))
    return np.where(invalid, COPAY_INVALID, out).astype(np.int8)
