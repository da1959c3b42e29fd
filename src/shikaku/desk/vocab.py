"""Fixed code sets of the inquiry log, each with a Japanese and an English label.

Codes are stored in the database and exported in CSV: add, never rename.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from shikaku.desk.content import CATEGORIES

__all__ = [
    "CALLER_LABELS",
    "CATEGORY_LABELS",
    "CHANNEL_LABELS",
    "FOLLOW_UP_OUTCOMES",
    "OTHER_CATEGORY",
    "OUTCOME_LABELS",
    "CallerType",
    "Channel",
    "Outcome",
    "label",
]


class Channel(StrEnum):
    PHONE = "phone"
    MAIL = "mail"  # letter or e-mail
    WEB = "web"  # the special site's inquiry form
    COUNTER = "counter"  # a branch's counter


class CallerType(StrEnum):
    MEMBER = "member"
    EMPLOYER = "employer"
    CLINIC = "clinic"
    OTHER = "other"


class Outcome(StrEnum):
    ANSWERED = "answered"
    ESCALATED = "escalated"  # handed to a supervisor or the branch
    CALLBACK = "callback"  # the desk calls back (needs a due date)
    REFERRED = "referred"  # sent to another desk (e.g. the national My Number free dial)
    ABANDONED = "abandoned"  # the caller hung up before an answer


#: Outcomes that leave work to do: a follow-up text is required; a callback also needs a date.
FOLLOW_UP_OUTCOMES = frozenset({Outcome.ESCALATED, Outcome.CALLBACK})

OTHER_CATEGORY = "other"

CHANNEL_LABELS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        Channel.PHONE: ("電話", "Phone"),
        Channel.MAIL: ("郵便・メール", "Letter / e-mail"),
        Channel.WEB: ("Webフォーム", "Web form"),
        Channel.COUNTER: ("窓口", "Counter"),
    }
)
CALLER_LABELS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        CallerType.MEMBER: ("加入者", "Member"),
        CallerType.EMPLOYER: ("事業所", "Employer"),
        CallerType.CLINIC: ("医療機関・薬局", "Clinic / pharmacy"),
        CallerType.OTHER: ("その他", "Other"),
    }
)
OUTCOME_LABELS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        Outcome.ANSWERED: ("回答済み", "Answered"),
        Outcome.ESCALATED: ("引継ぎ(エスカレーション)", "Escalated"),
        Outcome.CALLBACK: ("折り返し連絡", "Call back"),
        Outcome.REFERRED: ("他の窓口を案内", "Referred elsewhere"),
        Outcome.ABANDONED: ("途中で切断", "Abandoned"),
    }
)
CATEGORY_LABELS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {**CATEGORIES, OTHER_CATEGORY: ("その他", "Other")}
)


def label(labels: Mapping[str, tuple[str, str]], code: str | None, lang: str) -> str:
    """The label of *code* in ``ja`` or ``en`` (the code itself when unknown)."""
    if code is None:
        return ""
    pair = labels.get(code)
    if pair is None:
        return code
    return pair[1] if lang == "en" else pair[0]
