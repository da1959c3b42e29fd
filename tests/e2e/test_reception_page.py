"""The reception page in headless Chromium (Debian's /usr/bin/chromium through Playwright):
staff type the numbers or scan the certificate QR and read the result card, in Japanese and
English."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest

from shikaku.bootstrap import App
from shikaku.domain.ids.certificate_qr import CertificateQR, derive_key, encode
from shikaku.eligibility.clients import do_create_client

pytestmark = pytest.mark.e2e
pytest.importorskip("playwright.sync_api")
TODAY = date(2025, 12, 10)


@dataclass
class Site:
    url: str
    key: str
    qr: str


@pytest.fixture(scope="module")
def site(make_app: Callable[..., App], serve: Callable[[App], str]) -> Site:
    app = make_app(TODAY, name="reception")
    with app.engine.begin() as conn:
        _, key = do_create_client(
            conn, at=app.clock.now(), institution_code="1312345678", name="受付テスト医院"
        )
    url = serve(app)
    qr = encode(
        CertificateQR("01130012", "1234567", "1", "00", date(1980, 5, 10), date(2029, 12, 1)),
        derive_key(app.cipher.master_key),
    )
    return Site(url, key, qr)


def _set_key(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    page.fill("#api-key", site.key)
    page.click("#key-form button[type=submit]")
    page.wait_for_selector("#key-status", state="visible")


def test_numbers_typed_at_reception(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    page.goto(site.url + "/reception")
    assert page.title() == "オンライン資格確認(受付)"
    _set_key(page, site)
    page.fill("#insurer_number", "０１１３００１２")  # full-width, as an IME types it
    page.fill("#number", "0001")
    page.fill("#branch", "0")
    page.fill("#birth_date", "昭和55年5月10日")
    page.select_option("#presented_document", "legacy_card")
    page.click("#check-numbers")
    card = page.wait_for_selector("#result.card.ok")
    assert page.get_attribute("#validity", "data-code") == "1"
    assert "有効" in page.inner_text("#validity")
    assert "山田\u3000太郎" in card.inner_text()
    assert "3割" in page.inner_text("[data-field=copay]")
    assert page.get_attribute("#document", "data-rule") == "legacy_card.provisional"
    assert "2026年3月31日" in page.inner_text("#document-message")


def test_qr_scan_and_errors_and_english(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    page.goto(site.url + "/reception")
    _set_key(page, site)
    page.click("#tab-qr")
    page.fill("#qr", site.qr)
    page.press("#qr", "Enter")  # a keyboard-wedge scanner ends with Enter
    page.wait_for_selector("#result.card.ok")
    assert page.get_attribute("#document", "data-rule") == "certificate.valid"
    assert "資格確認書" in page.inner_text("#document")
    assert page.input_value("#qr") == ""  # ready for the next scan

    page.click("#tab-numbers")
    page.fill("#insurer_number", "01130013")
    page.fill("#number", "1")
    page.fill("#branch", "0")
    page.fill("#birth_date", "1980-05-10")
    page.click("#check-numbers")
    page.wait_for_selector("#result.card.error")
    assert page.get_attribute("#errors li", "data-rule") == "insurer_number.checksum"
    assert "検証番号" in page.inner_text("#errors")

    page.click("#lang-switch")
    page.wait_for_load_state()
    assert page.title() == "Online eligibility check (reception)"
    assert page.is_visible("#key-status")  # the key stays for this tab
    page.fill("#insurer_number", "01130012")
    page.fill("#number", "1")
    page.fill("#branch", "00")
    page.fill("#birth_date", "1980-05-10")
    page.click("#check-numbers")
    page.wait_for_selector("#result.card.ok")
    assert "valid" in page.inner_text("#validity")
    assert "30%" in page.inner_text("[data-field=copay]")


def test_unknown_member_shows_a_red_card(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    page.goto(site.url + "/reception?lang=en")
    _set_key(page, site)
    page.fill("#insurer_number", "01130012")
    page.fill("#number", "42")
    page.fill("#branch", "00")
    page.fill("#birth_date", "1980-05-10")
    page.click("#check-numbers")
    page.wait_for_selector("#result.card.ng")
    assert page.get_attribute("#validity", "data-code") == "4"
    assert "no matching eligibility" in page.inner_text("#validity")
