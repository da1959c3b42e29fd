"""The branch staff page (Starlette TestClient): record a return, see what happens next, in
Japanese and English; branch scope; CSRF."""

from __future__ import annotations

import re

from sqlalchemy import insert
from starlette.applications import Starlette
from starlette.testclient import TestClient

from shikaku.mail import views
from shikaku.registry.tables import staff

from .support import Mailing


def _client(m: Mailing) -> TestClient:
    other = "01" if m.branch_code != "01" else "02"
    with m.app.engine.begin() as conn:
        conn.execute(
            insert(staff),
            [
                dict(login="tanaka", name="田中", role="branch-staff", branch_code=m.branch_code),
                dict(login="sato", name="佐藤", role="branch-staff", branch_code=other),
                dict(login="audit", name="監査", role="auditor", branch_code=None),
            ],
        )
    return TestClient(Starlette(routes=views.routes(m.app)))


def _post(client: TestClient, user: str, piece: str, reason: str, lang: str = "ja"):  # type: ignore[no-untyped-def]
    page = client.get(f"/mail/returns?lang={lang}", headers={"X-Remote-User": user})
    assert page.status_code == 200
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert token
    return client.post(
        f"/mail/returns?lang={lang}",
        data={"csrf": token.group(1), "piece": piece, "reason": reason, "returned_on": ""},
        headers={"X-Remote-User": user},
    )


def test_staff_page_records_and_explains(mailing: Mailing) -> None:
    m = mailing
    client = _client(m)
    p = m.pieces("posted")
    page = client.get("/mail/returns", headers={"X-Remote-User": "tanaka"})
    assert page.status_code == 200 and "返戻郵便の受付" in page.text
    assert "あて所に尋ねあたりません" in page.text and "Content-Security-Policy" in page.headers
    assert client.get("/mail/returns?lang=en", headers={"X-Remote-User": "tanaka"}).text.count(
        "Returned mail intake"
    )
    # record: the answer says what happens next
    res = _post(client, "tanaka", p[0], "addressee-unknown")
    assert res.status_code == 200
    assert "返戻を記録しました" in res.text and "事業所あてに再送します" in res.text
    # the same envelope again: already recorded, with the earlier return shown
    res = _post(client, "tanaka", p[0], "moved-no-forwarding", lang="en")
    assert "already recorded" in res.text and "Return on record" in res.text
    assert "Re-sent to the employer" in res.text
    # a refusal: held, with a task that shows in the branch's task list
    res = _post(client, "tanaka", p[1], "refused")
    assert "受取拒絶への対応" in res.text and p[1] in res.text
    # wrong check digit, never heard of
    bad = p[2][:-1] + str((int(p[2][-1]) + 1) % 10)
    assert "チェックデジット" in _post(client, "tanaka", bad, "refused").text
    # another branch's clerk cannot record it, nor see this branch's tasks
    res = _post(client, "sato", p[2], "refused")
    assert "他支部の郵便物です" in res.text and p[1] not in res.text
    # no login, unknown login, auditors: refused
    assert client.get("/mail/returns").status_code == 403
    assert client.get("/mail/returns", headers={"X-Remote-User": "nobody"}).status_code == 403
    assert client.get("/mail/returns", headers={"X-Remote-User": "audit"}).status_code == 403
    # a form without the page's token is refused
    forged = client.post(
        "/mail/returns",
        data={"csrf": "0" * 32, "piece": p[3], "reason": "refused"},
        headers={"X-Remote-User": "tanaka"},
    )
    assert forged.status_code == 403


def test_web_app_mounts_the_page_with_branch_scope(mailing: Mailing) -> None:
    """``shikaku serve`` serves the page; a clerk sees their own branch only."""
    from shikaku.eligibility.runtime import RuntimeOptions
    from shikaku.web.app import WebOptions, create_app

    _client(mailing)  # adds the staff rows
    web = create_app(
        mailing.app,
        options=WebOptions(access_log=None, runtime=RuntimeOptions(audit_interval=0.02)),
    )
    client = TestClient(web)  # no lifespan: the page needs no eligibility connections
    own = client.get("/mail/returns", headers={"X-Remote-User": "tanaka"})
    assert own.status_code == 200 and "返戻郵便の受付" in own.text
    assert client.get("/mail/returns").status_code == 403
    piece = mailing.pieces("posted")[0]
    res = _post(client, "sato", piece, "refused")
    assert "他支部の郵便物です" in res.text
