"""The JSON shape of an answer (API v1), shared by the JSON API and the reception page.

Dates stay ``date`` objects; orjson writes them as ``YYYY-MM-DD``. The parts that depend only
on codes or on memoised decisions are built once and shared: never mutate a returned dict.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from shikaku.domain.documents import DocumentAssessment
from shikaku.eligibility.codes import (
    AGE_75_LABEL,
    COPAY_REASON_LABELS,
    DOCUMENT_LABELS,
    LOSS_REASON_AGE_75,
    LOSS_REASON_LABELS,
    RELATIONSHIP_LABELS,
    SEX_LABELS,
    VALIDITY_LABELS,
    Label,
)
from shikaku.eligibility.inputs import CardQuery, NumberQuery
from shikaku.eligibility.rules import CopayInfo, MynaInfo
from shikaku.eligibility.service import Answer, Coverage

API_VERSION = "1"


def _coded(code: int | str, labels: Mapping[Any, Label]) -> dict[str, Any]:
    label = labels.get(code)
    return {
        "code": code,
        "label_ja": label.ja if label else None,
        "label_en": label.en if label else None,
    }


def _table(labels: Mapping[Any, Label]) -> dict[Any, dict[str, Any]]:
    return {code: _coded(code, labels) for code in labels}


# Built once and shared by every answer (orjson only reads them).
_VALIDITY = _table(VALIDITY_LABELS)
_RELATIONSHIP = _table(RELATIONSHIP_LABELS)
_SEX = _table(SEX_LABELS)


def _lookup(table: dict[Any, dict[str, Any]], labels: Mapping[Any, Label], code: Any) -> Any:
    hit = table.get(code)
    return hit if hit is not None else _coded(code, labels)


def query_json(query: NumberQuery | CardQuery) -> dict[str, Any]:
    """The query as understood (normalised), echoed back."""
    if isinstance(query, CardQuery):
        return {"card_key": query.card_key, "service_date": query.service_date}
    return {
        "insurer_number": query.insurer_number,
        "symbol": query.symbol,
        "number": query.number,
        "branch": query.branch_no,
        "birth_date": query.birth_date,
        "service_date": query.service_date,
        "presented_document": None if query.document is None else str(query.document),
    }


def coverage_json(c: Coverage) -> dict[str, Any]:
    loss: dict[str, Any] | None = None
    if c.loss_reason == LOSS_REASON_AGE_75:
        loss = {"code": c.loss_reason, "label_ja": AGE_75_LABEL.ja, "label_en": AGE_75_LABEL.en}
    elif c.loss_reason is not None:
        loss = _coded(c.loss_reason, LOSS_REASON_LABELS)
    return {
        "insurer_number": c.insurer_number,
        "insurer_name_ja": c.insurer_name_ja,
        "insurer_name_en": c.insurer_name_en,
        "symbol": c.symbol,
        "number": c.number,
        "branch": c.branch_no,
        "relationship": _lookup(_RELATIONSHIP, RELATIONSHIP_LABELS, c.relationship),
        "name": c.name,
        "name_kana": c.name_kana,
        "sex": _lookup(_SEX, SEX_LABELS, c.sex),
        "birth_date": c.birth_date,
        "valid_from": c.valid_from,
        "valid_to": c.valid_to,
        "loss_reason": loss,
        "copay": None if c.copay is None else copay_json(c.copay),
    }


@lru_cache(maxsize=4096)
def copay_json(copay: CopayInfo) -> dict[str, Any]:
    label = COPAY_REASON_LABELS[copay.reason]
    return {
        "ratio": copay.ratio,
        "reason": copay.reason,
        "reason_ja": label.ja,
        "reason_en": label.en,
        "preschool": copay.preschool,
    }


@lru_cache(maxsize=4096)
def document_json(d: DocumentAssessment) -> dict[str, Any]:
    label = DOCUMENT_LABELS[d.kind]
    return {
        "kind": str(d.kind),
        "label_ja": label.ja,
        "label_en": label.en,
        "acceptable": d.acceptable,
        "rule": d.rule,
        "valid_until": d.usable_until,
        "message_ja": d.message_ja,
        "message_en": d.message_en,
    }


@lru_cache(maxsize=65_536)
def myna_json(m: MynaInfo) -> dict[str, Any]:
    return {
        "card_found": m.card_found,
        "registered": m.registered,
        "insurance_registered": m.insurance_registered,
        "registration_cancelled": m.registration_cancelled,
        "card_returned": m.card_returned,
        "ecert_expiry": m.ecert_expiry,
        "ecert_valid": m.ecert_valid,
        "usable_until": m.usable_until,
        "usable": m.usable,
    }


def answer_json(
    answer: Answer, query: NumberQuery | CardQuery, *, request_id: str
) -> dict[str, Any]:
    """The v1 answer document."""
    return {
        "api_version": API_VERSION,
        "request_id": request_id,
        "channel": str(answer.channel),
        "query": query_json(query),
        "service_date": answer.service_date,
        "validity": _VALIDITY[answer.validity],
        "covered": answer.covered,
        "eligibility": None if answer.coverage is None else coverage_json(answer.coverage),
        "document": None if answer.document is None else document_json(answer.document),
        "myna": None if answer.myna is None else myna_json(answer.myna),
    }
