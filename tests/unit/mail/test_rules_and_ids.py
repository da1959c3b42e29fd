"""Reasons, rules as data, ids (Python and SQL agree), intake parsing, signatures."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, literal, select

from shikaku.issuance.pieces import is_valid_piece_id, piece_id
from shikaku.mail.ids import (
    IdKind,
    classify,
    envelope_id,
    envelope_id_sql,
    normalise_id,
    reroute_piece_id,
    reroute_piece_id_sql,
)
from shikaku.mail.reasons import (
    DEFAULT_RULES,
    REASONS,
    SIMULATED_SHARES,
    TASK_FOR_ACTION,
    Action,
    Reason,
    RulesError,
    load_rules,
    parse_reason,
)
from shikaku.mail.returns import Outcome, ReturnInput, RowResult, parse_input
from shikaku.mail.webhook import BackOff, sign, verify

TODAY = date(2025, 9, 5)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("あて所に尋ねあたりません", Reason.ADDRESSEE_UNKNOWN),
        ("宛所不明", Reason.ADDRESSEE_UNKNOWN),
        (" あて名不完全で配達できません ", Reason.ADDRESS_INCOMPLETE),
        ("転居先不明", Reason.MOVED_NO_FORWARDING),
        ("MOVED", Reason.MOVED_NO_FORWARDING),
        ("受取拒絶", Reason.REFUSED),
        ("保管期間経過", Reason.UNCLAIMED),
        ("UNCLAIMED", Reason.UNCLAIMED),
        ("受取人死亡", Reason.DECEASED),
        ("deceased", Reason.DECEASED),
        ("その他", Reason.OTHER),
        ("reroute", None),
        ("", None),
        ("３", Reason.MOVED_NO_FORWARDING),  # full-width slip code
    ],
)
def test_reason_spellings(text: str, reason: Reason | None) -> None:
    assert parse_reason(text) == reason


def test_default_rules_cover_every_reason() -> None:
    assert set(DEFAULT_RULES.home) == set(Reason)
    assert {r.code for r in REASONS} == set(Reason)
    assert DEFAULT_RULES.action_for(Reason.ADDRESSEE_UNKNOWN) == Action.REROUTE_EMPLOYER
    assert DEFAULT_RULES.action_for(Reason.MOVED_NO_FORWARDING) == Action.REROUTE_EMPLOYER
    assert DEFAULT_RULES.action_for(Reason.DECEASED) == Action.CHECK_ELIGIBILITY
    # a letter the employer sent back never goes to the employer again
    for r in Reason:
        assert DEFAULT_RULES.action_for(r, route="employer") != Action.REROUTE_EMPLOYER
    assert set(TASK_FOR_ACTION) | {Action.REROUTE_EMPLOYER, Action.DESTROY} == set(Action)
    assert abs(sum(SIMULATED_SHARES.values()) - 1.0) < 1e-9


def test_rules_from_toml(tmp_path: Path) -> None:
    f = tmp_path / "rules.toml"
    f.write_text('[home]\nunclaimed = "hold-at-branch"\nrefused = "reroute-employer"\n')
    rules = load_rules(f)
    assert rules.action_for(Reason.UNCLAIMED) == Action.HOLD_AT_BRANCH
    assert rules.action_for(Reason.REFUSED) == Action.REROUTE_EMPLOYER
    assert rules.action_for(Reason.MOVED_NO_FORWARDING) == Action.REROUTE_EMPLOYER
    f.write_text('[home]\nlost = "hold-at-branch"\n')
    with pytest.raises(RulesError):
        load_rules(f)
    f.write_text('from_employer = "reroute-employer"\n')
    with pytest.raises(RulesError):
        load_rules(f)


def test_id_spaces_never_collide() -> None:
    home = {piece_id(c, f"{b:02d}", s) for c in (1, 2) for b in (1, 13, 47) for s in (1, 99)}
    rerouted = {
        reroute_piece_id(c, f"{b:02d}", s) for c in (1, 2) for b in (1, 13, 47) for s in (1, 99)
    }
    assert not home & rerouted
    assert all(classify(p) == IdKind.PIECE for p in home)
    assert all(classify(p) == IdKind.REROUTED_PIECE and is_valid_piece_id(p) for p in rerouted)
    env = envelope_id("13", 42)
    assert len(env) == 13 and classify(env) == IdKind.ENVELOPE
    assert classify(env[:-1] + str((int(env[-1]) + 1) % 10)) == IdKind.INVALID
    assert classify("12345") == IdKind.INVALID
    assert normalise_id(" ０１３２-０００ 0123 ") == "01320000123"


def test_sql_ids_match_python(engine: Engine) -> None:
    """The set-based ids (integer-arithmetic Luhn digit) equal the Python ones, on every
    backend, across the edges (all-nines, zero) and a few hundred random ids."""
    import random

    rng = random.Random(7)
    cases = [(1, "13", 1), (7, "47", 9_999_999), (123, "01", 4242), (99, "47", 0)]
    cases += [
        (rng.randint(1, 300), f"{rng.randint(1, 47):02d}", rng.randint(0, 9_999_999))
        for _ in range(300)
    ]
    with engine.connect() as conn:
        for c, b, s in cases:
            got = conn.execute(
                select(reroute_piece_id_sql(literal(c), literal(b), literal(s)))
            ).scalar()
            assert got == reroute_piece_id(c, b, s)
            env = conn.execute(select(envelope_id_sql(literal(b), literal(s * 97)))).scalar()
            assert env == envelope_id(b, s * 97)


def test_parse_input() -> None:
    pid = piece_id(1, "13", 5)
    ok = parse_input(
        3, ref=pid, tracking_no=None, returned_on="2025/09/01", reason="転居先不明", today=TODAY
    )
    assert ok == ReturnInput(3, pid, None, date(2025, 9, 1), Reason.MOVED_NO_FORWARDING)
    today = parse_input(1, ref=pid, tracking_no=None, returned_on=None, reason="1", today=TODAY)
    assert isinstance(today, ReturnInput) and today.returned_on == TODAY

    def outcome(**kw: object) -> Outcome:
        args: dict[str, object] = dict(
            ref=pid, tracking_no=None, returned_on="2025-09-01", reason="moved"
        )
        args.update(kw)
        r = parse_input(1, today=TODAY, **args)  # type: ignore[arg-type]
        assert isinstance(r, RowResult)
        return r.outcome

    assert outcome(ref=pid[:-1] + str((int(pid[-1]) + 1) % 10)) == Outcome.INVALID_ID
    assert outcome(ref=None) == Outcome.INVALID_ID
    assert outcome(ref=None, tracking_no="12") == Outcome.INVALID_ID
    assert outcome(reason="lost") == Outcome.UNKNOWN_REASON
    assert outcome(returned_on=(TODAY + timedelta(days=1)).isoformat()) == Outcome.FUTURE_DATE
    assert outcome(returned_on="2025-02-30") == Outcome.BAD_DATE
    assert outcome(returned_on="yesterday") == Outcome.BAD_DATE


def test_signature_and_backoff() -> None:
    body = b'{"id":1}'
    sig = sign(b"s3cret", "1757030400", body)
    assert sig.startswith("sha256=") and len(sig) == 7 + 64
    assert verify(b"s3cret", "1757030400", body, sig)
    assert not verify(b"s3cret", "1757030401", body, sig)
    assert not verify(b"other", "1757030400", body, sig)
    b = BackOff(base=timedelta(seconds=30), cap=timedelta(minutes=5))
    assert [b.delay(n).total_seconds() for n in (1, 2, 3, 4, 5, 6)] == [30, 60, 120, 240, 300, 300]


def test_luhn_ok_array_matches_luhn_ok() -> None:
    import random

    from shikaku.mail.ids import luhn_ok, luhn_ok_array

    rng = random.Random(3)
    values = [piece_id(1, f"{b:02d}", s) for b in (1, 13, 47) for s in (0, 7, 9_999_999)]
    values += ["".join(rng.choice("0123456789") for _ in range(12)) for _ in range(500)]
    values += ["", "0", "01320000012", "0132000001234", "０１３２００００１２３４", "01320000012a"]
    values += [p[:-1] + "x" for p in values[:5]] + [" " + values[0]]
    got = luhn_ok_array(values, 12).tolist()
    want = [len(v) == 12 and luhn_ok(v) for v in values]
    assert got == want
    assert sum(got) > 9  # the real ids and about a tenth of the random ones pass


def test_read_returns_fast_path_agrees_with_the_parser() -> None:
    """Every row read from a CSV gets what parse_input would give it, whichever path it took."""
    from shikaku.mail.intake import read_returns

    pid = piece_id(1, "13", 5)
    bad = pid[:-1] + str((int(pid[-1]) + 1) % 10)
    wide = pid.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    rows = [
        (pid, "", "2025-09-01", "moved-no-forwarding"),
        (f" {pid} ", "", "2025-09-02", "転居先不明"),
        (wide, "", "2025-09-01", "あて所に尋ねあたりません"),
        (bad, "", "2025-09-01", "moved"),
        (pid, "", "2025-10-01", "moved"),  # after today
        (pid, "", "2025/09/03", "moved"),
        (pid, "", "2025-09-01", "no such reason"),
        ("", "512345678901", "2025-09-01", "refused"),
        ("", "５１２３４５６７８９０１", "2025-09-01", "refused"),
        ("", "123", "2025-09-01", "refused"),
        ("", "", "2025-09-01", "refused"),
        (pid[:-1], "", "2025-09-01", "moved"),
    ]
    raw = "piece_id,tracking_no,returned_on,reason\n" + "".join(",".join(r) + "\n" for r in rows)
    items, rejects = read_returns(raw.encode(), today=TODAY, source="t.csv")
    got = {it.line: it for it in items} | {rj.line: rj.rule_id for rj in rejects}
    for line, (ref, trk, day, reason) in enumerate(rows, start=2):
        want = parse_input(
            line, ref=ref, tracking_no=trk, returned_on=day, reason=reason, today=TODAY
        )
        assert got[line] == (want.rule_id if isinstance(want, RowResult) else want), line
    assert [it.line for it in items] == [2, 3, 4, 7, 9, 10] and len(rejects) == 6
