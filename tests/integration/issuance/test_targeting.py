from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy import Engine, insert, select, update

from shikaku.actors import SYSTEM
from shikaku.domain.certificates import certificate_valid_to, voluntary_continuation_end
from shikaku.domain.targeting import target_reasons
from shikaku.issuance.service import do_create_campaign, do_target_campaign
from shikaku.issuance.tables import certificate, issuance_exception, target
from shikaku.registry.tables import membership, myna_status, person

from ..registry.factories import AT, employer, enrol
from ..registry.factories import person as make_person

SNAPSHOT = date(2025, 4, 30)
ISSUE = date(2025, 7, 1)


def _status(conn, pid: int, **kw) -> None:  # type: ignore[no-untyped-def]
    values = dict(
        card_held=True,
        card_returned=False,
        insurance_registered=True,
        registration_cancelled=False,
        ecert_expiry=date(2029, 1, 1),
        as_of=SNAPSHOT,
    )
    values.update(kw)
    conn.execute(insert(myna_status).values(person_id=pid, **values))


def test_targeting_reasons_and_caps(engine: Engine, cipher) -> None:
    people: dict[str, int] = {}
    with engine.begin() as conn:
        emp = employer(conn)

        def add(name: str, birth: date = date(1980, 5, 10), **status):  # type: ignore[no-untyped-def]
            ref = enrol(conn, cipher, emp, replace(make_person(given=name), birth_date=birth))
            people[name] = ref.person_id
            if status.pop("none", False) is False:
                _status(conn, ref.person_id, **status)
            return ref

        add("nocard", none=True)
        add("ok")
        add("unreg", insurance_registered=False)
        add("expired", ecert_expiry=date(2024, 12, 15))  # usable to 2025-03-31
        add("grace", ecert_expiry=date(2025, 1, 20))  # usable to 2025-04-30
        add("turning75", birth=date(1950, 8, 15), card_held=False)
        add("already75", birth=date(1950, 5, 10), card_held=False)
        vol = add("voluntary", card_held=False)
        conn.execute(
            update(membership)
            .where(membership.c.id == vol.membership_id)
            .values(voluntary=True, valid_from=date(2024, 4, 1))
        )
        add("stay", card_held=False)
        conn.execute(
            update(person)
            .where(person.c.id == people["stay"])
            .values(stay_until=date(2026, 1, 31), foreign_resident=True)
        )
        add("holder", card_held=False)
        add("cancelled", registration_cancelled=True)
        add("returned", card_held=False, card_returned=True)
        add("dv")
        conn.execute(update(person).where(person.c.id == people["dv"]).values(restricted=True))
        cid = do_create_campaign(
            conn, actor=SYSTEM, at=AT, name="2025", snapshot_date=SNAPSHOT, issue_date=ISSUE
        )
        conn.execute(
            insert(certificate).values(
                person_id=people["holder"],
                membership_id=vol.membership_id + 2,
                issue_date=date(2025, 1, 10),
                valid_to=date(2029, 12, 1),
                status="active",
            )
        )
        report = do_target_campaign(conn, actor=SYSTEM, at=AT, campaign_id=cid)
    with engine.connect() as conn:
        rows = {r.person_id: r for r in conn.execute(select(target))}
    got = {name: (rows[pid].reason if pid in rows else None) for name, pid in people.items()}
    assert got == {
        "nocard": "no_card",
        "ok": None,
        "unreg": "not_registered",
        "expired": "ecert_grace_over",
        "grace": None,
        "turning75": "no_card",
        "already75": None,
        "voluntary": "no_card",
        "stay": "no_card",
        "holder": None,
        "cancelled": "registration_cancelled",
        "returned": "card_returned",
        "dv": "restricted",
    }
    assert report.added == 9
    t75 = rows[people["turning75"]]
    assert (t75.valid_to, t75.cap_reason) == (date(2025, 8, 14), "age_75")
    assert t75.valid_to == certificate_valid_to(ISSUE, birth_date=date(1950, 8, 15)).valid_to
    tv = rows[people["voluntary"]]
    assert (tv.valid_to, tv.cap_reason) == (
        voluntary_continuation_end(date(2024, 4, 1)),
        "voluntary_end",
    )
    ts = rows[people["stay"]]
    assert (ts.valid_to, ts.cap_reason) == (date(2026, 1, 31), "stay_end")
    tn = rows[people["nocard"]]
    assert (tn.valid_to, tn.cap_reason) == (
        certificate_valid_to(ISSUE, birth_date=date(1980, 5, 10)).valid_to,
        "window",
    )
    assert tn.valid_to == date(2029, 12, 1)
    # The SQL reasons agree with the domain's scalar rules.
    assert (
        target_reasons(SNAPSHOT, card_held=True, registered=True, ecert_expiry=date(2024, 12, 15))[
            0
        ].code
        == "ecert_grace_over"
    )
    assert (
        target_reasons(SNAPSHOT, card_held=True, registered=True, ecert_expiry=date(2025, 1, 20))
        == []
    )

    # Re-targeting adds nobody.
    with engine.begin() as conn:
        again = do_target_campaign(conn, actor=SYSTEM, at=AT, campaign_id=cid)
    assert again.added == 0


def test_stay_ended_before_issue_is_held(engine: Engine, cipher) -> None:
    with engine.begin() as conn:
        emp = employer(conn)
        ref = enrol(conn, cipher, emp, make_person())
        conn.execute(
            update(person).where(person.c.id == ref.person_id).values(stay_until=date(2025, 6, 1))
        )
        cid = do_create_campaign(
            conn, actor=SYSTEM, at=AT, name="c", snapshot_date=SNAPSHOT, issue_date=ISSUE
        )
        report = do_target_campaign(conn, actor=SYSTEM, at=AT, campaign_id=cid)
    assert report.held == 1
    with engine.connect() as conn:
        exc = conn.execute(select(issuance_exception)).one()
        st = conn.execute(select(target.c.status)).scalar_one()
    assert exc.rule_id == "certificate.validity_ended" and exc.member_key == "1234567・1・00"
    assert st == "held"
