from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, func, select

from shikaku.actors import Actor, PermissionDenied, Role
from shikaku.domain.errors import ValidationError
from shikaku.registry.service import do_change_address, do_create_employer, do_end_membership
from shikaku.registry.tables import audit_event, branch, membership, my_number, person

from .factories import AT, employer, enrol, make_my_number
from .factories import person as make_person


def test_branches_seeded_with_check_digits(engine: Engine) -> None:
    with engine.connect() as conn:
        rows = dict(conn.execute(select(branch.c.code, branch.c.insurer_number)).all())
    assert len(rows) == 47
    assert rows["04"] == "01040013"  # published: Miyagi
    assert rows["13"] == "01130012"  # Tokyo


def test_enrol_insured_and_dependants_numbers(engine: Engine, cipher) -> None:
    with engine.begin() as conn:
        emp = employer(conn)
        first = enrol(conn, cipher, emp, make_person())
        second = enrol(conn, cipher, emp, make_person("佐藤", "花子", sex=2))
        spouse = enrol(
            conn, cipher, emp, make_person("山田", "良子", sex=2), insured_person_id=first.person_id
        )
        child = enrol(
            conn,
            cipher,
            emp,
            make_person("山田", "一郎", birth=date(2015, 4, 1)),
            insured_person_id=first.person_id,
        )
    assert (first.number, first.branch_no) == ("1", "00")
    assert (second.number, second.branch_no) == ("2", "00")
    assert (spouse.number, spouse.branch_no) == ("1", "01")
    assert (child.number, child.branch_no) == ("1", "02")
    with engine.connect() as conn:
        n_audit = conn.execute(
            select(func.count())
            .select_from(audit_event)
            .where(audit_event.c.action == "enrol-member")
        ).scalar_one()
    assert n_audit == 4


def test_my_number_encrypted_at_rest(engine: Engine, cipher) -> None:
    number = make_my_number(12345678901)
    with engine.begin() as conn:
        emp = employer(conn)
        ref = enrol(conn, cipher, emp, make_person(), my_number=number)
    with engine.connect() as conn:
        row = conn.execute(select(my_number).where(my_number.c.person_id == ref.person_id)).one()
        audit_details = " ".join(
            d or "" for d in conn.execute(select(audit_event.c.detail)).scalars()
        )
    assert number.encode() not in row.ciphertext
    assert cipher.decrypt(row.ciphertext) == number
    assert row.last4 == number[-4:]
    assert row.blind_index == cipher.blind_index(number)
    assert number not in audit_details


def test_bad_my_number_rejected_and_nothing_written(engine: Engine, cipher) -> None:
    with engine.begin() as conn:
        emp = employer(conn)
    with pytest.raises(ValidationError) as err, engine.begin() as conn:
        enrol(conn, cipher, emp, make_person(), my_number="123456789012")
    assert err.value.rule_id == "my_number.checksum"
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(person)).scalar_one() == 0


def test_end_membership_closes_dependants(engine: Engine, cipher) -> None:
    with engine.begin() as conn:
        emp = employer(conn)
        ins = enrol(conn, cipher, emp, make_person())
        enrol(
            conn, cipher, emp, make_person("山田", "良子", sex=2), insured_person_id=ins.person_id
        )
        closed = do_end_membership(
            conn,
            actor=Actor("b13", Role.BRANCH_STAFF, "13"),
            at=AT,
            membership_id=ins.membership_id,
            valid_to=date(2025, 6, 30),
            reason="99",
        )
    assert closed == 2
    with engine.connect() as conn:
        ends = set(conn.execute(select(membership.c.valid_to)).scalars())
    assert ends == {date(2025, 6, 30)}


def test_branch_staff_limited_to_own_branch(engine: Engine, cipher) -> None:
    osaka_staff = Actor("b27", Role.BRANCH_STAFF, "27")
    with pytest.raises(PermissionDenied), engine.begin() as conn:
        do_create_employer(
            conn,
            actor=osaka_staff,
            at=AT,
            branch_code="13",
            symbol="7654321",
            name="x",
            postal_code=None,
            address=None,
        )
    with engine.begin() as conn:
        emp = employer(conn)
        ins = enrol(conn, cipher, emp, make_person())
    with pytest.raises(PermissionDenied), engine.begin() as conn:
        do_change_address(
            conn,
            actor=osaka_staff,
            at=AT,
            person_id=ins.person_id,
            postal_code="5300001",
            address="大阪府大阪市北区梅田1-1-1",
        )


def test_change_address_validates_postal_code(engine: Engine, cipher) -> None:
    with engine.begin() as conn:
        emp = employer(conn)
        ins = enrol(conn, cipher, emp, make_person())
    with pytest.raises(ValidationError) as err, engine.begin() as conn:
        do_change_address(
            conn,
            actor=Actor("b13", Role.BRANCH_STAFF, "13"),
            at=AT,
            person_id=ins.person_id,
            postal_code="000-0000",
            address="どこか",
        )
    assert err.value.rule_id == "postal_code.unknown"
    with engine.begin() as conn:
        do_change_address(
            conn,
            actor=Actor("b13", Role.BRANCH_STAFF, "13"),
            at=AT,
            person_id=ins.person_id,
            postal_code="〒５３０−０００１",
            address="大阪府大阪市北区梅田1-1-1",
        )
    with engine.connect() as conn:
        assert conn.execute(select(person.c.postal_code)).scalar_one() == "5300001"
