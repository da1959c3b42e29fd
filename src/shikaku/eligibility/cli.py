"""``shikaku serve``, ``shikaku clients add|list|revoke``, ``shikaku audit verify|head|replay``."""

from __future__ import annotations

import importlib.util
import os
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from shikaku.bootstrap import DEFAULT_KEY_FILE, build
from shikaku.config import load_settings
from shikaku.eligibility import audit as audit_log
from shikaku.eligibility import clients as client_service
from shikaku.eligibility.codes import DEFAULT_SCOPES, Scope

console = Console()
err_console = Console(stderr=True)

clients_app = typer.Typer(no_args_is_help=True)
audit_app = typer.Typer(no_args_is_help=True)


@clients_app.command("add")
def clients_add(
    ctx: typer.Context,
    institution_code: Annotated[
        str, typer.Option("--institution-code", "-c", help="医療機関コード (10 digits)")
    ],
    name: Annotated[str, typer.Option("--name", "-n", help="clinic name")],
    scope: Annotated[
        list[Scope] | None,
        typer.Option("--scope", "-s", help="repeatable; default: eligibility, batch, fhir"),
    ] = None,
    rate: Annotated[int, typer.Option(help="requests per second (average)")] = 20,
    burst: Annotated[int, typer.Option(help="burst size")] = 40,
) -> None:
    """医療機関クライアントを登録しAPIキーを一度だけ表示 / Create a clinic client, print its key.

    The key is printed once, on stdout (the rest goes to stderr), and only its hash is kept.
    """
    app_ = ctx.obj.build_app()
    scopes = tuple(str(s) for s in (scope or DEFAULT_SCOPES))
    try:
        with app_.engine.begin() as conn:
            client, key = client_service.do_create_client(
                conn,
                at=app_.clock.now(),
                institution_code=institution_code,
                name=name,
                scopes=scopes,
                rate_per_second=rate,
                burst=burst,
            )
    except (ValueError, client_service.InvalidFormat) as err:
        err_console.print(f"[red]{err}[/red]")
        raise typer.Exit(2) from err
    err_console.print(
        f"client {client.id} {client.institution_code} {client.name} "
        f"scopes={' '.join(sorted(client.scopes))} rate={client.rate_per_second}/s "
        f"burst={client.burst}\n"
        "APIキー(再表示できません) / API key (shown only now):"
    )
    typer.echo(key)


@clients_app.command("list")
def clients_list(ctx: typer.Context) -> None:
    """登録済みクライアント / List clients (keys are never shown, only their first characters)."""
    app_ = ctx.obj.build_app()
    with app_.engine.connect() as conn:
        rows = client_service.get_all(conn)
    table = Table(title="eligibility clients / 照会クライアント")
    for header in ("id", "医療機関コード", "name", "key", "scopes", "rate", "burst", "revoked"):
        table.add_column(header, overflow="fold")
    for c in rows:
        table.add_row(
            str(c.id),
            c.institution_code,
            c.name,
            c.key_prefix + "…",
            " ".join(sorted(c.scopes)),
            str(c.rate_per_second),
            str(c.burst),
            c.revoked_at.isoformat() if c.revoked_at else "",
        )
    console.print(table)


@clients_app.command("revoke")
def clients_revoke(ctx: typer.Context, client_id: int) -> None:
    """APIキーを失効 / Revoke a client's key (effective within the key cache TTL, 30 s)."""
    app_ = ctx.obj.build_app()
    with app_.engine.begin() as conn:
        done = client_service.do_revoke_client(conn, at=app_.clock.now(), client_id=client_id)
    if not done:
        err_console.print(f"[red]client {client_id}: unknown or already revoked[/red]")
        raise typer.Exit(1)
    console.print(f"client {client_id} revoked / 失効しました")


def _parse_anchor(value: str | None) -> tuple[int, str] | None:
    if not value:
        return None
    seq, _, digest = value.partition(":")
    if not seq.isdigit() or len(digest) != 64:
        raise typer.BadParameter("anchor must be SEQ:SHA256HEX (from `shikaku audit head`)")
    return int(seq), digest.lower()


@audit_app.command("verify")
def audit_verify(
    ctx: typer.Context,
    anchor: Annotated[
        str | None,
        typer.Option(help="SEQ:HASH recorded earlier (detects a truncated tail)"),
    ] = None,
) -> None:
    """監査ログのハッシュチェーンを検証 / Verify the audit chain; exit 1 if anything is off."""
    expected = _parse_anchor(anchor)
    app_ = ctx.obj.build_app()
    with app_.engine.connect() as conn:
        report = audit_log.verify_chain(conn, anchor=expected)
    if report.ok:
        console.print(
            f"OK: {report.rows:,} rows, chain intact / チェーンは正常です "
            f"(head {report.head_seq}:{report.head_hash})"
        )
        return
    for p in report.problems:
        console.print(f"[red]seq {p.seq}: {p.kind}: {p.detail}[/red]")
    console.print(
        f"[red]FAILED: {len(report.problems)} problem(s) in {report.rows:,} rows / "
        "改ざんまたは削除を検出しました[/red]"
    )
    raise typer.Exit(1)


@audit_app.command("head")
def audit_head(ctx: typer.Context) -> None:
    """チェーンの先頭 SEQ:HASH を表示(外部に記録) / Print the head as SEQ:HASH to keep elsewhere."""
    app_ = ctx.obj.build_app()
    with app_.engine.connect() as conn:
        seq, digest = audit_log.head(conn)
    typer.echo(f"{seq}:{digest}")


@audit_app.command("replay")
def audit_replay(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
) -> None:
    """退避ファイルを監査ログへ追記 / Append the rows of a spill file to the chain."""
    app_ = ctx.obj.build_app()
    records = audit_log.read_spill(file)
    sink = audit_log.sink_factory(app_.settings.database_url)()
    try:
        for start in range(0, len(records), audit_log.DEFAULT_MAX_BATCH):
            sink.append(records[start : start + audit_log.DEFAULT_MAX_BATCH])
    finally:
        sink.close()
    done = file.with_suffix(file.suffix + ".replayed")
    file.rename(done)
    console.print(f"{len(records):,} rows appended; {file.name} → {done.name}")


def _have(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(help="worker processes")] = 1,
    database_url: Annotated[
        str | None, typer.Option("--database-url", help="overrides the global option")
    ] = None,
    redis_url: Annotated[
        str | None, typer.Option("--redis-url", help="rate limits shared across workers")
    ] = None,
    access_log: Annotated[
        str, typer.Option("--access-log", help="'-' (stderr), 'off', or a file path")
    ] = "-",
    log_level: Annotated[str, typer.Option(help="uvicorn log level")] = "warning",
) -> None:
    """オンライン資格確認APIとWeb画面を起動 / Serve the eligibility API, FHIR facade and pages."""
    import uvicorn

    obj = ctx.obj
    settings = load_settings(obj.config, database_url=database_url or obj.database_url)
    if obj.key_file is not None:
        settings = replace(settings, key_file=obj.key_file)
    if redis_url:
        settings = replace(settings, redis_url=redis_url)
    app_ = build(settings)  # migrates once, creates the key file if missing
    app_.engine.dispose()
    env = os.environ
    env["SHIKAKU_DATABASE_URL"] = settings.database_url
    if not settings.key_hex:
        env["SHIKAKU_KEY_FILE"] = str((settings.key_file or DEFAULT_KEY_FILE).resolve())
    if obj.config is not None:
        env["SHIKAKU_CONFIG"] = str(Path(obj.config).resolve())
    if settings.redis_url:
        env["SHIKAKU_REDIS_URL"] = settings.redis_url
    env["SHIKAKU_ACCESS_LOG"] = access_log
    if workers > 1 and not env.get("SHIKAKU_METRICS_DIR"):
        # each worker publishes its metrics here; /metrics on any worker sums them all
        env["SHIKAKU_METRICS_DIR"] = tempfile.mkdtemp(prefix="shikaku-metrics-")
    err_console.print(
        f"shikaku: http://{host}:{port}/ ({workers} worker(s), {settings.database_url.split('://')[0]}"
        f"{', redis rate limits' if settings.redis_url else ', in-process rate limits'})"
    )
    uvicorn.run(
        "shikaku.web.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        log_level=log_level,
        # httptools with head and body sent in one system call (shikaku.web.protocol)
        http="shikaku.web.protocol:CoalescingHttpToolsProtocol" if _have("httptools") else "h11",
        loop="uvloop" if _have("uvloop") else "asyncio",
        lifespan="on",
        timeout_graceful_shutdown=10,
    )


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
