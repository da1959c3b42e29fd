"""A small synthetic insurer with a planned campaign, and a member with a known key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import Engine

from shikaku.actors import SYSTEM
from shikaku.clock import FixedClock
from shikaku.crypto import MyNumberCipher
from shikaku.issuance.plan import generate_plan
from shikaku.issuance.service import (
    do_create_campaign,
    do_store_plan,
    do_target_campaign,
    envelopes_by_branch,
)
from shikaku.registry.service import (
    MembershipRef,
    PersonIn,
    do_create_employer,
    do_enrol_member,
)
from shikaku.synth import load, synthesize

AS_OF = date(2025, 4, 30)
CLOCK = FixedClock.on(date(2025, 7, 25))
CAMPAIGN = "t"


@dataclass(frozen=True)
class Planned:
    engine: Engine
    campaign_id: int
    envelopes: dict[str, int]


@pytest.fixture
def planned(engine: Engine, cipher: MyNumberCipher) -> Planned:
    """3,000 synthetic members, campaign "t" targeted and its waves stored."""
    load(engine, synthesize(members=3_000, seed=7, as_of=AS_OF), cipher)
    with engine.begin() as conn:
        cid = do_create_campaign(
            conn,
            actor=SYSTEM,
            at=CLOCK.now(),
            name=CAMPAIGN,
            snapshot_date=AS_OF,
            issue_date=date(2025, 7, 1),
        )
        do_target_campaign(conn, actor=SYSTEM, at=CLOCK.now(), campaign_id=cid)
        counts = envelopes_by_branch(conn, cid)
        plan = generate_plan(counts, start=date(2025, 8, 1), capacity_per_day=120)
        do_store_plan(conn, actor=SYSTEM, at=CLOCK.now(), campaign_id=cid, plan=plan)
    return Planned(engine, cid, counts)


def enrol(
    engine: Engine, cipher: MyNumberCipher, *, branch_code: str = "13", symbol: str = "1234567"
) -> MembershipRef:
    """One insured person at a new employer with *symbol* in *branch_code* (番号 1, 枝番 00)."""
    at = CLOCK.now()
    with engine.begin() as conn:
        emp = do_create_employer(
            conn,
            actor=SYSTEM,
            at=at,
            branch_code=branch_code,
            symbol=symbol,
            name="合成商事",
            postal_code=None,
            address=None,
        )
        return do_enrol_member(
            conn,
            actor=SYSTEM,
            at=at,
            cipher=cipher,
            employer_id=emp,
            person_in=PersonIn("山田", "太郎", "ヤマダ", "タロウ", 1, date(1980, 5, 10)),
            valid_from=date(2020, 4, 1),
        )
