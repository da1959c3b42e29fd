"""Registry queries (set-based, one statement each)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Connection, and_, case, false, func, not_, or_, select

from shikaku.domain.targeting import TARGET_REASONS, TargetingPolicy
from shikaku.registry.tables import branch, membership, myna_status, person


def first_day_months_before(on: date, months: int) -> date:
    """First day of the month ``months`` before ``on``'s month."""
    index = on.year * 12 + (on.month - 1) - months
    return date(index // 12, index % 12 + 1, 1)


def active_on(on: date) -> ColumnElement[bool]:
    """SQL condition: the membership covers ``on``."""
    return and_(
        membership.c.valid_from <= on,
        or_(membership.c.valid_to.is_(None), membership.c.valid_to >= on),
    )


def myna_usable_on(on: date, grace_months: int = 3) -> ColumnElement[bool]:
    """SQL condition: the Myna insurance card works on ``on``.

    The card works to the last day of the ``grace_months``-th month after the month the
    e-certificate expired, i.e. iff expiry >= first day of (on's month − grace_months).
    """
    cutoff = first_day_months_before(on, grace_months)
    return and_(
        myna_status.c.card_held,
        myna_status.c.insurance_registered,
        not_(myna_status.c.registration_cancelled),
        not_(myna_status.c.card_returned),
        # An unknown expiry is not treated as expired (as in domain.targeting).
        or_(myna_status.c.ecert_expiry.is_(None), myna_status.c.ecert_expiry >= cutoff),
    )


def reason_conditions(on: date, grace_months: int = 3) -> dict[str, ColumnElement[bool]]:
    """SQL twin of ``domain.targeting``'s predicates, one per reason code.

    Expects ``membership`` joined with ``person`` and outer-joined with ``myna_status`` (a
    member with no status row has no known card). Keep in step with the domain: the tests
    compare both on the same synthetic population.
    """
    held = func.coalesce(myna_status.c.card_held, false())
    returned = func.coalesce(myna_status.c.card_returned, false())
    registered = func.coalesce(myna_status.c.insurance_registered, false())
    cancelled = func.coalesce(myna_status.c.registration_cancelled, false())
    cutoff = first_day_months_before(on, grace_months)
    return {
        "no_card": and_(not_(held), not_(returned)),
        "not_registered": and_(held, not_(registered), not_(cancelled)),
        "registration_cancelled": cancelled,
        "card_returned": returned,
        "ecert_grace_over": and_(
            held,
            registered,
            not_(cancelled),
            myna_status.c.ecert_expiry.is_not(None),
            myna_status.c.ecert_expiry < cutoff,
        ),
        "restricted": person.c.restricted,
        "care_needs": person.c.care_needs,
        # Applications for a lost or renewing card are not recorded in the registry yet.
        "card_lost_or_renewing": false(),
        "new_member_request": membership.c.enrolment_requested_certificate,
    }


def primary_reason(on: date, policy: TargetingPolicy) -> ColumnElement[str | None]:
    """SQL CASE giving the primary reason code (or NULL), in the domain's priority order."""
    conds = reason_conditions(on, policy.grace_months)
    whens = [(conds[r.code], r.code) for r in TARGET_REASONS if r.code not in policy.disabled]
    return case(*whens, else_=None)


@dataclass(frozen=True)
class BranchSummary:
    code: str
    name_ja: str
    members: int
    insured: int
    dependants: int
    myna_registered: int
    needing_certificate: int


def branch_summary(conn: Connection, on: date, *, grace_months: int = 3) -> list[BranchSummary]:
    """Members per branch on ``on``: insured, dependants, Myna-usable, needing a certificate."""
    usable = myna_usable_on(on, grace_months)
    needs = or_(
        myna_status.c.person_id.is_(None), not_(usable), person.c.restricted, person.c.care_needs
    )
    stmt = (
        select(
            branch.c.code,
            branch.c.name_ja,
            func.count(membership.c.id),
            func.sum(case((membership.c.relationship == 1, 1), else_=0)),
            func.sum(case((membership.c.relationship == 2, 1), else_=0)),
            func.sum(case((usable, 1), else_=0)),
            func.sum(case((needs, 1), else_=0)),
        )
        .select_from(branch)
        .join(membership, and_(membership.c.branch_code == branch.c.code, active_on(on)))
        .join(person, person.c.id == membership.c.person_id)
        .outerjoin(myna_status, myna_status.c.person_id == membership.c.person_id)
        .group_by(branch.c.code, branch.c.name_ja)
        .order_by(branch.c.code)
    )
    return [
        BranchSummary(
            r[0], r[1], int(r[2]), int(r[3] or 0), int(r[4] or 0), int(r[5] or 0), int(r[6] or 0)
        )
        for r in conn.execute(stmt)
    ]
