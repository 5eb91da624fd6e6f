"""Expression language: the function table and the aggregates over repeating groups."""

import datetime as dt
from decimal import Decimal

import pytest

from ecrf.rules import ExpressionTypeError, MappingContext, PartialDate, compile_expression

D = dt.date
TODAY = D(2024, 6, 15)


def ev(source, values=None, rows=None, today=TODAY):
    return compile_expression(source).evaluate(MappingContext(values or {}, rows, today))


# --- isblank, coalesce, if -----------------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, True), ("", True), ([], True), ("x", False), (" ", False), (0, False), (False, False),
     (D(2024, 1, 1), False), (PartialDate(2024), False), (["A"], False)],
)
def test_isblank(value, expected):
    assert ev("isblank([X])", {"X": value}) is expected


def test_isblank_of_expressions():
    assert ev("isblank(1 / 0)") is True
    assert ev("isblank([X] + 1)") is True
    assert ev("isblank([X] > 1)") is True
    assert ev("isblank(1 + 1)") is False


def test_coalesce_returns_the_first_non_blank():
    assert ev("coalesce([A], [B], 0)", {"B": 5}) == Decimal(5)
    assert ev("coalesce([A], [B], 0)", {"A": 1, "B": 5}) == Decimal(1)
    assert ev("coalesce([A], [B], 0)") == Decimal(0)
    assert ev("coalesce([A], [B])", {"A": ""}) is None
    assert ev("coalesce([A], 'none')", {"A": ""}) == "none"


def test_coalesce_is_lazy():
    assert ev("coalesce([A], [S] > 1)", {"A": 1, "S": "text"}) == Decimal(1)
    with pytest.raises(ExpressionTypeError):
        ev("coalesce([A], [S] > 1)", {"S": "text"})


@pytest.mark.parametrize(("cond", "expected"), [(True, Decimal(1)), (False, Decimal(2)), (None, None)])
def test_if(cond, expected):
    assert ev("if([C], 1, 2)", {"C": cond}) == expected


def test_if_is_lazy_and_may_return_any_type():
    values = {"S": "text", "D": D(2024, 1, 1)}
    assert ev("if(true, 1, [S] > 1)", values) == Decimal(1)
    assert ev("if(false, [S] > 1, [D])", values) == D(2024, 1, 1)
    assert ev("if(isblank([X]), 'missing', 'present')") == "missing"
    with pytest.raises(ExpressionTypeError, match="if\\(\\) needs true or false as its condition, got a number"):
        ev("if(1, 2, 3)")


# --- today, date ----------------------------------------------------------------------------

def test_today_comes_from_the_context():
    assert ev("today()", today=D(2001, 2, 3)) == D(2001, 2, 3)
    assert ev("today()", today=dt.datetime(2001, 2, 3, 23, 59)) == D(2001, 2, 3)
    assert ev("[D] <= today()", {"D": D(2024, 6, 15)}) is True
    assert ev("[D] <= today()", {"D": D(2024, 6, 16)}) is False


def test_today_must_be_a_date():
    class BadContext(MappingContext):
        def today(self):
            return "2024-01-01"

    with pytest.raises(ExpressionTypeError, match="today\\(\\) gave text, not a date"):
        compile_expression("today()").evaluate(BadContext({}))


@pytest.mark.parametrize(
    ("source", "values", "expected"),
    [
        ("date('2024-01-31')", {}, D(2024, 1, 31)),
        ("date('2024-03-UN')", {}, PartialDate(2024, 3)),
        ("date('2024-UN-UN')", {}, PartialDate(2024)),
        ("date([S])", {"S": "2024-02-29"}, D(2024, 2, 29)),
        ("date([S])", {"S": ""}, None),
        ("date([S])", {}, None),
        ("date([S])", {"S": dt.datetime(2024, 2, 29, 13)}, D(2024, 2, 29)),
        ("date([S])", {"S": D(2024, 2, 29)}, D(2024, 2, 29)),
        ("date([S])", {"S": PartialDate(2024, 2)}, PartialDate(2024, 2)),
    ],
)
def test_date(source, values, expected):
    assert ev(source, values) == expected


def test_date_type_errors():
    with pytest.raises(ExpressionTypeError, match="not a date of the form"):
        ev("date([S])", {"S": "31/01/2024"})
    with pytest.raises(ExpressionTypeError, match="day 30 is out of range"):
        ev("date([S])", {"S": "2023-02-30"})
    with pytest.raises(ExpressionTypeError, match="date\\(\\) needs text or a date, got a number"):
        ev("date([S])", {"S": 20240101})


# --- datediff ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("a", "b", "unit", "expected"),
    [
        # days: b - a, signed
        (D(2024, 1, 1), D(2024, 3, 1), "d", 60),
        (D(2024, 3, 1), D(2024, 1, 1), "d", -60),
        (D(2024, 1, 1), D(2024, 1, 1), "d", 0),
        (D(2023, 12, 31), D(2024, 1, 1), None, 1),
        # datetimes count calendar days of their date parts
        (dt.datetime(2024, 1, 1, 23, 59), dt.datetime(2024, 1, 2, 0, 1), "d", 1),
        (dt.datetime(2024, 1, 1, 0, 1), dt.datetime(2024, 1, 1, 23, 59), "d", 0),
        (dt.datetime(2024, 1, 1, 12), D(2024, 1, 11), "d", 10),
        # years (age): the birthday must have been reached
        (D(2000, 5, 10), D(2018, 5, 9), "y", 17),
        (D(2000, 5, 10), D(2018, 5, 10), "y", 18),
        (D(2000, 5, 10), D(2018, 5, 11), "y", 18),
        (D(2000, 5, 10), D(2018, 4, 30), "y", 17),
        (D(2000, 5, 10), D(2000, 5, 10), "y", 0),
        (D(2000, 5, 10), D(2001, 5, 9), "y", 0),
        # born on 29 February: in common years the birthday counts from 1 March
        (D(2000, 2, 29), D(2001, 2, 28), "y", 0),
        (D(2000, 2, 29), D(2001, 3, 1), "y", 1),
        (D(2000, 2, 29), D(2018, 2, 28), "y", 17),
        (D(2000, 2, 29), D(2018, 3, 1), "y", 18),
        (D(2000, 2, 29), D(2004, 2, 28), "y", 3),
        (D(2000, 2, 29), D(2004, 2, 29), "y", 4),
        # a negative span truncates toward zero
        (D(2018, 5, 10), D(2000, 5, 10), "y", -18),
        (D(2018, 5, 9), D(2000, 5, 10), "y", -17),
        # months: complete when the day of the month is reached (or the month after if missing)
        (D(2024, 1, 15), D(2024, 2, 14), "m", 0),
        (D(2024, 1, 15), D(2024, 2, 15), "m", 1),
        (D(2024, 1, 31), D(2024, 2, 29), "m", 0),
        (D(2024, 1, 31), D(2024, 3, 1), "m", 1),
        (D(2024, 1, 31), D(2024, 3, 30), "m", 1),
        (D(2024, 1, 31), D(2024, 3, 31), "m", 2),
        (D(2023, 11, 30), D(2024, 2, 29), "m", 2),
        (D(2024, 1, 15), D(2025, 1, 15), "m", 12),
        (D(2024, 2, 15), D(2024, 1, 15), "m", -1),
        (D(2024, 2, 15), D(2024, 1, 16), "m", 0),
    ],
)
def test_datediff(a, b, unit, expected):
    source = "datediff([A], [B])" if unit is None else f"datediff([A], [B], '{unit}')"
    result = ev(source, {"A": a, "B": b})
    assert result == Decimal(expected) and isinstance(result, Decimal)


def test_datediff_unit_is_case_insensitive():
    assert ev("datediff([A], [B], 'Y')", {"A": D(2000, 1, 1), "B": D(2010, 1, 1)}) == Decimal(10)


def test_age_at_consent():
    expr = compile_expression("datediff([F_DM.BRTHDTC], [F_DM.RFICDTC], 'y') >= 18")
    assert expr.evaluate(MappingContext({"F_DM.BRTHDTC": D(2006, 6, 15), "F_DM.RFICDTC": D(2024, 6, 14)})) is False
    assert expr.evaluate(MappingContext({"F_DM.BRTHDTC": D(2006, 6, 15), "F_DM.RFICDTC": D(2024, 6, 15)})) is True
    assert expr.evaluate(MappingContext({"F_DM.BRTHDTC": D(2006, 6, 15)})) is None


def test_datediff_with_today():
    assert ev("datediff([DOB], today(), 'y')", {"DOB": D(1950, 6, 16)}) == Decimal(73)
    assert ev("datediff([DOB], today(), 'y')", {"DOB": D(1950, 6, 15)}) == Decimal(74)


@pytest.mark.parametrize(
    "values",
    [{"A": D(2024, 1, 1)}, {"B": D(2024, 1, 1)}, {"A": PartialDate(2024, 1), "B": D(2024, 3, 1)},
     {"A": D(2024, 1, 1), "B": PartialDate(2024)}],
)
def test_datediff_blank_or_partial_is_blank(values):
    assert ev("datediff([A], [B])", values) is None
    assert ev("datediff([A], [B], 'y')", values) is None


def test_datediff_type_error():
    with pytest.raises(ExpressionTypeError, match="datediff\\(\\) needs a date, got text"):
        ev("datediff([A], [B])", {"A": "2024-01-01", "B": D(2024, 1, 1)})


# --- adddays, year ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"D": D(2024, 2, 28), "N": 1}, D(2024, 2, 29)),
        ({"D": D(2023, 2, 28), "N": 1}, D(2023, 3, 1)),
        ({"D": D(2024, 1, 1), "N": -1}, D(2023, 12, 31)),
        ({"D": D(2024, 1, 1), "N": Decimal("28.0")}, D(2024, 1, 29)),
        ({"D": dt.datetime(2024, 1, 1, 9, 15), "N": 2}, dt.datetime(2024, 1, 3, 9, 15)),
        ({"D": PartialDate(2024, 1), "N": 1}, None),
        ({"N": 1}, None),
        ({"D": D(2024, 1, 1)}, None),
        ({"D": D(9999, 12, 31), "N": 1}, None),
    ],
)
def test_adddays(values, expected):
    assert ev("adddays([D], [N])", values) == expected


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"D": D(2024, 1, 1), "N": 1.5}, "adddays\\(\\) days must be a whole number"),
        ({"D": D(2024, 1, 1), "N": "1"}, "adddays\\(\\) needs a number, got text"),
        ({"D": "2024-01-01", "N": 1}, "adddays\\(\\) needs a date, got text"),
    ],
)
def test_adddays_type_errors(values, message):
    with pytest.raises(ExpressionTypeError, match=message):
        ev("adddays([D], [N])", values)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(D(2024, 3, 5), 2024), (dt.datetime(1999, 12, 31, 23), 1999), (PartialDate(2021), 2021),
     (PartialDate(2021, 4), 2021), (None, None)],
)
def test_year(value, expected):
    result = ev("year([D])", {"D": value})
    assert result == (None if expected is None else Decimal(expected))


def test_year_type_error():
    with pytest.raises(ExpressionTypeError, match="year\\(\\) needs a date, got a number"):
        ev("year(2024)")


# --- numbers: abs, min, max, round ------------------------------------------------------------

@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("abs(-1.5)", Decimal("1.5")), ("abs(2)", Decimal(2)), ("abs(0)", Decimal(0)), ("abs([X])", None),
        ("min(3, 1, 2)", Decimal(1)), ("max(3, 1, 2)", Decimal(3)), ("min(1.5, 1.50)", Decimal("1.5")),
        ("min(1, [X])", None), ("max([X], 1)", None),
        ("max('a', 'b')", "b"), ("min(date('2024-01-02'), date('2024-01-01'))", D(2024, 1, 1)),
        ("max(date('2024-03-UN'), date('2024-05-01'))", D(2024, 5, 1)),
        ("max(date('2024-03-UN'), date('2024-03-05'))", None),
        ("min(date('2024-03-UN'), date('2024-05-01'))", PartialDate(2024, 3)),
    ],
)
def test_abs_min_max(source, expected):
    assert ev(source) == expected


def test_min_max_type_errors():
    with pytest.raises(ExpressionTypeError, match="cannot compare text with a number"):
        ev("min(1, 'a')")
    with pytest.raises(ExpressionTypeError, match="abs\\(\\) needs a number, got text"):
        ev("abs('a')")


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("round(2.5)", "3"),
        ("round(3.5)", "4"),
        ("round(-2.5)", "-3"),
        ("round(2.4999)", "2"),
        ("round(2.45, 1)", "2.5"),
        ("round(2.449, 1)", "2.4"),
        ("round(1.005, 2)", "1.01"),  # exact decimals: no binary float surprise
        ("round(1234.5, -2)", "1200"),
        ("round(7, 2)", "7.00"),
        ("round(22.857142857, 1)", "22.9"),
        ("round(-0.05, 1)", "-0.1"),
    ],
)
def test_round_half_up(source, expected):
    result = ev(source)
    assert result == Decimal(expected)
    assert str(result) == expected


def test_round_blank_and_errors():
    assert ev("round([X])") is None
    assert ev("round(1.5, [N])") is None
    with pytest.raises(ExpressionTypeError, match="round\\(\\) places must be a whole number"):
        ev("round(1.5, [N])", {"N": 0.5})
    with pytest.raises(ExpressionTypeError, match="between -28 and 28"):
        ev("round(1.5, [N])", {"N": 40})
    with pytest.raises(ExpressionTypeError, match="round\\(\\) needs a number, got text"):
        ev("round('1.5')")


# --- text and multiple choice: len, contains ------------------------------------------------

def test_len():
    assert ev("len('abc')") == Decimal(3)
    assert ev("len([S])", {"S": "héllo"}) == Decimal(5)
    assert ev("len([S])") is None
    assert ev("len([S])", {"S": ""}) is None
    assert ev("len([M])", {"M": ["A", "B"]}) == Decimal(2)
    with pytest.raises(ExpressionTypeError, match="len\\(\\) needs text"):
        ev("len(5)")


@pytest.mark.parametrize(
    ("values", "code", "expected"),
    [
        ({"M": ["NAUSEA", "FATIGUE"]}, "'NAUSEA'", True),
        ({"M": ["NAUSEA", "FATIGUE"]}, "'nausea'", False),
        ({"M": ["NAUSEA"]}, "'RASH'", False),
        ({"M": [1, 3]}, "3", True),
        ({"M": [1, 3]}, "2", False),
        ({}, "'RASH'", None),
        ({"M": []}, "'RASH'", None),
        ({"M": ["RASH"]}, "[C]", None),
        ({"M": ["RASH"], "C": "RASH"}, "[C]", True),
    ],
)
def test_contains(values, code, expected):
    assert ev(f"contains([M], {code})", values) is expected


def test_contains_type_errors():
    with pytest.raises(ExpressionTypeError, match="contains\\(\\) needs a multiple-choice value first, got text"):
        ev("contains([M], 'A')", {"M": "A"})
    with pytest.raises(ExpressionTypeError, match="cannot compare a number with text"):
        ev("contains([M], 'A')", {"M": [1, 2]})


# --- aggregates ------------------------------------------------------------------------------

ROWS = {"AETOXGR": [1, None, 3, "", 2.5], "AETERM": ["Rash", "", None, "Nausea"], "AESTDTC": [
    D(2024, 3, 1), None, D(2024, 1, 15), dt.datetime(2024, 2, 1, 8)], "F_TL.TLDIAM": [10, 12.5]}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("count([AETOXGR])", Decimal(3)),
        ("sum([AETOXGR])", Decimal("6.5")),
        ("minof([AETOXGR])", Decimal(1)),
        ("maxof([AETOXGR])", Decimal(3)),
        ("count([AETERM])", Decimal(2)),
        ("minof([AETERM])", "Nausea"),
        ("minof([AESTDTC])", D(2024, 1, 15)),
        ("maxof([AESTDTC])", D(2024, 3, 1)),
        ("sum([F_TL.TLDIAM])", Decimal("22.5")),
        ("count([NOROWS])", Decimal(0)),
        ("sum([NOROWS])", Decimal(0)),
        ("minof([NOROWS])", None),
        ("maxof([NOROWS])", None),
        ("count([AETOXGR]) > 0 and maxof([AETOXGR]) >= 3", True),
        ("SUM([AETOXGR]) / COUNT([AETOXGR])", Decimal("6.5") / 3),
    ],
)
def test_aggregates(source, expected):
    assert ev(source, rows=ROWS) == expected


def test_aggregate_sum_is_exact():
    assert ev("sum([X]) = 0.3", rows={"X": [0.1, 0.2]}) is True


def test_aggregate_with_partial_dates_may_be_undecided():
    rows = {"D": [PartialDate(2024, 3), D(2024, 3, 10)], "E": [PartialDate(2024, 3), D(2024, 5, 10)]}
    assert ev("maxof([D])", rows=rows) is None
    assert ev("maxof([E])", rows=rows) == D(2024, 5, 10)
    assert ev("count([D])", rows=rows) == Decimal(2)


def test_aggregate_type_errors():
    with pytest.raises(ExpressionTypeError, match="sum\\(\\) needs numbers, got text"):
        ev("sum([AETERM])", rows=ROWS)
    with pytest.raises(ExpressionTypeError, match="maxof\\(\\) cannot order a boolean"):
        ev("maxof([B])", rows={"B": [True, False]})
    with pytest.raises(ExpressionTypeError, match="cannot compare text with a number in 'minof\\(\\[X\\]\\)'"):
        ev("minof([X])", rows={"X": [1, "a"]})
