"""Code values of the online eligibility answer, defined once.

The numeric codes are the national code lists clinic software already knows (domain.md §4.4,
``OQSCD``); the string codes (document kinds, document rules, channels, scopes) are ours and
are stable: add, never rename. Every code has a Japanese and an English label so the JSON API,
the FHIR adapter, the batch CSV and the reception page say the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from types import MappingProxyType
from typing import Final

from shikaku.domain.documents import DocumentKind


@dataclass(frozen=True, slots=True)
class Label:
    ja: str
    en: str


class Validity(IntEnum):
    """OQSCD006 資格有効性 (QualificationValidity)."""

    VALID = 1
    INVALID = 2
    INVALID_NEWER_EXISTS = 3
    NO_MATCH = 4
    SEVERAL_MATCHES = 5
    VALID_UNREGISTERED = 6


VALIDITY_LABELS: Final[Mapping[int, Label]] = MappingProxyType(
    {
        Validity.VALID: Label("有効", "valid"),
        Validity.INVALID: Label("無効", "invalid"),
        Validity.INVALID_NEWER_EXISTS: Label(
            "無効(新しい資格あり)", "invalid (a newer eligibility exists)"
        ),
        Validity.NO_MATCH: Label("該当資格なし", "no matching eligibility"),
        Validity.SEVERAL_MATCHES: Label("複数該当", "several matches"),
        Validity.VALID_UNREGISTERED: Label("有効(未登録)", "valid (not yet registered nationally)"),
    }
)

#: Codes under which the patient is covered on the service date.
COVERED: Final = frozenset({Validity.VALID, Validity.VALID_UNREGISTERED})


class Relationship(IntEnum):
    """OQSCD009 本人・家族 (PersonalFamilyClassification)."""

    INSURED = 1
    FAMILY = 2


RELATIONSHIP_LABELS: Final[Mapping[int, Label]] = MappingProxyType(
    {
        Relationship.INSURED: Label("本人", "insured person"),
        Relationship.FAMILY: Label("家族", "family member"),
    }
)

#: OQSCD007 性別.
SEX_LABELS: Final[Mapping[int, Label]] = MappingProxyType(
    {1: Label("男", "male"), 2: Label("女", "female"), 3: Label("未設定", "not set")}
)

#: OQSCD008 資格喪失事由 (``99`` other).
LOSS_REASON_LABELS: Final[Mapping[str, Label]] = MappingProxyType(
    {
        "01": Label("死亡", "death"),
        "02": Label("生活保護開始", "start of public assistance"),
        "03": Label("他の医療保険に加入", "joined another medical insurance"),
        "99": Label("その他", "other"),
    }
)
#: Our own reason when the answer derives the end from the 75th birthday (後期高齢者へ移行).
LOSS_REASON_AGE_75: Final = "75"
AGE_75_LABEL: Final = Label(
    "75歳到達(後期高齢者医療へ移行)", "reached 75 (late-stage elderly scheme)"
)

#: Copayment reasons (values of shikaku.domain.copay.CopayReason).
COPAY_REASON_LABELS: Final[Mapping[str, Label]] = MappingProxyType(
    {
        "preschool": Label("義務教育就学前", "before compulsory schooling"),
        "working_age": Label("一般(70歳未満)", "under 70"),
        "elderly_general": Label("70〜74歳(一般)", "aged 70-74"),
        "elderly_high_income": Label(
            "70〜74歳(現役並み所得者)", "aged 70-74, working-level income"
        ),
    }
)


DOCUMENT_LABELS: Final[Mapping[str, Label]] = MappingProxyType(
    {
        DocumentKind.MYNA_CARD: Label("マイナ保険証", "My Number insurance card"),
        DocumentKind.CERTIFICATE: Label("資格確認書", "eligibility certificate"),
        DocumentKind.LEGACY_CARD: Label("健康保険証", "health insurance card"),
        DocumentKind.NOTICE: Label("資格情報のお知らせ", "notice of eligibility information"),
    }
)


class Channel(StrEnum):
    """How the query arrived (stored in the audit log)."""

    NUMBERS = "numbers"
    MYNA = "myna"
    QR = "qr"
    FHIR = "fhir"
    BATCH = "batch"


class Scope(StrEnum):
    """What a clinic client may call."""

    ELIGIBILITY = "eligibility"  # single look-ups: numbers, Myna card, QR
    BATCH = "batch"  # 一括照会
    FHIR = "fhir"


DEFAULT_SCOPES: Final = (Scope.ELIGIBILITY, Scope.BATCH, Scope.FHIR)
