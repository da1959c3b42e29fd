"""一括照会 (batch pre-check): upload a CSV of appointments, get a CSV of answers.

Input: a header row, then one appointment per row. Columns (any order, names as in the JSON
API): ``insurer_number, symbol, number, branch, birth_date`` and optionally ``ref`` (the
clinic's own reference, echoed), ``service_date`` (default: the ``service_date`` query
parameter, else tomorrow) and ``presented_document``. UTF-8 (with or without BOM) or
Shift_JIS (cp932), as clinic software exports it.

Output: one row per input row, in order, with the answer or the validation error; the CSV is
UTF-8 unless ``?encoding=shift_jis``. Each row is audited (channel ``batch``). The look-ups
run in a worker thread on their own connection, so the server keeps answering single checks.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shikaku.domain.normalize import cp932_stray_line
from shikaku.eligibility import metrics
from shikaku.eligibility.api import (
    Refusal,
    admit,
    invalid_response,
    problem,
    refusal_response,
)
from shikaku.eligibility.clients import Client
from shikaku.eligibility.codes import COPAY_REASON_LABELS, VALIDITY_LABELS, Channel, Scope
from shikaku.eligibility.inputs import (
    SERVICE_DATE,
    InvalidQuery,
    parse_number_query,
    parse_service_date,
)
from shikaku.eligibility.repo import Directory, EligibilityReader
from shikaku.eligibility.rules import EligibilityRules
from shikaku.eligibility.runtime import EligibilityRuntime
from shikaku.eligibility.service import check_eligibility

INPUT_COLUMNS = (
    "ref",
    "insurer_number",
    "symbol",
    "number",
    "branch",
    "birth_date",
    "service_date",
    "presented_document",
)
REQUIRED_COLUMNS = ("insurer_number", "number", "branch", "birth_date")
OUTPUT_COLUMNS = (
    "line",
    "ref",
    "status",
    "service_date",
    "validity_code",
    "validity_label",
    "insurer_number",
    "symbol",
    "number",
    "branch",
    "relationship",
    "name",
    "name_kana",
    "copay_ratio",
    "copay_reason",
    "valid_from",
    "valid_to",
    "document_kind",
    "document_acceptable",
    "document_rule",
    "document_valid_until",
    "message_ja",
    "message_en",
    "error_rule",
    "error_field",
)
CSV_TYPES = ("text/csv", "application/csv", "text/plain", "application/octet-stream")


class BatchError(Exception):
    """The file as a whole cannot be processed."""

    def __init__(self, rule_id: str, message_ja: str, message_en: str, status: int = 400) -> None:
        super().__init__(rule_id)
        self.rule_id, self.message_ja, self.message_en, self.status = (
            rule_id,
            message_ja,
            message_en,
            status,
        )


def decode(data: bytes, charset: str | None = None) -> str:
    """Text of an uploaded CSV: the declared charset, else UTF-8 (BOM allowed), else cp932.
    Text that decodes as cp932 must hold Shift_JIS characters only: Python's codec lets the
    single bytes 0x80, 0xA0 and 0xFD-0xFF through as invisible characters, which would be
    echoed back in ``ref``."""
    text: str | None = None
    codec = ""
    if charset:
        with contextlib.suppress(LookupError, UnicodeDecodeError):
            text, codec = data.decode(charset), codecs.lookup(charset).name
    if text is None:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text, codec = data.decode("cp932"), "cp932"
            except UnicodeDecodeError:
                raise BatchError(
                    "batch.encoding",
                    "CSVの文字コードを判別できません(UTF-8またはShift_JIS)。",
                    "The CSV is neither UTF-8 nor Shift_JIS.",
                ) from None
    if codec == "cp932":
        line = cp932_stray_line(text)
        if line is not None:
            raise BatchError(
                "batch.encoding",
                f"CSVの{line}行目にShift_JISの文字ではないバイトがあります。",
                f"Line {line} of the CSV holds a byte that is no Shift_JIS character.",
            )
    return text


def read_rows(text: str, max_rows: int) -> list[tuple[int, dict[str, str]]]:
    """(line number, row keyed by the lower-cased header names); blank lines are skipped but
    keep counting, so the answer's ``line`` is the line the clinic sees in its file."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise BatchError("batch.empty", "CSVが空です。", "The CSV is empty.") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise BatchError(
            "batch.header",
            f"CSVの見出し行に必要な列がありません: {', '.join(missing)}",
            f"The CSV header lacks required columns: {', '.join(missing)}",
        )
    rows: list[tuple[int, dict[str, str]]] = []
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        if len(rows) >= max_rows:
            raise BatchError(
                "batch.too_many_rows",
                f"1回の一括照会は{max_rows:,}件までです。",
                f"A batch may hold at most {max_rows:,} rows.",
                status=413,
            )
        rows.append((reader.line_num, dict(zip(header, (v.strip() for v in values), strict=False))))
    return rows


def answer_rows(
    rows: Iterable[tuple[int, Mapping[str, str]]],
    *,
    reader: EligibilityReader,
    directory: Directory,
    rules: EligibilityRules,
    today: date,
    default_service_date: date,
) -> list[tuple[dict[str, Any], Any]]:
    """Answer each row; returns (output row, answer or None) pairs."""
    out: list[tuple[dict[str, Any], Any]] = []
    for line, row in rows:
        data: dict[str, Any] = dict(row)
        if not data.get(SERVICE_DATE):
            data[SERVICE_DATE] = default_service_date.isoformat()
        result: dict[str, Any] = {"line": line, "ref": row.get("ref", "")}
        try:
            query = parse_number_query(data, today=today, rules=rules)
        except InvalidQuery as err:
            first = err.errors[0]
            result.update(
                status="error",
                error_rule=first.rule_id,
                error_field=first.field,
                message_ja=first.message_ja,
                message_en=first.message_en,
            )
            out.append((result, err))
            continue
        answer = check_eligibility(
            query,
            reader=reader,
            directory=directory,
            rules=rules,
            today=today,
            channel=Channel.BATCH,
        )
        label = VALIDITY_LABELS[answer.validity]
        result.update(
            status="ok",
            service_date=answer.service_date.isoformat(),
            validity_code=int(answer.validity),
            validity_label=label.ja,
            insurer_number=query.insurer_number,
            symbol=query.symbol or "",
            number=query.number,
            branch=query.branch_no,
        )
        c = answer.coverage
        if c is not None:
            result.update(
                symbol=c.symbol,
                relationship=c.relationship,
                name=c.name,
                name_kana=c.name_kana,
                valid_from=c.valid_from.isoformat(),
                valid_to=c.valid_to.isoformat() if c.valid_to else "",
            )
            if c.copay is not None:
                result.update(
                    copay_ratio=c.copay.ratio,
                    copay_reason=COPAY_REASON_LABELS[c.copay.reason].ja,
                )
        d = answer.document
        if d is not None:
            result.update(
                document_kind=str(d.kind),
                document_acceptable=int(d.acceptable),
                document_rule=d.rule,
                document_valid_until=d.usable_until.isoformat() if d.usable_until else "",
                message_ja=d.message_ja,
                message_en=d.message_en,
            )
        out.append((result, answer))
    return out


def write_csv(rows: Iterable[Mapping[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=OUTPUT_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return buf.getvalue()


async def _body_and_charset(request: Request) -> tuple[bytes, str | None]:
    ctype = request.headers.get("content-type", "")
    media, _, params = ctype.partition(";")
    media = media.strip().lower()
    charset = None
    for p in params.split(";"):
        k, _, v = p.strip().partition("=")
        if k.lower() == "charset" and v:
            charset = v.strip('"')
    if media and media not in CSV_TYPES:
        raise BatchError(
            "batch.media_type",
            "CSV(text/csv)で送信してください。",
            "Send the batch as text/csv.",
            status=415,
        )
    return await request.body(), charset


def _audit(rt: EligibilityRuntime, client: Client, batch_id: str, pairs: list[Any]) -> None:
    for result, answer in pairs:
        request_id = f"{batch_id}-{result['line']}"
        if isinstance(answer, InvalidQuery):
            rt.record(client, channel=Channel.BATCH, request_id=request_id, outcome=answer.rule_id)
            continue
        doc = answer.document
        rt.record(
            client,
            channel=Channel.BATCH,
            request_id=request_id,
            membership_id=answer.membership_id,
            service_date=answer.service_date,
            validity=int(answer.validity),
            document_kind=None if doc is None else str(doc.kind),
            document_rule=None if doc is None else doc.rule,
            acceptable=None if doc is None else doc.acceptable,
        )
        metrics.count_answer(Channel.BATCH, int(answer.validity))


def routes(rt: EligibilityRuntime) -> list[Route]:
    async def batch(request: Request) -> Response:
        try:
            client = await admit(rt, request, Scope.BATCH)
        except Refusal as r:
            return refusal_response(r, request)
        batch_id = rt.request_id()
        try:
            body, charset = await _body_and_charset(request)
            rows = read_rows(decode(body, charset), rt.options.batch_max_rows)
            default_day = rt.today() + timedelta(days=1)
            if request.query_params.get(SERVICE_DATE):
                default_day = parse_service_date(
                    request.query_params[SERVICE_DATE], today=rt.today(), rules=rt.rules
                )
        except BatchError as e:
            rt.record(client, channel=Channel.BATCH, request_id=batch_id, outcome=e.rule_id)
            return problem(
                e.status,
                e.rule_id,
                e.message_ja,
                e.message_en,
                instance=request.url.path,
                request_id=batch_id,
            )
        except InvalidQuery as err:
            rt.record(client, channel=Channel.BATCH, request_id=batch_id, outcome=err.rule_id)
            return invalid_response(err, request, batch_id)

        def work() -> list[Any]:
            reader = rt.open_reader()
            try:
                return answer_rows(
                    rows,
                    reader=reader,
                    directory=rt.directory,
                    rules=rt.rules,
                    today=rt.today(),
                    default_service_date=default_day,
                )
            finally:
                reader.close()

        pairs = await anyio.to_thread.run_sync(work)
        _audit(rt, client, batch_id, pairs)
        encoding = request.query_params.get("encoding", "utf-8").lower()
        codec = "cp932" if encoding in ("shift_jis", "sjis", "cp932") else "utf-8"
        text = write_csv(result for result, _ in pairs)
        return Response(
            text.encode(codec, errors="replace"),
            media_type=f"text/csv; charset={'shift_jis' if codec == 'cp932' else 'utf-8'}",
            headers={
                "X-Request-ID": batch_id,
                "Content-Disposition": f'attachment; filename="eligibility-{batch_id}.csv"',
                "Cache-Control": "no-store",
            },
        )

    return [Route("/api/v1/eligibility/batch", batch, methods=["POST"], name="eligibility-batch")]
