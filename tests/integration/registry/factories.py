"""Factory helpers for registry tests: small, explicit, synthetic people only."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection

from shikaku.actors import SYSTEM
from shikaku.clock import FixedClock
from shikaku.crypto import MyNumberCipher
from shikaku.domain.ids import my_number as mn
from shikaku.registry.service import MembershipRef, PersonIn, do_create_employer, do_enrol_member

AT = FixedClock.on(date(2025, 4, 1)).now()


def make_my_number(seq: int) -> str:
    body = f"{seq:011d}"
    return body + str(mn.calc_check_digit(body))


def employer(conn: Connection, *, branch_code: str = "13", symbol: str = "1234567") -> int:
    return do_create_employer(
        conn,
        actor=SYSTEM,
        at=AT,
        branch_code=branch_code,
        symbol=symbol,
        name="合成商事株式会社",
        postal_code="100-0013",
        address="東京都千代田区霞が関1丁目3番2号",
    )


def person(
    family: str = "山田",
    given: str = "太郎",
    *,
    sex: int = 1,
    birth: date = date(1980, 5, 10),
    postal: str = "1000013",
) -> PersonIn:
    return PersonIn(
        family_name=family,
        given_name=given,
        family_name_kana="ヤマダ",
        given_name_kana="タロウ",
        sex=sex,
        birth_date=birth,
        postal_code=postal,
        address="東京都千代田区霞が関1丁目3番2号",
    )


def enrol(
    conn: Connection,
    cipher: MyNumberCipher,
    employer_id: int,
    p: PersonIn,
    *,
    insured_person_id: int | None = None,
    my_number: str | None = None,
    valid_from: date = date(2020, 4, 1),
) -> MembershipRef:
    return do_enrol_member(
        conn,
        actor=SYSTEM,
        at=AT,
        cipher=cipher,
        employer_id=employer_id,
        person_in=p,
        valid_from=valid_from,
        insured_person_id=insured_person_id,
        my_number_value=my_number,
    )
