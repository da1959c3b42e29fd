"""Who is acting: staff roles and the branch-scope rule.

Staff see and change only their own branch unless their role says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    HEAD_OFFICE = "head-office"  # every branch
    BRANCH_STAFF = "branch-staff"  # own branch only
    AUDITOR = "auditor"  # read every branch
    SYSTEM = "system"  # batch jobs and imports


ALL_BRANCH_ROLES = frozenset({Role.HEAD_OFFICE, Role.AUDITOR, Role.SYSTEM})


class PermissionDenied(Exception):
    """The actor may not touch this branch's data."""

    def __init__(self, actor: Actor, branch_code: str | None) -> None:
        super().__init__(
            f"{actor.login} ({actor.role}) may not access branch {branch_code} / "
            f"{actor.login} は支部 {branch_code} のデータを扱えません"
        )
        self.actor = actor
        self.branch_code = branch_code


@dataclass(frozen=True)
class Actor:
    login: str
    role: Role
    branch_code: str | None = None

    def can_access(self, branch_code: str | None) -> bool:
        if self.role in ALL_BRANCH_ROLES:
            return True
        return branch_code is not None and branch_code == self.branch_code

    def require(self, branch_code: str | None) -> None:
        if not self.can_access(branch_code):
            raise PermissionDenied(self, branch_code)


SYSTEM = Actor("system", Role.SYSTEM)
