"""FAQ search in several languages: unspaced scripts, typos, fallback, side-by-side Japanese."""

from __future__ import annotations

import pytest

from shikaku.desk.content import FaqBase
from shikaku.desk.search import FaqIndex, resolve_language


def top(index: FaqIndex, query: str, lang: str, n: int = 1) -> list[str]:
    return [h.entry_id for h in index.search(query, lang, limit=n)]


@pytest.mark.parametrize(
    ("query", "lang", "expected"),
    [
        ("資格確認書 届かない", "ja", "certificate-not-arrived"),
        ("資格確認書が届きません", "ja", "certificate-not-arrived"),
        ("資格確認書届かない", "ja", "certificate-not-arrived"),  # no space at all
        ("マイナ保険証の使い方", "ja", "how-to-use-at-clinic"),
        ("ﾏｲﾅ保険証 使い方", "ja", "how-to-use-at-clinic"),  # half-width katakana
        ("iPhone", "ja", "smartphone-iphone"),
        ("要配慮者", "ja", "vulnerable-application"),
        ("対象者一覧表", "ja", "employer-target-list"),
        ("资格确认书 没收到", "zh-Hans", "certificate-not-arrived"),
        ("资格确认书有效期", "zh-Hans", "certificate-validity"),
        ("資格確認書 遺失", "zh-Hant", "certificate-lost"),
        ("자격확인서가 안 왔어요", "ko", "certificate-not-arrived"),
        ("마이넘버 카드 분실", "ko", "myna-card-lost"),
        ("eligibilty certficate not arived", "en", "certificate-not-arrived"),  # three typos
        ("how long is the certifcate valid", "en", "certificate-validity"),
        ("dependents", "en", "dependants"),
        ("electronic certificate expired grace", "en", "e-cert-expiry"),
        ("tarjeta vencida", "es", "provisional-handling"),
        ("certificado no llego", "es", "certificate-not-arrived"),  # no accent
        ("chua nhan duoc giay xac nhan", "vi", "certificate-not-arrived"),  # no diacritics
        ("ยังไม่ได้รับ", "th", "certificate-not-arrived"),
        ("ทำบัตรมายนัมเบอร์หาย", "th", "myna-card-lost"),
        ("потерял карту My Number", "ru", "myna-card-lost"),
        ("My Number कार्ड खो गया", "hi", "myna-card-lost"),
        ("प्रमाणपत्र नहीं आया", "hi", "certificate-not-arrived"),
        ("sug'urta kartasi muddati o'tgan", "uz", "provisional-handling"),
    ],
)
def test_finds_the_right_entry(faq_index: FaqIndex, query: str, lang: str, expected: str) -> None:
    assert top(faq_index, query, lang, 3)[0] == expected, top(faq_index, query, lang, 3)


def test_hit_has_caller_language_and_japanese_side_by_side(faq_index: FaqIndex) -> None:
    result = faq_index.search("资格确认书 没收到", "zh-Hans")
    hit = result[0]
    assert hit.entry_in_lang is not None and hit.entry_in_lang.lang == "zh-Hans"
    assert hit.entry_ja.lang == "ja" and hit.entry_ja.question == "資格確認書が届きません。"
    assert hit.entry_in_lang.review_state == "machine-draft"
    assert result.lang == "zh-Hans" and not result.fell_back and result.notice is None


def test_placeholders_are_rendered_in_hits(faq_index: FaqIndex) -> None:
    for lang in ("ja", "en", "ko", "fr"):
        for h in faq_index.search("2025 12 1 保険証 card", lang, limit=10):
            for e in (h.entry_in_lang, h.entry_ja):
                if e is not None:
                    assert "{" not in e.question + e.answer, (lang, e.id)
    hit = faq_index.search("What changes", "en")[0]
    assert hit.entry_id == "what-changes-2025-12-02"
    assert hit.entry_in_lang is not None and "2 December 2025" in hit.entry_in_lang.question


def test_unknown_language_falls_back_to_japanese_with_notice(faq_index: FaqIndex) -> None:
    result = faq_index.search("資格確認書 届かない", "xx")
    assert result.fell_back and result.lang == "ja" and result.requested_lang == "xx"
    assert result.notice is not None and "xx" in result.notice
    assert result[0].entry_id == "certificate-not-arrived"
    # An English query still works after falling back (the ja index knows the English text).
    assert faq_index.search("lost my My Number card", "de")[0].entry_id in {
        "myna-card-lost",
        "certificate-lost",
        "legacy-card-lost",
    }


@pytest.mark.parametrize(
    ("code", "served"),
    [
        ("zh-TW", "zh-Hant"),
        ("zh-CN", "zh-Hans"),
        ("zh", "zh-Hans"),
        ("pt-BR", "pt"),
        ("EN-us", "en"),
        ("fil", "tl"),
        ("zh_Hant", "zh-Hant"),
        ("zh-Hant-TW", "zh-Hant"),
        ("zh-Hans-CN", "zh-Hans"),
        ("ja", "ja"),
        (None, "ja"),
    ],
)
def test_language_aliases(faq_base: FaqBase, code: str | None, served: str) -> None:
    lang, fell_back, notice = resolve_language(code, list(faq_base.languages))
    assert (lang, fell_back, notice) == (served, False, None)


def test_untranslated_entry_is_found_and_shown_in_japanese(faq_index: FaqIndex) -> None:
    # smartphone-iphone is not among the 15 translated into Vietnamese.
    hit = faq_index.search("iPhone", "vi")[0]
    assert hit.entry_id == "smartphone-iphone"
    assert hit.entry_in_lang is None
    assert "iPhone XS" in hit.entry_ja.answer


def test_operator_may_type_japanese_for_any_caller(faq_index: FaqIndex) -> None:
    hit = faq_index.search("資格確認書 紛失", "ne")[0]
    assert hit.entry_id == "certificate-lost"
    assert hit.entry_in_lang is not None and hit.entry_in_lang.lang == "ne"


def test_limit_empty_and_nonsense_queries(faq_index: FaqIndex) -> None:
    assert len(faq_index.search("資格確認書", "ja", limit=3)) == 3
    assert len(faq_index.search("", "ja")) == 0
    assert len(faq_index.search("   ", "en")) == 0
    assert len(faq_index.search("zzzzqqqq", "en")) == 0
    scores = [h.score for h in faq_index.search("資格確認書", "ja", limit=10)]
    assert scores == sorted(scores, reverse=True)
