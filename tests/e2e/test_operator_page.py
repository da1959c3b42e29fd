"""The operator page (問い合わせ記録) in headless Chromium (Debian's /usr/bin/chromium through
Playwright): FAQ hits in the caller's language beside Japanese, recording an inquiry, field
errors, the English switch and the CSV export."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from shikaku.bootstrap import App

pytestmark = pytest.mark.e2e
pytest.importorskip("playwright.sync_api")
TODAY = date(2025, 8, 20)


@pytest.fixture(scope="module")
def site(make_app: Callable[..., App], serve: Callable[[App], str]) -> str:
    return serve(make_app(TODAY, name="desk", name_en="JHIA"))


def test_faq_in_two_languages_then_record(page: Any, site: str) -> None:
    page.goto(site + "/desk")
    assert page.title() == "問い合わせ記録"
    page.select_option("#language", "vi")
    page.fill("#faq-q", "chưa nhận được giấy xác nhận")
    hit = page.wait_for_selector("#faq-results[data-lang=vi] .hit")
    assert hit.get_attribute("data-entry") == "certificate-not-arrived"
    own = hit.query_selector(".side.own")
    ja = hit.query_selector(".side.ja")
    assert own.get_attribute("data-lang") == "vi" and ja.get_attribute("data-lang") == "ja"
    assert "Tôi chưa nhận được" in own.inner_text()
    assert "資格確認書が届きません" in ja.inner_text()
    # Japanese typed for a Vietnamese caller finds the same entry, still side by side.
    page.fill("#faq-q", "資格確認書 届かない")
    hit = page.wait_for_selector('#faq-results[data-query="資格確認書 届かない"] .hit')
    assert hit.get_attribute("data-entry") == "certificate-not-arrived"
    assert hit.query_selector(".side.own[data-lang=vi]") is not None
    hit.query_selector("button.use").click()
    assert page.input_value("#faq_entry_id") == "certificate-not-arrived"
    assert page.input_value("#category") == "certificate"

    page.fill("#operator", "op-sato")
    page.fill("#symbol", "１２３４５６７")
    page.fill("#number", "1")
    page.fill("#branch_no", "00")
    page.check("#interpreter_used")
    page.fill("#note", "発送時期の確認")
    page.click("#submit")
    page.wait_for_selector("#saved")
    row = page.wait_for_selector("#inquiries tbody tr")
    text = row.inner_text()
    assert "certificate-not-arrived" in text and "1234567・1・00" in text
    assert "資格あり" in text and "op-sato" in text and "vi" in text
    assert page.input_value("#operator") == "op-sato"  # remembered for the next call
    assert page.input_value("#faq_entry_id") == ""  # a fresh form


def test_errors_are_shown_by_field(page: Any, site: str) -> None:
    page.goto(site + "/desk")
    page.fill("#operator", "op-sato")
    page.select_option("#outcome", "callback")
    page.fill("#symbol", "123")
    page.fill("#number", "1")
    page.fill("#branch_no", "0")
    page.fill("#note", "マイナンバーは 1234 5678 9018")
    page.click("#submit")
    page.wait_for_selector("#errors")
    rules = {
        li.get_attribute("data-field"): li.get_attribute("data-rule")
        for li in page.query_selector_all("#errors li")
    }
    assert rules == {
        "category": "inquiry.required",
        "symbol": "member.symbol.length",
        "note": "inquiry.my_number",
        "follow_up": "inquiry.follow_up.required",
        "follow_up_due": "inquiry.follow_up_due.required",
    }
    assert "記号は7桁または8桁" in page.inner_text(".field-error[data-field=symbol]")
    assert page.input_value("#symbol") == "123"  # what was typed stays
    assert page.input_value("#outcome") == "callback"


def test_english_fallback_notice_and_export(page: Any, site: str) -> None:
    page.goto(site + "/desk")
    page.click("#lang-switch")
    page.wait_for_load_state()
    assert page.title() == "Inquiry log"
    assert page.inner_text("#submit") == "Record"
    # A language code the desk does not serve falls back to Japanese with a notice.
    page.evaluate(
        "() => { const o = document.createElement('option'); o.value = 'xx'; o.text = 'xx';"
        " document.getElementById('language').appendChild(o); }"
    )
    page.select_option("#language", "xx")
    page.fill("#faq-q", "lost certificate")
    page.wait_for_selector('#faq-results[data-query="lost certificate"] .hit')
    assert "'xx'" in page.inner_text("#faq-notice")
    assert page.query_selector("#faq-results .hit .side.own") is None  # Japanese only
    page.fill("#operator", "op-ito")
    page.select_option("#category", "transition")
    page.click("#submit")
    page.wait_for_selector("#saved [data-notice=language-fallback]")
    assert "recorded as Japanese" in page.inner_text("#saved")
    page.fill("#filter-form input[name=text]", "op-ito")
    page.click("#filter-form button[type=submit]")
    page.wait_for_load_state()
    assert len(page.query_selector_all("#inquiries tbody tr")) == 1
    href = page.get_attribute("#export-link", "href")
    assert "text=op-ito" in href
    response = page.request.get(site + href)
    assert response.ok and response.headers["content-type"].startswith("text/csv")
    body = response.text()
    assert body.splitlines()[0].lstrip("\ufeff").startswith("id,at,operator,channel")
    assert len(body.strip().splitlines()) == 2 and ",xx," in body
