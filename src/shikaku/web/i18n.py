"""Texts of the web pages in Japanese and English (the page picks with ``?lang=``)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

LANGUAGES = ("ja", "en")
DEFAULT_LANGUAGE = "ja"

_TEXTS: dict[str, dict[str, str]] = {
    "ja": {
        "title": "オンライン資格確認(受付)",
        "lead": "番号を入力するか、資格確認書のQRコードを読み取ってください。",
        "switch": "English",
        "api_key": "APIキー",
        "api_key_help": "医療機関のAPIキー(このタブを閉じると消去されます)",
        "save": "保存",
        "key_saved": "APIキー設定済み",
        "change_key": "変更",
        "tab_numbers": "番号で確認",
        "tab_qr": "QRコードで確認",
        "insurer_number": "保険者番号",
        "symbol": "記号",
        "optional": "任意",
        "number": "番号",
        "branch": "枝番",
        "birth_date": "生年月日",
        "service_date": "受診日",
        "presented_document": "提示された書類",
        "doc_none": "(指定なし)",
        "doc_myna_card": "マイナ保険証",
        "doc_certificate": "資格確認書",
        "doc_legacy_card": "健康保険証(従来)",
        "doc_notice": "資格情報のお知らせのみ",
        "qr": "QRコード",
        "qr_help": "スキャナで読み取るとそのまま照会します",
        "check": "照会する",
        "clear": "クリア",
        "result": "照会結果",
        "validity": "資格",
        "name": "氏名",
        "name_kana": "カナ氏名",
        "relationship": "本人・家族",
        "insurer": "保険者",
        "member_key": "記号・番号・枝番",
        "period": "資格の期間",
        "copay": "負担割合",
        "document": "提示書類",
        "acceptable": "受付可",
        "not_acceptable": "受付不可",
        "until": "まで",
        "error": "入力内容を確認してください",
        "network_error": "通信エラーが発生しました",
        "no_key": "先にAPIキーを設定してください",
        "request_id": "照会番号",
        "loss_reason": "喪失事由",
    },
    "en": {
        "title": "Online eligibility check (reception)",
        "lead": "Type the numbers, or scan the QR code on the eligibility certificate.",
        "switch": "日本語",
        "api_key": "API key",
        "api_key_help": "The clinic's API key (forgotten when this tab closes)",
        "save": "Save",
        "key_saved": "API key set",
        "change_key": "Change",
        "tab_numbers": "By numbers",
        "tab_qr": "By QR code",
        "insurer_number": "Insurer number",
        "symbol": "Symbol",
        "optional": "optional",
        "number": "Number",
        "branch": "Branch no.",
        "birth_date": "Date of birth",
        "service_date": "Date of service",
        "presented_document": "Document shown",
        "doc_none": "(not given)",
        "doc_myna_card": "My Number insurance card",
        "doc_certificate": "Eligibility certificate",
        "doc_legacy_card": "Health insurance card (old)",
        "doc_notice": "Notice of eligibility information only",
        "qr": "QR code",
        "qr_help": "A scan submits the check directly",
        "check": "Check",
        "clear": "Clear",
        "result": "Result",
        "validity": "Eligibility",
        "name": "Name",
        "name_kana": "Name (kana)",
        "relationship": "Insured / family",
        "insurer": "Insurer",
        "member_key": "Symbol · number · branch",
        "period": "Eligibility period",
        "copay": "Copayment",
        "document": "Document",
        "acceptable": "Accept",
        "not_acceptable": "Do not accept",
        "until": "until",
        "error": "Please check the input",
        "network_error": "Network error",
        "no_key": "Set the API key first",
        "request_id": "Request ID",
        "loss_reason": "Reason for loss",
    },
}

TEXTS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {lang: MappingProxyType(texts) for lang, texts in _TEXTS.items()}
)


def pick_language(requested: str | None, accept_language: str | None = None) -> str:
    """``?lang=`` wins; else the first supported language in Accept-Language; else ja."""
    if requested in LANGUAGES:
        return requested  # type: ignore[return-value]
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGUAGES:
            return tag
    return DEFAULT_LANGUAGE
