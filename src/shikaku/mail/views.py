"""The branch staff page for returned mail: type or scan a piece id (a barcode scanner types
it and presses Enter), pick the Japan Post reason, see what happens next; plus the branch's
open tasks. Japanese by default, English with ``?lang=en``.

Mount the routes in the web app::

    from shikaku.mail import views as mail_views
    routes = [..., *mail_views.routes(app)]

Who is acting comes from ``resolve_actor(request)``; the default trusts the login in the
``X-Remote-User`` header set by the authenticating reverse proxy (SSO) and looks it up in the
``staff`` table. Branch staff see and record only their own branch's pieces.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from shikaku.actors import Actor, Role
from shikaku.bootstrap import App
from shikaku.issuance.tables import mail_piece
from shikaku.mail.reasons import (
    ACTION_LABELS,
    DEFAULT_RULES,
    REASONS,
    TASK_LABELS,
    ReturnRules,
)
from shikaku.mail.returns import OUTCOME_MESSAGES, Outcome, RowResult
from shikaku.mail.service import do_record_return, open_tasks
from shikaku.mail.tables import return_event
from shikaku.registry.tables import branch, staff

TEMPLATES = Path(__file__).parent / "templates"
_env = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), auto_reload=False
)
USER_HEADER = "x-remote-user"
LANGUAGES = ("ja", "en")
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

TEXTS: dict[str, dict[str, str]] = {
    "ja": {
        "title": "返戻郵便の受付",
        "lead": "返送された封筒の管理番号（QRコード）を読み取るか入力し、"
        "還付事由を選んでください。",
        "switch": "English",
        "piece": "管理番号・追跡番号",
        "piece_help": "スキャナで読み取るとそのまま入力されます",
        "reason": "還付事由",
        "returned_on": "返戻日",
        "submit": "記録する",
        "result": "結果",
        "next": "次の対応",
        "task": "支部タスク",
        "earlier": "記録済みの返戻",
        "status": "現在の状態",
        "tasks": "未処理のタスク（古い順）",
        "today": "本日の返戻",
        "none": "未処理のタスクはありません",
        "branch": "支部",
        "forbidden": "この画面を使う権限がありません",
        "csrf": "画面の有効期限が切れました。もう一度お試しください",
    },
    "en": {
        "title": "Returned mail intake",
        "lead": "Scan or type the piece id (QR code) of the returned envelope and pick the "
        "reason on the Japan Post slip.",
        "switch": "日本語",
        "piece": "Piece id or tracking number",
        "piece_help": "A barcode scanner types it in",
        "reason": "Return reason",
        "returned_on": "Returned on",
        "submit": "Record",
        "result": "Result",
        "next": "What happens next",
        "task": "Branch task",
        "earlier": "Return on record",
        "status": "Current status",
        "tasks": "Open tasks (oldest first)",
        "today": "Returns today",
        "none": "No open tasks",
        "branch": "Branch",
        "forbidden": "You may not use this page",
        "csrf": "The page expired. Please try again",
    },
}

ActorResolver = Callable[[Request], Awaitable[Actor | None]]


@dataclass(frozen=True)
class Answer:
    """One row of the result panel."""

    ok: bool
    piece_id: str
    headline: str
    next_step: str
    task: str
    earlier: str
    status: str


def _lang(request: Request) -> str:
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return str(asked)
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGUAGES:
            return tag
    return "ja"


def staff_resolver(app: App) -> ActorResolver:
    """The acting staff member from the proxy's ``X-Remote-User`` header (None if unknown)."""

    def lookup(login: str) -> Actor | None:
        with app.engine.connect() as conn:
            row = conn.execute(
                select(staff.c.login, staff.c.role, staff.c.branch_code).where(
                    staff.c.login == login
                )
            ).first()
        if row is None:
            return None
        try:
            return Actor(row.login, Role(row.role), row.branch_code)
        except ValueError:
            return None

    async def resolve(request: Request) -> Actor | None:
        login = request.headers.get(USER_HEADER, "").strip()
        if not login:
            return None
        return await run_in_threadpool(lookup, login)

    return resolve


def _csrf(app: App, actor: Actor, today: date) -> str:
    key = hashlib.sha256(b"shikaku-mail-form" + app.cipher.master_key).digest()
    msg = f"{actor.login}|{today.isoformat()}".encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()[:32]


def _answers(app: App, rows: list[RowResult], lang: str) -> list[Answer]:
    i = 0 if lang == "ja" else 1
    out = []
    for r in rows:
        earlier = status = ""
        if r.outcome == Outcome.ALREADY_RETURNED and r.piece_id:
            with app.engine.connect() as conn:
                prev = conn.execute(
                    select(return_event.c.returned_on, return_event.c.reason, return_event.c.action)
                    .where(return_event.c.piece_id == r.piece_id)
                    .order_by(return_event.c.trip.desc())
                    .limit(1)
                ).first()
                status = str(
                    conn.execute(
                        select(mail_piece.c.status).where(mail_piece.c.id == r.piece_id)
                    ).scalar()
                    or ""
                )
            if prev is not None:
                reason = next(x for x in REASONS if x.code.value == prev.reason)
                action = next(a for a in ACTION_LABELS if a.value == prev.action)
                label = reason.label_ja if lang == "ja" else reason.label_en
                earlier = f"{prev.returned_on} {label} → {ACTION_LABELS[action][i]}"
        out.append(
            Answer(
                ok=r.outcome == Outcome.RECORDED,
                piece_id=r.piece_id or r.ref,
                headline=OUTCOME_MESSAGES[r.outcome][1 + i],
                next_step=ACTION_LABELS[r.action][i] if r.action else "",
                task=TASK_LABELS[r.task][i] if r.task else "",
                earlier=earlier,
                status=status,
            )
        )
    return out


def routes(
    app: App,
    *,
    resolve_actor: ActorResolver | None = None,
    rules: ReturnRules = DEFAULT_RULES,
    prefix: str = "/mail",
) -> list[BaseRoute]:
    """The page's routes (GET shows the form, POST records a return)."""
    template = _env.get_template("returns.html")
    resolver = resolve_actor or staff_resolver(app)

    def render(
        request: Request, actor: Actor, answers: list[Answer], *, status_code: int = 200
    ) -> Response:
        lang = _lang(request)
        today = app.clock.today()
        with app.engine.connect() as conn:
            tasks = open_tasks(conn, actor, limit=20)
            count = (
                select(func.count())
                .select_from(return_event)
                .where(return_event.c.returned_on == today)
            )
            if actor.branch_code is not None and not actor.can_access(None):
                count = count.where(return_event.c.branch_code == actor.branch_code)
            returns_today = conn.execute(count).scalar_one()
            branch_name = (
                conn.execute(
                    select(branch.c.name_ja if lang == "ja" else branch.c.name_en).where(
                        branch.c.code == actor.branch_code
                    )
                ).scalar()
                if actor.branch_code
                else None
            )
        labels = {r.code.value: r.label_ja if lang == "ja" else r.label_en for r in REASONS}
        html = template.render(
            lang=lang,
            other=next(x for x in LANGUAGES if x != lang),
            t=TEXTS[lang],
            action=f"{prefix}/returns?lang={lang}",
            actor=actor,
            branch_name=branch_name or actor.branch_code or "",
            reasons=[(r.code.value, r.label_ja if lang == "ja" else r.label_en) for r in REASONS],
            today=today.isoformat(),
            csrf=_csrf(app, actor, today),
            answers=answers,
            tasks=[
                (t, TASK_LABELS[t.kind][0 if lang == "ja" else 1], labels.get(t.reason, t.reason))
                for t in tasks
            ],
            returns_today=returns_today,
        )
        return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)

    def refuse(request: Request, status_code: int, key: str) -> Response:
        return HTMLResponse(
            f"<!doctype html><title>{status_code}</title><p>{TEXTS[_lang(request)][key]}</p>",
            status_code=status_code,
            headers=SECURITY_HEADERS,
        )

    async def page(request: Request) -> Response:
        actor = await resolver(request)
        if actor is None or actor.role == Role.AUDITOR:
            return refuse(request, 403, "forbidden")
        return await run_in_threadpool(render, request, actor, [])

    async def record(request: Request) -> Response:
        actor = await resolver(request)
        if actor is None or actor.role == Role.AUDITOR:
            return refuse(request, 403, "forbidden")
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8")).items()}
        if not hmac.compare_digest(form.get("csrf", ""), _csrf(app, actor, app.clock.today())):
            return refuse(request, 403, "csrf")

        def work() -> Response:
            with app.engine.begin() as conn:
                rows = do_record_return(
                    conn,
                    actor=actor,
                    at=app.clock.now(),
                    today=app.clock.today(),
                    ref=form.get("piece", ""),
                    reason=form.get("reason", ""),
                    returned_on=form.get("returned_on") or None,
                    source="web",
                    rules=rules,
                )
            answers = _answers(app, rows, _lang(request))
            return render(request, actor, answers, status_code=200)

        return await run_in_threadpool(work)

    return [
        Route(f"{prefix}/returns", page, methods=["GET"], name="mail-returns"),
        Route(f"{prefix}/returns", record, methods=["POST"], name="mail-returns-record"),
    ]
