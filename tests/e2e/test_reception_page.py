"""The reception page in headless Chromium (Debian's /usr/bin/chromium through Playwright):
staff type the numbers or scan the certificate QR and read the result card, in Japanese and
English."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import Engine

from shikaku.actors import SYSTEM
from shikaku.bootstrap import App
from shikaku.clock import FixedClock
from shikaku.config import Settings
from shikaku.crypto import MyNumberCipher
from shikaku.db.engine import make_engine, upgrade
from shikaku.domain.ids.certificate_qr import CertificateQR, derive_key, encode
from shikaku.eligibility.clients import do_create_client
from shikaku.registry.service import (
    PersonIn,
    do_create_employer,
    do_enrol_member,
    do_seed_reference_data,
)
from shikaku.web.app import WebOptions, create_app

pytestmark = pytest.mark.e2e
playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = os.environ.get("SHIKAKU_CHROMIUM", "/usr/bin/chromium")
TODAY = date(2025, 12, 10)


@dataclass
class Site:
    url: str
    key: str
    qr: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _populate(engine: Engine, cipher: MyNumberCipher, at) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        do_seed_reference_data(
            conn,
            actor=SYSTEM,
            at=at,
            name_ja="全国健康保険協会",
            name_en="Japan Health Insurance Association",
        )
        emp = do_create_employer(
            conn,
            actor=SYSTEM,
            at=at,
            branch_code="13",
            symbol="1234567",
            name="合成商事",
            postal_code=None,
            address=None,
        )
        do_enrol_member(
            conn,
            actor=SYSTEM,
            at=at,
            cipher=cipher,
            employer_id=emp,
            person_in=PersonIn("山田", "太郎", "ヤマダ", "タロウ", 1, date(1980, 5, 10)),
            valid_from=date(2020, 4, 1),
        )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    tmp = tmp_path_factory.mktemp("reception")
    url = f"sqlite:///{tmp / 'db.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    cipher = MyNumberCipher(bytes(range(32)))
    clock = FixedClock.on(TODAY)
    _populate(engine, cipher, clock.now())
    with engine.begin() as conn:
        _, key = do_create_client(
            conn, at=clock.now(), institution_code="1312345678", name="受付テスト医院"
        )
    app = App(Settings(database_url=url), engine, clock, cipher)
    web = create_app(app, options=WebOptions(access_log=None))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(web, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    qr = encode(
        CertificateQR("01130012", "1234567", "1", "00", date(1980, 5, 10), date(2029, 12, 1)),
        derive_key(cipher.master_key),
    )
    yield Site(f"http://127.0.0.1:{port}", key, qr)
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


@pytest.fixture
def page(tmp_path: Path) -> Iterator[object]:
    with playwright_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            user_data_dir=str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            locale="ja-JP",
        )
        try:
            yield context.new_page()
        finally:
            context.close()


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
