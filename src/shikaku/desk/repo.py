"""Read-only queries the desk needs on other features' data.

The house rule is that a feature reads another's data through that feature's service or repo.
The registry and issuance packages do not offer these reads yet (a membership by 記号・番号・枝番
across branches; a campaign's waves, envelope counts and members' languages), so they are
collected here, read-only and set-based, to move into ``registry.repo`` / ``issuance.status``
when their owners want them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, Select, func, select

from shikaku.domain.mailpiece import PieceStatus
from shikaku.domain.prefectures import PREFECTURES
from shikaku.issuance.tables import campaign, mail_piece, target, wave
from shikaku.registry.tables import branch, membership, person

__all__ = [
    "CampaignRef",
    "WaveRow",
    "branch_of_insurer_number",
    "campaign_by_name",
    "campaign_envelopes_by_branch",
    "campaign_languages",
    "campaign_waves",
    "find_memberships",
    "memberships_by_key",
]

#: 協会けんぽ has one branch per prefecture, coded by its JIS code.
BRANCH_CODES = [p.code for p in PREFECTURES]

#: Targets that will not be mailed in this campaign.
NOT_MAILED = ("held", "dropped-left")


@dataclass(frozen=True, slots=True)
class CampaignRef:
    id: int
    name: str
    snapshot_date: date
    issue_date: date


@dataclass(frozen=True, slots=True)
class WaveRow:
    code: str
    branch_code: str
    post_from: date
    post_to: date
    pilot: bool
    status: str


def branch_of_insurer_number(conn: Connection, insurer_number: str) -> str | None:
    """The branch whose 保険者番号 this is, or None if it is not one of ours."""
    return conn.execute(
        select(branch.c.code).where(branch.c.insurer_number == insurer_number)
    ).scalar()


def memberships_by_key(
    branch_codes: Sequence[str], *, symbol: str, number: str, branch_no: str
) -> Select[tuple[int, str]]:
    """(membership id, branch code) with this 記号・番号・枝番 in any of *branch_codes*: the
    registry's unique key starts with the branch, so each branch is one index probe."""
    return select(membership.c.id, membership.c.branch_code).where(
        membership.c.branch_code.in_(branch_codes),
        membership.c.symbol == symbol,
        membership.c.number == number,
        membership.c.branch_no == branch_no,
    )


def find_memberships(
    conn: Connection, *, symbol: str, number: str, branch_no: str, branch_code: str | None = None
) -> list[tuple[int, str]]:
    """(membership id, branch code) of every membership with this canonical 記号・番号・枝番
    (in *branch_code* only when given). Several rows mean the key is ambiguous across branches.
    Without a branch every branch (one per prefecture) is listed: 47 index probes rather than a
    scan of every membership."""
    codes = [branch_code] if branch_code is not None else BRANCH_CODES
    stmt = memberships_by_key(codes, symbol=symbol, number=number, branch_no=branch_no)
    return [(int(r.id), str(r.branch_code)) for r in conn.execute(stmt.limit(10))]


def campaign_by_name(conn: Connection, name: str) -> CampaignRef | None:
    row = conn.execute(
        select(
            campaign.c.id, campaign.c.name, campaign.c.snapshot_date, campaign.c.issue_date
        ).where(campaign.c.name == name)
    ).first()
    if row is None:
        return None
    return CampaignRef(int(row.id), str(row.name), row.snapshot_date, row.issue_date)


def campaign_names(conn: Connection) -> list[str]:
    return list(conn.execute(select(campaign.c.name).order_by(campaign.c.id)).scalars())


def campaign_waves(conn: Connection, campaign_id: int) -> list[WaveRow]:
    """The campaign's stored waves, by posting date."""
    rows = conn.execute(
        select(
            wave.c.code,
            wave.c.branch_code,
            wave.c.post_from,
            wave.c.post_to,
            wave.c.pilot,
            wave.c.status,
        )
        .where(wave.c.campaign_id == campaign_id)
        .order_by(wave.c.post_from, wave.c.branch_code)
    )
    return [
        WaveRow(r.code, r.branch_code, r.post_from, r.post_to, bool(r.pilot), r.status)
        for r in rows
    ]


def campaign_envelopes_by_branch(conn: Connection, campaign_id: int) -> dict[str, int]:
    """Envelopes per branch, prepared or not: the first-journey mail pieces already made
    (cancelled ones excepted) plus one envelope per household of the targets still waiting.

    Re-sends to employers (pieces with a parent) are left out: they are not in the wave plan.
    """
    out: dict[str, int] = {}
    made = conn.execute(
        select(mail_piece.c.branch_code, func.count())
        .where(
            mail_piece.c.campaign_id == campaign_id,
            mail_piece.c.parent_piece_id.is_(None),
            mail_piece.c.status != PieceStatus.CANCELLED.value,
        )
        .group_by(mail_piece.c.branch_code)
    )
    for code, n in made:
        out[str(code)] = out.get(str(code), 0) + int(n)
    waiting = conn.execute(
        select(target.c.branch_code, func.count(func.distinct(target.c.insured_person_id)))
        .where(target.c.campaign_id == campaign_id, target.c.status == "targeted")
        .group_by(target.c.branch_code)
    )
    for code, n in waiting:
        out[str(code)] = out.get(str(code), 0) + int(n)
    return out


def campaign_languages(conn: Connection, campaign_id: int) -> dict[str, int]:
    """People per preferred language among the campaign's targets that will be mailed."""
    rows = conn.execute(
        select(person.c.preferred_language, func.count())
        .select_from(target)
        .join(person, person.c.id == target.c.person_id)
        .where(target.c.campaign_id == campaign_id, target.c.status.not_in(NOT_MAILED))
        .group_by(person.c.preferred_language)
    )
    return {str(lang or "ja"): int(n) for lang, n in rows}
