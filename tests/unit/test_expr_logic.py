"""Expression language: three-valued logic, comparisons and membership."""

import datetime as dt
from decimal import Decimal

import pytest

from ecrf.rules import ExpressionTypeError, MappingContext, PartialDate, compile_expression

T, F, B = True, False, None  # B: blank


def ev(source, values=None, rows=None):
    return compile_expression(source).evaluate(MappingContext(values or {}, rows, dt.date(2024, 6, 15)))


# --- Kleene truth tables ---------------------------------------------------------------------

AND_TABLE = [(T, T, T), (T, F, F), (T, B, B), (F, T, F), (F, F, F), (F, B, F), (B, T, B), (B, F, F), (B, B, B)]
OR_TABLE = [(T, T, T), (T, F, T), (T, B, T), (F, T, T), (F, F, F), (F, B, B), (B, T, T), (B, F, B), (B, B, B)]


@pytest.mark.parametrize(("p", "q", "expected"), AND_TABLE)
def test_and_truth_table(p, q, expected):
    assert ev("[P] and [Q]", {"P": p, "Q": q}) is expected


@pytest.mark.parametrize(("p", "q", "expected"), OR_TABLE)
def test_or_truth_table(p, q, expected):
    assert ev("[P] or [Q]", {"P": p, "Q": q}) is expected


@pytest.mark.parametrize(("p", "expected"), [(T, F), (F, T), (B, B)])
def test_not_truth_table(p, expected):
    assert ev("not [P]", {"P": p}) is expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [((T, T, T), T), ((T, B, T), B), ((B, F, B), F), ((T, T, F), F)],
)
def test_and_chains(values, expected):
    assert ev("[P] and [Q] and [R]", dict(zip("PQR", values))) is expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [((F, F, F), F), ((F, B, F), B), ((B, T, B), T), ((F, F, T), T)],
)
def test_or_chains(values, expected):
    assert ev("[P] or [Q] or [R]", dict(zip("PQR", values))) is expected


def test_blank_comparison_feeds_kleene_logic():
    # blank AGE: the comparison is blank, so and-with-false is false, or-with-true is true
    assert ev("[AGE] > 18 and false") is False
    assert ev("[AGE] > 18 or true") is True
    assert ev("[AGE] > 18 and true") is None
    assert ev("isblank([AGE]) or [AGE] > 18") is True


def test_and_or_short_circuit_left_to_right():
    # the type error on the right is never reached
    assert ev("false and [X] > 1", {"X": "text"}) is False
    assert ev("true or [X] > 1", {"X": "text"}) is True
    with pytest.raises(ExpressionTypeError):
        ev("true and [X] > 1", {"X": "text"})


@pytest.mark.parametrize(("source", "kind"), [("[N] and true", "a number"), ("false or [S]", "text"),
                                              ("not [N]", "a number"), ("not [S]", "text")])
def test_logic_on_non_booleans_is_a_type_error(source, kind):
    with pytest.raises(ExpressionTypeError, match=f"needs true or false, got {kind}"):
        ev(source, {"N": 1, "S": "Y"})


def test_empty_string_is_blank():
    assert ev("isblank([S])", {"S": ""}) is True
    assert ev("[S] = 'x'", {"S": ""}) is None
    assert ev("isblank([S])", {"S": " "}) is False


# --- comparisons -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 = 1", T), ("1 = 1.0", T), ("1.50 = 1.5", T), ("1 != 1", F), ("1 <> 2", T),
        ("1 < 2", T), ("2 < 1", F), ("2 <= 2", T), ("3 <= 2", F), ("3 > 2", T), ("2 > 2", F),
        ("2 >= 2", T), ("1 >= 2", F),
        ("'a' = 'a'", T), ("'a' = 'A'", F), ("'a' != 'A'", T), ("'MILD' = \"MILD\"", T),
        ("'a' < 'b'", T), ("'B' < 'a'", T), ("'abc' >= 'abd'", F),
        ("true = true", T), ("true = false", F), ("true != false", T),
    ],
)
def test_literal_comparisons(source, expected):
    assert ev(source) is expected


@pytest.mark.parametrize("op", ["=", "!=", "<>", "<", "<=", ">", ">="])
def test_any_comparison_with_a_blank_is_blank(op):
    assert ev(f"[X] {op} 1") is None
    assert ev(f"1 {op} [X]") is None
    assert ev(f"[X] {op} [Y]") is None
    assert ev(f"[X] {op} [Y]", {"X": "", "Y": "a"}) is None


def test_ints_decimals_and_floats_compare_as_numbers():
    values = {"I": 18, "D": Decimal("18.0"), "F": 18.0, "G": 0.1}
    assert ev("[I] = [D] and [D] = [F] and [I] = 18", values) is True
    assert ev("[G] = 0.1", values) is True  # the float goes through str: exact 0.1
    assert ev("[G] * 3 = 0.3", values) is True


def test_booleans_from_items():
    assert ev("[X] = true", {"X": True}) is True
    assert ev("[X] = true", {"X": False}) is False
    assert ev("[X] = false", {"X": False}) is True
    assert ev("[X]", {"X": True}) is True
    assert ev("[X] and [Y]", {"X": True, "Y": False}) is False


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("[S] > 3", "cannot compare text with a number"),
        ("[S] = 3", "cannot compare text with a number"),
        ("3 = [S]", "cannot compare a number with text"),
        ("[D] = 3", "cannot compare a date with a number"),
        ("[D] < 'x'", "cannot compare a date with text"),
        ("[D] = [T]", "cannot compare a date with a time"),
        ("[B] = 1", "cannot compare a boolean with a number"),
        ("[B] < false", "true and false cannot be ordered"),
        ("[M] = 'A'", "use contains()"),
        ("'A' = [M]", "use contains()"),
        ("[T] < [DT]", "cannot compare a time with a datetime"),
        ("[DT] < [DTZ]", "time zone"),
    ],
)
def test_comparisons_across_types_are_type_errors(source, message):
    values = {
        "S": "abc", "D": dt.date(2024, 1, 1), "T": dt.time(10, 0), "B": True, "M": ["A", "B"],
        "DT": dt.datetime(2024, 1, 1, 10), "DTZ": dt.datetime(2024, 1, 1, 10, tzinfo=dt.timezone.utc),
    }
    with pytest.raises(ExpressionTypeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ev(source, values)


def test_times_compare():
    values = {"A": dt.time(8, 30), "B": dt.time(14, 0)}
    assert ev("[A] < [B]", values) is True
    assert ev("[A] = [A]", values) is True


# --- dates, datetimes and partial dates ----------------------------------------------------------

D = dt.date
DT = dt.datetime


@pytest.mark.parametrize(
    ("a", "op", "b", "expected"),
    [
        (D(2024, 1, 1), "<", D(2024, 1, 2), T),
        (D(2024, 1, 2), "<=", D(2024, 1, 2), T),
        (D(2024, 1, 2), "=", D(2024, 1, 2), T),
        (D(2024, 1, 3), ">", D(2024, 1, 2), T),
        # datetime vs datetime: full precision
        (DT(2024, 1, 2, 8), "<", DT(2024, 1, 2, 9), T),
        (DT(2024, 1, 2, 8), "=", DT(2024, 1, 2, 9), F),
        # datetime vs date: the datetime's date part
        (DT(2024, 1, 2, 23, 59), "=", D(2024, 1, 2), T),
        (DT(2024, 1, 2, 0, 1), ">", D(2024, 1, 2), F),
        (D(2024, 1, 2), "<", DT(2024, 1, 3, 0, 0), T),
        (D(2024, 1, 2), ">=", DT(2024, 1, 2, 12, 0), T),
    ],
)
def test_date_and_datetime_comparisons(a, op, b, expected):
    assert ev(f"[A] {op} [B]", {"A": a, "B": b}) is expected


@pytest.mark.parametrize(
    ("partial", "op", "other", "expected"),
    [
        # 2024-03-UN is any day of March 2024
        ("2024-03-UN", "<", D(2024, 4, 1), T),
        ("2024-03-UN", "<", D(2024, 3, 31), B),
        ("2024-03-UN", "<", D(2024, 3, 1), F),
        ("2024-03-UN", "<=", D(2024, 3, 31), T),
        ("2024-03-UN", "<=", D(2024, 3, 1), B),
        ("2024-03-UN", "<=", D(2024, 2, 29), F),
        ("2024-03-UN", ">", D(2024, 2, 29), T),
        ("2024-03-UN", ">", D(2024, 3, 1), B),
        ("2024-03-UN", ">=", D(2024, 3, 1), T),
        ("2024-03-UN", ">=", D(2024, 4, 1), F),
        ("2024-03-UN", "=", D(2024, 3, 15), B),
        ("2024-03-UN", "=", D(2024, 4, 15), F),
        ("2024-03-UN", "!=", D(2024, 4, 15), T),
        ("2024-03-UN", "!=", D(2024, 3, 15), B),
        # 2024-UN-UN is any day of 2024
        ("2024-UN-UN", "<", D(2025, 1, 1), T),
        ("2024-UN-UN", "<", D(2024, 12, 31), B),
        ("2024-UN-UN", ">", D(2023, 12, 31), T),
        ("2024-UN-UN", "=", D(2023, 6, 1), F),
        # February of a leap year ends on the 29th
        ("2024-02-UN", "<", D(2024, 2, 29), B),
        ("2024-02-UN", "<=", D(2024, 2, 29), T),
        ("2023-02-UN", "<", D(2023, 3, 1), T),
        ("2023-02-UN", "<=", D(2023, 2, 28), T),
        # against a datetime: its date part
        ("2024-03-UN", "<", DT(2024, 4, 1, 0, 5), T),
        ("2024-03-UN", "=", DT(2024, 3, 3, 10, 0), B),
        # complete "partial" dates are plain dates
        ("2024-03-05", "=", D(2024, 3, 5), T),
        ("2024-03-05", "<", D(2024, 3, 6), T),
    ],
)
def test_partial_date_comparisons(partial, op, other, expected):
    values = {"P": PartialDate.parse(partial), "D": other}
    assert ev(f"[P] {op} [D]", values) is expected
    mirrored = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}[op]
    assert ev(f"[D] {mirrored} [P]", values) is expected


@pytest.mark.parametrize(
    ("a", "op", "b", "expected"),
    [
        ("2024-03-UN", "<", "2024-04-UN", T),
        ("2024-03-UN", "<", "2024-03-UN", B),
        ("2024-03-UN", "=", "2024-03-UN", B),  # two unknown days of March need not be the same
        ("2024-03-UN", "=", "2024-04-UN", F),
        ("2024-UN-UN", "<", "2024-06-UN", B),
        ("2023-UN-UN", "<", "2024-01-UN", T),
        ("2024-UN-UN", ">=", "2024-12-UN", B),
        ("2025-UN-UN", ">=", "2024-12-UN", T),
    ],
)
def test_partial_date_against_partial_date(a, op, b, expected):
    assert ev(f"[A] {op} [B]", {"A": PartialDate.parse(a), "B": PartialDate.parse(b)}) is expected


def test_partial_date_against_date_literal():
    values = {"P": PartialDate.parse("2024-03-UN")}
    assert ev("[P] < date('2024-04-01')", values) is True
    assert ev("[P] >= date('2024-03-UN')", values) is None
    assert ev("date('2024-03-UN') < date('2024-04-01')") is True


def test_partial_date_with_number_is_a_type_error():
    with pytest.raises(ExpressionTypeError, match="cannot compare a partial date with a number"):
        ev("[P] > 2024", {"P": PartialDate.parse("2024-UN-UN")})


# --- membership ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("source", "value", "expected"),
    [
        ("[ECOG] in (0, 1)", 0, T),
        ("[ECOG] in (0, 1)", 1, T),
        ("[ECOG] in (0, 1)", 2, F),
        ("[ECOG] not in (0, 1)", 2, T),
        ("[ECOG] not in (0, 1)", 1, F),
        ("[ECOG] in (0, 1)", None, B),
        ("[ECOG] not in (0, 1)", None, B),
        ("[ECOG] in (1)", Decimal("1.0"), T),
        ("[ECOG] in (1 + 1, 3)", 2, T),
    ],
)
def test_in_and_not_in(source, value, expected):
    assert ev(source, {"ECOG": value}) is expected


def test_in_with_strings_is_exact():
    assert ev("[AEOUT] not in ('FATAL')", {"AEOUT": "RECOVERED"}) is True
    assert ev("[AEOUT] not in ('FATAL')", {"AEOUT": "FATAL"}) is False
    assert ev("[AEOUT] in ('fatal', 'DEATH')", {"AEOUT": "FATAL"}) is False


def test_in_with_blank_options_follows_kleene_or():
    # x in (a, b) is x = a or x = b
    assert ev("[X] in ([A], 2)", {"X": 2}) is True
    assert ev("[X] in ([A], 2)", {"X": 3}) is None
    assert ev("[X] not in ([A], 2)", {"X": 3}) is None
    assert ev("[X] not in ([A], 2)", {"X": 2}) is False


def test_in_with_partial_dates():
    values = {"P": PartialDate.parse("2024-03-UN")}
    assert ev("[P] in (date('2024-03-01'), date('2025-01-01'))", values) is None
    assert ev("[P] in (date('2024-04-01'), date('2025-01-01'))", values) is False


def test_in_with_a_multichoice_value_is_refused():
    with pytest.raises(ExpressionTypeError, match="use contains"):
        ev("[M] in ('A', 'B')", {"M": ["A"]})


def test_in_checks_the_types_of_every_option():
    with pytest.raises(ExpressionTypeError, match="cannot compare a number with text"):
        ev("[ECOG] in (0, 'x')", {"ECOG": 0})
