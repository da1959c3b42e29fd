"""The reception (受付) page: front-desk staff type the numbers or scan the certificate QR and
see a result card. The page is static HTML + JS calling the JSON API with the clinic's key
(kept in sessionStorage), so it shows exactly what clinic software gets.
"""

from __future__ import annotations

from pathlib import Path

import orjson
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from shikaku.eligibility.runtime import EligibilityRuntime
from shikaku.web.i18n import LANGUAGES, TEXTS, pick_language

TEMPLATES = Path(__file__).parent / "templates"
_env = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), auto_reload=False
)
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def routes(rt: EligibilityRuntime) -> list[Route]:
    template = _env.get_template("reception.html")

    async def page(request: Request) -> HTMLResponse:
        lang = pick_language(
            request.query_params.get("lang"), request.headers.get("accept-language")
        )
        other = next(code for code in LANGUAGES if code != lang)
        html = template.render(
            lang=lang,
            other=other,
            t=TEXTS[lang],
            texts_json=orjson.dumps(dict(TEXTS[lang])).decode(),
            today=rt.today().isoformat(),
        )
        return HTMLResponse(
            html,
            headers={
                "Content-Security-Policy": CSP,
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
                "Cache-Control": "no-store",
            },
        )

    return [Route("/reception", page, methods=["GET"], name="reception")]
