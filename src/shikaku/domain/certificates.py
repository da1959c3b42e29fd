"""Validity of a 資格確認書 (eligibility certificate).

協会けんぽ issues in one-year windows and gives every certificate issued in a window the same
expiry date, so validity runs 4 to 5 years and never more than the legal 5 (domain.md §1.4).
:class:`IssueWindowPolicy` holds the window anchor and the number of years; the defaults
give windows 2024-12-02..2025-12-01, 2025-12-02..2026-12-01, … and the shared expiry is the
window's last day plus 4 years (issued 2024-12-02 → valid to 2029-12-01; issued 2025-12-01 →
also 2029-12-01). The exact 協会けんぽ dates are unconfirmed [U]: they are configuration.

The expiry is then capped by known future events: the day before the 75th birthday
(membership moves to 後期高齢者医療制度 on the birthday), the end of 任意継続 (2 years), and
the end of a foreign resident's period of stay.

Targeting (who gets a certificate, and why) lives in :mod:`shikaku.domain.targeting` and is
re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import NamedTuple

from shikaku.domain.age import date_reaching_age
from shikaku.domain.dates import add_years
from shikaku.domain.errors import InvalidDate, NotAMember
from shikaku.domain.targeting import (
    TARGET_REASONS,
    TargetReason,
    primary_reason_array,
    target_reasons,
)

__all__ = [
    "DEFAULT_ISSUE_WINDOW_POLICY",
    "TARGET_REASONS",
    "CapReason",
    "CertificateValidity",
    "IssueWindowPolicy",
    "TargetReason",
    "certificate_valid_to",
    "primary_reason_array",
    "target_reasons",
    "voluntary_continuation_end",
]

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class IssueWindowPolicy:
    """One-year issue windows starting each year on the anchor month-day, with a shared
    expiry of window end + ``validity_years``; ``max_years`` is the legal ceiling."""

    anchor_month: int = 12
    anchor_day: int = 2
    validity_years: int = 4
    max_years: int = 5
    membership_end_age: int = 75

    def __post_init__(self) -> None:
        if (self.anchor_month, self.anchor_day) == (2, 29):
            raise ValueError("an issue window cannot start on 29 February")
        date(2001, self.anchor_month, self.anchor_day)  # raises for an impossible day
        if not 0 < self.validity_years < self.max_years:
            # window end + validity_years must stay within max_years of the window start
            raise ValueError("validity_years must be positive and below max_years")

    def window(self, issue_date: date) -> tuple[date, date]:
        """(first day, last day) of the window containing *issue_date*."""
        start = date(issue_date.year, self.anchor_month, self.anchor_day)
        if start > issue_date:
            start = date(issue_date.year - 1, self.anchor_month, self.anchor_day)
        end = date(start.year + 1, self.anchor_month, self.anchor_day) - _ONE_DAY
        return start, end

    def shared_expiry(self, issue_date: date) -> date:
        """The expiry every certificate issued in *issue_date*'s window shares."""
        _, end = self.window(issue_date)
        return add_years(end, self.validity_years)


DEFAULT_ISSUE_WINDOW_POLICY = IssueWindowPolicy()


class CapReason(StrEnum):
    """What set the expiry date."""

    WINDOW = "window"  # the shared expiry of the issue window
    AGE_75 = "age_75"  # the day before the 75th birthday
    VOLUNTARY_END = "voluntary_end"  # end of 任意継続
    STAY_END = "stay_end"  # end of the period of stay


class CertificateValidity(NamedTuple):
    """Last valid day and what set it."""

    valid_to: date
    cap_reason: CapReason


def voluntary_continuation_end(start: date, *, years: int = 2) -> date:
    """Last day of 任意継続 that began on *start* (2 years: start + 2 years − 1 day)."""
    return add_years(start, years) - _ONE_DAY


def certificate_valid_to(
    issue_date: date,
    *,
    birth_date: date,
    voluntary_until: date | None = None,
    stay_until: date | None = None,
    policy: IssueWindowPolicy = DEFAULT_ISSUE_WINDOW_POLICY,
) -> CertificateValidity:
    """Expiry of a certificate issued on *issue_date*, and the reason for it.

    The earliest of: the window's shared expiry; the day before the 75th birthday; the last
    day of 任意継続 (*voluntary_until*); the last day of stay (*stay_until*). On a tie the
    more specific reason wins (age_75, then voluntary_end, then stay_end, then window).

    Raises :class:`~shikaku.domain.errors.NotAMember` when the person is 75 by the issue
    date, and :class:`~shikaku.domain.errors.InvalidDate` when 任意継続 or the stay ended
    before it.
    """
    last_member_day = date_reaching_age(birth_date, policy.membership_end_age)
    if issue_date > last_member_day:
        raise NotAMember("certificate.not_a_member", field="birth_date", value=birth_date)
    if voluntary_until is not None and voluntary_until < issue_date:
        raise InvalidDate(
            "certificate.voluntary_ended", field="voluntary_until", value=voluntary_until
        )
    if stay_until is not None and stay_until < issue_date:
        raise InvalidDate("certificate.stay_ended", field="stay_until", value=stay_until)

    # Listed in tie-break order: min() keeps the first of equal dates.
    candidates = [(last_member_day, CapReason.AGE_75)]
    if voluntary_until is not None:
        candidates.append((voluntary_until, CapReason.VOLUNTARY_END))
    if stay_until is not None:
        candidates.append((stay_until, CapReason.STAY_END))
    candidates.append((policy.shared_expiry(issue_date), CapReason.WINDOW))
    valid_to, reason = min(candidates, key=lambda c: c[0])
    return CertificateValidity(valid_to, reason)
