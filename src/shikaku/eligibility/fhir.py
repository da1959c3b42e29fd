"""FHIR adapter: ``POST /fhir/R4/CoverageEligibilityRequest/$submit`` and ``/fhir/R4/metadata``.

Version: fhir.resources 8 models FHIR R5 by default and ships R4B (4.3.0) and STU3, not R4
(4.0.1). R4B kept R4's CoverageEligibilityRequest/Response, Coverage, Patient, Organization
and OperationOutcome unchanged, so we build and validate every resource with the R4B models
and declare ``fhirVersion: 4.0.1`` (the wire format is the same). See docs/eligibility.md.

Identifiers follow JP Core: the 記号・番号・枝番 as the extensions
``JP_Coverage_InsuredPersonSymbol/Number/SubNumber``, the 被保険者個人識別子
``保険者番号:記号:番号:枝番`` under ``JP_Insurance_SubscriberID``, the insurer's 保険者番号 under
``urn:oid:1.2.392.100495.20.3.61``, and the copayment as ``costToBeneficiary`` of type
``copaypct``. Validity (OQSCD006) and the document assessment travel in extensions of ours.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import orjson
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.coverageeligibilityrequest import CoverageEligibilityRequest
from fhir.resources.R4B.coverageeligibilityresponse import CoverageEligibilityResponse
from fhir.resources.R4B.operationoutcome import OperationOutcome
from pydantic import ValidationError as PydanticValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shikaku.eligibility.api import Refusal, admit, answer_query, audit_answer
from shikaku.eligibility.codes import (
    RELATIONSHIP_LABELS,
    VALIDITY_LABELS,
    Channel,
    Scope,
)
from shikaku.eligibility.inputs import InvalidQuery, NumberQuery, parse_number_query
from shikaku.eligibility.runtime import EligibilityRuntime
from shikaku.eligibility.service import Answer

FHIR_JSON = "application/fhir+json"
FHIR_VERSION = "4.0.1"
JP_EXT = "http://jpfhir.jp/fhir/core/Extension/StructureDefinition/"
EXT_SYMBOL = JP_EXT + "JP_Coverage_InsuredPersonSymbol"
EXT_NUMBER = JP_EXT + "JP_Coverage_InsuredPersonNumber"
EXT_SUBNUMBER = JP_EXT + "JP_Coverage_InsuredPersonSubNumber"
SUBSCRIBER_ID_SYSTEM = "http://jpfhir.jp/fhir/core/Idsystem/JP_Insurance_SubscriberID"
INSURER_NUMBER_SYSTEM = "urn:oid:1.2.392.100495.20.3.61"
MEDICAL_INSTITUTION_SYSTEM = "http://jpfhir.jp/fhir/core/IdSystem/insurance-medical-institution-no"
INSURANCE_TYPE_SYSTEM = "urn:oid:1.2.392.100495.20.2.61"
RELATIONSHIP_SYSTEM = "urn:oid:1.2.392.100495.20.2.62"
COPAY_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/coverage-copay-type"
OWN = "urn:shikaku:fhir:"
EXT_PRESENTED_DOCUMENT = OWN + "StructureDefinition:presented-document"
EXT_VALIDITY = OWN + "StructureDefinition:qualification-validity"
EXT_DOCUMENT = OWN + "StructureDefinition:document-assessment"
VALIDITY_SYSTEM = OWN + "CodeSystem:OQSCD006"
RULE_SYSTEM = OWN + "CodeSystem:rule"
SUBMIT_DEFINITION = OWN + "OperationDefinition:CoverageEligibilityRequest-submit"

_ISSUE_CODES = {
    400: "structure",
    401: "login",
    403: "forbidden",
    413: "too-costly",
    415: "not-supported",
    422: "invalid",
    429: "throttled",
}


def operation_outcome(
    status: int,
    issues: list[tuple[str, str, str | None]],
    *,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """An OperationOutcome: one issue per (rule id, message, field)."""
    code = _ISSUE_CODES.get(status, "processing")
    doc = {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": code,
                "details": {
                    "coding": [{"system": RULE_SYSTEM, "code": rule}],
                    "text": message,
                },
                **({"expression": [field]} if field else {}),
            }
            for rule, message, field in issues
        ],
    }
    OperationOutcome.model_validate(doc)  # fail loudly in tests if we ever build a bad one
    return Response(orjson.dumps(doc), status, headers=headers, media_type=FHIR_JSON)


def _refusal_outcome(r: Refusal) -> Response:
    return operation_outcome(
        r.status, [(r.rule_id, f"{r.message_ja} / {r.message_en}", None)], headers=r.headers
    )


def _ref_id(ref: Any) -> str | None:
    value = getattr(ref, "reference", None)
    return value[1:] if isinstance(value, str) and value.startswith("#") else None


def _ident_value(ident: Any, system: str) -> str | None:
    if ident is not None and getattr(ident, "system", None) == system:
        return getattr(ident, "value", None)
    return None


def request_fields(req: CoverageEligibilityRequest) -> dict[str, Any]:
    """The numbers-query fields of a (validated) request."""
    contained: dict[str | None, Any] = {
        c.id: c for c in (req.contained or []) if getattr(c, "id", None)
    }
    out: dict[str, Any] = {}
    if req.servicedDate is not None:
        out["service_date"] = str(req.servicedDate)
    elif req.servicedPeriod is not None and req.servicedPeriod.start is not None:
        out["service_date"] = str(req.servicedPeriod.start)[:10]
    for ext in req.extension or []:
        if ext.url == EXT_PRESENTED_DOCUMENT:
            out["presented_document"] = ext.valueCode
    patient = contained.get(_ref_id(req.patient))
    if patient is not None and getattr(patient, "birthDate", None) is not None:
        out["birth_date"] = str(patient.birthDate)
    coverage = None
    for ins in req.insurance or []:
        coverage = contained.get(_ref_id(ins.coverage))
        if coverage is not None:
            break
    insurer_refs = [req.insurer] if req.insurer is not None else []
    if coverage is not None:
        for ext in coverage.extension or []:
            key = {EXT_SYMBOL: "symbol", EXT_NUMBER: "number", EXT_SUBNUMBER: "branch"}.get(ext.url)
            if key:
                out[key] = ext.valueString
        if coverage.dependent and "branch" not in out:
            out["branch"] = coverage.dependent
        for ident in coverage.identifier or []:
            value = _ident_value(ident, SUBSCRIBER_ID_SYSTEM)
            if value and value.count(":") == 3:
                ins_no, symbol, number, branch_no = value.split(":")
                out.setdefault("insurer_number", ins_no)
                if symbol:
                    out.setdefault("symbol", symbol)
                out.setdefault("number", number)
                out.setdefault("branch", branch_no)
        insurer_refs = list(coverage.payor or []) + insurer_refs
    for ref in insurer_refs:
        value = _ident_value(getattr(ref, "identifier", None), INSURER_NUMBER_SYSTEM)
        org = contained.get(_ref_id(ref))
        if value is None and org is not None:
            for ident in getattr(org, "identifier", None) or []:
                value = value or _ident_value(ident, INSURER_NUMBER_SYSTEM)
        if value:
            out.setdefault("insurer_number", value)
            break
    return out


def _quantity(ratio: int) -> dict[str, Any]:
    return {"value": ratio, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"}


def response_resource(
    answer: Answer, query: NumberQuery, *, request_id: str, created: str, request_ref: str | None
) -> dict[str, Any]:
    """A CoverageEligibilityResponse (as a dict) for *answer*."""
    label = VALIDITY_LABELS[answer.validity]
    extensions: list[dict[str, Any]] = [
        {
            "url": EXT_VALIDITY,
            "valueCoding": {
                "system": VALIDITY_SYSTEM,
                "code": str(int(answer.validity)),
                "display": label.ja,
            },
        }
    ]
    doc = answer.document
    if doc is not None:
        parts: list[dict[str, Any]] = [
            {"url": "kind", "valueCode": str(doc.kind)},
            {"url": "acceptable", "valueBoolean": doc.acceptable},
            {"url": "rule", "valueCode": doc.rule},
            {"url": "message-ja", "valueString": doc.message_ja},
            {"url": "message-en", "valueString": doc.message_en},
        ]
        if doc.usable_until is not None:
            parts.append({"url": "valid-until", "valueDate": doc.usable_until.isoformat()})
        extensions.append({"url": EXT_DOCUMENT, "extension": parts})
    contained: list[dict[str, Any]] = []
    body: dict[str, Any] = {
        "resourceType": "CoverageEligibilityResponse",
        "id": request_id,
        "extension": extensions,
        "status": "active",
        "purpose": ["validation"],
        "created": created,
        "outcome": "complete",
        "disposition": f"{label.ja} / {label.en}",
        "servicedDate": answer.service_date.isoformat(),
    }
    c = answer.coverage
    if c is None:
        body["patient"] = {"display": "unknown / 該当なし"}
        body["insurer"] = {
            "identifier": {"system": INSURER_NUMBER_SYSTEM, "value": query.insurer_number}
        }
    else:
        family, _, given = c.name.partition("\u3000")
        family_kana, _, given_kana = c.name_kana.partition("\u3000")
        contained.append(
            {
                "resourceType": "Patient",
                "id": "patient",
                "name": [
                    {
                        "use": "official",
                        "text": c.name,
                        "family": family,
                        "given": [given],
                        "extension": [
                            {
                                "url": "http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation",
                                "valueCode": "IDE",
                            }
                        ],
                    },
                    {
                        "use": "official",
                        "text": c.name_kana,
                        "family": family_kana,
                        "given": [given_kana],
                        "extension": [
                            {
                                "url": "http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation",
                                "valueCode": "SYL",
                            }
                        ],
                    },
                ],
                "gender": {1: "male", 2: "female"}.get(c.sex, "unknown"),
                "birthDate": c.birth_date.isoformat(),
            }
        )
        contained.append(
            {
                "resourceType": "Organization",
                "id": "insurer",
                "identifier": [{"system": INSURER_NUMBER_SYSTEM, "value": c.insurer_number}],
                "name": c.insurer_name_ja,
                "alias": [c.insurer_name_en],
                "type": [
                    {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/organization-type",
                                "code": "pay",
                            }
                        ]
                    }
                ],
            }
        )
        period: dict[str, str] = {"start": c.valid_from.isoformat()}
        if c.valid_to is not None:
            period["end"] = c.valid_to.isoformat()
        rel = RELATIONSHIP_LABELS[c.relationship]
        coverage: dict[str, Any] = {
            "resourceType": "Coverage",
            "id": "coverage",
            "extension": [
                {"url": EXT_SYMBOL, "valueString": c.symbol},
                {"url": EXT_NUMBER, "valueString": c.number},
                {"url": EXT_SUBNUMBER, "valueString": c.branch_no},
            ],
            "identifier": [
                {
                    "system": SUBSCRIBER_ID_SYSTEM,
                    "value": f"{c.insurer_number}:{c.symbol}:{c.number}:{c.branch_no}",
                }
            ],
            "status": "active" if answer.covered else "cancelled",
            "type": {"coding": [{"system": INSURANCE_TYPE_SYSTEM, "code": "1", "display": "医保"}]},
            "subscriberId": f"{c.symbol}:{c.number}",
            "beneficiary": {"reference": "#patient"},
            "dependent": c.branch_no,
            "relationship": {
                "coding": [
                    {"system": RELATIONSHIP_SYSTEM, "code": str(c.relationship), "display": rel.ja}
                ]
            },
            "period": period,
            "payor": [{"reference": "#insurer"}],
        }
        if c.copay is not None:
            coverage["costToBeneficiary"] = [
                {
                    "type": {
                        "coding": [{"system": COPAY_TYPE_SYSTEM, "code": "copaypct"}],
                        "text": c.copay.reason,
                    },
                    "valueQuantity": _quantity(c.copay.ratio),
                }
            ]
        contained.append(coverage)
        body["patient"] = {"reference": "#patient"}
        body["insurer"] = {"reference": "#insurer"}
        insurance: dict[str, Any] = {
            "coverage": {"reference": "#coverage"},
            "inforce": answer.covered,
        }
        if answer.covered:
            insurance["benefitPeriod"] = period
        body["insurance"] = [insurance]
    if request_ref:
        body["request"] = {"reference": request_ref}
    if contained:
        body["contained"] = contained
    return body


def capability_statement(base_url: str, today: date) -> dict[str, Any]:
    doc = {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": today.isoformat(),
        "publisher": "shikaku",
        "kind": "instance",
        "implementation": {
            "description": "shikaku online eligibility (FHIR facade)",
            "url": base_url,
        },
        "fhirVersion": FHIR_VERSION,
        "format": ["json", FHIR_JSON],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "description": "Send the clinic's API key as 'Authorization: Bearer <key>' "
                    "(scope 'fhir')."
                },
                "resource": [
                    {
                        "type": "CoverageEligibilityRequest",
                        "operation": [{"name": "submit", "definition": SUBMIT_DEFINITION}],
                    },
                ],
            }
        ],
    }
    CapabilityStatement.model_validate(doc)
    return doc


def routes(rt: EligibilityRuntime) -> list[Route]:
    async def metadata(request: Request) -> Response:
        base = str(request.base_url).rstrip("/") + "/fhir/R4"
        return Response(orjson.dumps(capability_statement(base, rt.today())), media_type=FHIR_JSON)

    async def submit(request: Request) -> Response:
        try:
            client = await admit(rt, request, Scope.FHIR)
        except Refusal as r:
            return _refusal_outcome(r)
        request_id = rt.request_id()
        try:
            raw = orjson.loads(await request.body())
            if not isinstance(raw, dict) or raw.get("resourceType") != "CoverageEligibilityRequest":
                raise ValueError("not a CoverageEligibilityRequest")
            req = CoverageEligibilityRequest.model_validate(raw)
        except (orjson.JSONDecodeError, ValueError, PydanticValidationError) as err:
            rt.record(client, channel=Channel.FHIR, request_id=request_id, outcome="fhir.structure")
            detail = str(err).splitlines()[0][:300]
            return operation_outcome(
                400,
                [
                    (
                        "fhir.structure",
                        "CoverageEligibilityRequest として読み取れません / "
                        f"Not a valid CoverageEligibilityRequest: {detail}",
                        None,
                    )
                ],
            )
        try:
            query = parse_number_query(request_fields(req), today=rt.today(), rules=rt.rules)
        except InvalidQuery as err:
            rt.record(client, channel=Channel.FHIR, request_id=request_id, outcome=err.rule_id)
            return operation_outcome(
                422,
                [(e.rule_id, f"{e.message_ja} / {e.message_en}", e.field) for e in err.errors],
            )
        answer = await answer_query(rt, query, Channel.FHIR)
        audit_answer(rt, client, answer, request_id, Channel.FHIR)
        body = response_resource(
            answer,
            query,
            request_id=request_id,
            created=rt.app.clock.now().isoformat(timespec="seconds"),
            request_ref=f"CoverageEligibilityRequest/{req.id}" if req.id else None,
        )
        CoverageEligibilityResponse.model_validate(body)
        return Response(
            orjson.dumps(body),
            media_type=FHIR_JSON,
            headers={"X-Request-ID": request_id, "Cache-Control": "no-store"},
        )

    return [
        Route("/fhir/R4/metadata", metadata, methods=["GET"], name="fhir-metadata"),
        Route(
            "/fhir/R4/CoverageEligibilityRequest/$submit",
            submit,
            methods=["POST"],
            name="fhir-submit",
        ),
    ]
