"""Mail-piece lifecycle: the statuses an envelope goes through, defined once, and the legal moves.

planned → printed → posted → delivered
                         └→ returned → rerouted (to the employer) → delivered / returned-again
                                     → resent (corrected home address) → …
                                     → held (at the branch) → …
                                     → destroyed (member left / died; certificate void)
A piece may be dropped before printing (``cancelled``) when its member left the insurer.
"""

from __future__ import annotations

from enum import StrEnum


class PieceStatus(StrEnum):
    PLANNED = "planned"
    PRINTED = "printed"
    POSTED = "posted"
    DELIVERED = "delivered"
    RETURNED = "returned"
    REROUTED = "rerouted"
    RESENT = "resent"
    HELD = "held"
    DESTROYED = "destroyed"
    CANCELLED = "cancelled"


class Route(StrEnum):
    HOME = "home"  # the insured person's home, by 特定記録
    EMPLOYER = "employer"  # 事業所宛, for hand-over


#: Allowed transitions. Anything else is a programming or data error and is refused.
TRANSITIONS: dict[PieceStatus, frozenset[PieceStatus]] = {
    PieceStatus.PLANNED: frozenset({PieceStatus.PRINTED, PieceStatus.CANCELLED}),
    PieceStatus.PRINTED: frozenset({PieceStatus.POSTED, PieceStatus.CANCELLED}),
    PieceStatus.POSTED: frozenset({PieceStatus.DELIVERED, PieceStatus.RETURNED}),
    PieceStatus.DELIVERED: frozenset({PieceStatus.RETURNED}),  # a late return still counts
    PieceStatus.RETURNED: frozenset(
        {PieceStatus.REROUTED, PieceStatus.RESENT, PieceStatus.HELD, PieceStatus.DESTROYED}
    ),
    PieceStatus.REROUTED: frozenset({PieceStatus.DELIVERED, PieceStatus.RETURNED}),
    PieceStatus.RESENT: frozenset({PieceStatus.DELIVERED, PieceStatus.RETURNED}),
    PieceStatus.HELD: frozenset(
        {PieceStatus.REROUTED, PieceStatus.RESENT, PieceStatus.DESTROYED, PieceStatus.DELIVERED}
    ),
    PieceStatus.DESTROYED: frozenset(),
    PieceStatus.CANCELLED: frozenset(),
}

#: Groups used by reports and reconciliation.
IN_TRANSIT = frozenset({PieceStatus.POSTED, PieceStatus.REROUTED, PieceStatus.RESENT})
FINAL = frozenset({PieceStatus.DELIVERED, PieceStatus.DESTROYED, PieceStatus.CANCELLED})
NOT_YET_PRINTED = frozenset({PieceStatus.PLANNED})


class IllegalTransition(ValueError):
    """A status change the lifecycle does not allow."""

    def __init__(self, current: PieceStatus, new: PieceStatus) -> None:
        super().__init__(
            f"mail piece cannot go from {current} to {new} / "
            f"郵便物の状態を {current} から {new} に変更できません"
        )
        self.current = current
        self.new = new


def can_move(current: PieceStatus, new: PieceStatus) -> bool:
    return new in TRANSITIONS[current]


def check_move(current: PieceStatus, new: PieceStatus) -> None:
    if not can_move(current, new):
        raise IllegalTransition(current, new)
