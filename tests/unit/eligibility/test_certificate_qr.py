"""QR payload of the 資格確認書: round trip, canonical fields, forgery refused."""

from __future__ import annotations

from datetime import date

import pytest

from shikaku.domain.errors import ValidationError
from shikaku.domain.ids.certificate_qr import PREFIX, CertificateQR, decode, derive_key, encode

KEY = derive_key(bytes(range(32)))
CERT = CertificateQR("01130012", "1234567", "0012", "1", date(1980, 5, 10), date(2029, 12, 1))
ALNUM = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")


def test_round_trip_is_canonical() -> None:
    text = encode(CERT, KEY)
    assert text.startswith(PREFIX + ":01130012:1234567:12:01:19800510:20291201:")
    assert set(text) <= ALNUM  # fits the QR alphanumeric mode
    assert decode(text, KEY) == CertificateQR(
        "01130012", "1234567", "12", "01", date(1980, 5, 10), date(2029, 12, 1)
    )


def test_scanner_noise_is_tolerated() -> None:
    text = encode(CERT, KEY)
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)
    assert decode(f"  {text.lower()}\r\n", KEY) == decode(fullwidth, KEY)


@pytest.mark.parametrize(
    ("mutate", "rule"),
    [
        (lambda t: t.replace(":19800510:", ":19800511:"), "qr.tag"),
        (lambda t: t.replace(":01:", ":02:"), "qr.tag"),
        (lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"), "qr.tag"),
        (lambda t: t.replace("SKK1", "SKK2"), "qr.version"),
        (lambda t: "hello", "qr.format"),
        (lambda t: t.rsplit(":", 1)[0], "qr.format"),
    ],
)
def test_tampering_is_refused(mutate, rule: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as err:
        decode(mutate(encode(CERT, KEY)), KEY)
    assert err.value.rule_id == rule
    assert err.value.message_ja and err.value.message_en


def test_other_key_is_refused() -> None:
    with pytest.raises(ValidationError) as err:
        decode(encode(CERT, KEY), derive_key(b"\x01" * 32))
    assert err.value.rule_id == "qr.tag"


def test_encode_validates_the_fields() -> None:
    with pytest.raises(ValidationError) as err:
        encode(
            CertificateQR("01130013", "1234567", "1", "0", date(1980, 1, 1), date(2029, 1, 1)), KEY
        )
    assert err.value.rule_id == "insurer_number.checksum"


def test_impossible_date_with_a_valid_tag() -> None:
    import base64
    import hashlib
    import hmac

    body = "SKK1:01130012:1234567:1:00:19800230:20291201"
    tag = base64.b32encode(hmac.new(KEY, body.encode(), hashlib.sha256).digest()[:10]).decode()
    with pytest.raises(ValidationError) as err:
        decode(f"{body}:{tag}", KEY)
    assert err.value.rule_id == "qr.date"
