"""Turn what a clinic sent (JSON, query string, a CSV row, a FHIR request, a QR) into a
validated query. Every field is checked and every failure collected, so one answer lists all
the mistakes; each failure has a stable rule id and ja/en messages.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from shikaku.domain.dates import parse_date
from shikaku.domain.documents import DocumentKind
from shikaku.domain.errors import InvalidDate, InvalidFormat, ValidationError
from shikaku.domain.ids import certificate_qr
from shikaku.domain.ids import insurer_number as insurer_ids
from shikaku.domain.ids.member import (
    parse_birth_date,
    validate_branch_no,
    validate_number,
    validate_symbol,
)
from shikaku.eligibility.rules import EligibilityRules

#: Field names as the API spells them (a CSV header uses the same names).
INSURER_NUMBER = "insurer_number"
SYMBOL = "symbol"
NUMBER = "number"
BRANCH = "branch"
BIRTH_DATE = "birth_date"
SERVICE_DATE = "service_date"
PRESENTED_DOCUMENT = "presented_document"
CARD_KEY = "card_key"
QR = "qr"

_LABELS = {
    INSURER_NUMBER: ("保険者番号", "insurer number"),
    NUMBER: ("番号", "number (bangō)"),
    BRANCH: ("枝番", "branch number (edaban)"),
    BIRTH_DATE: ("生年月日", "date of birth"),
    CARD_KEY: ("カード識別子", "card key"),
    QR: ("QRコード", "QR code"),
}
_KINDS = ", ".join(k.value for k in DocumentKind)
_CARD_KEY_RE = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")

# The validators are pure, and the same values come back all day (47 insurer numbers, a few
# thousand 番号 and dates of birth), so memoise them: the hot path then skips the full-width
# normalisation. Failures raise and are never cached.
_insurer_number = lru_cache(maxsize=256)(insurer_ids.validate)
_symbol = lru_cache(maxsize=65_536)(validate_symbol)
_number = lru_cache(maxsize=65_536)(validate_number)
_branch_no = lru_cache(maxsize=256)(validate_branch_no)
_birth = lru_cache(maxsize=65_536)(parse_birth_date)


@lru_cache(maxsize=4096)
def _date(value: str) -> date:
    return parse_date(value, field="service_date")


class InvalidQuery(Exception):
    """One or more fields failed validation."""

    def __init__(self, errors: list[ValidationError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors

    @property
    def rule_id(self) -> str:
        return self.errors[0].rule_id


def _required(field: str) -> ValidationError:
    ja, en = _LABELS[field]
    return InvalidFormat(
        f"{field}.required",
        field=field,
        message_ja=f"{ja}を入力してください。",
        message_en=f"The {en} is required.",
    )


def _text(data: Mapping[str, Any], field: str) -> str | None:
    """The field as text; blank counts as missing. Numbers are accepted as their digits."""
    value = data.get(field)
    if type(value) is str:
        value = value.strip()
        return value or None
    if value is None or isinstance(value, bool):
        return None if value is None else str(value)
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        return "\x00"  # forces a format error in the validator
    value = value.strip()
    return value or None


@dataclass(slots=True)  # not frozen: built per look-up (see shikaku.eligibility.service)
class NumberQuery:
    """A look-up by 保険者番号 + (記号) + 番号 + 枝番 + 生年月日, canonical. Read-only by
    convention."""

    insurer_number: str
    symbol: str | None
    number: str
    branch_no: str
    birth_date: date
    service_date: date
    document: DocumentKind | None
    certificate_valid_to: date | None = None  # from a verified QR


@dataclass(frozen=True, slots=True)
class CardQuery:
    """A look-up by the Myna card (the opaque key the national system maps to a person)."""

    card_key: str
    service_date: date


def _service_date(
    data: Mapping[str, Any], today: date, rules: EligibilityRules, errors: list[ValidationError]
) -> date:
    raw = _text(data, SERVICE_DATE)
    if raw is None:
        return today
    try:
        day = _date(raw)
    except ValidationError as err:
        errors.append(err)
        return today
    latest = today + timedelta(days=rules.max_days_ahead)
    if not rules.earliest_service_date <= day <= latest:
        errors.append(
            InvalidFormat(
                "service_date.range",
                field=SERVICE_DATE,
                message_ja=(
                    f"受診日は{rules.earliest_service_date.isoformat()}から"
                    f"{latest.isoformat()}までの日付を指定してください。"
                ),
                message_en=(
                    f"The service date must lie between {rules.earliest_service_date.isoformat()}"
                    f" and {latest.isoformat()}."
                ),
            )
        )
        return today
    return day


def parse_service_date(value: str | None, *, today: date, rules: EligibilityRules) -> date:
    """A service date on its own (blank = today); raises :class:`InvalidQuery`."""
    errors: list[ValidationError] = []
    day = _service_date({SERVICE_DATE: value}, today, rules, errors)
    if errors:
        raise InvalidQuery(errors)
    return day


_DOCUMENT_KINDS = {k.value: k for k in DocumentKind}  # a dict look-up, not Enum.__call__


def _document(data: Mapping[str, Any], errors: list[ValidationError]) -> DocumentKind | None:
    raw = _text(data, PRESENTED_DOCUMENT)
    if raw is None:
        return None
    kind = _DOCUMENT_KINDS.get(raw)
    if kind is None:
        errors.append(
            InvalidFormat(
                "presented_document.unknown",
                field=PRESENTED_DOCUMENT,
                message_ja=f"提示書類は {_KINDS} のいずれかです。",
                message_en=f"presented_document must be one of {_KINDS}.",
            )
        )
    return kind


def _check(errors: list[ValidationError], fn: Any, raw: str | None, field: str) -> Any:
    if raw is None:
        errors.append(_required(field))
        return None
    try:
        return fn(raw)
    except ValidationError as err:
        err.field = field  # the API's name for it (the domain says branch_no for 枝番)
        errors.append(err)
        return None


def _field(errors: list[ValidationError], fn: Any, value: Any, field: str) -> Any:
    """:func:`_check` of the field's text (the look-up's hot path: a query string gives
    text, which needs only its blanks trimmed, without :func:`_text`'s type dispatch)."""
    raw = (value.strip() or None) if type(value) is str else _text({field: value}, field)
    return _check(errors, fn, raw, field)


def parse_number_query(
    data: Mapping[str, Any], *, today: date, rules: EligibilityRules
) -> NumberQuery:
    """Validate a numbers look-up. ``branch_no`` is accepted as an alias of ``branch``."""
    errors: list[ValidationError] = []
    get = data.get
    insurer = _field(errors, _insurer_number, get(INSURER_NUMBER), INSURER_NUMBER)
    symbol_raw = _text(data, SYMBOL)
    symbol = None
    if symbol_raw is not None:
        symbol = _check(errors, _symbol, symbol_raw, SYMBOL)
    number = _field(errors, _number, get(NUMBER), NUMBER)
    branch = get(BRANCH)
    branch_no = _field(errors, _branch_no, get("branch_no") if branch is None else branch, BRANCH)
    service_date = today if get(SERVICE_DATE) is None else _service_date(data, today, rules, errors)
    birth = _field(errors, _birth, get(BIRTH_DATE), BIRTH_DATE)
    if birth is not None and birth > service_date:
        errors.append(InvalidDate("birth_date.future", field=BIRTH_DATE))
        birth = None
    document = _document(data, errors)
    if errors:
        raise InvalidQuery(errors)
    return NumberQuery(insurer, symbol, number, branch_no, birth, service_date, document)


def parse_card_query(data: Mapping[str, Any], *, today: date, rules: EligibilityRules) -> CardQuery:
    """Validate a Myna-card look-up."""
    errors: list[ValidationError] = []
    key = _text(data, CARD_KEY)
    if key is None:
        errors.append(_required(CARD_KEY))
    elif not _CARD_KEY_RE.match(key):
        errors.append(
            InvalidFormat(
                "card_key.format",
                field=CARD_KEY,
                message_ja="カード識別子は英数字・ハイフン・下線の64文字以内です。",
                message_en="The card key is 1-64 letters, digits, hyphens or underscores.",
            )
        )
    service_date = _service_date(data, today, rules, errors)
    if errors:
        raise InvalidQuery(errors)
    assert key is not None
    return CardQuery(key, service_date)


def parse_qr_query(
    data: Mapping[str, Any], *, today: date, rules: EligibilityRules, qr_key: bytes
) -> NumberQuery:
    """Validate a QR look-up: the certificate's own numbers, birth date and expiry."""
    errors: list[ValidationError] = []
    cert = _check(errors, lambda v: certificate_qr.decode(v, qr_key), _text(data, QR), QR)
    service_date = _service_date(data, today, rules, errors)
    if cert is not None and cert.birth_date > service_date:
        errors.append(InvalidFormat("birth_date.future", field=BIRTH_DATE))
    if errors:
        raise InvalidQuery(errors)
    return NumberQuery(
        cert.insurer_number,
        cert.symbol,
        cert.number,
        cert.branch_no,
        cert.birth_date,
        service_date,
        DocumentKind.CERTIFICATE,
        certificate_valid_to=cert.valid_to,
    )
