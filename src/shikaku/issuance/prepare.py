"""Prepare a wave for printing, once, in one transaction: drop members who left since the
snapshot, hold back envelopes that cannot be printed right (exceptions for branch staff), make
one mail piece per household sorted by postal code, cut them into print batches, and record the
certificates. Re-running finds the wave prepared and does nothing."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import groupby
from typing import Any, NamedTuple

from sqlalchemy import Connection, Date, and_, insert, literal, or_, select, update
from sqlalchemy.orm import aliased

from shikaku.actors import Actor
from shikaku.db.bulk import insert_rows
from shikaku.domain.errors import ValidationError
from shikaku.domain.ids import customer_barcode
from shikaku.domain.ids.certificate_qr import CertificateQR, encode
from shikaku.domain.mailpiece import PieceStatus
from shikaku.issuance.pieces import move_where, piece_id
from shikaku.issuance.render import CertificateData, Envelope, missing_glyphs, sheets_for
from shikaku.issuance.render.font import load_face
from shikaku.issuance.sender import sender_for
from shikaku.issuance.tables import (
    campaign,
    certificate,
    issuance_exception,
    mail_piece,
    print_batch,
    target,
    wave,
)
from shikaku.registry import postal
from shikaku.registry.audit import write_audit
from shikaku.registry.tables import branch, employer, membership, person

BATCH_ENVELOPES = 1_000  # print shop's file size; patchable in tests
SEX_LABEL = {1: "男", 2: "女", 3: "－"}
insured = aliased(person, name="insured")


class WaveError(Exception):
    """The wave cannot be prepared or run (bilingual message)."""


@dataclass
class PrepareReport:
    wave_id: int
    already_prepared: bool = False
    dropped_left: int = 0
    held_envelopes: int = 0
    envelopes: int = 0
    certificates: int = 0
    batches: int = 0
    exceptions: list[tuple[str, str, str]] = field(default_factory=list)  # key, rule, message
    employers_without_address: int = 0
    #: What the workers need (batch id → households, and the wave's shared data), so the run
    #: that prepared the wave need not read it back; empty when the wave was prepared before.
    batch_households: dict[int, list[Household]] = field(default_factory=dict, repr=False)
    context: EnvelopeContext | None = field(default=None, repr=False)


class MemberRow(NamedTuple):
    """One certificate's data (a plain tuple: cheap to build from a row and to send to a
    worker process)."""

    person_id: int
    insured_person_id: int
    employer_id: int
    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    birth_date: date
    sex: int
    symbol: str
    number: str
    branch_no: str
    valid_to: date
    ins_family_name: str
    ins_given_name: str
    ins_family_name_kana: str
    ins_given_name_kana: str
    ins_postal_code: str | None
    ins_address: str | None


def get_wave(conn: Connection, campaign_id: int, code: str) -> dict[str, object]:
    row = (
        conn.execute(select(wave).where(wave.c.campaign_id == campaign_id, wave.c.code == code))
        .mappings()
        .first()
    )
    if row is None:
        raise WaveError(f"no wave {code!r} in this campaign / 発送回 {code!r} がありません")
    return dict(row)


#: The columns prepare writes for each planned home piece (see ``insert_rows``).
PIECE_COLUMNS = (
    "id", "first_page", "last_page", "campaign_id", "wave_id", "batch_id", "batch_pos",
    "insured_person_id", "employer_id", "branch_code", "route", "postal_code", "members",
    "status", "updated_at",
)  # fmt: skip


def wave_members(
    conn: Connection, campaign_id: int, branch_code: str, statuses: Iterable[str] = ("targeted",)
) -> list[MemberRow]:
    """Targets of one branch with what their certificate and envelope need, by household."""
    stmt = (
        select(
            target.c.person_id,
            target.c.insured_person_id,
            target.c.employer_id,
            person.c.family_name,
            person.c.given_name,
            person.c.family_name_kana,
            person.c.given_name_kana,
            person.c.birth_date,
            person.c.sex,
            membership.c.symbol,
            membership.c.number,
            membership.c.branch_no,
            target.c.valid_to,
            insured.c.family_name,
            insured.c.given_name,
            insured.c.family_name_kana,
            insured.c.given_name_kana,
            insured.c.postal_code,
            insured.c.address,
        )
        .select_from(target)
        .join(person, person.c.id == target.c.person_id)
        .join(membership, membership.c.id == target.c.membership_id)
        .join(insured, insured.c.id == target.c.insured_person_id)
        .where(
            target.c.campaign_id == campaign_id,
            target.c.branch_code == branch_code,
            target.c.status.in_(list(statuses)),
        )
        .order_by(target.c.insured_person_id, membership.c.branch_no)
    )
    return [MemberRow._make(r) for r in conn.execute(stmt)]


@dataclass(frozen=True)
class EnvelopeContext:
    """What every envelope of one wave shares (sent once per batch to the worker that builds
    and renders the batch's envelopes)."""

    insurer_number: str
    insurer_name: str
    issue_date: date
    qr_key: bytes
    branch_code: str


def envelope_context(
    br: Mapping[Any, Any], camp: Mapping[Any, Any], qr_key: bytes, insurer_name_ja: str
) -> EnvelopeContext:
    """The shared part of a wave's envelopes from its branch and campaign rows."""
    return EnvelopeContext(
        insurer_number=br["insurer_number"],
        insurer_name=f"{insurer_name_ja} {br['name_ja']}",
        issue_date=camp["issue_date"],
        qr_key=qr_key,
        branch_code=br["code"],
    )


Household = tuple[str, Sequence[MemberRow]]  # (piece id, the household's rows, insured first)


def build_envelopes(households: Iterable[Household], ctx: EnvelopeContext) -> list[Envelope]:
    """The renderer's input for a batch (runs on the worker)."""
    return [
        build_envelope(
            pid,
            rows,
            insurer_number=ctx.insurer_number,
            insurer_name=ctx.insurer_name,
            issue_date=ctx.issue_date,
            qr_key=ctx.qr_key,
            branch_code=ctx.branch_code,
        )
        for pid, rows in households
    ]


def build_envelope(
    pid: str,
    rows: Sequence[MemberRow],
    *,
    insurer_number: str,
    insurer_name: str,
    issue_date: date,
    qr_key: bytes,
    branch_code: str,
) -> Envelope:
    """The renderer's input for one household (the insured person is the addressee)."""
    head = rows[0]
    postal_code = head.ins_postal_code or ""
    address = head.ins_address or ""
    try:
        symbols = customer_barcode.symbols(postal_code, address)
    except ValidationError:
        symbols = []  # printed without a barcode: no discount, still deliverable
    members = [
        CertificateData(
            name=f"{r.family_name}　{r.given_name}",
            name_kana=f"{r.family_name_kana}　{r.given_name_kana}",
            birth_date=r.birth_date,
            sex=SEX_LABEL.get(r.sex, "－"),
            symbol=r.symbol,
            number=r.number,
            branch_no=r.branch_no,
            insurer_number=insurer_number,
            insurer_name=insurer_name,
            issue_date=issue_date,
            valid_to=r.valid_to,
            qr_payload=encode(
                CertificateQR(
                    insurer_number, r.symbol, r.number, r.branch_no, r.birth_date, r.valid_to
                ),
                qr_key,
            ),
        )
        for r in rows
    ]
    return Envelope(
        piece_id=pid,
        postal_code=postal_code,
        address_lines=split_address(address),
        addressee_name=f"{head.ins_family_name}　{head.ins_given_name}",
        addressee_kana=f"{head.ins_family_name_kana}　{head.ins_given_name_kana}",
        barcode_symbols=symbols,
        members=members,
        sender=sender_for(branch_code),
    )


def split_address(address: str, width: int = 22) -> list[str]:
    """Address lines for the window: break at the first space, then at ``width`` characters."""
    parts = [p for p in address.replace("　", " ").split(" ", 1) if p]
    lines: list[str] = []
    for p in parts:
        lines.extend(p[i : i + width] for i in range(0, len(p), width))
    return lines or [""]


def pages_for(members: int) -> int:
    """Pages of one envelope in its batch file: the carrier letter plus the certificate
    sheets (the renderer lays them out so; the worker checks every batch against this)."""
    return 1 + sheets_for(members)


def expected_ranges(households: Iterable[Household]) -> list[tuple[str, int, int]]:
    """(piece id, first page, last page) of each envelope of a batch, as prepare stored them."""
    out, page = [], 0
    for pid, rows in households:
        first, page = page + 1, page + pages_for(len(rows))
        out.append((pid, first, page))
    return out


def household_texts(rows: Sequence[MemberRow]) -> Iterator[str]:
    """The per-household strings an envelope draws with the font (names, kana, address; the
    wave's shared strings — sender, insurer name — are checked once per wave)."""
    head = rows[0]
    yield from (
        head.ins_family_name,
        head.ins_given_name,
        head.ins_family_name_kana,
        head.ins_given_name_kana,
        head.ins_address or "",
    )
    for r in rows:
        yield from (r.family_name, r.given_name, r.family_name_kana, r.given_name_kana)
        yield from (r.symbol, r.number, r.branch_no)


def _sender_texts(branch_code: str) -> list[str]:
    s = sender_for(branch_code)
    return [
        s.org_name, s.branch_name, s.department, s.phone, s.phone_hours, s.website,
        *s.address_lines, *SEX_LABEL.values(),
    ]  # fmt: skip


def _households(rows: Sequence[MemberRow]) -> list[list[MemberRow]]:
    return [list(g) for _, g in groupby(rows, key=lambda r: r.insured_person_id)]


def _problems(rows: Sequence[MemberRow]) -> list[tuple[str, str, str]]:
    """(rule id, Japanese, English) for an envelope that must not be printed as it is."""
    head = rows[0]
    out: list[tuple[str, str, str]] = []
    if not (head.ins_address or "").strip() or not head.ins_postal_code:
        out.append(("address.missing", "送付先住所がありません", "no home address"))
    elif not postal.exists(head.ins_postal_code):
        out.append(
            (
                "address.postal_code_unknown",
                "郵便番号が存在しません",
                "the postal code does not exist",
            )
        )
    return out


def do_prepare_wave(
    conn: Connection,
    *,
    actor: Actor,
    at: datetime,
    campaign_id: int,
    wave_code: str,
    print_date: date,
    qr_key: bytes,
    font_path: str | None = None,
    insurer_name_ja: str = "全国健康保険協会",
    batch_size: int | None = None,
) -> PrepareReport:
    """See the module docstring. The caller owns the transaction."""
    w = get_wave(conn, campaign_id, wave_code)
    wave_id, branch_code = int(w["id"]), str(w["branch_code"])  # type: ignore[call-overload]
    actor.require(branch_code)
    report = PrepareReport(wave_id=wave_id)
    if w["prepared_at"] is not None:
        report.already_prepared = True
        return report
    camp = conn.execute(select(campaign).where(campaign.c.id == campaign_id)).mappings().one()
    br = conn.execute(select(branch).where(branch.c.code == branch_code)).mappings().one()

    # 1. Members who left between the snapshot and printing are dropped (and said so).
    left = (
        select(membership.c.id)
        .where(
            membership.c.id == target.c.membership_id,
            membership.c.valid_to.is_not(None),
            membership.c.valid_to < print_date,
        )
        .exists()
    )  # by primary key per target of the branch, not a scan of every membership
    report.dropped_left = (
        conn.execute(
            update(target)
            .where(
                target.c.campaign_id == campaign_id,
                target.c.branch_code == branch_code,
                target.c.status == "targeted",
                left,
            )
            .values(status="dropped-left")
        ).rowcount
        or 0
    )

    rows = wave_members(conn, campaign_id, branch_code)
    households = _households(rows)
    context = envelope_context(br, camp, qr_key, insurer_name_ja)
    insurer_name = context.insurer_name

    # 2. Envelopes, with exceptions held back for branch staff. The envelopes themselves are
    # built by the workers that render them; here only what decides holding and sorting.
    face_gid = load_face(font_path).gid
    shared = missing_glyphs(
        [insurer_name, *_sender_texts(branch_code)], font_path
    )  # the wave's own strings: a font that lacks them fails every envelope
    if shared:
        raise WaveError(
            f"フォントにない文字: {''.join(sorted(shared))} / "
            f"the font lacks characters of the sender or insurer name"
        )
    held: list[tuple[list[MemberRow], str, str, str]] = []
    ok: list[tuple[list[MemberRow], str, str, str]] = []  # rows, piece id, postal, address
    for seq, hh in enumerate(households, start=1):
        problems = _problems(hh)
        if problems:
            held.extend((hh, *p) for p in problems)
            continue
        chars = set("".join(household_texts(hh)))
        bad = {c for c in chars if c not in face_gid and c >= " "}
        if bad:
            shown = "".join(sorted(bad))
            held.append(
                (
                    hh,
                    "name.glyph_missing",
                    f"フォントにない文字: {shown}",
                    f"characters missing from the font: {shown}",
                )
            )
            continue
        head = hh[0]
        ok.append(
            (
                hh,
                piece_id(campaign_id, branch_code, seq),
                head.ins_postal_code or "",
                "".join(split_address(head.ins_address or "")),
            )
        )
    if held:
        _hold(
            conn,
            campaign_id=campaign_id,
            wave_id=wave_id,
            branch_code=branch_code,
            held=held,
            report=report,
        )

    # An employer without an address cannot be sent its 対象者一覧表 (nor, later, letters that
    # come back): the home envelopes still go out, and branch staff get the members to fix.
    no_address = set(
        conn.execute(
            select(employer.c.id)
            .join(target, target.c.employer_id == employer.c.id)
            .where(
                target.c.campaign_id == campaign_id,
                target.c.branch_code == branch_code,
                target.c.status == "targeted",
                or_(
                    employer.c.address.is_(None),
                    employer.c.address == "",
                    employer.c.postal_code.is_(None),
                ),
            )
            .distinct()
        ).scalars()
    )
    if no_address:
        flagged = [r for hh, *_ in ok if hh[0].employer_id in no_address for r in hh]
        ja = "事業所の住所がありません（対象者一覧表・事業所あて再送ができません）"
        en = "the employer has no address (no list of affected staff, no re-routing possible)"
        conn.execute(
            insert(issuance_exception),
            [
                dict(
                    campaign_id=campaign_id,
                    wave_id=wave_id,
                    person_id=r.person_id,
                    branch_code=branch_code,
                    member_key=f"{r.symbol}・{r.number}・{r.branch_no}",
                    rule_id="employer.address_missing",
                    message_ja=ja,
                    message_en=en,
                )
                for r in flagged
            ],
        )
        report.exceptions.extend(
            (f"{r.symbol}・{r.number}・{r.branch_no}", "employer.address_missing", en)
            for r in flagged
        )
        report.employers_without_address = len(no_address)

    # 3. Pieces sorted by postal code (barcode discount), cut into batches.
    ok.sort(key=lambda h: (h[2], h[3], h[1]))
    size = min(batch_size or BATCH_ENVELOPES, BATCH_ENVELOPES)
    chunks = [ok[start : start + size] for start in range(0, len(ok), size)]
    batch_rows = [
        dict(wave_id=wave_id, seq=b, file_name=batch_file_name(wave_code, b), pieces=len(chunk))
        for b, chunk in enumerate(chunks, start=1)
    ]
    if batch_rows:
        conn.execute(insert(print_batch), batch_rows)
    batch_ids = dict(
        conn.execute(
            select(print_batch.c.seq, print_batch.c.id).where(print_batch.c.wave_id == wave_id)
        ).all()
    )
    planned = PieceStatus.PLANNED.value
    piece_rows: list[tuple[Any, ...]] = []  # in the order of PIECE_COLUMNS
    for b, chunk in enumerate(chunks, start=1):
        ranges = expected_ranges((pid, hh) for hh, pid, _, _ in chunk)
        for pos, ((hh, pid, postal_code, _), (_, first, last)) in enumerate(
            zip(chunk, ranges, strict=True), start=1
        ):
            piece_rows.append(
                (pid, first, last, campaign_id, wave_id, batch_ids[b], pos,
                 hh[0].insured_person_id, hh[0].employer_id, branch_code, "home", postal_code,
                 len(hh), planned, at)
            )  # fmt: skip
    if piece_rows:
        insert_rows(conn, mail_piece, PIECE_COLUMNS, piece_rows)
        move_where(
            conn,
            mail_piece.c.wave_id == wave_id,
            from_status=None,
            to_status=PieceStatus.PLANNED,
            actor=actor.login,
            at=at,
        )
    report.batch_households = {
        batch_ids[b]: [(pid, hh) for hh, pid, _, _ in chunk]
        for b, chunk in enumerate(chunks, start=1)
    }
    report.context = context

    # 4. Targets point at their piece; certificates are recorded (pending print).
    piece_of = (
        select(mail_piece.c.id)
        .where(
            mail_piece.c.wave_id == wave_id,
            mail_piece.c.insured_person_id == target.c.insured_person_id,
        )
        .scalar_subquery()
    )
    conn.execute(
        update(target)
        .where(
            target.c.campaign_id == campaign_id,
            target.c.branch_code == branch_code,
            target.c.status == "targeted",
        )
        .values(piece_id=piece_of, status="enveloped")
    )
    conn.execute(
        insert(certificate).from_select(
            ["person_id", "membership_id", "campaign_id", "piece_id", "issue_date", "valid_to"],
            select(
                target.c.person_id,
                target.c.membership_id,
                target.c.campaign_id,
                target.c.piece_id,
                literal(camp["issue_date"], Date),
                target.c.valid_to,
            ).where(
                target.c.campaign_id == campaign_id,
                target.c.branch_code == branch_code,
                target.c.status == "enveloped",
            ),
        )
    )
    conn.execute(update(wave).where(wave.c.id == wave_id).values(prepared_at=at, status="prepared"))
    report.envelopes = len(piece_rows)
    report.certificates = sum(len(hh) for hh, _, _, _ in ok)
    report.batches = len(batch_rows)
    write_audit(
        conn,
        actor=actor,
        at=at,
        action="prepare-wave",
        subject_type="wave",
        subject_id=wave_id,
        branch_code=branch_code,
        detail={
            "envelopes": report.envelopes,
            "dropped_left": report.dropped_left,
            "held": report.held_envelopes,
        },
    )
    return report


def _hold(
    conn: Connection,
    *,
    campaign_id: int,
    wave_id: int,
    branch_code: str,
    held: list[tuple[list[MemberRow], str, str, str]],
    report: PrepareReport,
) -> None:
    rows, person_ids = [], set()
    for hh, rule_id, ja, en in held:
        for r in hh:
            key = f"{r.symbol}・{r.number}・{r.branch_no}"
            rows.append(
                dict(
                    campaign_id=campaign_id,
                    wave_id=wave_id,
                    person_id=r.person_id,
                    branch_code=branch_code,
                    member_key=key,
                    rule_id=rule_id,
                    message_ja=ja,
                    message_en=en,
                )
            )
            report.exceptions.append((key, rule_id, en))
            person_ids.add(r.person_id)
    conn.execute(insert(issuance_exception), rows)
    conn.execute(
        update(target)
        .where(
            and_(target.c.campaign_id == campaign_id, target.c.person_id.in_(sorted(person_ids)))
        )
        .values(status="held")
    )
    report.held_envelopes = len({hh[0].insured_person_id for hh, *_ in held})


def batch_file_name(wave_code: str, seq: int) -> str:
    return f"{wave_code}/batch-{seq:04d}.pdf"


def employer_addresses(conn: Connection, employer_ids: Sequence[int]) -> dict[int, dict[str, str]]:
    rows = conn.execute(
        select(
            employer.c.id,
            employer.c.symbol,
            employer.c.name,
            employer.c.postal_code,
            employer.c.address,
        ).where(employer.c.id.in_(list(employer_ids)))
    )
    return {
        r.id: dict(
            symbol=r.symbol, name=r.name, postal_code=r.postal_code or "", address=r.address or ""
        )
        for r in rows
    }
