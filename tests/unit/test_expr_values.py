"""Expression language: PartialDate, exact decimal arithmetic and date arithmetic."""

import datetime as dt
from decimal import Decimal

import pytest

from ecrf.rules import ExpressionTypeError, MappingContext, PartialDate, compile_expression

D = dt.date


def ev(source, values=None):
    return compile_expression(source).evaluate(MappingContext(values or {}, None, D(2024, 6, 15)))


# --- PartialDate ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "parts", "earliest", "latest"),
    [
        ("2024-03-UN", (2024, 3, None), D(2024, 3, 1), D(2024, 3, 31)),
        ("2024-UN-UN", (2024, None, None), D(2024, 1, 1), D(2024, 12, 31)),
        ("2024-02-UN", (2024, 2, None), D(2024, 2, 1), D(2024, 2, 29)),
        ("2023-02-UN", (2023, 2, None), D(2023, 2, 1), D(2023, 2, 28)),
        ("2024-04-UN", (2024, 4, None), D(2024, 4, 1), D(2024, 4, 30)),
        ("2024-03-05", (2024, 3, 5), D(2024, 3, 5), D(2024, 3, 5)),
    ],
)
def test_partial_date_parse_and_bounds(text, parts, earliest, latest):
    value = PartialDate.parse(text)
    assert (value.year, value.month, value.day) == parts
    assert value.earliest() == earliest
    assert value.latest() == latest
    assert str(value) == text


def test_partial_date_completeness():
    assert PartialDate.parse("2024-03-05").is_complete
    assert PartialDate.parse("2024-03-05").to_date() == D(2024, 3, 5)
    assert not PartialDate.parse("2024-03-UN").is_complete
    assert PartialDate.parse("2024-03-UN").to_date() is None
    assert PartialDate.from_date(D(2024, 3, 5)) == PartialDate(2024, 3, 5)


def test_partial_date_is_frozen_and_hashable():
    value = PartialDate(2024, 3)
    with pytest.raises(AttributeError):
        value.year = 2025
    assert {value, PartialDate.parse("2024-03-UN")} == {value}
    assert str(PartialDate(987)) == "0987-UN-UN"


@pytest.mark.parametrize(
    "text",
    ["2024-13-UN", "2024-00-UN", "2024-02-30", "2023-02-29", "2024-04-31", "2024-UN-05", "2024-3-UN",
     "24-03-UN", "2024/03/UN", "2024-03-un", "2024-03", "0000-UN-UN", "", "UNKN-UN-UN", "2024-03-UN-X"],
)
def test_partial_date_refuses_invalid_text(text):
    with pytest.raises(ValueError):
        PartialDate.parse(text)


def test_partial_date_refuses_invalid_parts():
    with pytest.raises(ValueError, match="month is unknown"):
        PartialDate(2024, None, 5)
    with pytest.raises(ValueError, match="month 13"):
        PartialDate(2024, 13)
    with pytest.raises(ValueError, match="integers"):
        PartialDate(2024, True)
    with pytest.raises(ValueError, match="year"):
        PartialDate(10000)


def test_complete_partial_date_from_context_acts_as_a_date():
    assert ev("[P]", {"P": PartialDate(2024, 3, 5)}) == D(2024, 3, 5)
    assert ev("[P]", {"P": PartialDate(2024, 3)}) == PartialDate(2024, 3)


# --- decimal arithmetic ------------------------------------------------------------------

@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1.1 + 2.2", "3.3"),
        ("0.1 + 0.2 = 0.3", True),
        ("25.2 / 21", "1.2"),
        ("1 / 3", "0.3333333333333333333333333333"),
        ("2 / 3", "0.6666666666666666666666666667"),
        ("10 / 4", "2.5"),
        ("3 * 1.5", "4.5"),
        ("1 - 1.01", "-0.01"),
        ("70 / (1.75 * 1.75)", "22.85714285714285714285714286"),
        ("123456789012345678901234567890 + 1", "1.234567890123456789012345679E+29"),
    ],
)
def test_exact_decimal_arithmetic(source, expected):
    result = ev(source)
    if isinstance(expected, bool):
        assert result is expected
    else:
        assert isinstance(result, Decimal)
        assert result == Decimal(expected)


def test_item_values_become_decimals():
    assert ev("[I] + [F] + [D]", {"I": 1, "F": 0.1, "D": Decimal("0.2")}) == Decimal("1.3")
    assert isinstance(ev("[I]", {"I": 5}), Decimal)
    assert ev("[F] * 3", {"F": 1.1}) == Decimal("3.3")


@pytest.mark.parametrize("source", ["1 / 0", "[X] / 0", "1 / (2 - 2)", "[X] / [Z]", "0 / 0"])
def test_division_by_zero_is_blank(source):
    assert ev(source, {"X": 5, "Z": 0}) is None


def test_division_by_zero_blank_in_a_check():
    expr = compile_expression("[DOSE] / [WEIGHT] < 10")
    ctx = MappingContext({"DOSE": 100, "WEIGHT": 0})
    assert expr.evaluate(ctx) is None
    assert expr.is_false(ctx) is False


@pytest.mark.parametrize("source", ["[X] + 1", "1 - [X]", "[X] * 2", "[X] / 2", "-[X]", "1 + [X] * 2"])
def test_arithmetic_with_a_blank_is_blank(source):
    assert ev(source) is None


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("[S] + 1", "cannot add text and a number"),
        ("'a' + 'b'", "cannot add text and text"),
        ("[B] * 2", "cannot multiply a boolean and a number"),
        ("-[S]", "cannot negate text"),
        ("-[D]", "cannot negate a date"),
        ("[D] + 'x'", "cannot add a date and text"),
        ("[D] + [D]", "cannot add a date and a date"),
        ("[D] * 2", "cannot multiply a date and a number"),
        ("1 - [D]", "cannot subtract a number and a date"),
        ("[D] + 1.5", "the number of days added to a date must be a whole number"),
        ("[T] + 1", "cannot add a time and a number"),
        ("[M] + 1", "cannot add a list"),
    ],
)
def test_arithmetic_type_errors(source, message):
    values = {"S": "abc", "B": True, "D": D(2024, 1, 1), "T": dt.time(9), "M": ["A"]}
    with pytest.raises(ExpressionTypeError, match=message):
        ev(source, values)


# --- date arithmetic ---------------------------------------------------------------------

@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("[D] + 29", D(2024, 3, 1)),  # 2024 is a leap year: February has 29 days
        ("29 + [D]", D(2024, 3, 1)),
        ("[D] - 31", D(2024, 1, 1)),
        ("[D] + -1", D(2024, 1, 31)),
        ("[D] + 1.0", D(2024, 2, 2)),
        ("[E] - [D]", Decimal(29)),
        ("[D] - [E]", Decimal(-29)),
        ("[DT] + 1", dt.datetime(2024, 2, 2, 10, 30)),
        ("[DT] - [D]", Decimal(0)),
        ("[P] + 1", None),
        ("[P] - [D]", None),
        ("[MAX] + 1", None),  # past 9999-12-31
        ("[D] - 1000000", None),
        ("[D] + 99999999999999", None),
    ],
)
def test_date_arithmetic(source, expected):
    values = {
        "D": D(2024, 2, 1), "E": D(2024, 3, 1), "DT": dt.datetime(2024, 2, 1, 10, 30),
        "P": PartialDate(2024, 2), "MAX": D(9999, 12, 31),
    }
    assert ev(source, values) == expected


def test_date_arithmetic_with_blank_is_blank():
    assert ev("[D] + [N]", {"D": D(2024, 1, 1)}) is None
    assert ev("[D] + 3", {}) is None


# --- value coercion ------------------------------------------------------------------------

def test_multichoice_values():
    assert ev("[M]", {"M": ["A", "B"]}) == ["A", "B"]
    assert ev("[M]", {"M": ("A", "")}) == ["A"]
    assert ev("[M]", {"M": [1, 2]}) == [Decimal(1), Decimal(2)]
    assert ev("isblank([M])", {"M": []}) is True  # nothing ticked is blank
    with pytest.raises(ExpressionTypeError, match="cannot contain lists"):
        ev("[M]", {"M": [["A"]]})


def test_results_keep_their_types():
    values = {"D": D(2024, 1, 1), "DT": dt.datetime(2024, 1, 1, 8), "T": dt.time(8), "S": "x"}
    assert ev("[D]", values) == D(2024, 1, 1)
    assert ev("[DT]", values) == dt.datetime(2024, 1, 1, 8)
    assert ev("[T]", values) == dt.time(8)
    assert ev("[S]", values) == "x"
    assert ev("[MISSING]", values) is None
