"""Content check over the real FAQ files, and proof that broken files are reported precisely."""

from __future__ import annotations

from pathlib import Path

import pytest

from shikaku.config import DEFAULT_LANGUAGES
from shikaku.desk.content import (
    PLACEHOLDERS,
    ContentError,
    FaqBase,
    check_content,
    load_content,
    placeholders_in,
    render_text,
    source_hash,
    stamp_source_hash,
)
from shikaku.desk.settings import format_date, placeholder_values

from .conftest import CONTENT_DIR

CORE = 15


# --- the real content -------------------------------------------------------------------


def test_real_content_has_no_problems() -> None:
    base = check_content(CONTENT_DIR, DEFAULT_LANGUAGES)  # raises ContentError with details
    assert set(base.languages) == set(DEFAULT_LANGUAGES)


def test_all_23_languages_present(faq_base: FaqBase) -> None:
    assert len(DEFAULT_LANGUAGES) == 23
    for lang in DEFAULT_LANGUAGES:
        assert lang in faq_base.languages, lang
        assert (CONTENT_DIR / f"{lang}.yaml").exists()


def test_ja_and_en_complete_with_at_least_40(faq_base: FaqBase) -> None:
    ja_ids = set(faq_base.source.entries)
    assert len(ja_ids) >= 40
    assert set(faq_base.languages["en"].entries) == ja_ids


@pytest.mark.parametrize("lang", [x for x in DEFAULT_LANGUAGES if x not in ("ja", "en")])
def test_other_languages_have_the_most_asked(faq_base: FaqBase, lang: str) -> None:
    entries = faq_base.languages[lang].entries
    assert len(entries) >= CORE
    assert set(faq_base.core_ids(CORE)) <= set(entries)


def test_every_translation_matches_its_ja_source(faq_base: FaqBase) -> None:
    ja = faq_base.source.entries
    for lang, lf in faq_base.languages.items():
        if lang == "ja":
            continue
        for e in lf.entries.values():
            assert e.source_hash == source_hash(ja[e.id].question, ja[e.id].answer), (lang, e.id)


def test_review_states_are_honest(faq_base: FaqBase) -> None:
    """Nothing here has been reviewed by a native speaker yet; the files must not say so."""
    for lang, lf in faq_base.languages.items():
        for e in lf.entries.values():
            assert e.review_state in ({"draft"} if lang == "ja" else {"machine-draft"}), (
                lang,
                e.id,
            )


def test_placeholders_are_known_and_balanced(faq_base: FaqBase) -> None:
    for lf in faq_base.languages.values():
        for e in lf.entries.values():
            for text in (e.question, e.answer):
                names, problems = placeholders_in(text)
                assert not problems, (lf.lang, e.id, problems)
                assert names <= set(PLACEHOLDERS), (lf.lang, e.id, names)


def test_topics_the_issue_asks_for_are_covered(faq_base: FaqBase) -> None:
    ids = set(faq_base.source.entries)
    for required in (
        "what-changes-2025-12-02",
        "how-to-use-at-clinic",
        "how-to-register",
        "what-is-certificate",
        "who-gets-certificate",
        "certificate-validity",
        "certificate-not-arrived",
        "certificate-lost",
        "certificate-at-employer",
        "dependants",
        "leaving-insurer",
        "what-is-notice",
        "provisional-handling",
        "e-cert-expiry",
        "certificate-renewal",
        "smartphone-iphone",
        "smartphone-android",
        "privacy-safety",
        "vulnerable-application",
        "employer-target-list",
        "employer-certificates-received",
    ):
        assert required in ids, required


def test_answers_carry_the_policy_facts(faq_base: FaqBase) -> None:
    """Spot-check facts from shared/domain.md in the rendered Japanese and English text."""
    ja = faq_base.source.entries
    vals = placeholder_values("ja")
    assert "2025年12月1日" in render_text(ja["what-changes-2025-12-02"].answer, vals)
    assert "2026年3月31日" in render_text(ja["provisional-handling"].answer, vals)
    assert "3か月" in render_text(ja["e-cert-expiry"].answer, vals)
    assert (
        "iPhone XS" in ja["smartphone-iphone"].answer and "18.5" in ja["smartphone-iphone"].answer
    )
    assert "4桁の暗証番号" in ja["smartphone-android"].answer
    assert "4〜5年" in ja["certificate-validity"].answer
    en = faq_base.languages["en"].entries
    assert "1 December 2025" in render_text(
        en["what-changes-2025-12-02"].answer, placeholder_values("en")
    )


# --- placeholders and dates -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "names", "n_problems"),
    [
        ("plain", set(), 0),
        ("{legacy_last_day}まで", {"legacy_last_day"}, 0),
        ("{{literal}} braces", set(), 0),
        ("{unclosed", set(), 1),
        ("closed}", set(), 1),
        ("{ spaced }", set(), 1),
        ("{Upper}", set(), 1),
        ("{}", set(), 1),
    ],
)
def test_placeholders_in(text: str, names: set[str], n_problems: int) -> None:
    got, problems = placeholders_in(text)
    assert got == names
    assert len(problems) == n_problems


def test_render_fills_known_and_keeps_literal_braces() -> None:
    assert render_text("{a} {{x}} {b}", {"a": "1"}) == "1 {x} {b}"


def test_format_date_per_language() -> None:
    from datetime import date

    d = date(2025, 12, 1)
    assert format_date(d, "ja") == "2025年12月1日"
    assert format_date(d, "zh-Hant") == "2025年12月1日"
    assert format_date(d, "ko") == "2025년 12월 1일"
    assert format_date(d, "en") == "1 December 2025"
    assert format_date(d, "vi") == "2025-12-01"


def test_placeholder_values_follow_policy() -> None:
    from dataclasses import replace
    from datetime import date

    from shikaku.config import Policy

    pol = replace(Policy(), provisional_last_day=date(2026, 6, 30), myna_grace_months=4)
    vals = placeholder_values("ja", pol)
    assert vals["provisional_last_day"] == "2026年6月30日"
    assert vals["legacy_unusable_from"] == "2025年12月2日"
    assert vals["grace_months"] == "4"
    assert vals["foreign_language_count"] == "22"
    assert set(vals) == set(PLACEHOLDERS)


# --- broken files are reported with file, id and field ------------------------------------


def _issues(content_dir: Path) -> list[str]:
    with pytest.raises(ContentError) as exc:
        check_content(content_dir, DEFAULT_LANGUAGES)
    return [str(i) for i in exc.value.issues]


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_unknown_placeholder_is_named(content_copy: Path) -> None:
    _replace(content_copy / "fr.yaml", "{call_center_phone}", "{call_centre_phone}")
    issues = _issues(content_copy)
    assert any(
        "fr.yaml" in s
        and "'certificate-not-arrived'" in s
        and "field 'answer'" in s
        and "unknown placeholder {call_centre_phone}" in s
        for s in issues
    ), issues


def test_unbalanced_brace_is_named(content_copy: Path) -> None:
    _replace(content_copy / "es.yaml", "({call_center_phone})", "({call_center_phone)")
    issues = _issues(content_copy)
    assert any(
        "es.yaml" in s
        and "'certificate-not-arrived'" in s
        and "field 'answer'" in s
        and "unbalanced brace" in s
        for s in issues
    ), issues


def test_placeholder_not_in_ja_source_is_named(content_copy: Path) -> None:
    _replace(
        content_copy / "pt.yaml",
        "Perdi o meu cartão My Number.",
        "Perdi o meu cartão My Number ({grace_months}).",
    )
    issues = _issues(content_copy)
    assert any(
        "pt.yaml" in s
        and "'myna-card-lost'" in s
        and "placeholder {grace_months} is not in the ja source" in s
        for s in issues
    )


def test_changed_ja_source_makes_translations_stale(content_copy: Path) -> None:
    _replace(
        content_copy / "ja.yaml",
        "資格確認書（正式名称「健康保険資格確認書」）は",
        "資格確認書（正式名称「健康保険資格確認書」）とは",
    )
    issues = _issues(content_copy)
    stale = [
        s
        for s in issues
        if "'what-is-certificate'" in s
        and "review.source_hash" in s
        and "Japanese source changed" in s
    ]
    assert len(stale) == 22  # every translation of that entry, and nothing else
    assert len(issues) == 22
    base = load_content(content_copy, DEFAULT_LANGUAGES)
    assert ("th", "what-is-certificate") in base.stale


def test_missing_field_and_missing_translation_are_named(content_copy: Path) -> None:
    _replace(content_copy / "ko.yaml", "    question: 자격확인서란 무엇인가요?\n", "")
    text = (content_copy / "en.yaml").read_text(encoding="utf-8")
    start = text.index("  - id: fraud-warning")
    end = text.index("  - id: privacy-consent")
    (content_copy / "en.yaml").write_text(text[:start] + text[end:], encoding="utf-8")
    issues = _issues(content_copy)
    assert any(
        s.startswith("ko.yaml: entry 'what-is-certificate' field 'question'") for s in issues
    ), issues
    assert any(
        s.startswith("en.yaml: entry 'fraud-warning'") and "missing translation" in s
        for s in issues
    ), issues


def test_invalid_yaml_names_file_and_line(content_copy: Path) -> None:
    _replace(content_copy / "vi.yaml", "    category: transition\n", "    category: [transition\n")
    issues = _issues(content_copy)
    assert any(
        s.startswith("vi.yaml:") and "not valid YAML" in s and "line" in s for s in issues
    ), issues


def test_unknown_field_and_bad_state(content_copy: Path) -> None:
    _replace(
        content_copy / "id.yaml",
        "review: {state: machine-draft,",
        "anwser: x\n    review: {state: native-reviewd,",
    )
    issues = _issues(content_copy)
    assert any("id.yaml: entry 'what-changes-2025-12-02' field 'anwser'" in s for s in issues)
    assert any("field 'review.state'" in s and "native-reviewd" in s for s in issues)


def test_missing_language_file(content_copy: Path) -> None:
    (content_copy / "uz.yaml").unlink()
    issues = _issues(content_copy)
    assert issues == ["uz.yaml: language file is missing"]


def test_stamp_source_hash_resolves_stale_entry(content_copy: Path) -> None:
    _replace(
        content_copy / "ja.yaml",
        "資格確認書（正式名称「健康保険資格確認書」）は",
        "資格確認書（正式名称「健康保険資格確認書」）とは",
    )
    base = load_content(content_copy, DEFAULT_LANGUAGES)
    ja = base.source.entries["what-is-certificate"]
    new = source_hash(ja.question, ja.answer)
    fr = content_copy / "fr.yaml"
    before = fr.read_text(encoding="utf-8")
    assert stamp_source_hash(fr, "what-is-certificate", new, state="reviewed")
    after = fr.read_text(encoding="utf-8")
    changed = [
        (a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b
    ]
    assert len(changed) == 1 and new in changed[0][1] and "reviewed" in changed[0][1]
    base2 = load_content(content_copy, DEFAULT_LANGUAGES)
    assert ("fr", "what-is-certificate") not in base2.stale
    assert base2.languages["fr"].entries["what-is-certificate"].review_state == "reviewed"
    assert not stamp_source_hash(fr, "no-such-id", new)
    with pytest.raises(ValueError):
        stamp_source_hash(fr, "what-is-certificate", new, state="approved-by-me")


def test_source_hash_ignores_line_endings_only() -> None:
    assert source_hash("問", "答え\n二行目") == source_hash("問", "答え\r\n二行目\n")
    assert source_hash("問", "答え") != source_hash("問", "答え。")
