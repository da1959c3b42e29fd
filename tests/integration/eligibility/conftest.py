"""An eligibility API over the migrated test database (SQLite, and PostgreSQL when configured):
a clinic client, a fixed clock, and helpers to enrol the members a test needs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, insert
from starlette.testclient import TestClient

from shikaku.actors import SYSTEM
from shikaku.bootstrap import App
from shikaku.clock import FixedClock
from shikaku.config import Settings
from shikaku.crypto import MyNumberCipher
from shikaku.eligibility.clients import do_create_client
from shikaku.eligibility.runtime import RuntimeOptions
from shikaku.registry.service import (
    MembershipRef,
    PersonIn,
    do_create_employer,
    do_end_membership,
    do_enrol_member,
)
from shikaku.registry.tables import membership, myna_status
from shikaku.web.app import WebOptions, create_app

TOKYO = "01130012"
OSAKA = "01270016"
INSTITUTION = "1312345678"
TODAY = date(2025, 12, 10)
AT = FixedClock.on(date(2025, 4, 1)).now()


def database_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@dataclass
class Registry:
    """Enrols synthetic members straight through the registry's use cases."""

    engine: Engine
    cipher: MyNumberCipher
    employers: dict[tuple[str, str], int] = field(default_factory=dict)
    seq: int = 0

    def employer(self, conn: Connection, symbol: str, branch: str) -> int:
        key = (branch, symbol)
        if key not in self.employers:
            self.employers[key] = do_create_employer(
                conn,
                actor=SYSTEM,
                at=AT,
                branch_code=branch,
                symbol=symbol,
                name="合成商事株式会社",
                postal_code=None,
                address=None,
            )
        return self.employers[key]

    def member(
        self,
        *,
        birth: date,
        valid_from: date = date(2020, 4, 1),
        valid_to: date | None = None,
        loss_reason: str = "99",
        symbol: str = "1234567",
        branch: str = "13",
        insured: MembershipRef | None = None,
        remuneration: int | None = None,
        family: str = "山田",
        given: str = "太郎",
        sex: int = 1,
        myna: dict[str, Any] | None = None,
    ) -> MembershipRef:
        """Enrol one member (a dependant of *insured* if given); end it on *valid_to*."""
        if insured is not None:  # dependants belong to the insured person's employer
            symbol, branch = insured.symbol, insured.branch_code
        with self.engine.begin() as conn:
            emp = self.employer(conn, symbol, branch)
            ref = do_enrol_member(
                conn,
                actor=SYSTEM,
                at=AT,
                cipher=self.cipher,
                employer_id=emp,
                person_in=PersonIn(
                    family_name=family,
                    given_name=given,
                    family_name_kana="ヤマダ",
                    given_name_kana="タロウ",
                    sex=sex,
                    birth_date=birth,
                ),
                valid_from=valid_from,
                insured_person_id=None if insured is None else insured.person_id,
                standard_monthly_remuneration=remuneration,
            )
            if valid_to is not None:
                do_end_membership(
                    conn,
                    actor=SYSTEM,
                    at=AT,
                    membership_id=ref.membership_id,
                    valid_to=valid_to,
                    reason=loss_reason,
                )
            if myna is not None:
                self.set_myna(conn, ref.person_id, **myna)
        return ref

    def rejoin(
        self, old: MembershipRef, *, valid_from: date, symbol: str = "7654321", branch: str = "13"
    ) -> int:
        """A newer membership for the same person at another employer (a job change); the
        registry has no use case for it yet, so the row goes in directly."""
        with self.engine.begin() as conn:
            emp = self.employer(conn, symbol, branch)
            return int(
                conn.execute(
                    insert(membership).values(
                        person_id=old.person_id,
                        employer_id=emp,
                        branch_code=branch,
                        symbol=symbol,
                        number="901",
                        branch_no="00",
                        relationship=1,
                        insured_person_id=old.person_id,
                        valid_from=valid_from,
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
            )

    def set_myna(
        self,
        conn: Connection,
        person_id: int,
        *,
        card_key: str,
        ecert_expiry: date | None = date(2029, 5, 10),
        registered: bool = True,
        cancelled: bool = False,
        returned: bool = False,
        card_held: bool = True,
    ) -> None:
        conn.execute(
            insert(myna_status).values(
                person_id=person_id,
                card_held=card_held,
                card_returned=returned,
                insurance_registered=registered,
                registration_cancelled=cancelled,
                ecert_expiry=ecert_expiry,
                card_key=card_key,
                as_of=date(2025, 11, 30),
            )
        )


@dataclass
class Env:
    engine: Engine
    app: App
    clock: FixedClock
    http: TestClient
    key: str
    registry: Registry

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def check(self, **params: Any) -> Any:
        """POST /api/v1/eligibility with the client's key; the JSON answer (200 asserted)."""
        res = self.http.post("/api/v1/eligibility", json=params, headers=self.headers)
        assert res.status_code == 200, res.text
        return res.json()

    def flush_audit(self) -> None:
        self.http.app.state.runtime.audit.flush()  # type: ignore[attr-defined]

    def set_today(self, day: date) -> None:
        self.clock.at = datetime(day.year, day.month, day.day, 9, 0, tzinfo=self.clock.at.tzinfo)


def make_app(engine: Engine, cipher: MyNumberCipher, clock: FixedClock, **runtime: Any) -> App:
    settings = Settings(database_url=database_url(engine), key_hex=bytes(range(32)).hex())
    return App(settings=settings, engine=engine, clock=clock, cipher=cipher)


@pytest.fixture
def env(engine: Engine, cipher: MyNumberCipher) -> Iterator[Env]:
    clock = FixedClock.on(TODAY)
    app = make_app(engine, cipher, clock)
    with engine.begin() as conn:
        _, key = do_create_client(
            conn,
            at=clock.now(),
            institution_code=INSTITUTION,
            name="テスト内科クリニック",
            rate_per_second=100_000,
            burst=100_000,
        )
    web = create_app(
        app,
        options=WebOptions(access_log=None, runtime=RuntimeOptions(audit_interval=0.02)),
    )
    with TestClient(web) as http:
        yield Env(engine, app, clock, http, key, Registry(engine, cipher))
