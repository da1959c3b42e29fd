"""``shikaku desk …``: FAQ search, content checks, contact forecast, staffing, inquiry log.

``search``, ``content-*``, ``staffing`` and ``forecast --plan`` read files and configuration
only. ``forecast --campaign``, ``log`` and ``inquiries`` use the database through the parent
command's composition root (``ctx.obj.build_app()``, so ``shikaku --database-url … desk …``).
Settings come from ``--config`` (or the parent command's ``--config``, or ``$SHIKAKU_CONFIG``):
``[policy]`` for dates and languages, ``[desk]`` for the rest.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from shikaku.config import Policy, load_settings
from shikaku.desk.content import (
    SOURCE_LANG,
    ContentError,
    FaqBase,
    check_content,
    load_content,
    source_hash,
    stamp_source_hash,
)
from shikaku.desk.settings import DeskSettings, load_desk_settings

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_Config = TypeVar("_Config", bound="DataclassInstance")

app = typer.Typer(
    no_args_is_help=True,
    help="問い合わせ窓口 / Inquiry desk: FAQ search, "
    "content checks, contact forecast and staffing.",
)
console = Console()
err = Console(stderr=True)

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help=r"TOML settings file (\[policy], \[desk], \[desk.forecast], \[desk.staffing])",
    ),
]
ContentDirOpt = Annotated[
    Path | None, typer.Option("--content-dir", help="directory of the <lang>.yaml FAQ files")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]


def _settings(
    ctx: typer.Context, config: Path | None, content_dir: Path | None = None
) -> tuple[Policy, DeskSettings]:
    path = config or getattr(ctx.obj, "config", None)
    if path is None and os.environ.get("SHIKAKU_CONFIG"):
        path = Path(os.environ["SHIKAKU_CONFIG"])
    try:
        policy = load_settings(path).policy
        desk = load_desk_settings(path, policy)
    except (OSError, ValueError) as exc:
        err.print(f"[red]設定エラー / configuration error: {exc}[/red]")
        raise typer.Exit(2) from exc
    if content_dir is not None:
        desk = replace(desk, content_dir=content_dir)
    return policy, desk


def _load_faq(desk: DeskSettings, *, check: bool = False) -> FaqBase:
    """The FAQ in ``desk.content_dir`` for ``desk.languages``, read with the [desk] settings;
    with ``check``, :class:`ContentError` is raised for any problem in the content."""
    read: Callable[..., FaqBase] = check_content if check else load_content
    return read(
        desk.content_dir,
        desk.languages,
        core_size=desk.core_size,
        min_source_entries=desk.min_source_entries,
        complete_langs=desk.complete_languages,
    )


def _with_options(cfg: _Config, **options: Any) -> _Config:
    """``cfg`` with the fields whose command-line option was given (is not None) replaced."""
    given = {name: value for name, value in options.items() if value is not None}
    return replace(cfg, **given) if given else cfg


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


# ----------------------------------------------------------------------------- search


@app.command("search")
def search_cmd(
    ctx: typer.Context,
    query: Annotated[list[str], typer.Argument(help="what the caller asked (any language)")],
    lang: Annotated[str, typer.Option("--lang", "-l", help="caller's language code")] = "ja",
    limit: Annotated[int, typer.Option(min=1, max=50)] = 5,
    answers: Annotated[
        bool, typer.Option("--answers", help="show every hit's answer, not only the best one")
    ] = False,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
    content_dir: ContentDirOpt = None,
) -> None:
    """FAQを検索する / Search the FAQ; shows the caller's language and Japanese side by side."""
    from shikaku.desk.search import FaqIndex

    policy, desk = _settings(ctx, config, content_dir)
    base = _load_faq(desk)
    if SOURCE_LANG not in base.languages:
        err.print(
            f"[red]{desk.content_dir}/ja.yaml がありません / the Japanese FAQ file is missing[/red]"
        )
        raise typer.Exit(2)
    index = FaqIndex(base, policy=policy, desk=desk)
    result = index.search(" ".join(query), lang, limit=limit)
    if as_json:

        def ent(e: Any) -> dict[str, Any] | None:
            return (
                None
                if e is None
                else {
                    "lang": e.lang,
                    "question": e.question,
                    "answer": e.answer,
                    "review_state": e.review_state,
                    "stale": e.stale,
                }
            )

        _echo_json(
            {
                "query": result.query,
                "requested_lang": result.requested_lang,
                "lang": result.lang,
                "fell_back": result.fell_back,
                "notice": result.notice,
                "hits": [
                    {
                        "entry_id": h.entry_id,
                        "score": h.score,
                        "entry_in_lang": ent(h.entry_in_lang),
                        "entry_ja": ent(h.entry_ja),
                    }
                    for h in result
                ],
            }
        )
        return
    if result.notice:
        console.print(f"[yellow]{result.notice}[/yellow]")
    if not result.hits:
        console.print("該当なし / no matching entry")
        raise typer.Exit(1)
    table = Table(title=f"「{result.query}」 ({result.lang})")
    table.add_column("#", justify="right")
    table.add_column("id")
    table.add_column("score", justify="right")
    if result.lang != SOURCE_LANG:
        table.add_column(f"question ({result.lang})", overflow="fold")
    table.add_column("質問 (ja)", overflow="fold")
    for i, h in enumerate(result, start=1):
        cells = [str(i), h.entry_id, f"{h.score:.2f}"]
        if result.lang != SOURCE_LANG:
            own = h.entry_in_lang
            cells.append(
                "—（未翻訳 / not translated）"
                if own is None
                else own.question + (" [stale]" if own.stale else "")
            )
        cells.append(h.entry_ja.question)
        table.add_row(*cells)
    console.print(table)
    for h in result.hits if answers else result.hits[:1]:
        side = Table(title=h.entry_id, show_lines=True)
        if result.lang != SOURCE_LANG:
            own_state = h.entry_in_lang.review_state if h.entry_in_lang else "—"
            side.add_column(f"{result.lang} ({own_state})", overflow="fold")
        side.add_column(f"日本語 ({h.entry_ja.review_state})", overflow="fold")
        cells = []
        if result.lang != SOURCE_LANG:
            own = h.entry_in_lang
            cells.append(
                "（未翻訳 / not translated）" if own is None else f"{own.question}\n\n{own.answer}"
            )
        cells.append(f"{h.entry_ja.question}\n\n{h.entry_ja.answer}")
        side.add_row(*cells)
        console.print(side)


# ----------------------------------------------------------------------------- content


@app.command("content-check")
def content_check_cmd(
    ctx: typer.Context, config: ConfigOpt = None, content_dir: ContentDirOpt = None
) -> None:
    """FAQファイルを検査する / Check the FAQ: ids, fields, placeholders, stale translations."""
    _, desk = _settings(ctx, config, content_dir)
    try:
        base = _load_faq(desk, check=True)
    except ContentError as exc:
        for issue in exc.issues:
            console.print(f"[red]✗[/red] {issue}")
        console.print(f"{len(exc.issues)} 件の問題 / problem(s) in {desk.content_dir}")
        raise typer.Exit(1) from exc
    table = Table(title=f"FAQ content OK ({desk.content_dir})")
    table.add_column("lang")
    table.add_column("name")
    table.add_column("entries", justify="right")
    table.add_column("review states")
    for lang, lf in base.languages.items():
        states: dict[str, int] = {}
        for e in lf.entries.values():
            states[e.review_state] = states.get(e.review_state, 0) + 1
        table.add_row(
            lang,
            lf.language_name,
            str(len(lf.entries)),
            ", ".join(f"{k} {v}" for k, v in sorted(states.items())),
        )
    console.print(table)


@app.command("content-hash")
def content_hash_cmd(
    ctx: typer.Context,
    ids: Annotated[list[str] | None, typer.Argument(help="entry ids (default: all)")] = None,
    lang: Annotated[
        str | None,
        typer.Option("--lang", help="compare with this translation; with --update also 'all'"),
    ] = None,
    update: Annotated[
        bool,
        typer.Option(
            "--update",
            help="after re-reviewing, write the current "
            "ja hash into the --lang file for the given ids",
        ),
    ] = False,
    state: Annotated[
        str | None,
        typer.Option("--state", help="with --update: also set review.state (e.g. reviewed)"),
    ] = None,
    config: ConfigOpt = None,
    content_dir: ContentDirOpt = None,
) -> None:
    """原文ハッシュを表示・更新する / Show (or, after review, record) the ja source hash."""
    _, desk = _settings(ctx, config, content_dir)
    base = _load_faq(desk)
    if SOURCE_LANG not in base.languages:
        err.print("[red]ja.yaml is missing[/red]")
        raise typer.Exit(2)
    ja = base.source.entries
    wanted = list(ids) if ids else list(ja)
    unknown = [i for i in wanted if i not in ja]
    if unknown:
        err.print(f"[red]ja.yaml にない id / unknown id(s): {', '.join(unknown)}[/red]")
        raise typer.Exit(2)
    if update:
        if not lang or lang == SOURCE_LANG or not ids:
            err.print("[red]--update needs --lang (not ja) and explicit entry ids[/red]")
            raise typer.Exit(2)
        # "all": for a ja edit that changes no meaning (a typo), re-stamp every translation.
        targets = [x for x in base.languages if x != SOURCE_LANG] if lang == "all" else [lang]
        for target in targets:
            path = desk.content_dir / f"{target}.yaml"
            for eid in wanted:
                if lang == "all" and base.entry(target, eid) is None:
                    continue
                new = source_hash(ja[eid].question, ja[eid].answer)
                if stamp_source_hash(path, eid, new, state=state):
                    console.print(f"{path.name}: {eid} → {new}" + (f" ({state})" if state else ""))
                else:
                    err.print(
                        f"[red]{path.name}: entry '{eid}' not found or has no review block[/red]"
                    )
                    raise typer.Exit(1)
        return
    table = Table(title="source_hash (ja)")
    table.add_column("id")
    table.add_column("hash")
    if lang:
        table.add_column(f"{lang}")
    for eid in wanted:
        h = source_hash(ja[eid].question, ja[eid].answer)
        row = [eid, h]
        if lang:
            tr = base.entry(lang, eid)
            row.append(
                "missing"
                if tr is None
                else "ok"
                if tr.source_hash == h
                else f"stale ({tr.source_hash})"
            )
        table.add_row(*row)
    console.print(table)


# ----------------------------------------------------------------------------- forecast


def _app(ctx: typer.Context) -> Any:
    """The composition root of the parent ``shikaku`` command (database, clock)."""
    build = getattr(ctx.obj, "build_app", None)
    if build is None:
        err.print(
            "[red]データベースを使うコマンドは `shikaku desk …` として実行してください / "
            "this command needs the database: run it as `shikaku [--database-url URL] desk …`"
            "[/red]"
        )
        raise typer.Exit(2)
    return build()


@app.command("forecast")
def forecast_cmd(
    ctx: typer.Context,
    plan: Annotated[
        Path | None,
        typer.Option("--plan", help="mailing plan: CSV with date,branch_code,letters, or TOML"),
    ] = None,
    campaign: Annotated[
        str | None,
        typer.Option(
            "--campaign",
            help="read the plan from the database: the campaign's stored waves, envelope "
            "counts and members' languages; fitted to the inquiry log",
        ),
    ] = None,
    shares: Annotated[
        Path | None, typer.Option("--shares", help="language shares: CSV lang,share or TOML")
    ] = None,
    observed: Annotated[
        Path | None,
        typer.Option(
            "--observed",
            help="logged inquiries: CSV date,calls — fits the contact rate "
            "(with --campaign: instead of the inquiry log)",
        ),
    ] = None,
    fit_baseline: Annotated[
        bool, typer.Option("--fit-baseline", help="when fitting, fit the baseline too")
    ] = False,
    no_fit: Annotated[
        bool, typer.Option("--no-fit", help="with --campaign: do not fit to the inquiry log")
    ] = False,
    contact_rate: Annotated[float | None, typer.Option(help="calls per letter landed")] = None,
    baseline: Annotated[float | None, typer.Option(help="baseline calls per day")] = None,
    out: Annotated[Path, typer.Option("--out", help="directory for CSV and PNG")] = Path(
        "desk-out"
    ),
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON summary")] = False,
    config: ConfigOpt = None,
) -> None:
    """入電予測 / Expected contacts per day, hour and language from a mailing plan."""
    if plan is None and campaign is None:
        err.print("[red]送付計画がありません / no mailing plan given.[/red]")
        err.print(
            "A forecast needs a mailing plan, either --campaign NAME (the campaign's waves "
            "stored by `shikaku campaign plan NAME`; members' languages and the inquiry log "
            "are read from the database) or --plan FILE: a CSV with the columns "
            "date,branch_code,letters (one row per posting day and branch) or a TOML file with "
            "[[mailing]] rows. With --plan, optionally --shares FILE with lang,share (members' "
            "preferred languages); without it every contact is counted as Japanese.",
            markup=False,
        )
        raise typer.Exit(2)
    if plan is not None and campaign is not None:
        err.print("[red]--plan と --campaign はどちらか一方 / give --plan or --campaign[/red]")
        raise typer.Exit(2)
    from shikaku.desk.forecast import PlanError, build_forecast, fit, load_observed, load_plan

    policy, desk = _settings(ctx, config)
    cfg = _with_options(desk.forecast, contact_rate=contact_rate, baseline_calls_per_day=baseline)
    extra: dict[str, Any] = {}
    try:
        obs_file = load_observed(observed) if observed is not None else None
        if campaign is not None:
            from shikaku.desk.campaign import forecast_for_campaign

            app_ = _app(ctx)
            with app_.engine.connect() as conn:
                cf = forecast_for_campaign(
                    conn,
                    campaign,
                    config=cfg,
                    languages=policy.languages,
                    fit_to_log=not no_fit,
                    fit_baseline=fit_baseline,
                    observed=obs_file,
                )
            mp, fc, fit_result, obs = cf.plan, cf.unfitted, cf.fit, dict(cf.observed) or None
            notes = list(cf.notes)
            extra = {"campaign": campaign, "waves": len(cf.waves)}
            source = f"campaign {campaign}"
        else:
            assert plan is not None
            mp = load_plan(plan, shares_path=shares, languages=policy.languages)
            fc = build_forecast(mp, cfg)
            notes = list(fc.notes)
            obs = obs_file
            fit_result = fit(fc, obs, fit_baseline=fit_baseline) if obs is not None else None
            source = str(plan)
    except PlanError as exc:
        err.print(str(exc), style="red", markup=False)
        raise typer.Exit(2) from exc
    _report_forecast(
        source=source,
        title=plan.name if plan is not None else source,
        letters=mp.letters,
        fc=fc,
        fit_result=fit_result,
        obs=obs,
        notes=notes,
        out=out,
        as_json=as_json,
        extra=extra,
    )


def _report_forecast(
    *,
    source: str,
    title: str,
    letters: int,
    fc: Any,
    fit_result: Any,
    obs: dict[Any, float] | None,
    notes: list[str],
    out: Path,
    as_json: bool,
    extra: dict[str, Any],
) -> None:
    from shikaku.desk.charts import forecast_chart

    final = fit_result.forecast if fit_result else fc
    csv_path = final.write_csv(out / "forecast.csv")
    daily_path = final.write_daily_csv(out / "forecast_daily.csv")
    png_path = forecast_chart(final, out / "forecast.png", observed=obs)
    peak_i = int(final.daily.argmax())
    summary: dict[str, Any] = {
        "plan": source,
        **extra,
        "letters": letters,
        "contact_rate": final.config.contact_rate,
        "baseline_calls_per_day": final.config.baseline_calls_per_day,
        "first_day": final.days[0].isoformat(),
        "last_day": final.days[-1].isoformat(),
        "open_days": len(final.days),
        "total_calls": round(final.total, 1),
        "peak_day": final.days[peak_i].isoformat(),
        "peak_day_calls": round(float(final.daily[peak_i]), 1),
        "calls_by_language": {k: round(v, 1) for k, v in final.by_language().items()},
        "files": [str(csv_path), str(daily_path), str(png_path)],
        "notes": notes,
    }
    if fit_result:
        summary["fit"] = {
            "contact_rate_before": fc.config.contact_rate,
            "contact_rate": fit_result.contact_rate,
            "baseline_calls_per_day": fit_result.baseline_calls_per_day,
            "days_used": fit_result.days_used,
            "mape_before_percent": round(fit_result.mape_before, 2),
            "mape_after_percent": round(fit_result.mape_after, 2),
        }
    if as_json:
        _echo_json(summary)
        return
    for note in notes:
        console.print(f"[yellow]{note}[/yellow]")
    t = Table(title=f"入電予測 / contact forecast ({title})")
    t.add_column("item")
    t.add_column("value", justify="right")
    for key in (
        *extra,
        "letters",
        "contact_rate",
        "baseline_calls_per_day",
        "first_day",
        "last_day",
        "open_days",
        "total_calls",
        "peak_day",
        "peak_day_calls",
    ):
        v = summary[key]
        t.add_row(
            key,
            f"{v:,}"
            if isinstance(v, int)
            else f"{v:,.4g}"
            if isinstance(v, float) and v < 1
            else f"{v:,.1f}"
            if isinstance(v, float)
            else str(v),
        )
    console.print(t)
    lt = Table(title="calls by language")
    lt.add_column("lang")
    lt.add_column("calls", justify="right")
    lt.add_column("share", justify="right")
    for lang, calls in summary["calls_by_language"].items():
        lt.add_row(lang, f"{calls:,.0f}", f"{final.shares[lang]:.1%}")
    console.print(lt)
    if fit_result:
        ft = Table(title=f"fit to observed inquiries ({fit_result.days_used} days)")
        ft.add_column("")
        ft.add_column("before", justify="right")
        ft.add_column("after", justify="right")
        ft.add_row(
            "contact_rate", f"{fc.config.contact_rate:.4f}", f"{fit_result.contact_rate:.4f}"
        )
        ft.add_row(
            "baseline/day",
            f"{fc.config.baseline_calls_per_day:,.0f}",
            f"{fit_result.baseline_calls_per_day:,.0f}",
        )
        ft.add_row("MAPE", f"{fit_result.mape_before:.1f}%", f"{fit_result.mape_after:.1f}%")
        console.print(ft)
    console.print("written: " + ", ".join(summary["files"]))


# ----------------------------------------------------------------------------- staffing


@app.command("staffing")
def staffing_cmd(
    ctx: typer.Context,
    forecast: Annotated[
        Path | None, typer.Option("--forecast", help="forecast.csv written by `desk forecast`")
    ] = None,
    calls: Annotated[float | None, typer.Option(help="one interval: calls offered")] = None,
    interval_minutes: Annotated[float | None, typer.Option(help="interval length")] = None,
    aht_seconds: Annotated[float | None, typer.Option(help="average handling time")] = None,
    service_level: Annotated[
        float | None, typer.Option(help="target share answered in time")
    ] = None,
    answer_seconds: Annotated[float | None, typer.Option(help="answer-time target")] = None,
    max_occupancy: Annotated[float | None, typer.Option(help="occupancy cap")] = None,
    shrinkage: Annotated[float | None, typer.Option(help="share of paid time not on calls")] = None,
    out: Annotated[Path, typer.Option("--out", help="directory for roster CSV and PNG")] = Path(
        "desk-out"
    ),
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
) -> None:
    """必要人員 / Agents needed per interval by Erlang C (from a forecast, or one interval)."""
    from shikaku.desk.staffing import load_forecast_csv, plan_staffing, required_agents

    _, desk = _settings(ctx, config)
    cfg = _with_options(
        desk.staffing,
        aht_seconds=aht_seconds,
        service_level=service_level,
        answer_seconds=answer_seconds,
        max_occupancy=max_occupancy,
        shrinkage=shrinkage,
    )
    if forecast is not None and interval_minutes not in (None, 60):
        err.print(
            "[red]the forecast is hourly: --interval-minutes must be 60 (or left out) "
            "with --forecast[/red]"
        )
        raise typer.Exit(2)
    if forecast is not None and calls is not None:
        err.print(
            "[red]--forecast と --calls は同時に指定できません / give either --forecast or "
            "--calls, not both[/red]"
        )
        raise typer.Exit(2)
    if forecast is None and calls is None:
        err.print(
            "[red]入力がありません / nothing to staff.[/red] Give --forecast FILE (the "
            "forecast.csv from `shikaku desk forecast`) or one interval's figures: "
            "--calls N [--interval-minutes --aht-seconds --service-level --answer-seconds "
            "--max-occupancy --shrinkage]."
        )
        raise typer.Exit(2)
    if calls is not None:
        try:
            r = required_agents(
                calls,
                interval_minutes=cfg.interval_minutes
                if interval_minutes is None
                else interval_minutes,
                aht_seconds=cfg.aht_seconds,
                service_level=cfg.service_level,
                answer_seconds=cfg.answer_seconds,
                max_occupancy=cfg.max_occupancy,
                shrinkage=cfg.shrinkage,
            )
        except ValueError as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from exc
        if as_json:
            _echo_json(r.as_dict())
            return
        t = Table(title="Erlang C (one interval)")
        t.add_column("figure")
        t.add_column("value", justify="right")
        t.add_row("traffic_erlangs", f"{r.traffic_erlangs:.3f}")
        for key, value in r.as_dict().items():
            t.add_row(key, str(value) if isinstance(value, int) else f"{value:.4f}")
        t.add_row("asa_seconds", f"{r.asa_seconds:.1f}")
        console.print(t)
        return
    assert forecast is not None
    from shikaku.desk.charts import staffing_chart

    try:
        roster = plan_staffing(load_forecast_csv(forecast), cfg)
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    csv_path = roster.write_csv(out / "roster.csv")
    png_path = staffing_chart(roster, out / "roster.png")
    queues: list[dict[str, Any]] = []
    for qname in roster.queues:
        peak = roster.peak(qname)
        assert peak is not None
        queues.append(
            {
                "queue": qname,
                "languages": list(peak.languages),
                "peak_interval": f"{peak.day.isoformat()} {peak.hour:02d}:00",
                "peak_calls": round(peak.calls, 1),
                "peak_raw_agents": peak.result.raw_agents,
                "peak_agents": peak.result.agents,
                "agent_hours": round(roster.agent_hours(qname), 1),
            }
        )
    summary: dict[str, Any] = {
        "forecast": str(forecast),
        "interval_minutes": cfg.interval_minutes,
        "dedicated": list(roster.dedicated),
        "pooled": list(roster.pooled),
        "queues": queues,
        "agent_hours": round(roster.agent_hours(), 1),
        "files": [str(csv_path), str(png_path)],
    }
    if as_json:
        _echo_json(summary)
        return
    t = Table(
        title=f"必要人員 / staffing (SL {cfg.service_level:.0%} in "
        f"{cfg.answer_seconds:.0f}s, occupancy ≤ {cfg.max_occupancy:.0%}, "
        f"shrinkage {cfg.shrinkage:.0%})"
    )
    for col in (
        "queue",
        "languages",
        "peak interval",
        "peak calls",
        "raw",
        "agents",
        "agent-hours",
    ):
        t.add_column(col, justify="left" if col in ("queue", "languages") else "right")
    for q in queues:
        t.add_row(
            q["queue"],
            " ".join(q["languages"]),
            q["peak_interval"],
            f"{q['peak_calls']:,.0f}",
            str(q["peak_raw_agents"]),
            str(q["peak_agents"]),
            f"{q['agent_hours']:,.0f}",
        )
    console.print(t)
    if roster.pooled:
        console.print(
            f"三者通訳プール / interpreter pool: {' '.join(roster.pooled)} "
            f"(AHT × {cfg.interpreter_aht_factor})"
        )
    console.print("written: " + ", ".join(summary["files"]))


# ----------------------------------------------------------------------------- inquiry log


def _vocabulary(ctx: typer.Context, config: Path | None) -> Any:
    from shikaku.desk.service import DeskVocabulary

    policy, desk = _settings(ctx, config)
    return DeskVocabulary.from_base(_load_faq(desk), policy.languages)


@app.command("log")
def log_cmd(
    ctx: typer.Context,
    category: Annotated[
        str, typer.Option("--category", help="FAQ category (certificate, myna-card, …) or entry id")
    ],
    operator: Annotated[
        str,
        typer.Option("--operator", envvar="SHIKAKU_OPERATOR", help="who took the contact"),
    ],
    channel: Annotated[str, typer.Option(help="phone / mail / web / counter")] = "phone",
    lang: Annotated[str, typer.Option("--lang", help="caller's language code")] = "ja",
    caller: Annotated[str, typer.Option("--caller", help="member / employer / clinic / other")] = (
        "member"
    ),
    outcome: Annotated[
        str, typer.Option(help="answered / escalated / callback / referred / abandoned")
    ] = "answered",
    faq_entry: Annotated[
        str | None, typer.Option("--faq-entry", help="FAQ entry id the answer came from")
    ] = None,
    insurer_number: Annotated[str | None, typer.Option(help="保険者番号 (optional)")] = None,
    symbol: Annotated[str | None, typer.Option(help="記号")] = None,
    number: Annotated[str | None, typer.Option(help="番号")] = None,
    branch_no: Annotated[str | None, typer.Option(help="枝番")] = None,
    interpreter: Annotated[
        bool, typer.Option("--interpreter/--no-interpreter", help="an interpreter was used")
    ] = False,
    follow_up: Annotated[str | None, typer.Option(help="what is left to do")] = None,
    due: Annotated[str | None, typer.Option("--due", help="follow-up due date YYYY-MM-DD")] = None,
    note: Annotated[str | None, typer.Option(help="short note (never a My Number)")] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="time of the contact (default: now), ISO 8601")
    ] = None,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
) -> None:
    """問い合わせを記録する / Record one inquiry in the log."""
    from shikaku.desk.service import InquiryError, desk_actor, do_record_inquiry

    vocab = _vocabulary(ctx, config)
    app_ = _app(ctx)
    try:
        with app_.engine.begin() as conn:
            rec = do_record_inquiry(
                conn,
                actor=desk_actor(operator),
                at=app_.clock.now(),
                operator=operator,
                contacted_at=at,
                channel=channel,
                language=lang,
                caller_type=caller,
                category=category,
                outcome=outcome,
                faq_entry_id=faq_entry,
                insurer_number=insurer_number,
                symbol=symbol,
                number=number,
                branch_no=branch_no,
                interpreter_used=interpreter,
                follow_up=follow_up,
                follow_up_due=due,
                note=note,
                vocabulary=vocab,
            )
    except InquiryError as exc:
        if as_json:
            _echo_json(
                {
                    "errors": [
                        {
                            "field": p.field,
                            "rule_id": p.rule_id,
                            "message_ja": p.message_ja,
                            "message_en": p.message_en,
                        }
                        for p in exc.problems
                    ]
                }
            )
        else:
            for p in exc.problems:
                err.print(f"[red]✗ {p.field}[/red] ({p.rule_id}): {p.message_ja} / {p.message_en}")
        raise typer.Exit(2) from exc
    if as_json:
        _echo_json(
            {
                "id": rec.id,
                "language": rec.language,
                "membership_id": rec.membership_id,
                "branch_code": rec.branch_code,
                "notices": list(rec.notices),
            }
        )
        return
    for notice in rec.notices:
        console.print(f"[yellow]{notice}[/yellow]")
    linked = f", 資格 membership #{rec.membership_id}" if rec.membership_id else ""
    console.print(f"記録しました / recorded inquiry #{rec.id} ({rec.language}{linked})")


def _day_opt(value: str | None, name: str) -> Any:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        err.print(f"[red]{name}: 日付は YYYY-MM-DD / write the date as YYYY-MM-DD[/red]")
        raise typer.Exit(2) from exc


@app.command("inquiries")
def inquiries_cmd(
    ctx: typer.Context,
    from_: Annotated[str | None, typer.Option("--from", help="first day YYYY-MM-DD")] = None,
    to: Annotated[str | None, typer.Option("--to", help="last day YYYY-MM-DD")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="language code")] = None,
    category: Annotated[
        str | None, typer.Option("--category", help="category or FAQ entry id")
    ] = None,
    text: Annotated[
        str | None, typer.Option("--text", help="substring of note, follow-up, FAQ id, operator")
    ] = None,
    channel: Annotated[str | None, typer.Option(help="phone / mail / web / counter")] = None,
    outcome: Annotated[str | None, typer.Option(help="outcome code")] = None,
    limit: Annotated[
        int | None, typer.Option(min=1, help="at most N rows (default: 50 shown, all exported)")
    ] = None,
    csv_out: Annotated[
        Path | None, typer.Option("--csv", help="export the matching inquiries to this CSV file")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """問い合わせ記録の検索・出力 / Search the inquiry log, or export it as CSV."""
    from shikaku.desk.service import export_inquiries, search_inquiries

    filters: dict[str, Any] = {
        "from_": _day_opt(from_, "--from"),
        "to": _day_opt(to, "--to"),
        "language": lang,
        "category": category,
        "text": text,
        "channel": channel,
        "outcome": outcome,
    }
    app_ = _app(ctx)
    with app_.engine.connect() as conn:
        if csv_out is not None:
            n = export_inquiries(conn, csv_out, limit=limit, **filters)
            console.print(f"{n:,} 件を出力しました / exported {n:,} inquiries to {csv_out}")
            return
        rows = search_inquiries(conn, limit=limit or 50, **filters)
    if as_json:
        _echo_json(
            [
                {
                    "id": r.id,
                    "at": r.at.isoformat(timespec="seconds"),
                    "operator": r.operator,
                    "channel": r.channel,
                    "language": r.language,
                    "caller_type": r.caller_type,
                    "category": r.category,
                    "faq_entry_id": r.faq_entry_id,
                    "member_key": r.member_key or None,
                    "membership_id": r.membership_id,
                    "interpreter_used": r.interpreter_used,
                    "outcome": r.outcome,
                    "follow_up": r.follow_up,
                    "follow_up_due": r.follow_up_due.isoformat() if r.follow_up_due else None,
                }
                for r in rows
            ]
        )
        return
    if not rows:
        console.print("該当なし / no matching inquiry")
        raise typer.Exit(1)
    t = Table(title=f"問い合わせ記録 / inquiries ({len(rows)})")
    for col in ("#", "at", "ch", "lang", "caller", "category", "faq", "member", "outcome", "due"):
        t.add_column(col, overflow="fold")
    for r in rows:
        t.add_row(
            str(r.id),
            r.at.strftime("%Y-%m-%d %H:%M"),
            r.channel,
            r.language + (" +通訳" if r.interpreter_used else ""),
            r.caller_type,
            r.category,
            r.faq_entry_id or "",
            r.member_key,
            r.outcome,
            r.follow_up_due.isoformat() if r.follow_up_due else "",
        )
    console.print(t)
