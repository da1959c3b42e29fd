"""The operator page (問い合わせ記録): the inquiry form on one side, a live FAQ search in the
caller's language beside Japanese on the other, the recent inquiries below with a CSV export.

Japanese UI with an English switch (``?lang=en``), server-rendered; the form is a plain POST
(no JavaScript needed to record), the FAQ search calls ``GET /desk/faq`` from ``desk.js``.

Access: the web application has no staff sign-in yet, so these routes are **not
authenticated**; the operator names themself in the form (remembered in a cookie) and that name
is what the log and the audit row record. Serve them only on the call center's network until a
staff sign-in exists.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, urlencode, urlsplit

import orjson
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from shikaku.bootstrap import App
from shikaku.desk.content import SOURCE_LANG, FaqBase, load_content
from shikaku.desk.search import FaqIndex, RenderedEntry
from shikaku.desk.service import (
    DeskVocabulary,
    InquiryError,
    InquiryRow,
    desk_actor,
    do_record_inquiry,
    get_inquiry,
    iter_inquiries_csv,
    search_inquiries,
)
from shikaku.desk.settings import DeskSettings, load_desk_settings
from shikaku.desk.vocab import (
    CALLER_LABELS,
    CATEGORY_LABELS,
    CHANNEL_LABELS,
    OUTCOME_LABELS,
    label,
)
from shikaku.web.i18n import LANGUAGES as UI_LANGUAGES
from shikaku.web.i18n import pick_language

__all__ = ["TEXTS", "routes"]

HERE = Path(__file__).parent
_env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    auto_reload=False,
)
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    # same-origin (not no-referrer): with no-referrer Chromium sends "Origin: null" on posts.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
OPERATOR_COOKIE = "desk_operator"
RECENT = 50
EXPORT_MAX = 100_000
FAQ_LIMIT = 5
FORM_FIELDS = (
    "operator",
    "at",
    "channel",
    "language",
    "caller_type",
    "category",
    "faq_entry_id",
    "insurer_number",
    "symbol",
    "number",
    "branch_no",
    "outcome",
    "follow_up",
    "follow_up_due",
    "note",
)
FILTER_FIELDS = ("from", "to", "flang", "fcategory", "text")

TEXTS: Mapping[str, Mapping[str, str]] = {
    "ja": {
        "title": "問い合わせ記録",
        "switch": "English",
        "form": "問い合わせを記録",
        "operator": "担当者",
        "at": "受付日時",
        "at_help": "空欄なら現在時刻",
        "channel": "受付方法",
        "language": "相談者の言語",
        "caller_type": "相談者",
        "category": "分類",
        "faq_entry_id": "使用したFAQ",
        "member": "加入者(任意)",
        "insurer_number": "保険者番号",
        "symbol": "記号",
        "number": "番号",
        "branch_no": "枝番",
        "member_help": "個人番号(マイナンバー)は聞き取らない・記録しないでください",
        "interpreter_used": "通訳を利用",
        "outcome": "対応結果",
        "follow_up": "引継ぎ・折り返しの内容",
        "follow_up_due": "期日",
        "note": "メモ",
        "submit": "記録する",
        "errors": "入力内容を確認してください",
        "saved": "記録しました",
        "faq": "FAQ検索",
        "faq_query": "質問を入力(どの言語でも可)",
        "faq_help": "相談者の言語と日本語を並べて表示します",
        "faq_none": "該当するFAQがありません",
        "use": "この回答を使う",
        "not_translated": "未翻訳(日本語のみ)",
        "stale": "原文更新あり",
        "recent": "最近の問い合わせ",
        "from": "開始日",
        "to": "終了日",
        "text": "キーワード",
        "all": "(すべて)",
        "choose": "(選択してください)",
        "filter": "絞り込む",
        "export": "CSV出力",
        "no_rows": "該当する問い合わせはありません",
        "col_at": "日時",
        "col_member": "加入者",
        "col_due": "期日",
        "linked": "資格あり",
        "not_linked": "資格と紐付けなし",
        "fallback": "は未対応の言語コードのため、日本語として記録しました",
        "unauthenticated": "この画面にはまだ職員ログインがありません。"
        "コールセンター内のネットワークでのみ使用してください。",
    },
    "en": {
        "title": "Inquiry log",
        "switch": "日本語",
        "form": "Record an inquiry",
        "operator": "Operator",
        "at": "Time of contact",
        "at_help": "blank = now",
        "channel": "Channel",
        "language": "Caller's language",
        "caller_type": "Caller",
        "category": "Category",
        "faq_entry_id": "FAQ used",
        "member": "Member (optional)",
        "insurer_number": "Insurer number",
        "symbol": "Symbol",
        "number": "Number",
        "branch_no": "Branch no.",
        "member_help": "Never ask for or record a My Number",
        "interpreter_used": "Interpreter used",
        "outcome": "Outcome",
        "follow_up": "Follow-up",
        "follow_up_due": "Due",
        "note": "Note",
        "submit": "Record",
        "errors": "Please check the input",
        "saved": "Recorded",
        "faq": "FAQ search",
        "faq_query": "Type the question (any language)",
        "faq_help": "Shows the caller's language beside Japanese",
        "faq_none": "No matching FAQ entry",
        "use": "Use this answer",
        "not_translated": "not translated (Japanese only)",
        "stale": "source changed",
        "recent": "Recent inquiries",
        "from": "From",
        "to": "To",
        "text": "Keyword",
        "all": "(all)",
        "choose": "(choose)",
        "filter": "Filter",
        "export": "Export CSV",
        "no_rows": "No matching inquiry",
        "col_at": "Time",
        "col_member": "Member",
        "col_due": "Due",
        "linked": "linked",
        "not_linked": "not linked to a membership",
        "fallback": "is not a served language code: recorded as Japanese",
        "unauthenticated": "This page has no staff sign-in yet. Use it only on the call "
        "center's network.",
    },
}


class _HasApp(Protocol):
    @property
    def app(self) -> App: ...


@dataclass
class _Desk:
    """What the page needs, built lazily once per worker (the FAQ index takes ~0.3 s)."""

    app: App
    settings: DeskSettings
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _base: FaqBase | None = None
    _index: FaqIndex | None = None
    _vocab: DeskVocabulary | None = None

    def _load(self) -> None:
        with self._lock:
            if self._index is not None:
                return
            s = self.settings
            base = load_content(
                s.content_dir,
                s.languages,
                core_size=s.core_size,
                min_source_entries=s.min_source_entries,
                complete_langs=s.complete_languages,
            )
            self._vocab = DeskVocabulary.from_base(base, s.languages)
            self._index = FaqIndex(base, policy=self.app.settings.policy, desk=s)
            self._base = base

    @property
    def index(self) -> FaqIndex:
        if self._index is None:
            self._load()
        assert self._index is not None
        return self._index

    @property
    def vocab(self) -> DeskVocabulary:
        if self._vocab is None:
            self._load()
        assert self._vocab is not None
        return self._vocab

    def language_choices(self) -> list[tuple[str, str]]:
        self.index  # noqa: B018 - loads the content
        assert self._base is not None
        names = {code: lf.language_name for code, lf in self._base.languages.items()}
        return [(code, f"{names.get(code, code)} ({code})") for code in self.settings.languages]


def _entry_json(e: RenderedEntry | None) -> dict[str, Any] | None:
    if e is None:
        return None
    return {
        "lang": e.lang,
        "question": e.question,
        "answer": e.answer,
        "review_state": e.review_state,
        "stale": e.stale,
    }


def _same_origin(request: Request) -> bool:
    """Refuse cross-site form posts: browsers send ``Sec-Fetch-Site`` (and ``Origin``);
    a client that sends neither (curl, tests) is let through."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return origin != "null" and urlsplit(origin).netloc == request.headers.get("host", "")


def _row_view(r: InquiryRow, lang: str) -> dict[str, Any]:
    return {
        "id": r.id,
        "at": r.at.strftime("%Y-%m-%d %H:%M"),
        "operator": r.operator,
        "channel": label(CHANNEL_LABELS, r.channel, lang),
        "language": r.language,
        "interpreter": r.interpreter_used,
        "caller": label(CALLER_LABELS, r.caller_type, lang),
        "category": label(CATEGORY_LABELS, r.category, lang),
        "faq_entry_id": r.faq_entry_id or "",
        "member": r.member_key,
        "linked": r.membership_id is not None,
        "outcome": label(OUTCOME_LABELS, r.outcome, lang),
        "outcome_code": r.outcome,
        "follow_up": r.follow_up or "",
        "due": r.follow_up_due.isoformat() if r.follow_up_due else "",
    }


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _filters(params: Mapping[str, str]) -> dict[str, Any]:
    return {
        "from_": _day(params.get("from")),
        "to": _day(params.get("to")),
        "language": params.get("flang") or None,
        "category": params.get("fcategory") or None,
        "text": params.get("text") or None,
    }


def routes(source: App | _HasApp, *, desk: DeskSettings | None = None) -> list[BaseRoute]:
    """Routes of the operator page under ``/desk``. *source* is the :class:`App` or anything
    holding it as ``.app`` (the eligibility runtime the web app builds)."""
    app: App = source if isinstance(source, App) else source.app
    if desk is None:
        config = os.environ.get("SHIKAKU_CONFIG")
        desk = load_desk_settings(Path(config) if config else None, app.settings.policy)
    state = _Desk(app, desk)
    template = _env.get_template("desk.html")

    def render(
        request: Request,
        lang: str,
        *,
        values: Mapping[str, str] | None = None,
        problems: InquiryError | None = None,
        status: int = 200,
    ) -> HTMLResponse:
        params = request.query_params
        filters = {k: params.get(k, "") for k in FILTER_FIELDS}
        saved_id = params.get("saved", "")
        with app.engine.connect() as conn:
            rows = search_inquiries(conn, limit=RECENT, **_filters(params))
            saved = get_inquiry(conn, int(saved_id)) if saved_id.isdigit() else None
        form = {k: "" for k in FORM_FIELDS}
        form.update(channel="phone", language=SOURCE_LANG, caller_type="member", outcome="answered")
        form["operator"] = request.cookies.get(OPERATOR_COOKIE, "")
        if values:
            form.update({k: v for k, v in values.items() if k in form})
        interpreter = bool(values and values.get("interpreter_used"))
        errors: dict[str, list[str]] = {}
        for p in problems.problems if problems else ():
            errors.setdefault(p.field, []).append(p.message(lang))
        query = {k: v for k, v in filters.items() if v}
        html = template.render(
            lang=lang,
            other=next(code for code in UI_LANGUAGES if code != lang),
            t=TEXTS[lang],
            texts_json=orjson.dumps(dict(TEXTS[lang])).decode(),
            languages=state.language_choices(),
            channels=[(c, label(CHANNEL_LABELS, c, lang)) for c in CHANNEL_LABELS],
            callers=[(c, label(CALLER_LABELS, c, lang)) for c in CALLER_LABELS],
            outcomes=[(c, label(OUTCOME_LABELS, c, lang)) for c in OUTCOME_LABELS],
            categories=[(c, label(CATEGORY_LABELS, c, lang)) for c in CATEGORY_LABELS],
            form=form,
            interpreter=interpreter,
            errors=errors,
            problems=problems.problems if problems else (),
            saved=_row_view(saved, lang) if saved else None,
            saved_fallback=saved.requested_language if saved else None,
            saved_unlinked=bool(saved and saved.symbol and saved.membership_id is None),
            rows=[_row_view(r, lang) for r in rows],
            filters=filters,
            export_url="/desk/inquiries.csv" + ("?" + urlencode(query) if query else ""),
        )
        return HTMLResponse(html, status_code=status, headers=HEADERS)

    async def page(request: Request) -> Response:
        lang = pick_language(
            request.query_params.get("lang"), request.headers.get("accept-language")
        )
        return await run_in_threadpool(render, request, lang)

    async def faq(request: Request) -> Response:
        q = request.query_params.get("q", "").strip()[:500]
        lang = request.query_params.get("lang") or SOURCE_LANG
        limit = request.query_params.get("limit", "")
        n = min(int(limit), 20) if limit.isdigit() else FAQ_LIMIT
        result = await run_in_threadpool(state.index.search, q, lang, n)
        body = {
            "query": result.query,
            "requested_lang": result.requested_lang,
            "lang": result.lang,
            "fell_back": result.fell_back,
            "notice": result.notice,
            "hits": [
                {
                    "entry_id": h.entry_id,
                    "category": h.entry_ja.category,
                    "score": h.score,
                    "own": _entry_json(h.entry_in_lang) if result.lang != SOURCE_LANG else None,
                    "ja": _entry_json(h.entry_ja),
                }
                for h in result
            ],
        }
        return Response(
            orjson.dumps(body),
            media_type="application/json",
            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
        )

    def record(values: dict[str, str]) -> int:
        operator = values.get("operator", "")
        with app.engine.begin() as conn:
            rec = do_record_inquiry(
                conn,
                actor=desk_actor(operator),
                at=app.clock.now(),
                operator=operator,
                contacted_at=values.get("at") or None,
                channel=values.get("channel", ""),
                language=values.get("language") or None,
                caller_type=values.get("caller_type", ""),
                category=values.get("category", ""),
                outcome=values.get("outcome", ""),
                faq_entry_id=values.get("faq_entry_id") or None,
                insurer_number=values.get("insurer_number") or None,
                symbol=values.get("symbol") or None,
                number=values.get("number") or None,
                branch_no=values.get("branch_no") or None,
                interpreter_used=bool(values.get("interpreter_used")),
                follow_up=values.get("follow_up") or None,
                follow_up_due=values.get("follow_up_due") or None,
                note=values.get("note") or None,
                vocabulary=state.vocab,
            )
        return rec.id

    async def submit(request: Request) -> Response:
        lang = pick_language(request.query_params.get("lang"), None)
        if not _same_origin(request):
            return Response("cross-site form post refused", status_code=403)
        raw = (await request.body()).decode("utf-8", errors="replace")
        values = {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        try:
            new_id = await run_in_threadpool(record, values)
        except InquiryError as exc:
            return await run_in_threadpool(
                render, request, lang, values=values, problems=exc, status=422
            )
        response = RedirectResponse(f"/desk?lang={lang}&saved={new_id}", status_code=303)
        response.set_cookie(
            OPERATOR_COOKIE,
            values.get("operator", "").strip()[:60],
            max_age=12 * 3600,
            httponly=True,
            samesite="strict",
        )
        return response

    async def export(request: Request) -> Response:
        def rows() -> list[InquiryRow]:
            with app.engine.connect() as conn:
                found = search_inquiries(conn, limit=EXPORT_MAX, **_filters(request.query_params))
            return found[::-1]  # oldest first

        data = await run_in_threadpool(rows)
        body = "".join(iter_inquiries_csv(data)).encode("utf-8")
        stamp = app.clock.today().isoformat()
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="inquiries-{stamp}.csv"',
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    return [
        Route("/desk", page, methods=["GET"], name="desk"),
        Route("/desk/faq", faq, methods=["GET"], name="desk-faq"),
        Route("/desk/inquiries", submit, methods=["POST"], name="desk-record"),
        Route("/desk/inquiries.csv", export, methods=["GET"], name="desk-export"),
        Mount("/desk/assets", app=StaticFiles(directory=HERE / "static"), name="desk-assets"),
    ]
