"""The QR code printed on the 資格確認書 (eligibility certificate): pure encode and decode.

Payload, version 1 — compact text that fits the QR *alphanumeric* mode (digits, upper-case
letters and ``:`` only), so a version-3 symbol at level M holds it::

    SKK1:01130012:1234567:12:01:19800510:20301201:MFRGGZDFMZTWQ2LK
    │    │        │       │  │  │        │        └ tag: HMAC-SHA256 over everything before
    │    │        │       │  │  │        │          the last ':' truncated to 80 bits, base32
    │    │        │       │  │  │        └ 有効期限 (last valid day), YYYYMMDD
    │    │        │       │  │  └ 生年月日, YYYYMMDD
    │    │        │       │  └ 枝番, 2 digits
    │    │        │       └ 番号, no leading zeros
    │    │        └ 記号, 7–8 digits
    │    └ 保険者番号, 8 digits with a valid check digit
    └ format and version

The tag makes a forged or edited QR fail (:class:`~shikaku.domain.errors.InvalidChecksum`,
rule ``qr.tag``): only the insurer holds the key. The key is a parameter (the issuance renderer
and the eligibility API get it from the composition root); :func:`derive_key` derives it from
the installation's master key so both sides agree without another secret to distribute.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import date

from shikaku.domain.errors import InvalidChecksum, InvalidDate, InvalidFormat, ValidationError
from shikaku.domain.ids import insurer_number as _insurer_number
from shikaku.domain.ids.member import validate_branch_no, validate_number, validate_symbol
from shikaku.domain.normalize import to_halfwidth

__all__ = ["PREFIX", "CertificateQR", "decode", "derive_key", "encode"]

PREFIX = "SKK1"
SEPARATOR = ":"
TAG_BYTES = 10  # 80 bits: forging needs ~2^80 tries against a key nobody outside holds
FIELD = "qr"
_KEY_INFO = b"shikaku certificate-qr v1"

_MESSAGES = {
    "qr.format": (
        "QRコードの内容を読み取れません。資格確認書のQRコードを読み取ってください。",
        "The QR code content is not recognised. Scan the QR code on the eligibility certificate.",
    ),
    "qr.version": (
        "対応していない形式のQRコードです。",
        "This QR code format version is not supported.",
    ),
    "qr.tag": (
        "QRコードの検証に失敗しました(改ざんまたは他の保険者のQRコードの可能性)。"
        "番号を手入力して確認してください。",
        "The QR code failed verification (altered, or issued by another insurer). "
        "Type the numbers in instead.",
    ),
    "qr.date": (
        "QRコードの日付が正しくありません。",
        "A date in the QR code is not valid.",
    ),
}


def _error(cls: type[ValidationError], rule: str) -> ValidationError:
    ja, en = _MESSAGES[rule]
    return cls(rule, field=FIELD, value=None, message_ja=ja, message_en=en)


@dataclass(frozen=True, slots=True)
class CertificateQR:
    """What the QR carries. :func:`decode` returns canonical, validated values."""

    insurer_number: str
    symbol: str
    number: str
    branch_no: str
    birth_date: date
    valid_to: date


def derive_key(master_key: bytes) -> bytes:
    """The QR signing key for an installation, derived from its 32-byte master key."""
    return hmac.new(master_key, _KEY_INFO, hashlib.sha256).digest()


def _tag(body: str, key: bytes) -> str:
    mac = hmac.new(key, body.encode("ascii"), hashlib.sha256).digest()[:TAG_BYTES]
    return base64.b32encode(mac).decode("ascii")  # 10 bytes → 16 chars, no padding


def encode(cert: CertificateQR, key: bytes) -> str:
    """The QR text for *cert* (fields are validated and canonicalised first)."""
    body = SEPARATOR.join(
        (
            PREFIX,
            _insurer_number.validate(cert.insurer_number),
            validate_symbol(cert.symbol),
            validate_number(cert.number),
            validate_branch_no(cert.branch_no),
            cert.birth_date.strftime("%Y%m%d"),
            cert.valid_to.strftime("%Y%m%d"),
        )
    )
    return body + SEPARATOR + _tag(body, key)


def _date(text: str) -> date:
    if len(text) != 8 or not text.isdigit():
        raise _error(InvalidDate, "qr.date")
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise _error(InvalidDate, "qr.date") from None


def decode(text: str, key: bytes) -> CertificateQR:
    """Parse and verify QR text (as a scanner types it: surrounding blanks, full-width or
    lower-case characters are tolerated). Raises ``qr.format``, ``qr.version``, ``qr.tag``,
    ``qr.date`` or the member-number rules."""
    if not isinstance(text, str):
        raise _error(InvalidFormat, "qr.format")
    cleaned = to_halfwidth(text).strip().upper()
    parts = cleaned.split(SEPARATOR)
    if not parts[0].startswith("SKK"):
        raise _error(InvalidFormat, "qr.format")
    if parts[0] != PREFIX:
        raise _error(InvalidFormat, "qr.version")
    if len(parts) != 8:
        raise _error(InvalidFormat, "qr.format")
    body = SEPARATOR.join(parts[:7])
    if not hmac.compare_digest(_tag(body, key), parts[7]):
        raise _error(InvalidChecksum, "qr.tag")
    _, insurer, symbol, number, branch_no, birth, valid_to = parts[:7]
    return CertificateQR(
        insurer_number=_insurer_number.validate(insurer),
        symbol=validate_symbol(symbol),
        number=validate_number(number),
        branch_no=validate_branch_no(branch_no),
        birth_date=_date(birth),
        valid_to=_date(valid_to),
    )
