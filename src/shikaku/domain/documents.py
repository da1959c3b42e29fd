"""Which document a member may show at a clinic on a given day.

Four kinds (:class:`DocumentKind`): the マイナ保険証 (My Number card registered for
insurance use, also on a smartphone), the 資格確認書 (eligibility certificate), the legacy
健康保険証, and the 資格情報のお知らせ (notice of eligibility information). The dates that
govern them are policy, held in :class:`TransitionDates` (defaults from domain.md §3, §7):

* legacy cards: usable until their printed expiry or 2025-12-01, whichever is earlier
  (経過措置 from 2024-12-02, when new issuance stopped);
* from 2025-12-02 through 2026-03-31 (暫定的な取扱い) an expired legacy card, or a 資格情報
  のお知らせ shown on its own, is accepted **only if the clinic confirms eligibility online
  from the numbers printed on it** (保険者番号, 記号・番号・枝番, date of birth), at the normal
  share; from 2026-04-01 neither is accepted;
* マイナ保険証: after the user-authentication certificate (利用者証明用電子証明書) expires,
  the card keeps working until the end of the 3rd month after the month of expiry.

:func:`assess_document` returns a :class:`DocumentAssessment` whose ``rule`` is a stable id
and whose messages are what a reception desk should be shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from shikaku.domain.dates import (
    add_months,
    first_of_month,
    format_date_en,
    format_date_ja,
    month_end,
)

__all__ = [
    "DEFAULT_TRANSITION_DATES",
    "DOCUMENT_RULES",
    "DocumentAssessment",
    "DocumentKind",
    "DocumentRule",
    "TransitionDates",
    "assess_document",
    "myna_usable_array",
    "myna_usable_on",
    "myna_usable_until",
    "usable_documents",
]

_ONE_DAY = timedelta(days=1)


class DocumentKind(StrEnum):
    """What the patient shows at reception."""

    MYNA_CARD = "myna_card"  # マイナ保険証 (card or smartphone)
    CERTIFICATE = "certificate"  # 資格確認書
    LEGACY_CARD = "legacy_card"  # 従来の健康保険証
    NOTICE = "notice"  # 資格情報のお知らせ


@dataclass(frozen=True, slots=True)
class TransitionDates:
    """Policy dates of the switch. Defaults from domain.md Part A §3 and §7."""

    legacy_card_last_day: date = date(2025, 12, 1)
    provisional_last_day: date = date(2026, 3, 31)
    myna_grace_months: int = 3
    #: First day without new legacy cards; from then on existing ones run under 経過措置.
    legacy_issue_stop: date = date(2024, 12, 2)

    @property
    def provisional_first_day(self) -> date:
        """First day of the provisional handling: the day after the legacy cut-off."""
        return self.legacy_card_last_day + _ONE_DAY


DEFAULT_TRANSITION_DATES = TransitionDates()


def myna_usable_until(ecert_expiry: date, grace_months: int = 3) -> date:
    """Last day a マイナ保険証 works after its e-certificate expires: the last day of the
    *grace_months*-th month after the month of expiry (31 Jan → 30 Apr; 15 Nov → 28/29 Feb)."""
    last_month = add_months(first_of_month(ecert_expiry), grace_months)
    return month_end(last_month.year, last_month.month)


def myna_usable_on(
    on: date, *, registered: bool, ecert_expiry: date | None, grace_months: int = 3
) -> bool:
    """True when a registered card works on *on* (an unknown expiry counts as valid)."""
    if not registered:
        return False
    if ecert_expiry is None:
        return True
    # on <= last day of (expiry month + grace) ⟺ month index of on <= that month's index;
    # integer month arithmetic is much cheaper than building the date in batch loops.
    return on.year * 12 + on.month <= ecert_expiry.year * 12 + ecert_expiry.month + grace_months


def myna_usable_array(
    on: date,
    registered: npt.ArrayLike,
    ecert_expiry: npt.NDArray[np.datetime64],
    *,
    grace_months: int = 3,
) -> npt.NDArray[np.bool_]:
    """Vectorised :func:`myna_usable_on`; NaT expiry counts as unknown (usable)."""
    expiry = np.asarray(ecert_expiry).astype("datetime64[D]")
    reg = np.broadcast_to(np.asarray(registered, dtype=bool), expiry.shape)
    # on <= end of (month(expiry) + grace) ⟺ expiry >= 1st of (month(on) − grace).
    earliest = np.datetime64(add_months(first_of_month(on), -grace_months), "D")
    return reg & (np.isnat(expiry) | (expiry >= earliest))


@dataclass(frozen=True, slots=True)
class DocumentRule:
    """A stable rule id, whether it means "accept", and the reception messages.

    Messages may contain ``{until}`` (a date) and ``{months}`` (the grace period).
    """

    rule: str
    acceptable: bool
    message_ja: str
    message_en: str


_NEXT_TIME_JA = "次回からはマイナ保険証か資格確認書を持参するよう案内してください。"
_NEXT_TIME_EN = (
    "Ask the patient to bring a My Number insurance card or an eligibility certificate next time."
)
_PROVISIONAL_JA = (
    "{until}までの暫定的な取扱いとして、記載された保険者番号・記号・番号・枝番と生年月日で"
    "オンライン資格確認ができた場合に限り、通常の負担割合で受け付けられます。"
)
_PROVISIONAL_EN = (
    "Under the provisional handling until {until}, it can be accepted at the normal copayment "
    "only if eligibility is confirmed online from the insurer number, symbol, number, branch "
    "number and date of birth printed on it."
)


def _rules(*rules: DocumentRule) -> MappingProxyType[str, DocumentRule]:
    return MappingProxyType({r.rule: r for r in rules})


#: Every rule :func:`assess_document` can return.
DOCUMENT_RULES = _rules(
    DocumentRule(
        "myna.valid",
        True,
        "マイナ保険証で受診できます。",
        "The My Number insurance card can be used.",
    ),
    DocumentRule(
        "myna.grace",
        True,
        "電子証明書の有効期限が切れていますが、{until}まではマイナ保険証として使えます。"
        "お住まいの市区町村で電子証明書を更新するよう案内してください。",
        "The card's electronic certificate has expired, but the card works as an insurance card "
        "until {until}. Ask the patient to renew the certificate at their municipal office.",
    ),
    DocumentRule(
        "myna.grace_over",
        False,
        "電子証明書の有効期限切れから{months}か月の猶予期間が{until}で終わったため、"
        "マイナ保険証として使えません。資格確認書(勤務先経由で送付)を提示してもらってください。",
        "The {months}-month grace period after the electronic certificate expired ended on "
        "{until}, so the card no longer works as an insurance card. Ask for the eligibility "
        "certificate (sent through the employer).",
    ),
    DocumentRule(
        "myna.not_registered",
        False,
        "マイナンバーカードが健康保険証として利用登録されていません。"
        "資格確認書を提示してもらうか、カードリーダーでの利用登録を案内してください。",
        "The My Number card is not registered for insurance use. Ask for the eligibility "
        "certificate, or offer registration at the card reader.",
    ),
    DocumentRule(
        "myna.registration_unknown",
        False,
        "健康保険証としての利用登録の状況が分かりません。オンライン資格確認で確認してください。",
        "Whether the card is registered for insurance use is not known. Check online.",
    ),
    DocumentRule(
        "certificate.valid",
        True,
        "資格確認書で受診できます(有効期限 {until})。",
        "The eligibility certificate can be used (valid until {until}).",
    ),
    DocumentRule(
        "certificate.expired",
        False,
        "資格確認書の有効期限({until})が切れています。"
        "マイナ保険証か新しい資格確認書を提示してもらってください。",
        "The eligibility certificate expired on {until}. Ask for a My Number insurance card "
        "or a new certificate.",
    ),
    DocumentRule(
        "certificate.none",
        False,
        "資格確認書は交付されていません。",
        "No eligibility certificate has been issued.",
    ),
    DocumentRule(
        "legacy_card.valid",
        True,
        "健康保険証で受診できます(有効期限 {until})。",
        "The health insurance card can be used (valid until {until}).",
    ),
    DocumentRule(
        "legacy_card.transitional",
        True,
        "従来の健康保険証は経過措置により{until}まで使えます。" + _NEXT_TIME_JA,
        "Under the transitional measure the old health insurance card can be used until "
        "{until}. " + _NEXT_TIME_EN,
    ),
    DocumentRule(
        "legacy_card.provisional",
        True,
        "有効期限切れの健康保険証です。" + _PROVISIONAL_JA + _NEXT_TIME_JA,
        "This health insurance card has expired. " + _PROVISIONAL_EN + " " + _NEXT_TIME_EN,
    ),
    DocumentRule(
        "legacy_card.expired",
        False,
        "健康保険証の有効期限({until})が切れています。"
        "マイナ保険証か資格確認書を提示してもらってください。",
        "The health insurance card expired on {until}. Ask for a My Number insurance card or "
        "an eligibility certificate.",
    ),
    DocumentRule(
        "legacy_card.not_accepted",
        False,
        "従来の健康保険証は使えません(暫定的な取扱いは{until}で終了しました)。"
        "マイナ保険証か資格確認書が必要です。",
        "Old health insurance cards are no longer accepted (the provisional handling ended on "
        "{until}). A My Number insurance card or an eligibility certificate is needed.",
    ),
    DocumentRule(
        "notice.provisional",
        True,
        "資格情報のお知らせのみの提示です。" + _PROVISIONAL_JA + _NEXT_TIME_JA,
        "Only the notice of eligibility information was shown. "
        + _PROVISIONAL_EN
        + " "
        + _NEXT_TIME_EN,
    ),
    DocumentRule(
        "notice.not_alone",
        False,
        "資格情報のお知らせだけでは受診できません。マイナンバーカードと一緒に提示してもらってください。",
        "The notice of eligibility information cannot be used on its own. It must be shown "
        "together with the My Number card.",
    ),
)


@dataclass(frozen=True, slots=True)
class DocumentAssessment:
    """The answer for one document on one day.

    ``usable_until`` is the last day the document is (or, for a refusal, was) usable under
    the rule, or ``None`` when no date applies or it is unknown.
    """

    acceptable: bool
    rule: str
    usable_until: date | None
    message_ja: str
    message_en: str
    kind: DocumentKind


def _answer(
    kind: DocumentKind, rule_id: str, until: date | None, dates: TransitionDates
) -> DocumentAssessment:
    r = DOCUMENT_RULES[rule_id]
    fields_ja = {"until": format_date_ja(until) if until else "", "months": dates.myna_grace_months}
    fields_en = {"until": format_date_en(until) if until else "", "months": dates.myna_grace_months}
    return DocumentAssessment(
        kind=kind,
        acceptable=r.acceptable,
        rule=r.rule,
        usable_until=until,
        message_ja=r.message_ja.format(**fields_ja),
        message_en=r.message_en.format(**fields_en),
    )


def _assess_myna(
    on: date, registered: bool | None, ecert_expiry: date | None, dates: TransitionDates
) -> tuple[str, date | None]:
    if registered is None:
        return "myna.registration_unknown", None
    if not registered:
        return "myna.not_registered", None
    if ecert_expiry is None:
        return "myna.valid", None
    until = myna_usable_until(ecert_expiry, dates.myna_grace_months)
    if on <= ecert_expiry:
        return "myna.valid", until
    return ("myna.grace" if on <= until else "myna.grace_over"), until


def _assess_legacy(
    on: date, printed_expiry: date | None, dates: TransitionDates
) -> tuple[str, date | None]:
    # 協会けんぽ cards usually print no expiry: then only the legal cut-off applies.
    last = dates.legacy_card_last_day
    if printed_expiry is not None:
        last = min(last, printed_expiry)
    if on <= last:
        return (
            "legacy_card.valid" if on < dates.legacy_issue_stop else "legacy_card.transitional"
        ), last
    if on < dates.provisional_first_day:
        return "legacy_card.expired", last
    if on <= dates.provisional_last_day:
        return "legacy_card.provisional", dates.provisional_last_day
    return "legacy_card.not_accepted", dates.provisional_last_day


def assess_document(
    kind: DocumentKind | str,
    on: date,
    *,
    dates: TransitionDates = DEFAULT_TRANSITION_DATES,
    myna_registered: bool | None = None,
    ecert_expiry: date | None = None,
    certificate_valid_to: date | None = None,
    legacy_card_valid_to: date | None = None,
) -> DocumentAssessment:
    """Whether *kind* is acceptable on *on*, under which rule, until when, and what to say.

    Only the arguments for *kind* are read: ``myna_registered``/``ecert_expiry`` for a
    マイナ保険証 (``None`` expiry = unknown, treated as valid), ``certificate_valid_to`` for a
    資格確認書 (``None`` = none issued), ``legacy_card_valid_to`` for a legacy card (``None``
    = no printed expiry, as on most 協会けんぽ cards).
    """
    kind = DocumentKind(kind)
    rule_id: str
    until: date | None
    if kind is DocumentKind.MYNA_CARD:
        rule_id, until = _assess_myna(on, myna_registered, ecert_expiry, dates)
    elif kind is DocumentKind.CERTIFICATE:
        if certificate_valid_to is None:
            rule_id, until = "certificate.none", None
        else:
            valid = on <= certificate_valid_to
            rule_id = "certificate.valid" if valid else "certificate.expired"
            until = certificate_valid_to
    elif kind is DocumentKind.LEGACY_CARD:
        rule_id, until = _assess_legacy(on, legacy_card_valid_to, dates)
    else:
        in_window = dates.provisional_first_day <= on <= dates.provisional_last_day
        rule_id = "notice.provisional" if in_window else "notice.not_alone"
        until = dates.provisional_last_day if in_window else None
    return _answer(kind, rule_id, until, dates)


def usable_documents(
    on: date,
    *,
    dates: TransitionDates = DEFAULT_TRANSITION_DATES,
    myna_registered: bool | None = None,
    ecert_expiry: date | None = None,
    certificate_valid_to: date | None = None,
    legacy_card_held: bool = False,
    legacy_card_valid_to: date | None = None,
    notice_held: bool = False,
) -> list[DocumentKind]:
    """The kinds the member holds that are acceptable on *on*, best first
    (マイナ保険証, 資格確認書, legacy card, notice). Provisional acceptance counts."""
    held = [DocumentKind.MYNA_CARD, DocumentKind.CERTIFICATE]
    if legacy_card_held:
        held.append(DocumentKind.LEGACY_CARD)
    if notice_held:
        held.append(DocumentKind.NOTICE)
    return [
        kind
        for kind in held
        if assess_document(
            kind,
            on,
            dates=dates,
            myna_registered=myna_registered,
            ecert_expiry=ecert_expiry,
            certificate_valid_to=certificate_valid_to,
            legacy_card_valid_to=legacy_card_valid_to,
        ).acceptable
    ]
