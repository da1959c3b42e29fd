"""Return reasons (Japan Post 還付事由) and the rules that map a reason to what happens next.

Codes are kebab-case constants defined once here; everything else (SQL, CSV, the web page,
reports) refers to them. The rules are data: :data:`DEFAULT_RULES` is the policy of
docs/decisions/0006-returned-mail-rules.md and can be replaced from a TOML file
(:func:`load_rules`) without touching code.
"""

from __future__ import annotations

import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType


class Reason(StrEnum):
    """Why Japan Post returned the letter (the 還付付箋 or stamp)."""

    ADDRESSEE_UNKNOWN = "addressee-unknown"  # あて所に尋ねあたりません
    ADDRESS_INCOMPLETE = "address-incomplete"  # あて名不完全
    MOVED_NO_FORWARDING = "moved-no-forwarding"  # 転居先不明
    REFUSED = "refused"  # 受取拒絶
    UNCLAIMED = "unclaimed"  # 保管期間経過
    DECEASED = "deceased"  # 受取人死亡
    OTHER = "other"  # その他


class Action(StrEnum):
    """What the branch does with a returned piece."""

    REROUTE_EMPLOYER = "reroute-employer"  # next daily run: to the employer, for hand-over
    RESEND_HOME = "resend-home"  # held until the address is corrected, then sent home again
    RECORD_REFUSAL = "record-refusal"  # held; the refusal is recorded, staff decide
    CHECK_ELIGIBILITY = "check-eligibility"  # held; staff confirm the death / loss of membership
    HOLD_AT_BRANCH = "hold-at-branch"  # held for staff
    DESTROY = "destroy"  # every member in it has left the insurer: certificates void, shredded


#: Actions that keep the piece at the branch with a task for staff.
HOLDING_ACTIONS = frozenset(
    {Action.RESEND_HOME, Action.RECORD_REFUSAL, Action.CHECK_ELIGIBILITY, Action.HOLD_AT_BRANCH}
)


class TaskKind(StrEnum):
    """Branch tasks created by returned mail (one per return and kind)."""

    CORRECT_ADDRESS = "correct-address"
    REFUSAL = "refusal"
    CHECK_ELIGIBILITY = "check-eligibility"
    REVIEW = "review"  # reason "other" or a rule that says hold
    RETURNED_FROM_EMPLOYER = "returned-from-employer"
    NO_EMPLOYER = "no-employer"  # 任意継続: there is no workplace to hand it over
    EMPLOYER_ADDRESS_MISSING = "employer-address-missing"


TASK_FOR_ACTION: Mapping[Action, TaskKind] = MappingProxyType(
    {
        Action.RESEND_HOME: TaskKind.CORRECT_ADDRESS,
        Action.RECORD_REFUSAL: TaskKind.REFUSAL,
        Action.CHECK_ELIGIBILITY: TaskKind.CHECK_ELIGIBILITY,
        Action.HOLD_AT_BRANCH: TaskKind.REVIEW,
    }
)


class Resolution(StrEnum):
    """How staff close a task on a held piece."""

    RESEND_HOME = "resend-home"  # address corrected, the piece goes home again
    REROUTE = "reroute"  # send it to the employer after all (next run)
    HANDED_OVER = "handed-over"  # collected at the branch counter / handed over in person
    DESTROY = "destroy"  # member left or died: certificates void, piece shredded


@dataclass(frozen=True)
class ReasonInfo:
    code: Reason
    label_ja: str
    label_en: str
    #: other spellings accepted in CSV files and from scanners (compared after NFKC, lower-case)
    aliases: tuple[str, ...]


REASONS: tuple[ReasonInfo, ...] = (
    ReasonInfo(
        Reason.ADDRESSEE_UNKNOWN,
        "あて所に尋ねあたりません",
        "No such addressee at this address",
        (
            "あて所に尋ねあたりません",
            "宛所に尋ねあたりません",
            "宛所不明",
            "あて所不明",
            "尋ねあたらず",
            "unknown",
            "1",
        ),
    ),
    ReasonInfo(
        Reason.ADDRESS_INCOMPLETE,
        "あて名不完全",
        "Address incomplete",
        ("あて名不完全", "宛名不完全", "あて名不完全で配達できません", "incomplete", "2"),
    ),
    ReasonInfo(
        Reason.MOVED_NO_FORWARDING,
        "転居先不明",
        "Moved, new address unknown",
        ("転居先不明", "moved", "3"),
    ),
    ReasonInfo(
        Reason.REFUSED,
        "受取拒絶",
        "Refused by the addressee",
        ("受取拒絶", "受取拒否", "refused", "4"),
    ),
    ReasonInfo(
        Reason.UNCLAIMED,
        "保管期間経過",
        "Not collected within the holding period",
        ("保管期間経過", "unclaimed", "5"),
    ),
    ReasonInfo(
        Reason.DECEASED,
        "受取人死亡",
        "Addressee deceased",
        ("受取人死亡", "死亡", "deceased", "6"),
    ),
    ReasonInfo(Reason.OTHER, "その他", "Other", ("その他", "other", "9")),
)
REASON_INFO: Mapping[Reason, ReasonInfo] = MappingProxyType({r.code: r for r in REASONS})


def _key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower().replace(" ", "")


_ALIASES: Mapping[str, Reason] = MappingProxyType(
    {_key(a): r.code for r in REASONS for a in (r.code.value, r.label_en, *r.aliases)}
)


def parse_reason(text: str) -> Reason | None:
    """The reason for a code, a Japanese slip text or an English label; None when unknown."""
    return _ALIASES.get(_key(text))


ACTION_LABELS: Mapping[Action, tuple[str, str]] = MappingProxyType(
    {
        Action.REROUTE_EMPLOYER: (
            "事業所あてに再送します（次回の再送便）",
            "Re-sent to the employer for hand-over (next daily run)",
        ),
        Action.RESEND_HOME: (
            "支部で保管し、住所を確認・訂正してご自宅へ再送します",
            "Held at the branch: correct the address, then re-send home",
        ),
        Action.RECORD_REFUSAL: (
            "受取拒絶として記録し、支部で保管します",
            "Refusal recorded; held at the branch for staff to decide",
        ),
        Action.CHECK_ELIGIBILITY: (
            "支部で保管し、資格（死亡・喪失）を確認します",
            "Held at the branch: confirm death / loss of membership",
        ),
        Action.HOLD_AT_BRANCH: ("支部で保管し、確認します", "Held at the branch for review"),
        Action.DESTROY: (
            "資格喪失のため再送しません。資格確認書を無効にし廃棄します",
            "Not re-sent: the member has left the insurer; certificates void, to be shredded",
        ),
    }
)

TASK_LABELS: Mapping[TaskKind, tuple[str, str]] = MappingProxyType(
    {
        TaskKind.CORRECT_ADDRESS: ("住所の確認・訂正", "Check and correct the address"),
        TaskKind.REFUSAL: ("受取拒絶への対応", "Decide how to handle a refusal"),
        TaskKind.CHECK_ELIGIBILITY: ("資格（死亡・喪失）の確認", "Confirm death / loss"),
        TaskKind.REVIEW: ("返戻理由の確認", "Review the return"),
        TaskKind.RETURNED_FROM_EMPLOYER: (
            "事業所から返戻：本人への交付方法を確認",
            "Returned by the employer: find another way to reach the member",
        ),
        TaskKind.NO_EMPLOYER: (
            "任意継続のため事業所なし：本人へ連絡",
            "Voluntary member, no employer: contact the member",
        ),
        TaskKind.EMPLOYER_ADDRESS_MISSING: (
            "事業所の住所がありません：住所を確認",
            "The employer has no address: check it",
        ),
    }
)


@dataclass(frozen=True)
class ReturnRules:
    """Reason → action for letters sent home; letters sent to the employer that come back
    are always held (``from_employer``)."""

    home: Mapping[Reason, Action]
    from_employer: Action = Action.HOLD_AT_BRANCH

    def action_for(self, reason: Reason, *, route: str = "home") -> Action:
        if route == "employer":
            return self.from_employer
        return self.home.get(reason, Action.HOLD_AT_BRANCH)


DEFAULT_RULES = ReturnRules(
    home=MappingProxyType(
        {
            Reason.ADDRESSEE_UNKNOWN: Action.REROUTE_EMPLOYER,
            Reason.MOVED_NO_FORWARDING: Action.REROUTE_EMPLOYER,
            Reason.UNCLAIMED: Action.REROUTE_EMPLOYER,
            Reason.ADDRESS_INCOMPLETE: Action.RESEND_HOME,
            Reason.REFUSED: Action.RECORD_REFUSAL,
            Reason.DECEASED: Action.CHECK_ELIGIBILITY,
            Reason.OTHER: Action.HOLD_AT_BRANCH,
        }
    )
)


class RulesError(ValueError):
    """A rules file names an unknown reason or action."""


def load_rules(path: Path) -> ReturnRules:
    """Rules from TOML: ``[home]`` reason = action, optional ``from_employer = action``.
    Reasons not listed keep the default action."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    home = dict(DEFAULT_RULES.home)
    try:
        for reason, action in data.get("home", {}).items():
            home[Reason(reason)] = Action(action)
        from_employer = Action(data.get("from_employer", DEFAULT_RULES.from_employer))
    except ValueError as err:
        raise RulesError(f"{path}: {err} / 返戻ルールが正しくありません") from err
    if from_employer == Action.REROUTE_EMPLOYER:
        raise RulesError(f"{path}: a letter the employer sent back cannot go to it again")
    return ReturnRules(home=MappingProxyType(home), from_employer=from_employer)


#: Realistic reason shares for simulations (most returns are 宛所不明 / 転居先不明).
SIMULATED_SHARES: Mapping[Reason, float] = MappingProxyType(
    {
        Reason.ADDRESSEE_UNKNOWN: 0.55,
        Reason.MOVED_NO_FORWARDING: 0.25,
        Reason.ADDRESS_INCOMPLETE: 0.08,
        Reason.UNCLAIMED: 0.05,
        Reason.REFUSED: 0.03,
        Reason.DECEASED: 0.02,
        Reason.OTHER: 0.02,
    }
)
