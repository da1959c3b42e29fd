"""Issuance use cases: create a campaign, target it (set-based), store its wave plan."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import (
    Connection,
    and_,
    case,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)

from shikaku.actors import Actor
from shikaku.db.sqlfuncs import day_before_birthday, least
from shikaku.domain.certificates import DEFAULT_ISSUE_WINDOW_POLICY, IssueWindowPolicy
from shikaku.domain.targeting import DEFAULT_TARGETING_POLICY, TargetingPolicy
from shikaku.issuance.plan import WavePlan
from shikaku.issuance.tables import campaign, certificate, issuance_exception, target, wave
from shikaku.registry.audit import write_audit
from shikaku.registry.repo import active_on, primary_reason
from shikaku.registry.tables import membership, myna_status, person

MEMBERSHIP_END_AGE = 75
VOLUNTARY_YEARS = 2


class IssuanceError(Exception):
    """A campaign step cannot run as asked (bilingual message)."""


@dataclass
class TargetingReport:
    campaign_id: int
    added: int = 0
    held: int = 0
    by_branch: dict[str, int] = field(default_factory=dict)
    by_reason: dict[str, int] = field(default_factory=dict)


def get_campaign(conn: Connection, name: str) -> dict[str, object]:
    """The campaign row by name, or IssuanceError."""
    row = conn.execute(select(campaign).where(campaign.c.name == name)).mappings().first()
    if row is None:
        raise IssuanceError(f"no campaign named {name!r} / キャンペーン {name!r} がありません")
    return dict(row)


def do_create_campaign(
    conn: Connection,
    *,
    actor: Actor,
    at: datetime,
    name: str,
    snapshot_date: date,
    issue_date: date,
    window: IssueWindowPolicy = DEFAULT_ISSUE_WINDOW_POLICY,
) -> int:
    """Create a campaign (idempotent by name: the existing id is returned unchanged)."""
    existing = conn.execute(select(campaign.c.id).where(campaign.c.name == name)).scalar()
    if existing is not None:
        return int(existing)
    cid = conn.execute(
        insert(campaign).values(
            name=name,
            snapshot_date=snapshot_date,
            issue_date=issue_date,
            valid_to=window.shared_expiry(issue_date),
            created_at=at,
        )
    ).inserted_primary_key[0]  # type: ignore[index]
    write_audit(
        conn,
        actor=actor,
        at=at,
        action="create-campaign",
        subject_type="campaign",
        subject_id=cid,
        detail={"snapshot": snapshot_date, "issue_date": issue_date},
    )
    return int(cid)


def do_target_campaign(
    conn: Connection,
    *,
    actor: Actor,
    at: datetime,
    campaign_id: int,
    policy: TargetingPolicy = DEFAULT_TARGETING_POLICY,
) -> TargetingReport:
    """Add every member who needs a certificate on the snapshot date, in one INSERT … SELECT.

    Re-running adds only members not yet targeted; members holding a certificate that is still
    valid on the issue date are never targeted again.
    """
    camp = conn.execute(select(campaign).where(campaign.c.id == campaign_id)).mappings().one()
    snapshot: date = camp["snapshot_date"]
    issue_date: date = camp["issue_date"]
    window_end: date = camp["valid_to"]
    reason = primary_reason(snapshot, policy)
    eve75 = day_before_birthday(person.c.birth_date, MEMBERSHIP_END_AGE)
    voluntary_end = case(
        (membership.c.voluntary, day_before_birthday(membership.c.valid_from, VOLUNTARY_YEARS)),
        else_=None,
    )
    w = literal(window_end)
    valid_to = least(
        w, eve75, func.coalesce(voluntary_end, w), func.coalesce(person.c.stay_until, w)
    )
    cap = case(
        (
            eve75
            <= least(w, func.coalesce(voluntary_end, w), func.coalesce(person.c.stay_until, w)),
            "age_75",
        ),
        (
            func.coalesce(voluntary_end, w) < least(w, func.coalesce(person.c.stay_until, w)),
            "voluntary_end",
        ),
        (func.coalesce(person.c.stay_until, w) < w, "stay_end"),
        else_="window",
    )
    holds_valid = exists().where(
        and_(
            certificate.c.person_id == membership.c.person_id,
            certificate.c.status == "active",
            certificate.c.valid_to >= issue_date,
        )
    )
    already = exists().where(
        and_(target.c.campaign_id == campaign_id, target.c.person_id == membership.c.person_id)
    )
    source = (
        select(
            literal(campaign_id),
            membership.c.person_id,
            membership.c.id,
            membership.c.insured_person_id,
            membership.c.employer_id,
            membership.c.branch_code,
            reason,
            valid_to,
            cap,
        )
        .select_from(membership)
        .join(person, person.c.id == membership.c.person_id)
        .outerjoin(myna_status, myna_status.c.person_id == membership.c.person_id)
        .where(
            active_on(snapshot), reason.is_not(None), eve75 >= issue_date, ~holds_valid, ~already
        )
    )
    count_targets = (
        select(func.count()).select_from(target).where(target.c.campaign_id == campaign_id)
    )
    before = conn.execute(count_targets).scalar_one()
    conn.execute(
        insert(target).from_select(
            [
                "campaign_id",
                "person_id",
                "membership_id",
                "insured_person_id",
                "employer_id",
                "branch_code",
                "reason",
                "valid_to",
                "cap_reason",
            ],
            source,
        )
    )
    # rowcount of INSERT … SELECT is not reported by every driver; count instead.
    added = conn.execute(count_targets).scalar_one() - before
    # A stay or 任意継続 that ends before the issue date: hold for branch staff, never print.
    ended = select(target.c.person_id, target.c.branch_code, target.c.membership_id).where(
        target.c.campaign_id == campaign_id,
        target.c.status == "targeted",
        target.c.valid_to < issue_date,
    )
    held_rows = conn.execute(ended).all()
    if held_rows:
        keys = _member_keys(conn, [r.membership_id for r in held_rows])
        conn.execute(
            insert(issuance_exception),
            [
                dict(
                    campaign_id=campaign_id,
                    person_id=r.person_id,
                    branch_code=r.branch_code,
                    member_key=keys[r.membership_id],
                    rule_id="certificate.validity_ended",
                    message_ja="有効期限が交付日より前になります（在留期間・任意継続の終了）",
                    message_en="validity would end before the issue date (stay or voluntary "
                    "membership ended)",
                )
                for r in held_rows
            ],
        )
        conn.execute(
            update(target)
            .where(
                target.c.campaign_id == campaign_id,
                target.c.status == "targeted",
                target.c.valid_to < issue_date,
            )
            .values(status="held")
        )
    report = TargetingReport(campaign_id=campaign_id, added=int(added), held=len(held_rows))
    for code, n in conn.execute(
        select(target.c.branch_code, func.count())
        .where(target.c.campaign_id == campaign_id)
        .group_by(target.c.branch_code)
    ):
        report.by_branch[code] = int(n)
    for code, n in conn.execute(
        select(target.c.reason, func.count())
        .where(target.c.campaign_id == campaign_id)
        .group_by(target.c.reason)
    ):
        report.by_reason[code] = int(n)
    write_audit(
        conn,
        actor=actor,
        at=at,
        action="target-campaign",
        subject_type="campaign",
        subject_id=campaign_id,
        detail={"added": report.added, "held": report.held},
    )
    return report


def _member_keys(conn: Connection, membership_ids: Sequence[int]) -> dict[int, str]:
    rows = conn.execute(
        select(
            membership.c.id, membership.c.symbol, membership.c.number, membership.c.branch_no
        ).where(membership.c.id.in_(list(membership_ids)))
    )
    return {r.id: f"{r.symbol}・{r.number}・{r.branch_no}" for r in rows}


def envelopes_by_branch(conn: Connection, campaign_id: int) -> dict[str, int]:
    """Envelopes (households: one per insured person) still to print, per branch."""
    stmt = (
        select(target.c.branch_code, func.count(func.distinct(target.c.insured_person_id)))
        .where(target.c.campaign_id == campaign_id, target.c.status == "targeted")
        .group_by(target.c.branch_code)
    )
    return {code: int(n) for code, n in conn.execute(stmt)}


def do_store_plan(
    conn: Connection, *, actor: Actor, at: datetime, campaign_id: int, plan: Sequence[WavePlan]
) -> int:
    """Store (or replace, for waves not started yet) the campaign's waves."""
    started = {
        r.branch_code
        for r in conn.execute(
            select(wave.c.branch_code).where(
                wave.c.campaign_id == campaign_id, wave.c.prepared_at.is_not(None)
            )
        )
    }
    changing = [w for w in plan if w.branch_code not in started]
    conn.execute(
        wave.delete().where(wave.c.campaign_id == campaign_id, wave.c.prepared_at.is_(None))
    )
    if changing:
        conn.execute(
            insert(wave),
            [
                dict(
                    campaign_id=campaign_id,
                    code=w.code,
                    branch_code=w.branch_code,
                    post_from=w.post_from,
                    post_to=w.post_to,
                    pilot=int(w.pilot),
                )
                for w in changing
            ],
        )
    write_audit(
        conn,
        actor=actor,
        at=at,
        action="plan-waves",
        subject_type="campaign",
        subject_id=campaign_id,
        detail={"waves": len(changing), "kept": len(started)},
    )
    return len(changing)


def unfinished_waves(conn: Connection, campaign_id: int) -> list[str]:
    """Codes of the campaign's waves not fully printed yet, pilot first, by posting date."""
    rows = conn.execute(
        select(wave.c.code)
        .where(wave.c.campaign_id == campaign_id, wave.c.status != "printed")
        .order_by(wave.c.pilot.desc(), wave.c.post_from, wave.c.code)
    )
    return list(rows.scalars())
