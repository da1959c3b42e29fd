"""Errors: str() format, the rule table, and that every literal rule id raised exists."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest

from shikaku.domain import errors
from shikaku.domain.errors import (
    RULES,
    InvalidChecksum,
    InvalidDate,
    InvalidFormat,
    NotAMember,
    ValidationError,
)

DOMAIN_SRC = Path(errors.__file__).parent


def test_str_gives_rule_id_then_both_messages() -> None:
    err = InvalidChecksum("insurer_number.checksum", field="insurer_number", value="01130013")
    assert str(err) == (
        "insurer_number.checksum: "
        "保険者番号の検証番号(末尾の1桁)が一致しません。番号を確認してください。 / "
        "The check digit (last digit) of the insurer number does not match. Check the number."
    )
    assert err.field == "insurer_number"
    assert err.value == "01130013"
    assert isinstance(err, ValueError)


def test_subclasses_share_the_base() -> None:
    for cls in (InvalidFormat, InvalidChecksum, InvalidDate, NotAMember):
        assert issubclass(cls, ValidationError)


def test_default_rule_ids() -> None:
    assert NotAMember().rule_id == "copay.not_a_member"
    assert InvalidDate().rule_id == "date.impossible"


def test_explicit_messages_override_the_table() -> None:
    err = InvalidFormat("insurer_number.format", message_ja="独自", message_en="custom")
    assert str(err) == "insurer_number.format: 独自 / custom"


def test_as_dict_leaves_the_value_out() -> None:
    d = InvalidFormat("member.symbol.format", field="symbol", value="secret").as_dict()
    assert "value" not in d
    assert d["rule_id"] == "member.symbol.format"


def test_errors_survive_pickling_for_process_pools() -> None:
    err = InvalidChecksum("insurer_number.checksum", field="insurer_number", value="01130013")
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is InvalidChecksum
    assert (back.rule_id, back.field, back.value) == (err.rule_id, err.field, err.value)
    assert str(back) == str(err)


def test_every_rule_has_both_messages() -> None:
    for rule_id, rule in RULES.items():
        assert rule.rule_id == rule_id
        assert rule.message_ja and rule.message_en


_LITERAL_RULE = re.compile(r'(?:Invalid\w+|NotAMember)\(\s*"([a-z0-9_.]+)"')


# The modules whose rule ids live in errors.RULES (other modules carry their own messages).
RULE_TABLE_MODULES = [
    "age.py",
    "calendar.py",
    "certificates.py",
    "copay.py",
    "dates.py",
    "documents.py",
    "normalize.py",
    "prefectures.py",
    "targeting.py",
    "ids/insurer_number.py",
    "ids/member.py",
    "ids/my_number.py",
]


def _raised_literals() -> set[str]:
    found: set[str] = set()
    for name in RULE_TABLE_MODULES:
        text = (DOMAIN_SRC / name).read_text(encoding="utf-8")
        found.update(_LITERAL_RULE.findall(text))
    return found


def test_every_literal_rule_id_raised_is_in_the_table() -> None:
    raised = _raised_literals()
    assert len(raised) > 10  # the scan itself works
    assert sorted(raised - set(RULES)) == []


@pytest.mark.parametrize(
    "prefix", ["insurer_number", "my_number", "member.symbol", "member.number", "member.branch_no"]
)
def test_f_string_rule_families_exist(prefix: str) -> None:
    assert f"{prefix}.format" in RULES
    assert f"{prefix}.length" in RULES
