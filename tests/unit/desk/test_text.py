"""Tokeniser: n-grams for unspaced scripts, folded words for the rest."""

from __future__ import annotations

from shikaku.desk.text import normalize, tokenize


def test_japanese_bigrams_and_unigrams() -> None:
    t = tokenize("資格確認書")
    assert t.bigrams == ["資格", "格確", "確認", "認書"]
    assert t.unigrams == list("資格確認書")
    assert t.words == []


def test_katakana_half_width_and_hiragana_match() -> None:
    assert normalize("ﾏｲﾅ") == normalize("マイナ") == normalize("まいな")


def test_latin_words_are_folded() -> None:
    assert tokenize("Việt Nam — ÉLIGIBILITÉ, đăng ký").words == [
        "viet",
        "nam",
        "eligibilite",
        "dang",
        "ky",
    ]


def test_non_latin_words_keep_their_marks() -> None:
    assert tokenize("कार्ड खो गया").words == ["कार्ड", "खो", "गया"]
    assert tokenize("Потерял карту").words == ["потерял", "карту"]


def test_mixed_scripts_and_apostrophes() -> None:
    t = tokenize("My Number カード を sugʻurta sug'urta")
    assert t.words == ["my", "number", "sug", "urta", "sug", "urta"]
    assert "かー" in t.bigrams  # prolonged sound mark stays inside the kana run


def test_hangul_and_thai_are_segmented() -> None:
    assert "확인" in tokenize("자격확인서가").bigrams
    assert tokenize("ยังไม่ได้").words == []
    assert tokenize("ยังไม่ได้").bigrams
