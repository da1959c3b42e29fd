"""Registry use cases. Each ``do_<verb>_<noun>`` holds its whole transaction step and writes its
audit row through the same connection; the caller owns ``begin()``/commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, Integer, and_, func, insert, or_, select, update

from shikaku.actors import Actor
from shikaku.crypto import MyNumberCipher
from shikaku.domain.errors import ValidationError
from shikaku.domain.ids import insurer_number as insurer_ids
from shikaku.domain.ids import my_number as my_number_ids
from shikaku.domain.prefectures import PREFECTURES
from shikaku.registry import postal
from shikaku.registry.audit import write_audit
from shikaku.registry.tables import (
    branch,
    employer,
    insurer,
    membership,
    my_number,
    person,
)

INSURED = 1
FAMILY = 2
INSURED_BRANCH_NO = "00"
LAW_CODE = "01"  # 協会けんぽ (general)


class RegistryError(Exception):
    """A use case cannot proceed; the message is bilingual."""


@dataclass(frozen=True)
class PersonIn:
    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    sex: int
    birth_date: date
    postal_code: str | None = None
    address: str | None = None
    preferred_language: str = "ja"
    foreign_resident: bool = False
    stay_until: date | None = None


@dataclass(frozen=True)
class MembershipRef:
    membership_id: int
    person_id: int
    branch_code: str
    symbol: str
    number: str
    branch_no: str


def do_seed_reference_data(
    conn: Connection, *, actor: Actor, at: datetime, name_ja: str, name_en: str
) -> int:
    """Create the insurer and its 47 branches if missing; return how many branches were added."""
    if conn.execute(select(insurer.c.id).where(insurer.c.id == 1)).first() is None:
        conn.execute(
            insert(insurer).values(id=1, law_code=LAW_CODE, name_ja=name_ja, name_en=name_en)
        )
    existing = set(conn.execute(select(branch.c.code)).scalars())
    rows = [
        dict(
            code=p.code,
            insurer_id=1,
            insurer_number=str(insurer_ids.branch_insurer_number(p.code)),
            name_ja=p.branch_ja,
            name_en=f"{p.name_en} branch",
            prefecture_ja=p.name_ja,
        )
        for p in PREFECTURES
        if p.code not in existing
    ]
    if rows:
        conn.execute(insert(branch), rows)
        write_audit(
            conn,
            actor=actor,
            at=at,
            action="seed-branches",
            subject_type="insurer",
            subject_id=1,
            detail={"branches_added": len(rows)},
        )
    return len(rows)


def _check_postal(postal_code: str | None, field: str) -> str | None:
    if postal_code is None:
        return None
    return postal.validate(postal_code, field=field)


def do_create_employer(
    conn: Connection,
    *,
    actor: Actor,
    at: datetime,
    branch_code: str,
    symbol: str,
    name: str,
    postal_code: str | None,
    address: str | None,
    name_kana: str | None = None,
) -> int:
    """Register an employer (事業所) under a branch; return its id."""
    actor.require(branch_code)
    if not (symbol.isdigit() and 7 <= len(symbol) <= 8):
        raise ValidationError("member.symbol.length", field="symbol", value=symbol)
    code = _check_postal(postal_code, "postal_code")
    result = conn.execute(
        insert(employer).values(
            branch_code=branch_code,
            symbol=symbol,
            name=name,
            name_kana=name_kana,
            postal_code=code,
            address=address,
        )
    )
    employer_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    write_audit(
        conn,
        actor=actor,
        at=at,
        action="create-employer",
        subject_type="employer",
        subject_id=employer_id,
        branch_code=branch_code,
    )
    return employer_id


def _next_number(conn: Connection, employer_id: int) -> str:
    # 番号 is the insured person's sequence within the employer, in enrolment order.
    current = conn.execute(
        select(func.max(func.cast(membership.c.number, Integer))).where(
            membership.c.employer_id == employer_id
        )
    ).scalar()
    return str((current or 0) + 1)


def _next_branch_no(conn: Connection, employer_id: int, number: str) -> str:
    used = conn.execute(
        select(membership.c.branch_no).where(
            and_(membership.c.employer_id == employer_id, membership.c.number == number)
        )
    ).scalars()
    taken = {int(b) for b in used}
    # 枝番 00 is the insured person; dependants take the next free value and keep it for life.
    for candidate in range(1, 100):
        if candidate not in taken:
            return f"{candidate:02d}"
    raise RegistryError("no free 枝番 left / 枝番が尽きました")


def do_enrol_member(
    conn: Connection,
    *,
    actor: Actor,
    at: datetime,
    cipher: MyNumberCipher,
    employer_id: int,
    person_in: PersonIn,
    valid_from: date,
    insured_person_id: int | None = None,
    my_number_value: str | None = None,
    voluntary: bool = False,
    standard_monthly_remuneration: int | None = None,
    request_certificate: bool = False,
) -> MembershipRef:
    """Enrol an insured person (no ``insured_person_id``) or a dependant of one."""
    emp = conn.execute(select(employer).where(employer.c.id == employer_id)).mappings().first()
    if emp is None:
        raise RegistryError(f"unknown employer {employer_id} / 事業所が見つかりません")
    actor.require(emp["branch_code"])
    if person_in.sex not in (1, 2, 3):
        raise ValidationError(
            "person.sex",
            field="sex",
            value=str(person_in.sex),
            message_ja="性別コードは1・2・3のいずれかです。",
            message_en="The sex code must be 1, 2 or 3.",
        )
    if person_in.birth_date > valid_from:
        raise ValidationError(
            "birth_date.future", field="birth_date", value=person_in.birth_date.isoformat()
        )
    mn = my_number_ids.validate(my_number_value) if my_number_value else None
    code = _check_postal(person_in.postal_code, "postal_code")

    if insured_person_id is None:
        number, branch_no, relationship = (
            _next_number(conn, employer_id),
            INSURED_BRANCH_NO,
            INSURED,
        )
    else:
        insured = conn.execute(
            select(membership.c.number).where(
                and_(
                    membership.c.person_id == insured_person_id,
                    membership.c.employer_id == employer_id,
                    membership.c.relationship == INSURED,
                    membership.c.valid_to.is_(None),
                )
            )
        ).first()
        if insured is None:
            raise RegistryError(
                "the insured person has no open membership at this employer / "
                "被保険者の資格がこの事業所にありません"
            )
        number = insured.number
        branch_no = _next_branch_no(conn, employer_id, number)
        relationship = FAMILY

    values = {k: getattr(person_in, k) for k in PersonIn.__dataclass_fields__}
    values["postal_code"] = code
    person_id = int(conn.execute(insert(person).values(**values)).inserted_primary_key[0])  # type: ignore[index]
    if mn is not None:
        enc = cipher.encryptor()
        conn.execute(
            insert(my_number).values(
                person_id=person_id,
                ciphertext=enc.encrypt(mn),
                key_id=enc.key_id,
                blind_index=enc.blind_index(mn),
                last4=mn[-4:],
            )
        )
    mid = conn.execute(
        insert(membership).values(
            person_id=person_id,
            employer_id=employer_id,
            branch_code=emp["branch_code"],
            symbol=emp["symbol"],
            number=number,
            branch_no=branch_no,
            relationship=relationship,
            insured_person_id=insured_person_id or person_id,
            valid_from=valid_from,
            voluntary=voluntary,
            standard_monthly_remuneration=standard_monthly_remuneration,
            enrolment_requested_certificate=request_certificate,
        )
    ).inserted_primary_key[0]  # type: ignore[index]
    write_audit(
        conn,
        actor=actor,
        at=at,
        action="enrol-member",
        subject_type="membership",
        subject_id=mid,
        branch_code=emp["branch_code"],
        detail={"relationship": relationship, "my_number_recorded": mn is not None},
    )
    return MembershipRef(int(mid), person_id, emp["branch_code"], emp["symbol"], number, branch_no)


def do_end_membership(
    conn: Connection,
    *,
    actor: Actor,
    at: datetime,
    membership_id: int,
    valid_to: date,
    reason: str,
) -> int:
    """End a membership on ``valid_to`` (last day). Ending an insured person's membership ends
    the dependants' open memberships too. Returns how many memberships were closed."""
    row = (
        conn.execute(select(membership).where(membership.c.id == membership_id)).mappings().first()
    )
    if row is None:
        raise RegistryError(f"unknown membership {membership_id} / 資格が見つかりません")
    actor.require(row["branch_code"])
    if row["valid_to"] is not None:
        raise RegistryError("membership already ended / 資格は既に喪失しています")
    if valid_to < row["valid_from"]:
        raise ValidationError(
            "membership.valid_to_before_from",
            field="valid_to",
            value=valid_to.isoformat(),
            message_ja="資格喪失日が資格取得日より前です。",
            message_en="The end date is before the start date.",
        )
    targets = [membership.c.id == membership_id]
    if row["relationship"] == INSURED:
        targets.append(
            and_(
                membership.c.insured_person_id == row["person_id"],
                membership.c.employer_id == row["employer_id"],
            )
        )
    closed = conn.execute(
        update(membership)
        .where(and_(or_(*targets), membership.c.valid_to.is_(None)))
        .values(valid_to=valid_to, loss_reason=reason)
    ).rowcount
    write_audit(
        conn,
        actor=actor,
        at=at,
        action="end-membership",
        subject_type="membership",
        subject_id=membership_id,
        branch_code=row["branch_code"],
        detail={"valid_to": valid_to, "reason": reason, "closed": closed},
    )
    return int(closed)


def do_change_address(
    conn: Connection,
    *,
    actor: Actor,
    at: datetime,
    person_id: int,
    postal_code: str,
    address: str,
) -> None:
    """Change a person's home address (validated against the postal-code list)."""
    branch_code = conn.execute(
        select(membership.c.branch_code)
        .where(membership.c.person_id == person_id)
        .order_by(membership.c.valid_from.desc())
    ).scalar()
    if branch_code is None:
        raise RegistryError(f"unknown person {person_id} / 加入者が見つかりません")
    actor.require(branch_code)
    code = postal.validate(postal_code, field="postal_code")
    if not address.strip():
        raise ValidationError(
            "person.address_empty",
            field="address",
            value="",
            message_ja="住所を入力してください。",
            message_en="The address is empty.",
        )
    conn.execute(
        update(person)
        .where(person.c.id == person_id)
        .values(postal_code=code, address=address.strip())
    )
    write_audit(
        conn,
        actor=actor,
        at=at,
        action="change-address",
        subject_type="person",
        subject_id=person_id,
        branch_code=branch_code,
        detail={"postal_code": code},
    )
