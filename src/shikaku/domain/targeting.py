"""Who gets a 資格確認書, and why (domain.md §1.5, §1.6, §7).

The reasons are data (:data:`TARGET_REASONS`), in priority order: the first that applies
is the *primary* reason, which decides the delivery route and what the cover letter says.
For the time being (当分の間) everyone without a usable マイナ保険証 gets a certificate
without applying; others get one on application or when the enrolment form asks.

``via`` is the default delivery route: the 2025 mass mailing went to members' homes, while
certificates after an expired e-certificate's grace period, and those issued on application
or at enrolment, go through the employer. Voluntary continued members (任意継続) have no
employer and always get theirs at home (:func:`delivery_route`).

For the monthly job (the government's registration data arrives about the 5th), call with
*on* = the last day of the month, so that people whose grace period ends during the month
are picked up before it ends.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from shikaku.domain.dates import add_months, first_of_month
from shikaku.domain.documents import myna_usable_on

__all__ = [
    "DEFAULT_TARGETING_POLICY",
    "NO_REASON",
    "TARGET_REASONS",
    "TargetFacts",
    "TargetReason",
    "TargetingPolicy",
    "delivery_route",
    "primary_reason_array",
    "reason_by_code",
    "target_reasons",
]

Via = Literal["home", "employer"]


@dataclass(frozen=True, slots=True)
class TargetReason:
    """One reason to issue a certificate."""

    code: str
    label_ja: str
    label_en: str
    automatic: bool  # issued without an application (職権交付)
    via: Via


#: Reasons in priority order; the index is the code used by :func:`primary_reason_array`.
TARGET_REASONS: tuple[TargetReason, ...] = (
    TargetReason("no_card", "マイナンバーカード未取得", "No My Number card", True, "home"),
    TargetReason(
        "not_registered",
        "健康保険証としての利用登録なし",
        "Card not registered for insurance use",
        True,
        "home",
    ),
    TargetReason(
        "registration_cancelled",
        "利用登録の解除",
        "Insurance-use registration cancelled",
        True,
        "home",
    ),
    TargetReason(
        "card_returned", "マイナンバーカードの返納", "My Number card returned", True, "home"
    ),
    TargetReason(
        "ecert_grace_over",
        "電子証明書の有効期限切れ(猶予期間経過)",
        "E-certificate expired and grace period over",
        True,
        "employer",
    ),
    TargetReason(
        "restricted",
        "自己情報の閲覧制限(DV被害者等)",
        "Restricted self-information (DV victims and others)",
        True,
        "home",
    ),
    TargetReason(
        "care_needs",
        "要配慮者の申請(高齢者・障害者等)",
        "Application by a person needing care (elderly, disabled)",
        False,
        "employer",
    ),
    TargetReason(
        "card_lost_or_renewing",
        "マイナンバーカードの紛失・更新中(申請)",
        "My Number card lost or being renewed (application)",
        False,
        "employer",
    ),
    TargetReason(
        "new_member_request",
        "資格取得届での交付希望",
        "Requested on the enrolment form",
        False,
        "employer",
    ),
)

#: :func:`primary_reason_array` value for "no reason applies".
NO_REASON = -1

_BY_CODE: Mapping[str, TargetReason] = MappingProxyType({r.code: r for r in TARGET_REASONS})


def reason_by_code(code: str) -> TargetReason:
    """The reason with this code (``KeyError`` if unknown)."""
    return _BY_CODE[code]


def delivery_route(reason: TargetReason, *, voluntary_member: bool = False) -> Via:
    """Where to send the certificate: 任意継続 members have no employer, so home."""
    return "home" if voluntary_member else reason.via


@dataclass(frozen=True, slots=True)
class TargetingPolicy:
    """Grace period and the reason codes currently switched off (say, when 当分の間 ends)."""

    grace_months: int = 3
    disabled: frozenset[str] = field(default_factory=frozenset)


DEFAULT_TARGETING_POLICY = TargetingPolicy()


class TargetFacts(NamedTuple):
    """What the insurer knows about one member (from the government's registration data
    and the member's applications). A NamedTuple: cheap to build in batch loops."""

    card_held: bool = False
    card_returned: bool = False
    registered: bool = False
    registration_cancelled: bool = False
    ecert_expiry: date | None = None
    restricted: bool = False
    care_needs_application: bool = False
    card_lost_application: bool = False
    enrolment_request: bool = False


_Predicate = Callable[[TargetFacts, date, TargetingPolicy], bool]


def _grace_over(f: TargetFacts, on: date, p: TargetingPolicy) -> bool:
    # A live registration whose card stopped working: the same rule as the reception check.
    live = f.card_held and f.registered and not f.registration_cancelled
    return (
        live
        and f.ecert_expiry is not None
        and not myna_usable_on(
            on, registered=True, ecert_expiry=f.ecert_expiry, grace_months=p.grace_months
        )
    )


# One predicate per reason code; the table above decides the order.
_PREDICATES: Mapping[str, _Predicate] = MappingProxyType(
    {
        "no_card": lambda f, on, p: not f.card_held and not f.card_returned,
        "not_registered": lambda f, on, p: (
            f.card_held and not f.registered and not f.registration_cancelled
        ),
        "registration_cancelled": lambda f, on, p: f.registration_cancelled,
        "card_returned": lambda f, on, p: f.card_returned,
        "ecert_grace_over": _grace_over,
        "restricted": lambda f, on, p: f.restricted,
        "care_needs": lambda f, on, p: f.care_needs_application,
        "card_lost_or_renewing": lambda f, on, p: f.card_lost_application,
        "new_member_request": lambda f, on, p: f.enrolment_request,
    }
)


def target_reasons(
    on: date,
    *,
    card_held: bool,
    card_returned: bool = False,
    registered: bool = False,
    registration_cancelled: bool = False,
    ecert_expiry: date | None = None,
    restricted: bool = False,
    care_needs_application: bool = False,
    card_lost_application: bool = False,
    enrolment_request: bool = False,
    policy: TargetingPolicy = DEFAULT_TARGETING_POLICY,
) -> list[TargetReason]:
    """Every reason that applies on *on*, primary first; empty when none does.

    A cancelled registration overrides ``registered=True`` (the cancellation is the later
    event). An unknown e-certificate expiry (``None``) never triggers ``ecert_grace_over``.
    """
    facts = TargetFacts(
        card_held=card_held,
        card_returned=card_returned,
        registered=registered,
        registration_cancelled=registration_cancelled,
        ecert_expiry=ecert_expiry,
        restricted=restricted,
        care_needs_application=care_needs_application,
        card_lost_application=card_lost_application,
        enrolment_request=enrolment_request,
    )
    return [
        r
        for r in TARGET_REASONS
        if r.code not in policy.disabled and _PREDICATES[r.code](facts, on, policy)
    ]


def _as_bool(values: npt.ArrayLike | None, shape: tuple[int, ...]) -> npt.NDArray[np.bool_]:
    if values is None:
        return np.zeros(shape, dtype=bool)
    return np.broadcast_to(np.asarray(values, dtype=bool), shape)


def primary_reason_array(
    on: date,
    *,
    card_held: npt.ArrayLike,
    card_returned: npt.ArrayLike | None = None,
    registered: npt.ArrayLike | None = None,
    registration_cancelled: npt.ArrayLike | None = None,
    ecert_expiry: npt.NDArray[np.datetime64] | None = None,
    restricted: npt.ArrayLike | None = None,
    care_needs_application: npt.ArrayLike | None = None,
    card_lost_application: npt.ArrayLike | None = None,
    enrolment_request: npt.ArrayLike | None = None,
    policy: TargetingPolicy = DEFAULT_TARGETING_POLICY,
) -> npt.NDArray[np.int8]:
    """Vectorised primary reason: the index into :data:`TARGET_REASONS` of the first
    reason that applies, or :data:`NO_REASON` (−1). NaT expiry means unknown."""
    held = np.asarray(card_held, dtype=bool)
    shape = held.shape
    returned = _as_bool(card_returned, shape)
    reg = _as_bool(registered, shape)
    cancelled = _as_bool(registration_cancelled, shape)
    if ecert_expiry is None:
        grace_over = np.zeros(shape, dtype=bool)
    else:
        expiry = np.broadcast_to(np.asarray(ecert_expiry).astype("datetime64[D]"), shape)
        # on > end of (month(expiry) + grace) ⟺ expiry < 1st of (month(on) − grace).
        earliest = np.datetime64(add_months(first_of_month(on), -policy.grace_months), "D")
        grace_over = held & reg & ~cancelled & ~np.isnat(expiry) & (expiry < earliest)
    conditions: dict[str, npt.NDArray[np.bool_]] = {
        "no_card": ~held & ~returned,
        "not_registered": held & ~reg & ~cancelled,
        "registration_cancelled": cancelled,
        "card_returned": returned,
        "ecert_grace_over": grace_over,
        "restricted": _as_bool(restricted, shape),
        "care_needs": _as_bool(care_needs_application, shape),
        "card_lost_or_renewing": _as_bool(card_lost_application, shape),
        "new_member_request": _as_bool(enrolment_request, shape),
    }
    out = np.full(shape, NO_REASON, dtype=np.int8)
    # Walk from the lowest priority up so that higher-priority reasons overwrite.
    for index in range(len(TARGET_REASONS) - 1, -1, -1):
        code = TARGET_REASONS[index].code
        if code not in policy.disabled:
            out[conditions[code]] = index
    return out
