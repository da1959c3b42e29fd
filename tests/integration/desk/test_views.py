"""The operator page's routes through Starlette's test client, on SQLite and PostgreSQL: FAQ
JSON with the Japanese fallback, form errors by field, cross-site posts refused, CSV export."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.testclient import TestClient

from shikaku.bootstrap import App
from shikaku.clock import FixedClock
from shikaku.config import Settings
from shikaku.crypto import MyNumberCipher
from shikaku.desk import views

FORM = {
    "operator": "op-1",
    "channel": "phone",
    "language": "vi",
    "caller_type": "member",
    "category": "certificate",
    "outcome": "answered",
}


@pytest.fixture
def client(engine: Engine, cipher: MyNumberCipher) -> Iterator[TestClient]:
    app = App(Settings(), engine, FixedClock.on(date(2025, 8, 20)), cipher)
    with TestClient(Starlette(routes=views.routes(app))) as c:
        yield c


def test_faq_json_side_by_side_and_fallback(client: TestClient) -> None:
    r = client.get("/desk/faq", params={"q": "資格確認書 届かない", "lang": "vi"})
    body = r.json()
    assert r.status_code == 200 and body["lang"] == "vi" and not body["fell_back"]
    top = body["hits"][0]
    assert top["entry_id"] == "certificate-not-arrived" and top["category"] == "certificate"
    assert top["own"]["lang"] == "vi" and top["ja"]["question"] == "資格確認書が届きません。"
    fb = client.get("/desk/faq", params={"q": "lost certificate", "lang": "klingon"}).json()
    assert fb["lang"] == "ja" and fb["fell_back"] and "'klingon'" in fb["notice"]
    assert fb["hits"] and all(h["own"] is None for h in fb["hits"])


def test_record_redirects_and_shows_the_saved_row(client: TestClient) -> None:
    r = client.post("/desk/inquiries?lang=en", data=FORM, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/desk?lang=en&saved=1"
    assert "desk_operator=op-1" in r.headers["set-cookie"]
    page = client.get(r.headers["location"])
    assert 'id="saved"' in page.text and 'data-id="1"' in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")


def test_errors_come_back_by_field(client: TestClient) -> None:
    bad = dict(FORM, operator="", symbol="12", number="1", branch_no="0", outcome="callback")
    r = client.post("/desk/inquiries", data=bad)
    assert r.status_code == 422
    found = set(re.findall(r'<li data-field="([a-z_]+)" data-rule="([a-z_.]+)"', r.text))
    assert found == {
        ("operator", "inquiry.required"),
        ("symbol", "member.symbol.length"),
        ("follow_up", "inquiry.follow_up.required"),
        ("follow_up_due", "inquiry.follow_up_due.required"),
    }
    assert 'value="12"' in r.text  # what was typed stays in the form


@pytest.mark.parametrize(
    "headers",
    [{"sec-fetch-site": "cross-site"}, {"origin": "http://evil.example"}, {"origin": "null"}],
)
def test_cross_site_posts_are_refused(client: TestClient, headers: dict[str, str]) -> None:
    r = client.post("/desk/inquiries", data=FORM, headers=headers, follow_redirects=False)
    assert r.status_code == 403
    assert 'id="no-rows"' in client.get("/desk").text


def test_export_uses_the_filters(client: TestClient) -> None:
    client.post("/desk/inquiries", data=FORM)
    client.post("/desk/inquiries", data=dict(FORM, language="en", category="myna-card"))
    r = client.get("/desk/inquiries.csv", params={"flang": "en"})
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [(x["language"], x["category"]) for x in rows] == [("en", "myna-card")]
    everything = client.get("/desk/inquiries.csv").content.decode("utf-8-sig")
    assert [x["language"] for x in csv.DictReader(io.StringIO(everything))] == ["vi", "en"]
    listed = client.get("/desk", params={"fcategory": "certificate"}).text
    assert listed.count('<tr data-id="') == 1
