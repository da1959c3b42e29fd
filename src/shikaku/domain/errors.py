"""Typed validation errors for the domain rules, each with a stable rule id.

Every failure carries a ``rule_id`` that other systems may store, count and translate
(for example ``insurer_number.checksum``), the ``field`` it concerns, the offending
``value`` (never a My Number: those errors carry ``None``), and a Japanese and an
English message. The messages live in :data:`RULES`, a plain table, so that the desk,
the web pages and the API show the same wording.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import ClassVar

__all__ = [
    "RULES",
    "InvalidChecksum",
    "InvalidComponent",
    "InvalidDate",
    "InvalidFormat",
    "InvalidLength",
    "NotAMember",
    "Rule",
    "ValidationError",
    "rule",
]


@dataclass(frozen=True, slots=True)
class Rule:
    """One validation rule: its stable id and what a person is told when it fails."""

    rule_id: str
    message_ja: str
    message_en: str


def _table(*rules: Rule) -> Mapping[str, Rule]:
    table = {r.rule_id: r for r in rules}
    if len(table) != len(rules):  # a duplicated id would silently hide a message
        raise RuntimeError("duplicate rule id in errors.RULES")
    return MappingProxyType(table)


#: Every rule id the domain can raise, with its messages. Rule ids are stable: add, never rename.
RULES: Mapping[str, Rule] = _table(
    Rule("validation", "入力内容が正しくありません。", "The input is not valid."),
    Rule("input.type", "文字列で入力してください。", "The value must be text."),
    # 保険者番号
    Rule(
        "insurer_number.format",
        "保険者番号は数字で入力してください。",
        "The insurer number must consist of digits.",
    ),
    Rule(
        "insurer_number.length",
        "保険者番号は8桁で入力してください。",
        "The insurer number must have 8 digits.",
    ),
    Rule(
        "insurer_number.checksum",
        "保険者番号の検証番号(末尾の1桁)が一致しません。番号を確認してください。",
        "The check digit (last digit) of the insurer number does not match. Check the number.",
    ),
    # 個人番号
    Rule(
        "my_number.format",
        "個人番号は数字で入力してください。",
        "The My Number must consist of digits.",
    ),
    Rule(
        "my_number.length",
        "個人番号は12桁で入力してください。",
        "The My Number must have 12 digits.",
    ),
    Rule(
        "my_number.checksum",
        "個人番号のチェックデジットが一致しません。番号を確認してください。",
        "The check digit of the My Number does not match. Check the number.",
    ),
    # 記号・番号・枝番
    Rule(
        "member.symbol.format",
        "記号は数字で入力してください。",
        "The symbol (kigō) must consist of digits.",
    ),
    Rule(
        "member.symbol.length",
        "記号は7桁または8桁で入力してください。",
        "The symbol (kigō) must have 7 or 8 digits.",
    ),
    Rule(
        "member.number.format",
        "番号は数字で入力してください。",
        "The number (bangō) must consist of digits.",
    ),
    Rule(
        "member.number.length",
        "番号は1桁から8桁で入力してください。",
        "The number (bangō) must have 1 to 8 digits.",
    ),
    Rule(
        "member.number.zero",
        "番号に0は使えません。",
        "The number (bangō) cannot be zero.",
    ),
    Rule(
        "member.branch_no.format",
        "枝番は数字で入力してください。",
        "The branch number (edaban) must consist of digits.",
    ),
    Rule(
        "member.branch_no.length",
        "枝番は2桁で入力してください。",
        "The branch number (edaban) must have 2 digits.",
    ),
    # 日付
    Rule(
        "date.format",
        "日付の形式が正しくありません(例: 1980-04-01)。",
        "The date is not in a recognised format (for example 1980-04-01).",
    ),
    Rule(
        "date.impossible",
        "存在しない日付です。",
        "This date does not exist.",
    ),
    Rule(
        "birth_date.format",
        "生年月日の形式が正しくありません(例: 1980-04-01、19800401、昭和55年4月1日)。",
        "The date of birth is not in a recognised format (for example 1980-04-01 or 19800401).",
    ),
    Rule(
        "birth_date.impossible",
        "存在しない生年月日です。",
        "This date of birth does not exist.",
    ),
    Rule(
        "birth_date.future",
        "生年月日が基準日より後になっています。",
        "The date of birth is after the reference date.",
    ),
    Rule(
        "age.before_birth",
        "基準日が生年月日より前です。",
        "The reference date is before the date of birth.",
    ),
    Rule(
        "age.invalid_n",
        "年齢は0以上で指定してください。",
        "The age must be zero or more.",
    ),
    # 一部負担金割合
    Rule(
        "copay.not_a_member",
        "75歳の誕生日以降は後期高齢者医療制度の加入者となるため、協会けんぽの負担割合はありません。",
        "From the 75th birthday the person belongs to the late-stage elderly scheme, "
        "so there is no copayment share with this insurer.",
    ),
    # 資格確認書
    Rule(
        "certificate.not_a_member",
        "75歳の誕生日以降は資格確認書を交付できません(後期高齢者医療制度に移行します)。",
        "No certificate can be issued on or after the 75th birthday "
        "(the person moves to the late-stage elderly scheme).",
    ),
    Rule(
        "certificate.voluntary_ended",
        "任意継続の期間が交付日より前に終わっています。",
        "Voluntary continued membership ended before the issue date.",
    ),
    Rule(
        "certificate.stay_ended",
        "在留期間が交付日より前に終わっています。",
        "The period of stay ended before the issue date.",
    ),
    # 都道府県
    Rule(
        "prefecture.unknown",
        "都道府県コードまたは名称が正しくありません(01〜47)。",
        "Unknown prefecture code or name (01 to 47).",
    ),
)


def rule(rule_id: str) -> Rule:
    """Return the :class:`Rule` for *rule_id*; a ``KeyError`` means a programming error."""
    return RULES[rule_id]


class ValidationError(ValueError):
    """Base class of every domain validation failure.

    ``str(err)`` gives ``"rule_id: message_ja / message_en"``. Subclasses only fix the
    default rule id and let callers catch a family of failures (``except InvalidChecksum``).
    """

    default_rule_id: ClassVar[str] = "validation"

    rule_id: str
    field: str | None
    value: object
    message_ja: str
    message_en: str

    def __init__(
        self,
        rule_id: str | None = None,
        *,
        field: str | None = None,
        value: object = None,
        message_ja: str | None = None,
        message_en: str | None = None,
    ) -> None:
        self.rule_id = rule_id or self.default_rule_id
        known = RULES.get(self.rule_id)
        self.field = field
        self.value = value
        self.message_ja = message_ja or (
            known.message_ja if known else RULES["validation"].message_ja
        )
        self.message_en = message_en or (
            known.message_en if known else RULES["validation"].message_en
        )
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.rule_id}: {self.message_ja} / {self.message_en}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(rule_id={self.rule_id!r}, field={self.field!r})"

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only arguments defeat BaseException's default pickling; batch workers in
        # other processes send these errors back, so rebuild them from their fields.
        return (
            _rebuild,
            (type(self), self.rule_id, self.field, self.value, self.message_ja, self.message_en),
        )

    def as_dict(self) -> dict[str, object]:
        """Return a JSON-ready description (the value is left out: it may be personal)."""
        return {
            "rule_id": self.rule_id,
            "field": self.field,
            "message_ja": self.message_ja,
            "message_en": self.message_en,
        }


def _rebuild(
    cls: type[ValidationError],
    rule_id: str,
    field: str | None,
    value: object,
    message_ja: str,
    message_en: str,
) -> ValidationError:
    return cls(rule_id, field=field, value=value, message_ja=message_ja, message_en=message_en)


class InvalidFormat(ValidationError):
    """The value has characters or a shape that the field does not allow."""

    default_rule_id = "validation"


class InvalidLength(ValidationError):
    """The value has the wrong number of digits."""

    default_rule_id = "validation"


class InvalidChecksum(ValidationError):
    """The check digit does not match the rest of the number."""

    default_rule_id = "validation"


class InvalidComponent(ValidationError):
    """A part of the value (a prefecture code, say) is not one of the allowed values."""

    default_rule_id = "validation"


class InvalidDate(ValidationError):
    """A date that cannot be parsed, does not exist, or is out of order with another date."""

    default_rule_id = "date.impossible"


class NotAMember(ValidationError):
    """The person is not (or no longer) a member on the date asked about (75th birthday on)."""

    default_rule_id = "copay.not_a_member"
