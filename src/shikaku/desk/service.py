"""Inquiry-log use cases: record a contact, search and export the log, daily counts.

``do_record_inquiry`` validates every field first and raises :class:`InquiryError` listing each
bad field with a rule id and a Japanese and English message (the web form shows them next to
the fields, the CLI prints them). A member given by 記号・番号・枝番 is normalised with
:mod:`shikaku.domain.ids.member` and linked to the membership when exactly one matches. Free
text that contains a 12-digit number is refused: the log must never hold a My Number.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Select, func, insert, or_, select

from shikaku.actors import Actor, Role
from shikaku.clock import JST
from shikaku.config import DEFAULT_LANGUAGES
from shikaku.desk import repo
from shikaku.desk.content import SOURCE_LANG, FaqBase
from shikaku.desk.search import resolve_language
from shikaku.desk.tables import inquiry
from shikaku.desk.vocab import (
    CATEGORY_LABELS,
    FOLLOW_UP_OUTCOMES,
    CallerType,
    Channel,
    Outcome,
)
from shikaku.domain.errors import ValidationError
from shikaku.domain.ids import insurer_number as insurer_ids
from shikaku.domain.ids import member as member_ids
from shikaku.domain.normalize import to_halfwidth
from shikaku.registry.audit import write_audit

__all__ = [
    "CSV_COLUMNS",
    "DeskVocabulary",
    "FieldProblem",
    "InquiryError",
    "InquiryRow",
    "RecordedInquiry",
    "desk_actor",
    "do_record_inquiry",
    "export_inquiries",
    "get_inquiry",
    "logged_calls_per_day",
    "search_inquiries",
    "write_inquiries_csv",
]

MAX_TEXT = 2000
MAX_OPERATOR = 60
#: How far a contact time may lie after the recording time (clock skew between PCs).
FUTURE_TOLERANCE = timedelta(minutes=10)
DEFAULT_LIMIT = 100

#: rule id → (Japanese, English). Stable ids: add, never rename.
MESSAGES: Mapping[str, tuple[str, str]] = {
    "inquiry.required": ("入力してください。", "This field is required."),
    "inquiry.too_long": (
        f"{MAX_TEXT}文字以内で入力してください。",
        f"Use at most {MAX_TEXT} characters.",
    ),
    "inquiry.operator.too_long": (
        f"担当者は{MAX_OPERATOR}文字以内で入力してください。",
        f"The operator must have at most {MAX_OPERATOR} characters.",
    ),
    "inquiry.channel.unknown": (
        "受付方法は phone / mail / web / counter のいずれかです。",
        "The channel must be phone, mail, web or counter.",
    ),
    "inquiry.caller_type.unknown": (
        "相談者の区分は member / employer / clinic / other のいずれかです。",
        "The caller type must be member, employer, clinic or other.",
    ),
    "inquiry.outcome.unknown": (
        "対応結果は " + " / ".join(Outcome) + " のいずれかです。",
        "The outcome must be one of " + ", ".join(Outcome) + ".",
    ),
    "inquiry.category.unknown": (
        "分類はFAQの分類またはFAQのIDで入力してください。",
        "The category must be an FAQ category or an FAQ entry id.",
    ),
    "inquiry.faq_entry.unknown": (
        "このIDのFAQはありません。",
        "There is no FAQ entry with this id.",
    ),
    "inquiry.member.incomplete": (
        "記号・番号・枝番はそろえて入力してください。",
        "Give the symbol, number and branch number together.",
    ),
    "inquiry.insurer_number.not_ours": (
        "この保険者の保険者番号ではありません。",
        "This is not one of this insurer's insurer numbers.",
    ),
    "inquiry.my_number": (
        "個人番号(マイナンバー)と思われる12桁の数字は記録できません。",
        "A 12-digit number (possibly a My Number) must not be recorded.",
    ),
    "inquiry.follow_up.required": (
        "引継ぎ・折り返しの場合は対応内容を入力してください。",
        "An escalated or call-back inquiry needs a follow-up text.",
    ),
    "inquiry.follow_up_due.required": (
        "折り返しの場合は期日を入力してください。",
        "A call-back needs a due date.",
    ),
    "inquiry.follow_up_due.before_contact": (
        "期日が受付日より前です。",
        "The due date is before the date of the contact.",
    ),
    "inquiry.date.format": (
        "日付は YYYY-MM-DD で入力してください。",
        "Write the date as YYYY-MM-DD.",
    ),
    "inquiry.at.format": (
        "受付日時は YYYY-MM-DD HH:MM で入力してください。",
        "Write the time of the contact as YYYY-MM-DD HH:MM.",
    ),
    "inquiry.at.future": (
        "受付日時が未来になっています。",
        "The time of the contact is in the future.",
    ),
}

# Twelve digits in a row, or grouped 4-4-4 with spaces or hyphens, not part of a longer number.
_MY_NUMBER_LIKE = re.compile(r"(?<!\d)\d{4}[ \-]?\d{4}[ \-]?\d{4}(?!\d)")


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One bad field: its name (the form's input name), a stable rule id and messages."""

    field: str
    rule_id: str
    message_ja: str
    message_en: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message_ja} / {self.message_en}"

    def message(self, lang: str) -> str:
        return self.message_en if lang == "en" else self.message_ja


class InquiryError(ValueError):
    """The inquiry cannot be recorded; ``problems`` names every bad field."""

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))

    @property
    def fields(self) -> list[str]:
        return [p.field for p in self.problems]


def _problem(field_name: str, rule_id: str) -> FieldProblem:
    ja, en = MESSAGES[rule_id]
    return FieldProblem(field_name, rule_id, ja, en)


def _from_validation(err: ValidationError, field_name: str) -> FieldProblem:
    return FieldProblem(err.field or field_name, err.rule_id, err.message_ja, err.message_en)


@dataclass(frozen=True)
class DeskVocabulary:
    """What the log accepts: the configured languages and the FAQ entry ids (→ category)."""

    languages: tuple[str, ...] = DEFAULT_LANGUAGES
    entries: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_base(cls, base: FaqBase, languages: Sequence[str] | None = None) -> DeskVocabulary:
        langs = tuple(languages) if languages is not None else tuple(base.languages)
        entries = (
            {e.id: e.category for e in base.source.entries.values()}
            if SOURCE_LANG in base.languages
            else {}
        )
        return cls(languages=langs, entries=entries)


@dataclass(frozen=True, slots=True)
class RecordedInquiry:
    id: int
    language: str
    membership_id: int | None
    branch_code: str | None
    notices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class InquiryRow:
    """One logged inquiry as read back (times in JST)."""

    id: int
    at: datetime
    day: date
    hour: int
    recorded_at: datetime
    operator: str
    channel: str
    language: str
    requested_language: str | None
    caller_type: str
    category: str
    faq_entry_id: str | None
    insurer_number: str | None
    symbol: str | None
    number: str | None
    branch_no: str | None
    membership_id: int | None
    branch_code: str | None
    interpreter_used: bool
    outcome: str
    follow_up: str | None
    follow_up_due: date | None
    note: str | None

    @property
    def member_key(self) -> str:
        """``記号・番号・枝番`` (with the 保険者番号 in front when known), or empty."""
        if not self.symbol:
            return ""
        key = f"{self.symbol}・{self.number}・{self.branch_no}"
        return f"{self.insurer_number} {key}" if self.insurer_number else key


def desk_actor(login: str) -> Actor:
    """The actor for a call-center operator: the desk serves every branch."""
    return Actor(login=login.strip()[:MAX_OPERATOR] or "desk", role=Role.HEAD_OFFICE)


def _as_jst(value: datetime) -> datetime:
    """Aware JST; a naive value (SQLite read-back, a typed time) is taken as JST."""
    if value.tzinfo is None:
        return value.replace(tzinfo=JST)
    return value.astimezone(JST)


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    text = value.strip()
    return text or None


def _parse_day(
    value: date | str | None, field_name: str, problems: list[FieldProblem]
) -> date | None:
    if value is None or isinstance(value, date):
        return value
    text = to_halfwidth(value.strip()).replace("/", "-")
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(_problem(field_name, "inquiry.date.format"))
        return None


def _parse_at(
    value: datetime | str | None, field_name: str, problems: list[FieldProblem]
) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return None if value is None else _as_jst(value)
    text = to_halfwidth(value.strip()).replace("/", "-")
    if not text:
        return None
    try:
        return _as_jst(datetime.fromisoformat(text))
    except ValueError:
        problems.append(_problem(field_name, "inquiry.at.format"))
        return None


def _check_text(value: str | None, field_name: str, problems: list[FieldProblem]) -> str | None:
    text = _clean(value)
    if text is None:
        return None
    if len(text) > MAX_TEXT:
        problems.append(_problem(field_name, "inquiry.too_long"))
    if _MY_NUMBER_LIKE.search(to_halfwidth(text)):
        problems.append(_problem(field_name, "inquiry.my_number"))
    return text


def _code(
    value: str | None, allowed: Iterable[str], field_name: str, problems: list[FieldProblem]
) -> str:
    text = (_clean(value) or "").lower()
    if not text:
        problems.append(_problem(field_name, "inquiry.required"))
    elif text not in set(allowed):
        problems.append(_problem(field_name, f"inquiry.{field_name}.unknown"))
    return text


def do_record_inquiry(
    conn: Connection,
    *,
    actor: Actor,
    at: datetime,
    channel: str,
    language: str | None,
    caller_type: str,
    category: str,
    outcome: str,
    operator: str | None = None,
    contacted_at: datetime | str | None = None,
    faq_entry_id: str | None = None,
    insurer_number: str | None = None,
    symbol: str | None = None,
    number: str | None = None,
    branch_no: str | None = None,
    interpreter_used: bool = False,
    follow_up: str | None = None,
    follow_up_due: date | str | None = None,
    note: str | None = None,
    vocabulary: DeskVocabulary | None = None,
) -> RecordedInquiry:
    """Record one contact (the caller owns the transaction); writes an audit row.

    ``at`` is when it is recorded; ``contacted_at`` when the contact happened (default ``at``).
    An unknown language code is recorded as Japanese with a notice; the member link is made only
    when the key matches exactly one membership the actor may see.
    """
    vocab = vocabulary or DeskVocabulary()
    problems: list[FieldProblem] = []
    notices: list[str] = []
    recorded_at = _as_jst(at)

    op_name = _clean(operator) or actor.login
    if operator is not None and _clean(operator) is None:  # a form left the operator blank
        problems.append(_problem("operator", "inquiry.required"))
    elif len(op_name) > MAX_OPERATOR:
        problems.append(_problem("operator", "inquiry.operator.too_long"))
    channel_code = _code(channel, [c.value for c in Channel], "channel", problems)
    caller_code = _code(caller_type, [c.value for c in CallerType], "caller_type", problems)
    outcome_code = _code(outcome, [o.value for o in Outcome], "outcome", problems)

    raw_lang = _clean(language)
    if raw_lang is None:
        problems.append(_problem("language", "inquiry.required"))
        lang, requested = SOURCE_LANG, None
    else:
        lang, fell_back, _ = resolve_language(raw_lang, vocab.languages)
        requested = raw_lang[:20] if fell_back else None
        if fell_back:
            notices.append(
                f"言語コード {raw_lang!r} には対応していないため、日本語として記録しました / "
                f"language {raw_lang!r} is not served: recorded as Japanese"
            )

    entry_id = _clean(faq_entry_id)
    if entry_id is not None and vocab.entries and entry_id not in vocab.entries:
        problems.append(_problem("faq_entry_id", "inquiry.faq_entry.unknown"))
    cat = (_clean(category) or "").lower()
    if not cat:
        problems.append(_problem("category", "inquiry.required"))
    elif cat not in CATEGORY_LABELS:
        if cat in vocab.entries:  # an entry id given as the category
            entry_id = entry_id or cat
            cat = vocab.entries[cat]
        else:
            problems.append(_problem("category", "inquiry.category.unknown"))

    # Member: 記号・番号・枝番 together, each normalised and validated; 保険者番号 optional.
    key_in = {"symbol": _clean(symbol), "number": _clean(number), "branch_no": _clean(branch_no)}
    key: dict[str, str] = {}
    if any(key_in.values()):
        validators = {
            "symbol": member_ids.validate_symbol,
            "number": member_ids.validate_number,
            "branch_no": member_ids.validate_branch_no,
        }
        for name, raw in key_in.items():
            if raw is None:
                problems.append(_problem(name, "inquiry.member.incomplete"))
                continue
            try:
                key[name] = validators[name](raw)
            except ValidationError as err:
                problems.append(_from_validation(err, name))
    ins_no: str | None = None
    ins_branch: str | None = None
    if _clean(insurer_number):
        try:
            ins_no = insurer_ids.validate(_clean(insurer_number) or "")
        except ValidationError as err:
            problems.append(_from_validation(err, "insurer_number"))
        else:
            ins_branch = repo.branch_of_insurer_number(conn, ins_no)
            if ins_branch is None:
                problems.append(_problem("insurer_number", "inquiry.insurer_number.not_ours"))

    follow_text = _check_text(follow_up, "follow_up", problems)
    note_text = _check_text(note, "note", problems)
    due = _parse_day(follow_up_due, "follow_up_due", problems)
    when = _parse_at(contacted_at, "at", problems) or recorded_at
    if when > recorded_at + FUTURE_TOLERANCE:
        problems.append(_problem("at", "inquiry.at.future"))
    if outcome_code in FOLLOW_UP_OUTCOMES and follow_text is None:
        problems.append(_problem("follow_up", "inquiry.follow_up.required"))
    if (
        outcome_code == Outcome.CALLBACK
        and due is None
        and "follow_up_due" not in {p.field for p in problems}
    ):
        problems.append(_problem("follow_up_due", "inquiry.follow_up_due.required"))
    if due is not None and due < when.date():
        problems.append(_problem("follow_up_due", "inquiry.follow_up_due.before_contact"))
    if problems:
        raise InquiryError(problems)

    membership_id: int | None = None
    branch_code = ins_branch
    if len(key) == 3:
        matches = repo.find_memberships(conn, branch_code=ins_branch, **key)
        if len(matches) == 1 and actor.can_access(matches[0][1]):
            membership_id, branch_code = matches[0]
        elif len(matches) == 1:
            notices.append(
                "この加入者の支部を扱う権限がないため、資格とは紐付けていません / "
                "not linked: you may not access this member's branch"
            )
        elif not matches:
            notices.append(
                "該当する資格が見つかりません(記号・番号・枝番のみ記録しました) / "
                "no matching membership: the numbers are recorded without a link"
            )
        else:
            notices.append(
                "複数の支部に同じ記号・番号・枝番があります。保険者番号を入力すると特定できます / "
                "several branches have this key: add the insurer number to link it"
            )
    new_id = conn.execute(
        insert(inquiry).values(
            at=when,
            day=when.date(),
            hour=when.hour,
            recorded_at=recorded_at,
            operator=op_name,
            channel=channel_code,
            language=lang,
            requested_language=requested,
            caller_type=caller_code,
            category=cat,
            faq_entry_id=entry_id,
            insurer_number=ins_no,
            symbol=key.get("symbol"),
            number=key.get("number"),
            branch_no=key.get("branch_no"),
            membership_id=membership_id,
            branch_code=branch_code,
            interpreter_used=bool(interpreter_used),
            outcome=outcome_code,
            follow_up=follow_text,
            follow_up_due=due,
            note=note_text,
        )
    ).inserted_primary_key[0]  # type: ignore[index]
    write_audit(
        conn,
        actor=actor,
        at=recorded_at,
        action="record-inquiry",
        subject_type="inquiry",
        subject_id=int(new_id),
        branch_code=branch_code,
        detail={
            "channel": channel_code,
            "language": lang,
            "category": cat,
            "outcome": outcome_code,
            "member_linked": membership_id is not None,
        },
    )
    return RecordedInquiry(int(new_id), lang, membership_id, branch_code, tuple(notices))


# ----------------------------------------------------------------------------- reading


def _row(r: Any) -> InquiryRow:
    return InquiryRow(
        id=int(r.id),
        at=_as_jst(r.at),
        day=r.day,
        hour=int(r.hour),
        recorded_at=_as_jst(r.recorded_at),
        operator=r.operator,
        channel=r.channel,
        language=r.language,
        requested_language=r.requested_language,
        caller_type=r.caller_type,
        category=r.category,
        faq_entry_id=r.faq_entry_id,
        insurer_number=r.insurer_number,
        symbol=r.symbol,
        number=r.number,
        branch_no=r.branch_no,
        membership_id=None if r.membership_id is None else int(r.membership_id),
        branch_code=r.branch_code,
        interpreter_used=bool(r.interpreter_used),
        outcome=r.outcome,
        follow_up=r.follow_up,
        follow_up_due=r.follow_up_due,
        note=r.note,
    )


def _filtered(
    stmt: Select[Any],
    *,
    from_: date | None,
    to: date | None,
    language: str | None,
    category: str | None,
    text: str | None,
    channel: str | None = None,
    outcome: str | None = None,
) -> Select[Any]:
    if from_ is not None:
        stmt = stmt.where(inquiry.c.day >= from_)
    if to is not None:
        stmt = stmt.where(inquiry.c.day <= to)
    if language:
        lang, fell_back, _ = resolve_language(language, DEFAULT_LANGUAGES)
        # An unconfigured code is matched as typed (it finds nothing rather than Japanese).
        stmt = stmt.where(inquiry.c.language == (language.strip() if fell_back else lang))
    if category:
        cat = category.strip().lower()
        stmt = stmt.where(or_(inquiry.c.category == cat, inquiry.c.faq_entry_id == cat))
    if channel:
        stmt = stmt.where(inquiry.c.channel == channel.strip().lower())
    if outcome:
        stmt = stmt.where(inquiry.c.outcome == outcome.strip().lower())
    if text and text.strip():
        needle = text.strip().lower()
        stmt = stmt.where(
            or_(
                *(
                    func.lower(func.coalesce(col, "")).contains(needle, autoescape=True)
                    for col in (
                        inquiry.c.note,
                        inquiry.c.follow_up,
                        inquiry.c.faq_entry_id,
                        inquiry.c.operator,
                    )
                )
            )
        )
    return stmt


def search_inquiries(
    conn: Connection,
    *,
    from_: date | None = None,
    to: date | None = None,
    language: str | None = None,
    category: str | None = None,
    text: str | None = None,
    channel: str | None = None,
    outcome: str | None = None,
    limit: int | None = DEFAULT_LIMIT,
) -> list[InquiryRow]:
    """Logged inquiries, newest first. ``category`` matches a category or an FAQ entry id;
    ``text`` is a case-insensitive substring of the note, follow-up, FAQ id or operator."""
    stmt = _filtered(
        select(inquiry),
        from_=from_,
        to=to,
        language=language,
        category=category,
        text=text,
        channel=channel,
        outcome=outcome,
    ).order_by(inquiry.c.at.desc(), inquiry.c.id.desc())
    if limit is not None:
        stmt = stmt.limit(limit)
    return [_row(r) for r in conn.execute(stmt)]


def get_inquiry(conn: Connection, inquiry_id: int) -> InquiryRow | None:
    r = conn.execute(select(inquiry).where(inquiry.c.id == inquiry_id)).first()
    return None if r is None else _row(r)


CSV_COLUMNS = (
    "id",
    "at",
    "operator",
    "channel",
    "language",
    "requested_language",
    "caller_type",
    "category",
    "faq_entry_id",
    "insurer_number",
    "symbol",
    "number",
    "branch_no",
    "membership_id",
    "branch_code",
    "interpreter_used",
    "outcome",
    "follow_up",
    "follow_up_due",
    "note",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    # Spreadsheets run cells that start like a formula; free text is defused with a quote.
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_inquiries_csv(rows: Iterable[InquiryRow], fh: IO[str]) -> int:
    """Write *rows* as CSV with a header; returns the number of rows."""
    w = csv.writer(fh)
    w.writerow(CSV_COLUMNS)
    n = 0
    for r in rows:
        w.writerow([_cell(getattr(r, c)) for c in CSV_COLUMNS])
        n += 1
    return n


def iter_inquiries_csv(rows: Iterable[InquiryRow]) -> Iterator[str]:
    """The same CSV as text chunks (with a BOM, so spreadsheet software reads it as UTF-8)."""
    buf = io.StringIO()
    buf.write("\ufeff")
    write_inquiries_csv([], buf)
    for i, r in enumerate(rows, start=1):
        csv.writer(buf).writerow([_cell(getattr(r, c)) for c in CSV_COLUMNS])
        if i % 500 == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def export_inquiries(
    conn: Connection,
    path: Path,
    *,
    from_: date | None = None,
    to: date | None = None,
    language: str | None = None,
    category: str | None = None,
    text: str | None = None,
    channel: str | None = None,
    outcome: str | None = None,
    limit: int | None = None,
) -> int:
    """Write the matching inquiries (oldest first) to *path* as UTF-8 CSV with a BOM."""
    stmt = _filtered(
        select(inquiry),
        from_=from_,
        to=to,
        language=language,
        category=category,
        text=text,
        channel=channel,
        outcome=outcome,
    ).order_by(inquiry.c.at, inquiry.c.id)
    if limit is not None:
        stmt = stmt.limit(limit)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        return write_inquiries_csv((_row(r) for r in conn.execute(stmt)), fh)


def logged_calls_per_day(
    conn: Connection,
    *,
    from_: date | None = None,
    to: date | None = None,
    channels: Sequence[str] | None = None,
    languages: Sequence[str] | None = None,
) -> dict[date, int]:
    """Logged contacts per day (JST), only days with at least one; for the forecast fit."""
    stmt = select(inquiry.c.day, func.count()).group_by(inquiry.c.day).order_by(inquiry.c.day)
    if from_ is not None:
        stmt = stmt.where(inquiry.c.day >= from_)
    if to is not None:
        stmt = stmt.where(inquiry.c.day <= to)
    if channels:
        stmt = stmt.where(inquiry.c.channel.in_(list(channels)))
    if languages:
        stmt = stmt.where(inquiry.c.language.in_(list(languages)))
    return {d: int(n) for d, n in conn.execute(stmt)}
