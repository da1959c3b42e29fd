"""Normalisation and validation of what clinics send."""

from __future__ import annotations

from datetime import date

import pytest

from shikaku.domain.documents import DocumentKind
from shikaku.eligibility.api import parse_query_string
from shikaku.eligibility.inputs import InvalidQuery, parse_card_query, parse_number_query
from shikaku.eligibility.rules import EligibilityRules

TODAY = date(2025, 12, 10)
RULES = EligibilityRules()


def parse(**data):  # type: ignore[no-untyped-def]
    return parse_number_query(data, today=TODAY, rules=RULES)


def test_full_width_hyphens_spaces_and_zeros() -> None:
    q = parse(
        insurer_number=" ０１１３－００１２ ",
        symbol="１２３４５６７",
        number="０００１２",
        branch="１",
        birth_date="Ｓ５５．５．１０",
        presented_document="notice",
    )
    assert (q.insurer_number, q.symbol, q.number, q.branch_no) == (
        "01130012",
        "1234567",
        "12",
        "01",
    )
    assert q.birth_date == date(1980, 5, 10) and q.service_date == TODAY
    assert q.document is DocumentKind.NOTICE


def test_numbers_as_json_numbers_and_branch_no_alias() -> None:
    q = parse(insurer_number="01130012", number=12, branch_no=1, birth_date="19800510")
    assert (q.number, q.branch_no, q.symbol) == ("12", "01", None)


def test_blank_symbol_means_omitted() -> None:
    assert (
        parse(
            insurer_number="01130012", symbol="  ", number="1", branch="0", birth_date="1980-01-01"
        ).symbol
        is None
    )


def test_all_errors_are_collected() -> None:
    with pytest.raises(InvalidQuery) as err:
        parse(
            insurer_number="0113001",
            number="0",
            branch="123",
            birth_date="1980-13-01",
            service_date="2030-01-01",
            presented_document=["x"],
        )
    got = {(e.field, e.rule_id) for e in err.value.errors}
    assert got == {
        ("insurer_number", "insurer_number.length"),
        ("number", "member.number.zero"),
        ("branch", "member.branch_no.length"),
        ("service_date", "service_date.range"),
        ("birth_date", "birth_date.impossible"),
        ("presented_document", "presented_document.unknown"),
    }


def test_wrong_types_are_format_errors() -> None:
    with pytest.raises(InvalidQuery) as err:
        parse(insurer_number={"a": 1}, number=[1], branch=True, birth_date=1980.5)
    assert {e.field for e in err.value.errors} == {
        "insurer_number",
        "number",
        "branch",
        "birth_date",
    }


def test_card_query() -> None:
    assert parse_card_query({"card_key": "ab-12_Z"}, today=TODAY, rules=RULES).card_key == "ab-12_Z"
    with pytest.raises(InvalidQuery):
        parse_card_query({"card_key": "x" * 65}, today=TODAY, rules=RULES)


def test_query_string_parser() -> None:
    raw = b"birth_date=%E6%98%AD%E5%92%8C55%E5%B9%B4&number=1&number=2&a+b=c+d&flag"
    assert parse_query_string(raw) == {
        "birth_date": "昭和55年",
        "number": "1",
        "a b": "c d",
        "flag": "",
    }
    assert parse_query_string(b"") == {}


def test_query_string_parser_plain_text_keeps_the_first_value() -> None:
    # nothing to unquote: the parser's fast path, with the same rules as the quoted one
    raw = b"insurer_number=01130012&number=1&&number=2&flag&symbol="
    assert parse_query_string(raw) == {
        "insurer_number": "01130012",
        "number": "1",
        "flag": "",
        "symbol": "",
    }


def test_a_blank_branch_falls_back_to_branch_no_only_when_absent() -> None:
    base = {"insurer_number": "01130012", "number": "1", "birth_date": "1980-01-01"}
    query = parse_number_query({**base, "branch_no": "1"}, today=TODAY, rules=RULES)
    assert query.branch_no == "01"
    with pytest.raises(InvalidQuery) as err:
        parse_number_query({**base, "branch": " ", "branch_no": "1"}, today=TODAY, rules=RULES)
    assert err.value.rule_id == "branch.required"
