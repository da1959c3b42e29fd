"""The dictionary in front of Starlette's router changes speed, never the route chosen."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from shikaku.web.routing import StaticFirstRouter, static_routes


def _says(text: str):  # type: ignore[no-untyped-def]
    async def endpoint(request: Request) -> Response:
        route = request.scope["route"].name
        return PlainTextResponse(f"{text} {route} {dict(request.path_params)}")

    return endpoint


ROUTES = [
    Route("/items/{key}", _says("param"), name="param"),
    Route("/items/new", _says("static-shadowed"), name="shadowed"),
    Route("/about", _says("about-get"), methods=["GET"], name="about-get"),
    Route("/about", _says("about-post"), methods=["POST"], name="about-post"),
    Route("/late", _says("late"), name="late"),
    Mount("/files", routes=[Route("/x", _says("mounted"), name="mounted")]),
]


def _client() -> TestClient:
    app = Starlette(routes=ROUTES)
    app.router = StaticFirstRouter(ROUTES)
    return TestClient(app)


def test_only_unshadowed_routes_without_parameters_go_in_the_table() -> None:
    table = static_routes(ROUTES)
    assert sorted(table) == ["/about", "/late"]
    assert table["/about"].name == "about-get"  # the first of two routes with one path


def test_requests_reach_the_same_routes_as_with_the_ordered_scan() -> None:
    plain = Starlette(routes=ROUTES)
    with _client() as fast, TestClient(plain) as slow:
        for method, path in [
            ("GET", "/late"),
            ("GET", "/about"),
            ("POST", "/about"),  # the table's route takes GET only: the scan finds the POST
            ("GET", "/items/new"),  # shadowed by the earlier route with a parameter
            ("GET", "/items/42"),
            ("GET", "/files/x"),
            ("DELETE", "/late"),  # 405, as before
            ("GET", "/nowhere"),  # 404, as before
            ("GET", "/late/"),  # redirect to /late, as before
        ]:
            a = fast.request(method, path, follow_redirects=False)
            b = slow.request(method, path, follow_redirects=False)
            assert (a.status_code, a.text) == (b.status_code, b.text), (method, path)
        assert fast.get("/items/new").text == "param param {'key': 'new'}"
        assert fast.post("/about").text == "about-post about-post {}"


def test_the_served_app_uses_the_table(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from shikaku.bootstrap import build
    from shikaku.config import Settings
    from shikaku.web.app import create_app

    app = build(Settings(database_url=f"sqlite:///{tmp_path}/t.sqlite3", key_file=tmp_path / "k"))
    web = create_app(app)
    assert isinstance(web.router, StaticFirstRouter)
    assert "/hello" in static_routes(web.router.routes)
    assert "/api/v1/eligibility" in static_routes(web.router.routes)
