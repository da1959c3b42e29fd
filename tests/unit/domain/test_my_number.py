from __future__ import annotations

import copy
import logging
import pickle
from dataclasses import asdict, dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shikaku.domain.errors import InvalidChecksum, InvalidFormat, InvalidLength
from shikaku.domain.ids import my_number
from shikaku.domain.ids.my_number import MyNumber

VALID = "123456789018"  # body 12345678901 → check 8 (domain.md §5.3)


def ordinance_check_digit(body: str) -> str:
    """総務省令 art. 5 as written: P_n counted from the lowest digit, Q_n = n+1 (n ≤ 6)
    else n−5; CD = 11 − r, or 0 when r ≤ 1."""
    total = 0
    for n, char in enumerate(reversed(body), start=1):
        q = n + 1 if n <= 6 else n - 5
        total += int(char) * q
    r = total % 11
    return "0" if r <= 1 else str(11 - r)


def test_domain_vector() -> None:
    assert my_number.calc_check_digit("12345678901") == "8"
    assert ordinance_check_digit("12345678901") == "8"


def test_weights_from_the_left() -> None:
    assert my_number.WEIGHTS == (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


@given(st.text(alphabet="0123456789", min_size=11, max_size=11))
def test_check_digit_matches_the_ordinance(body: str) -> None:
    assert my_number.calc_check_digit(body) == ordinance_check_digit(body)


@pytest.mark.parametrize("remainder", range(11))
def test_every_remainder_class(remainder: int) -> None:
    # 6a + 5b over two leading digits reaches every remainder mod 11.
    for a in range(10):
        for b in range(10):
            if (6 * a + 5 * b) % 11 == remainder:
                body = f"{a}{b}" + "0" * 9
                expected = "0" if remainder <= 1 else str(11 - remainder)
                assert my_number.calc_check_digit(body) == expected
                return
    pytest.fail(f"no body found for remainder {remainder}")


@pytest.mark.parametrize(
    "raw",
    [
        VALID,
        "1234 5678 9018",
        "1234-5678-9018",
        "１２３４５６７８９０１８",
        "１２３４\u3000５６７８\u3000９０１８",
        "621498320257",  # python-stdnum's doc example
    ],
)
def test_valid(raw: str) -> None:
    assert my_number.is_valid(raw)
    assert len(my_number.validate(raw)) == 12


@pytest.mark.parametrize(
    ("raw", "error", "rule_id"),
    [
        ("123456789017", InvalidChecksum, "my_number.checksum"),
        ("621498320258", InvalidChecksum, "my_number.checksum"),
        ("12345678901", InvalidLength, "my_number.length"),
        ("1234567890188", InvalidLength, "my_number.length"),
        ("12345678901X", InvalidFormat, "my_number.format"),
        ("", InvalidFormat, "my_number.format"),
    ],
)
def test_invalid(raw: str, error: type[Exception], rule_id: str) -> None:
    assert not my_number.is_valid(raw)
    with pytest.raises(error) as info:
        my_number.validate(raw)
    err = info.value
    assert err.rule_id == rule_id  # type: ignore[attr-defined]
    assert err.value is None  # type: ignore[attr-defined]
    assert raw not in str(err) or raw == ""


def test_calc_check_digit_refuses_short_bodies() -> None:
    with pytest.raises(InvalidLength):
        my_number.calc_check_digit("1234567890")


def test_format_mask_last4() -> None:
    assert my_number.format("１２３４５６７８９０１８") == "1234 5678 9018"
    assert my_number.mask("1234 5678 9018") == "********9018"
    assert my_number.last4(VALID) == "9018"
    with pytest.raises(InvalidLength):
        my_number.mask("9018")


class TestMyNumberType:
    def test_never_shows_itself(self) -> None:
        n = MyNumber("１２３４ ５６７８ ９０１８")
        texts = (str(n), repr(n), f"{n}", f"{n:>20}", "%s" % (n,), "%r" % (n,))  # noqa: UP031
        for text in texts:
            assert VALID not in text
            assert "9018" in text
        assert repr(n) == "MyNumber('********9018')"
        assert n.reveal() == VALID
        assert n.last4 == "9018"

    def test_logging_shows_the_mask(self, caplog: pytest.LogCaptureFixture) -> None:
        with caplog.at_level(logging.INFO):
            logging.getLogger("t").info("member %s %r", MyNumber(VALID), MyNumber(VALID))
        assert VALID not in caplog.text
        assert "********9018" in caplog.text

    def test_inside_a_dataclass_repr_and_asdict(self) -> None:
        @dataclass
        class Row:
            my_number: MyNumber

        row = Row(MyNumber(VALID))
        assert VALID not in repr(row)
        assert asdict(row)["my_number"] == MyNumber(VALID)
        assert copy.deepcopy(row).my_number == row.my_number

    def test_equality_and_hash(self) -> None:
        assert MyNumber(VALID) == MyNumber("1234-5678-9018")
        assert MyNumber(VALID) != MyNumber("621498320257")
        assert len({MyNumber(VALID), MyNumber("１２３４５６７８９０１８")}) == 1
        assert MyNumber(VALID) != VALID

    def test_immutable_and_not_picklable(self) -> None:
        n = MyNumber(VALID)
        with pytest.raises(AttributeError):
            n._digits = "000000000000"  # type: ignore[misc]
        with pytest.raises(TypeError):
            pickle.dumps(n)

    def test_invalid_raises_without_the_number(self) -> None:
        with pytest.raises(InvalidChecksum) as info:
            MyNumber("123456789017")
        assert "123456789017" not in str(info.value)
        assert info.value.value is None
