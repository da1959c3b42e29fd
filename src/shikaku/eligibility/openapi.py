"""The OpenAPI 3.1 document of the eligibility API (served at ``/openapi.json``).

Written by hand, next to the handlers it describes, because the handlers do their own
validation (no framework layer on the hot path). tests/integration/eligibility runs
schemathesis against it.
"""

from __future__ import annotations

from typing import Any

from shikaku.eligibility.present import API_VERSION

_DATE = {"type": "string", "format": "date"}
_NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}
_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_DOCS = ["myna_card", "certificate", "legacy_card", "notice"]


def _coded(code_type: str | list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["code", "label_ja", "label_en"],
        "properties": {"code": {"type": code_type}, "label_ja": _NSTR, "label_en": _NSTR},
    }


def _param(name: str, description: str, *, required: bool = False, **schema: Any) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema or _STR,
    }


NUMBER_FIELDS: dict[str, Any] = {
    "insurer_number": {
        "type": "string",
        "description": "保険者番号 (8 digits, check digit verified; full-width accepted)",
        "examples": ["01130012"],
    },
    "symbol": {
        "type": ["string", "null"],
        "description": "記号 (7-8 digits); optional — without it the answer may be 5",
        "examples": ["1234567"],
    },
    "number": {"type": "string", "description": "番号 (leading zeros ignored)", "examples": ["12"]},
    "branch": {"type": "string", "description": "枝番 (1-2 digits)", "examples": ["01"]},
    "birth_date": {
        "type": "string",
        "description": "生年月日: 1980-05-10, 19800510, 1980/5/10, 昭和55年5月10日 …",
        "examples": ["1980-05-10"],
    },
    "service_date": {
        "type": ["string", "null"],
        "description": "受診日 (default: today, JST)",
        "examples": ["2025-12-10"],
    },
    "presented_document": {
        "type": ["string", "null"],
        "enum": [*_DOCS, None],
        "description": "The document shown at reception; adds the `document` block",
    },
}

SCHEMAS: dict[str, Any] = {
    "NumberQuery": {
        "type": "object",
        "required": ["insurer_number", "number", "branch", "birth_date"],
        "properties": NUMBER_FIELDS,
    },
    "CardQuery": {
        "type": "object",
        "required": ["card_key"],
        "properties": {
            "card_key": {
                "type": "string",
                "pattern": "^[A-Za-z0-9_-]{1,64}$",
                "description": "Opaque card key (stands in for the e-certificate serial)",
            },
            "service_date": NUMBER_FIELDS["service_date"],
        },
    },
    "QrQuery": {
        "type": "object",
        "required": ["qr"],
        "properties": {
            "qr": {"type": "string", "description": "Text of the certificate's QR (SKK1:…)"},
            "service_date": NUMBER_FIELDS["service_date"],
        },
    },
    "Copay": {
        "type": ["object", "null"],
        "required": ["ratio", "reason", "reason_ja", "reason_en", "preschool"],
        "properties": {
            "ratio": {"type": "integer", "enum": [20, 30], "description": "percent"},
            "reason": {
                "type": "string",
                "enum": ["preschool", "working_age", "elderly_general", "elderly_high_income"],
            },
            "reason_ja": _STR,
            "reason_en": _STR,
            "preschool": {"type": "boolean"},
        },
    },
    "Eligibility": {
        "type": ["object", "null"],
        "required": [
            "insurer_number",
            "insurer_name_ja",
            "symbol",
            "number",
            "branch",
            "relationship",
            "name",
            "name_kana",
            "birth_date",
            "valid_from",
            "valid_to",
            "copay",
        ],
        "properties": {
            "insurer_number": _STR,
            "insurer_name_ja": _STR,
            "insurer_name_en": _STR,
            "symbol": _STR,
            "number": _STR,
            "branch": _STR,
            "relationship": _coded("integer"),
            "name": _STR,
            "name_kana": _STR,
            "sex": _coded("integer"),
            "birth_date": _DATE,
            "valid_from": _DATE,
            "valid_to": _NULLABLE_DATE,
            "loss_reason": {"anyOf": [_coded("string"), {"type": "null"}]},
            "copay": {"$ref": "#/components/schemas/Copay"},
        },
    },
    "Document": {
        "type": ["object", "null"],
        "required": ["kind", "acceptable", "rule", "valid_until", "message_ja", "message_en"],
        "properties": {
            "kind": {"type": "string", "enum": _DOCS},
            "label_ja": _STR,
            "label_en": _STR,
            "acceptable": {"type": "boolean"},
            "rule": {"type": "string", "examples": ["legacy_card.provisional"]},
            "valid_until": _NULLABLE_DATE,
            "message_ja": _STR,
            "message_en": _STR,
        },
    },
    "Myna": {
        "type": ["object", "null"],
        "properties": {
            "card_found": {"type": "boolean"},
            "registered": {"type": "boolean"},
            "insurance_registered": {"type": "boolean"},
            "registration_cancelled": {"type": "boolean"},
            "card_returned": {"type": "boolean"},
            "ecert_expiry": _NULLABLE_DATE,
            "ecert_valid": {"type": "boolean"},
            "usable_until": _NULLABLE_DATE,
            "usable": {"type": "boolean"},
        },
    },
    "Answer": {
        "type": "object",
        "required": [
            "api_version",
            "request_id",
            "channel",
            "query",
            "service_date",
            "validity",
            "covered",
            "eligibility",
            "document",
            "myna",
        ],
        "properties": {
            "api_version": {"const": API_VERSION},
            "request_id": _STR,
            "channel": {"type": "string", "enum": ["numbers", "myna", "qr", "fhir", "batch"]},
            "query": {"type": "object"},
            "service_date": _DATE,
            "validity": {
                **_coded("integer"),
                "description": "OQSCD006: 1 valid, 2 invalid, 3 invalid (newer exists), "
                "4 no match, 5 several matches, 6 valid (not yet registered nationally)",
            },
            "covered": {"type": "boolean"},
            "eligibility": {"$ref": "#/components/schemas/Eligibility"},
            "document": {"$ref": "#/components/schemas/Document"},
            "myna": {"$ref": "#/components/schemas/Myna"},
        },
    },
    "Problem": {
        "type": "object",
        "required": ["type", "title", "status", "detail", "rule_id"],
        "properties": {
            "type": _STR,
            "title": _STR,
            "status": {"type": "integer"},
            "detail": _STR,
            "instance": _STR,
            "rule_id": _STR,
            "message_ja": _STR,
            "message_en": _STR,
            "request_id": _STR,
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "rule_id": _STR,
                        "field": _NSTR,
                        "message_ja": _STR,
                        "message_en": _STR,
                    },
                },
            },
        },
    },
}


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


_ERRORS = {
    "401": _problem("No or unknown API key"),
    "403": _problem("The key lacks the scope"),
    "429": {
        **_problem("Rate limit exceeded"),
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    },
}
_ANSWER = {
    "200": {
        "description": "The answer (validity 1-6)",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Answer"}}},
    },
    "400": _problem("The body is not a JSON object"),
    "422": _problem("A field failed validation (rule_id; every error in `errors`)"),
    **_ERRORS,
}


def _lookup(summary: str, schema: str, params: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "parameters": params,
            "security": [{"bearer": []}, {"apiKey": []}],
            "responses": _ANSWER,
        },
        "post": {
            "summary": summary,
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}
                },
            },
            "security": [{"bearer": []}, {"apiKey": []}],
            "responses": _ANSWER,
        },
    }


def openapi_document() -> dict[str, Any]:
    number_params = [
        _param(name, spec["description"], required=name in SCHEMAS["NumberQuery"]["required"])
        for name, spec in NUMBER_FIELDS.items()
    ]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "shikaku online eligibility API",
            "version": API_VERSION,
            "description": "オンライン資格確認 for clinics: look up by numbers, Myna card or the "
            "certificate QR; batch pre-check; FHIR R4 facade at /fhir/R4. See docs/eligibility.md.",
        },
        "paths": {
            "/api/v1/eligibility": _lookup(
                "資格確認 (保険者番号・記号・番号・枝番・生年月日)", "NumberQuery", number_params
            ),
            "/api/v1/eligibility/myna": _lookup(
                "資格確認 (マイナ保険証)",
                "CardQuery",
                [
                    _param("card_key", "Opaque card key", required=True),
                    _param("service_date", "受診日 (default today)"),
                ],
            ),
            "/api/v1/eligibility/qr": _lookup(
                "資格確認 (資格確認書のQRコード)",
                "QrQuery",
                [
                    _param("qr", "QR text (SKK1:…)", required=True),
                    _param("service_date", "受診日 (default today)"),
                ],
            ),
            "/api/v1/eligibility/batch": {
                "post": {
                    "summary": "一括照会: CSV of appointments in, CSV of answers out",
                    "parameters": [
                        _param("service_date", "Default 受診日 for rows without one (tomorrow)"),
                        _param(
                            "encoding",
                            "Answer encoding",
                            enum=["utf-8", "shift_jis"],
                            type="string",
                        ),
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {"text/csv": {"schema": {"type": "string"}}},
                    },
                    "security": [{"bearer": []}, {"apiKey": []}],
                    "responses": {
                        "200": {
                            "description": "One answer row per input row",
                            "content": {"text/csv": {"schema": {"type": "string"}}},
                        },
                        "400": _problem("Unreadable CSV or missing header columns"),
                        "413": _problem("Too many rows"),
                        "415": _problem("Not CSV"),
                        "422": _problem("Bad service_date parameter"),
                        **_ERRORS,
                    },
                }
            },
            "/hello": {
                "get": {
                    "summary": "Benchmark ceiling: no work",
                    "responses": {"200": {"description": "hello"}},
                }
            },
            "/healthz": {
                "get": {"summary": "Liveness", "responses": {"200": {"description": "ok"}}}
            },
        },
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "API key"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },
        },
    }
