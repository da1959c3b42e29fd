from __future__ import annotations

import pytest

from shikaku.domain.mailpiece import IllegalTransition, PieceStatus, check_move
from shikaku.issuance.pieces import is_valid_piece_id, piece_id


def test_piece_id_has_a_check_digit_that_catches_typos() -> None:
    pid = piece_id(1, "32", 123)
    assert len(pid) == 12 and pid.startswith("0132") and is_valid_piece_id(pid)
    for i in range(11):  # every single-digit typo is caught
        wrong = pid[:i] + str((int(pid[i]) + 1) % 10) + pid[i + 1 :]
        assert not is_valid_piece_id(wrong)


def test_lifecycle_refuses_illegal_moves() -> None:
    check_move(PieceStatus.PLANNED, PieceStatus.PRINTED)
    check_move(PieceStatus.RETURNED, PieceStatus.REROUTED)
    with pytest.raises(IllegalTransition):
        check_move(PieceStatus.PLANNED, PieceStatus.POSTED)
    with pytest.raises(IllegalTransition):
        check_move(PieceStatus.DESTROYED, PieceStatus.RESENT)
