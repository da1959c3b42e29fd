"""FHIR facade: CoverageEligibilityRequest/$submit and metadata, validated with fhir.resources
(R4B models, the closest to R4 that fhir.resources 8 ships)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.coverage import Coverage
from fhir.resources.R4B.coverageeligibilityresponse import CoverageEligibilityResponse
from fhir.resources.R4B.operationoutcome import OperationOutcome

from shikaku.eligibility.fhir import (
    EXT_DOCUMENT,
    EXT_NUMBER,
    EXT_PRESENTED_DOCUMENT,
    EXT_SUBNUMBER,
    EXT_SYMBOL,
    EXT_VALIDITY,
    INSURER_NUMBER_SYSTEM,
    SUBSCRIBER_ID_SYSTEM,
)

from .conftest import TOKYO, Env

SUBMIT = "/fhir/R4/CoverageEligibilityRequest/$submit"
BIRTH = date(1954, 6, 10)


def request_body(
    *,
    symbol: str | None,
    number: str,
    branch: str,
    birth: str,
    insurer: str = TOKYO,
    service_date: str | None = "2025-12-10",
    document: str | None = "legacy_card",
    identifier_only: bool = False,
) -> dict[str, Any]:
    coverage: dict[str, Any] = {
        "resourceType": "Coverage",
        "id": "cov",
        "status": "active",
        "beneficiary": {"reference": "#pat"},
        "payor": [{"reference": "#ins"}],
    }
    if identifier_only:
        coverage["identifier"] = [
            {"system": SUBSCRIBER_ID_SYSTEM, "value": f"{insurer}:{symbol or ''}:{number}:{branch}"}
        ]
    else:
        coverage["extension"] = [
            *([{"url": EXT_SYMBOL, "valueString": symbol}] if symbol else []),
            {"url": EXT_NUMBER, "valueString": number},
            {"url": EXT_SUBNUMBER, "valueString": branch},
        ]
    body: dict[str, Any] = {
        "resourceType": "CoverageEligibilityRequest",
        "id": "req-1",
        "status": "active",
        "purpose": ["validation"],
        "created": "2025-12-10T09:00:00+09:00",
        "patient": {"reference": "#pat"},
        "insurer": {"reference": "#ins"},
        "provider": {
            "identifier": {
                "system": "http://jpfhir.jp/fhir/core/IdSystem/insurance-medical-institution-no",
                "value": "1312345678",
            }
        },
        "insurance": [{"coverage": {"reference": "#cov"}}],
        "contained": [
            {"resourceType": "Patient", "id": "pat", "birthDate": birth},
            {
                "resourceType": "Organization",
                "id": "ins",
                "identifier": [{"system": INSURER_NUMBER_SYSTEM, "value": insurer}],
            },
            coverage,
        ],
    }
    if service_date:
        body["servicedDate"] = service_date
    if document:
        body["extension"] = [{"url": EXT_PRESENTED_DOCUMENT, "valueCode": document}]
    return body


def submit(env: Env, body: dict[str, Any]) -> Any:
    return env.http.post(
        SUBMIT, json=body, headers={**env.headers, "content-type": "application/fhir+json"}
    )


def _ext(resource: dict[str, Any], url: str) -> dict[str, Any]:
    return next(e for e in resource["extension"] if e["url"] == url)


def test_submit_returns_a_valid_response_with_jp_core_coverage(env: Env) -> None:
    ref = env.registry.member(birth=BIRTH, remuneration=300_000)
    res = submit(
        env, request_body(symbol=ref.symbol, number="０００１", branch="0", birth=BIRTH.isoformat())
    )
    assert res.status_code == 200, res.text
    assert res.headers["content-type"] == "application/fhir+json"
    doc = res.json()
    parsed = CoverageEligibilityResponse.model_validate(doc)
    assert parsed.outcome == "complete"
    assert doc["request"] == {"reference": "CoverageEligibilityRequest/req-1"}
    assert _ext(doc, EXT_VALIDITY)["valueCoding"]["code"] == "1"
    assert doc["insurance"][0]["inforce"] is True
    contained = {r["resourceType"]: r for r in doc["contained"]}
    coverage = Coverage.model_validate(contained["Coverage"])
    assert coverage.status == "active"
    exts = {e["url"]: e["valueString"] for e in contained["Coverage"]["extension"]}
    assert exts == {EXT_SYMBOL: "1234567", EXT_NUMBER: "1", EXT_SUBNUMBER: "00"}
    assert contained["Coverage"]["identifier"][0] == {
        "system": SUBSCRIBER_ID_SYSTEM,
        "value": "01130012:1234567:1:00",
    }
    assert contained["Coverage"]["relationship"]["coding"][0]["code"] == "1"
    cost = contained["Coverage"]["costToBeneficiary"][0]
    assert cost["type"]["coding"][0]["code"] == "copaypct"
    assert cost["valueQuantity"]["value"] == 30  # 71, 現役並み
    assert contained["Organization"]["identifier"][0] == {
        "system": INSURER_NUMBER_SYSTEM,
        "value": TOKYO,
    }
    assert contained["Patient"]["birthDate"] == BIRTH.isoformat()
    doc_ext = {e["url"]: e for e in _ext(doc, EXT_DOCUMENT)["extension"]}
    assert doc_ext["rule"]["valueCode"] == "legacy_card.provisional"
    assert doc_ext["acceptable"]["valueBoolean"] is True


def test_subscriber_identifier_alone_is_enough(env: Env) -> None:
    ref = env.registry.member(birth=BIRTH)
    body = request_body(
        symbol=ref.symbol,
        number="1",
        branch="00",
        birth=BIRTH.isoformat(),
        identifier_only=True,
        document=None,
    )
    doc = submit(env, body).json()
    assert _ext(doc, EXT_VALIDITY)["valueCoding"]["code"] == "1"


def test_no_match_is_a_complete_response_without_insurance(env: Env) -> None:
    res = submit(env, request_body(symbol="1234567", number="99", branch="00", birth="1980-01-01"))
    doc = res.json()
    CoverageEligibilityResponse.model_validate(doc)
    assert _ext(doc, EXT_VALIDITY)["valueCoding"]["code"] == "4"
    assert "insurance" not in doc


def test_ended_coverage_is_cancelled_and_not_inforce(env: Env) -> None:
    ref = env.registry.member(birth=BIRTH, valid_to=date(2025, 3, 31))
    doc = submit(
        env, request_body(symbol=ref.symbol, number="1", branch="00", birth=BIRTH.isoformat())
    ).json()
    CoverageEligibilityResponse.model_validate(doc)
    coverage = next(r for r in doc["contained"] if r["resourceType"] == "Coverage")
    assert coverage["status"] == "cancelled" and "costToBeneficiary" not in coverage
    assert coverage["period"] == {"start": "2020-04-01", "end": "2025-03-31"}
    assert doc["insurance"][0]["inforce"] is False


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"resourceType": "Patient"}, 400, "structure"),
        ({"resourceType": "CoverageEligibilityRequest", "status": 12}, 400, "structure"),
        ("not json", 400, "structure"),
    ],
)
def test_bad_requests_are_operation_outcomes(env: Env, body: Any, status: int, code: str) -> None:
    if isinstance(body, str):
        res = env.http.post(SUBMIT, content=body, headers=env.headers)
    else:
        res = submit(env, body)
    assert res.status_code == status
    outcome = OperationOutcome.model_validate(res.json())
    assert outcome.issue[0].code == code


def test_invalid_fields_are_422_with_rule_ids(env: Env) -> None:
    body = request_body(
        symbol="12", number="x", branch="00", birth="1980-01-01", insurer="01130013"
    )
    res = submit(env, body)
    assert res.status_code == 422
    outcome = OperationOutcome.model_validate(res.json())
    rules = {i.details.coding[0].code for i in outcome.issue}
    assert {"insurer_number.checksum", "member.symbol.length", "member.number.format"} <= rules


def test_no_key_is_an_operation_outcome(env: Env) -> None:
    res = env.http.post(
        SUBMIT, json=request_body(symbol=None, number="1", branch="0", birth="1980-01-01")
    )
    assert res.status_code == 401
    assert OperationOutcome.model_validate(res.json()).issue[0].code == "login"


def test_metadata_is_a_capability_statement(env: Env) -> None:
    res = env.http.get("/fhir/R4/metadata")
    assert res.status_code == 200
    cap = CapabilityStatement.model_validate(res.json())
    assert cap.fhirVersion == "4.0.1"
    resource = cap.rest[0].resource[0]
    assert resource.type == "CoverageEligibilityRequest"
    assert resource.operation[0].name == "submit"


def test_fhir_queries_are_audited(env: Env) -> None:
    from .test_audit import rows

    ref = env.registry.member(birth=BIRTH)
    submit(env, request_body(symbol=ref.symbol, number="1", branch="0", birth=BIRTH.isoformat()))
    env.flush_audit()
    [row] = rows(env.engine)
    assert row["channel"] == "fhir" and row["membership_id"] == ref.membership_id
