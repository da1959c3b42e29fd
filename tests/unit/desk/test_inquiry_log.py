"""Pieces of the inquiry log that need no database: code sets, the My Number guard, CSV cells,
the vocabulary taken from the FAQ, and the zero-filling of logged days for the fit."""

from __future__ import annotations

from datetime import date

import pytest

from shikaku.desk import service
from shikaku.desk.campaign import _observed_for
from shikaku.desk.content import CATEGORIES, FaqBase
from shikaku.desk.forecast import MailingPlan, PlanRow, build_forecast
from shikaku.desk.service import DeskVocabulary, FieldProblem, InquiryError
from shikaku.desk.vocab import (
    CALLER_LABELS,
    CATEGORY_LABELS,
    CHANNEL_LABELS,
    OUTCOME_LABELS,
    CallerType,
    Channel,
    Outcome,
    label,
)


def test_every_code_has_both_labels() -> None:
    for enum, labels in (
        (Channel, CHANNEL_LABELS),
        (CallerType, CALLER_LABELS),
        (Outcome, OUTCOME_LABELS),
    ):
        assert set(labels) == {e.value for e in enum}
        assert all(ja and en for ja, en in labels.values())
    assert set(CATEGORY_LABELS) == set(CATEGORIES) | {"other"}
    assert label(CHANNEL_LABELS, "phone", "ja") == "電話"
    assert label(CHANNEL_LABELS, "phone", "en") == "Phone"
    assert label(CHANNEL_LABELS, "telex", "en") == "telex"


def test_messages_exist_for_every_rule_the_service_raises() -> None:
    for field in ("channel", "caller_type", "outcome"):
        assert f"inquiry.{field}.unknown" in service.MESSAGES
    assert all(ja and en for ja, en in service.MESSAGES.values())


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("123456789018", True),
        ("番号 1234 5678 9018 です", True),
        ("1234-5678-9018", True),
        ("１２３４５６７８９０１８", True),  # full-width
        ("0570-00-1234", False),  # a phone number
        ("1234567890123", False),  # 13 digits: not a My Number
        ("記号 1234567 番号 12", False),
    ],
)
def test_my_number_guard(text: str, refused: bool) -> None:
    problems: list[FieldProblem] = []
    service._check_text(text, "note", problems)
    assert bool(problems) is refused
    if refused:
        assert problems[0].rule_id == "inquiry.my_number" and problems[0].field == "note"


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+81", "'+81"),
        ("-1", "'-1"),
        ("@SUM", "'@SUM"),
        ("資格確認書", "資格確認書"),
        (None, ""),
        (True, "1"),
        (date(2025, 8, 1), "2025-08-01"),
    ],
)
def test_csv_cells_are_defused(value: object, cell: str) -> None:
    assert service._cell(value) == cell


def test_inquiry_error_lists_fields() -> None:
    err = InquiryError(
        [
            FieldProblem("symbol", "member.symbol.length", "記号は…", "The symbol …"),
            FieldProblem("note", "inquiry.my_number", "個人番号…", "A 12-digit …"),
        ]
    )
    assert err.fields == ["symbol", "note"]
    assert "symbol: 記号は… / The symbol …" in str(err)
    assert err.problems[1].message("en") == "A 12-digit …"


def test_vocabulary_from_the_faq(faq_base: FaqBase) -> None:
    vocab = DeskVocabulary.from_base(faq_base)
    assert len(vocab.entries) == len(faq_base.source.entries)
    assert vocab.entries["certificate-lost"] == "certificate"
    assert "vi" in vocab.languages


def test_logged_days_are_zero_filled_inside_the_logged_range() -> None:
    fc = build_forecast(MailingPlan(rows=(PlanRow(date(2025, 8, 1), "13", 1000),)))
    days = list(fc.days)
    logged = {days[2]: 5.0, days[5]: 3.0, date(2024, 1, 1): 9.0}
    obs = _observed_for(fc, logged)
    assert list(obs) == days[2:6]
    assert obs[days[3]] == 0.0 and obs[days[5]] == 3.0
    assert _observed_for(fc, {date(2024, 1, 1): 1.0}) == {}
