"""Plain data the renderer takes in and gives back: no database, no clock, no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path


@dataclass(frozen=True)
class CertificateData:
    """The printed items of one 健康保険資格確認書 (shared/domain.md §1.2).

    ``sex`` is printed as given (``"男"`` / ``"女"``); ``qr_payload`` is encoded as it is.
    """

    name: str
    name_kana: str
    birth_date: date
    sex: str
    symbol: str  # 記号
    number: str  # 番号
    branch_no: str  # 枝番 (2 digits)
    insurer_number: str  # 保険者番号 (8 digits)
    insurer_name: str  # e.g. 全国健康保険協会 東京支部
    issue_date: date  # 交付年月日
    valid_to: date  # 有効期限
    qr_payload: str


@dataclass(frozen=True)
class SenderBlock:
    """The sender printed on the carrier letter (and as the return address in the window)."""

    org_name: str  # 全国健康保険協会
    branch_name: str  # 東京支部
    postal_code: str  # 160-8555 or 1608555
    address_lines: Sequence[str]
    phone: str
    phone_hours: str = ""  # e.g. 平日 8:30〜17:15
    department: str = ""  # e.g. 業務グループ
    website: str = ""


@dataclass(frozen=True)
class Envelope:
    """One mail piece: a carrier letter and the certificates of one household.

    ``barcode_symbols`` are the 21 symbols of
    :func:`shikaku.domain.ids.customer_barcode.symbols`; empty means no customer barcode
    (for example a representative postal code).
    """

    piece_id: str
    postal_code: str
    address_lines: Sequence[str]
    addressee_name: str
    addressee_kana: str
    barcode_symbols: Sequence[str]
    members: Sequence[CertificateData]
    sender: SenderBlock
    flyer: bool = True


@dataclass(frozen=True)
class LetterText:
    """The static wording of the carrier letter (drawn once per file as a Form XObject)."""

    title: str
    paragraphs: Sequence[str]
    closing: str = "敬具"
    enclosure_heading: str = "同封物"
    flyer_line: str = "チラシ「マイナ保険証を利用しましょう」"
    certificate_heading: str = "健康保険資格確認書（切り取ってお使いください）"


@dataclass(frozen=True)
class BatchResult:
    """What was written: the file, its page count, each piece's pages and the file's SHA-256."""

    path: Path
    pages: int
    page_ranges: list[tuple[str, int, int]] = field(default_factory=list)
    sha256: str = ""
