"""Import every feature's tables so ``metadata`` is complete (Alembic, test set-up)."""

from __future__ import annotations

from shikaku.db.meta import metadata
from shikaku.desk import tables as desk_tables  # noqa: F401
from shikaku.eligibility import tables as eligibility_tables  # noqa: F401
from shikaku.issuance import tables as issuance_tables  # noqa: F401
from shikaku.mail import tables as mail_tables  # noqa: F401
from shikaku.registry import tables as registry_tables

__all__ = ["metadata", "registry_tables"]
