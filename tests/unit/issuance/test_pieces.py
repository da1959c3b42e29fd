from __future__ import annotations

import pytest

from shikaku.domain.mailpiece import IllegalTransition, PieceStatus, check_move
from shikaku.issuance.pieces import is_valid_piece_id, luhn_digit, piece_id


def test_piece_id_has_a_check_digit_that_catches_typos() -> None:
    pid = piece_id(1, "32", 123)
    assert len(pid) == 12 and pid.startswith("0132") and is_valid_piece_id(pid)
    for i in range(11):  # every single-digit typo is caught
        wrong = pid[:i] + str((int(pid[i]) + 1) % 10) + pid[i + 1 :]
        assert not is_valid_piece_id(wrong)


@pytest.mark.parametrize(
    ("body", "digit"), [("7992739871", "3"), ("0", "0"), ("1", "8"), ("49927398716"[:-1], "6")]
)
def test_luhn_digit_matches_the_published_examples(body: str, digit: str) -> None:
    assert luhn_digit(body) == digit


def test_lifecycle_refuses_illegal_moves() -> None:
    check_move(PieceStatus.PLANNED, PieceStatus.PRINTED)
    check_move(PieceStatus.RETURNED, PieceStatus.REROUTED)
    with pytest.raises(IllegalTransition):
        check_move(PieceStatus.PLANNED, PieceStatus.POSTED)
    with pytest.raises(IllegalTransition):
        check_move(PieceStatus.DESTROYED, PieceStatus.RESENT)
