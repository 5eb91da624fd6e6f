"""The expression language: public API, syntax, precedence, errors, references, safety."""

import datetime as dt
import re
import tokenize
from decimal import Decimal
from pathlib import Path

import pytest

import ecrf.rules
from ecrf.rules import (
    EvaluationContext,
    ExpressionError,
    ExpressionSyntaxError,
    ExpressionTypeError,
    MappingContext,
    PartialDate,
    Reference,
    compile_expression,
)

TODAY = dt.date(2024, 6, 15)


def ev(source, values=None, rows=None, today=TODAY):
    return compile_expression(source).evaluate(MappingContext(values or {}, rows, today))


def syntax_error(source):
    with pytest.raises(ExpressionSyntaxError) as info:
        compile_expression(source)
    return info.value


# --- public API --------------------------------------------------------------------------

def test_example_from_the_brief():
    expr = compile_expression("[AGE] >= 18 and not isblank([ECOG])")
    assert expr.source == "[AGE] >= 18 and not isblank([ECOG])"
    assert expr.references == frozenset({Reference(None, "AGE"), Reference(None, "ECOG")})
    assert expr.aggregate_references == frozenset()
    assert expr.evaluate(MappingContext({"AGE": 70, "ECOG": 1})) is True
    assert expr.evaluate(MappingContext({"AGE": 17, "ECOG": 1})) is False
    assert expr.evaluate(MappingContext({"ECOG": 1})) is None


def test_is_true_and_is_false_treat_blank_as_neither():
    expr = compile_expression("[AGE] >= 18")
    adult, minor, blank = MappingContext({"AGE": 40}), MappingContext({"AGE": 4}), MappingContext({})
    assert (expr.is_true(adult), expr.is_false(adult)) == (True, False)
    assert (expr.is_true(minor), expr.is_false(minor)) == (False, True)
    assert (expr.is_true(blank), expr.is_false(blank)) == (False, False)


def test_is_true_is_false_are_about_booleans_only():
    expr = compile_expression("[AGE] + 1")
    ctx = MappingContext({"AGE": 40})
    assert expr.evaluate(ctx) == Decimal(41)
    assert expr.is_true(ctx) is False and expr.is_false(ctx) is False


def test_exception_hierarchy():
    assert issubclass(ExpressionSyntaxError, ExpressionError)
    assert issubclass(ExpressionTypeError, ExpressionError)
    assert issubclass(ExpressionError, Exception)


def test_compile_is_cached_and_expressions_are_immutable():
    first = compile_expression("[A] + 1 > 2")
    assert compile_expression("[A] + 1 > 2") is first
    with pytest.raises(AttributeError):
        first.source = "1"
    assert hash(first) == hash(compile_expression("[A] + 1 > 2"))


def test_compile_refuses_non_strings():
    with pytest.raises(TypeError):
        compile_expression(42)


def test_mapping_context_is_an_evaluation_context_and_accepts_all_key_forms():
    ctx = MappingContext(
        {"AGE": 1, "F_DM.RFICDTC": 2, ("F_AE", "AETERM"): 3, Reference("SUBJECT", "consent"): 4, "[VISIT.DATE]": 5},
        rows={"AETOXGR": [1, 2], ("F_AE", "AESER"): ["Y"]},
        today=dt.date(2020, 1, 2),
    )
    assert isinstance(ctx, EvaluationContext)
    assert ctx.value(Reference(None, "AGE")) == 1
    assert ctx.value(Reference("F_DM", "RFICDTC")) == 2
    assert ctx.value(Reference("F_AE", "AETERM")) == 3
    assert ctx.value(Reference("SUBJECT", "consent")) == 4
    assert ctx.value(Reference("VISIT", "DATE")) == 5
    assert ctx.value(Reference(None, "MISSING")) is None
    assert ctx.values(Reference(None, "AETOXGR")) == [1, 2]
    assert ctx.values(Reference("F_AE", "AESER")) == ["Y"]
    assert ctx.values(Reference(None, "NOROWS")) == []
    assert ctx.today() == dt.date(2020, 1, 2)


def test_mapping_context_today_defaults_to_utc_date():
    today = MappingContext({}).today()
    assert isinstance(today, dt.date)
    assert abs((today - dt.datetime.now(dt.timezone.utc).date()).days) <= 1


def test_public_names_are_exported():
    for name in ("compile_expression", "ExpressionSyntaxError", "Reference", "EvaluationContext",
                 "PartialDate", "MappingContext", "static_check", "ExpressionTypeError", "ExpressionError"):
        assert name in ecrf.rules.__all__
        assert hasattr(ecrf.rules, name)


# --- references ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("[AGE]", Reference(None, "AGE")),
        ("[F_DM.RFICDTC]", Reference("F_DM", "RFICDTC")),
        ("[F_BASELINE_LB.LBHGB]", Reference("F_BASELINE_LB", "LBHGB")),
        ("[VISIT.DATE]", Reference("VISIT", "DATE")),
        ("[SUBJECT.consent]", Reference("SUBJECT", "consent")),
        ("[SUBJECT.first_dose2]", Reference("SUBJECT", "first_dose2")),
        ("[A1_B2]", Reference(None, "A1_B2")),
    ],
)
def test_reference_forms(source, expected):
    assert compile_expression(source).references == frozenset({expected})


def test_references_are_collected_everywhere_and_aggregates_separately():
    expr = compile_expression(
        "if([A] > 1, count([AETERM]), sum([F_AE.AEDUR])) + [B] * -[C] > maxof([TLDIAM])"
        " or [D] in ([E], 1) or not contains([MH], [F]) or [SUBJECT.consent] < [VISIT.DATE]"
    )
    names = {str(ref) for ref in expr.references}
    assert names == {"[A]", "[AETERM]", "[F_AE.AEDUR]", "[B]", "[C]", "[TLDIAM]", "[D]", "[E]", "[MH]", "[F]",
                     "[SUBJECT.consent]", "[VISIT.DATE]"}
    assert expr.aggregate_references == frozenset(
        {Reference(None, "AETERM"), Reference("F_AE", "AEDUR"), Reference(None, "TLDIAM")}
    )
    assert expr.aggregate_references <= expr.references


def test_reference_str_and_parse_round_trip():
    for text in ("[AGE]", "[F_DM.RFICDTC]", "[SUBJECT.consent]"):
        assert str(Reference.parse(text)) == text
    assert Reference.parse("F_DM.RFICDTC") == Reference("F_DM", "RFICDTC")
    with pytest.raises(ValueError):
        Reference.parse("age")


@pytest.mark.parametrize(
    "source",
    ["[age]", "[Age]", "[1AGE]", "[_AGE]", "[SUBJECT.CONSENT]", "[SUBJECT.Consent]", "[VISIT.date]",
     "[f_dm.AGE]", "[F_DM.]", "[.AGE]", "[A.B.C]", "[]", "[ AGE ]", "[AGE-1]"],
)
def test_malformed_references_are_syntax_errors(source):
    error = syntax_error(source)
    assert error.reason == f"invalid item reference '{source}'"
    assert error.column == 1
    assert "upper case" in str(error)


# --- literals and case-insensitivity ---------------------------------------------------------

@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("18", Decimal(18)),
        ("1.5", Decimal("1.5")),
        ("007", Decimal(7)),
        ("'Y'", "Y"),
        ('"Y"', "Y"),
        ("'it\\'s'", "it's"),
        ('"say \\"hi\\""', 'say "hi"'),
        ("'back\\\\slash'", "back\\slash"),
        ("\"it's\"", "it's"),
        ("true", True),
        ("false", False),
        ("TRUE", True),
        ("False", False),
        ("-3", Decimal(-3)),
    ],
)
def test_literals(source, expected):
    result = ev(source)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize(("source", "column"), [("[S] = ''", 7), ('[S] != ""', 8)])
def test_empty_text_literal_is_refused(source, column):
    error = syntax_error(source)
    assert str(error) == f"empty text is always blank at column {column}: use isblank([X]) to test for a blank"


@pytest.mark.parametrize(
    "source",
    ["[A] AND [B]", "[A] And [B]", "NOT [A] OR [B]", "IsBlank([C]) or [A]", "ISBLANK([C]) Or [A]"],
)
def test_keywords_and_function_names_are_case_insensitive(source):
    assert ev(source, {"A": True, "B": True}) is True


def test_keywords_do_not_swallow_longer_names():
    assert ev("[ANDROID] = 'x' or [ORDER] = 1", {"ANDROID": "x"}) is True
    with pytest.raises(ExpressionSyntaxError, match="unknown function 'order'"):
        compile_expression("order(1)")


def test_whitespace_and_newlines_are_free():
    assert ev("\n  [AGE]\t>=\n18\r\n  and\nnot isblank( [ECOG] )  ", {"AGE": 20, "ECOG": 0}) is True
    assert ev("[AGE]>=18and[ECOG]=0", {"AGE": 20, "ECOG": 0}) is True


# --- precedence ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 + 2 * 3", Decimal(7)),
        ("(1 + 2) * 3", Decimal(9)),
        ("10 - 4 - 3", Decimal(3)),
        ("24 / 4 / 2", Decimal(3)),
        ("2 * 3 - 4 / 2", Decimal(4)),
        ("-2 * 3", Decimal(-6)),
        ("- (2 + 3) * 2", Decimal(-10)),
        ("--2", Decimal(2)),
        ("2 - -2", Decimal(4)),
        ("1 + 2 > 2", True),
        ("1 + 2 * 3 = 7", True),
        ("true or true and false", True),  # and binds tighter than or
        ("(true or true) and false", False),
        ("not true or true", True),  # not binds tighter than or
        ("not (true or true)", False),
        ("not false and false", False),  # (not false) and false
        ("not 1 = 2", True),  # not binds looser than comparison
        ("not 1 in (1, 2)", False),
        ("false and false or true", True),
    ],
)
def test_precedence(source, expected):
    assert ev(source) == expected


def test_comparison_with_boolean_needs_parentheses():
    assert ev("(1 < 2) = true") is True
    error = syntax_error("1 < 2 = true")
    assert error.reason == "comparisons cannot be chained"


# --- syntax errors -----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("([AGE] > 18))", "unexpected ')' at column 13"),
        ("isblank([A], [B])", "isblank() takes 1 argument, got 2 at column 1"),
        ("foo([A])", "unknown function 'foo' at column 1"),
        ("[A] = isblnk([B])", "unknown function 'isblnk' at column 7: did you mean 'isblank'?"),
        ("1 < [X] < 5", "comparisons cannot be chained at column 9"),
        ("[A] = 1 = 2", "comparisons cannot be chained at column 9"),
        ("[A] in (1) = true", "comparisons cannot be chained at column 12"),
        ("1 +", "unexpected end of expression at column 4: expected a value"),
        ("(1 + 2", "unexpected end of expression at column 7: expected ')'"),
        ("'abc", "text is not closed (missing quote) at column 1"),
        ("[A] = 'abc", "text is not closed (missing quote) at column 7"),
        ("[AGE > 1", "item reference is not closed (missing ']') at column 1"),
        ("[A] == 1", "unexpected '=' at column 6: the comparison operators are"),
        ("AGE > 18", "unexpected '>' at column 5: write items in brackets such as [AGE]"),
        ("[A] & [B]", "unexpected character '&' at column 5"),
        ("1.", "unexpected character '.' at column 2"),
        ("5 6", "unexpected '6' at column 3"),
        ("[A] in 1", "unexpected '1' at column 8: expected '('"),
        ("[A] in ()", "unexpected ')' at column 9"),
        ("[A] not [B]", "unexpected '[B]' at column 9"),
        ("today(1)", "today() takes no arguments, got 1 at column 1"),
        ("datediff([A])", "datediff() takes 2 or 3 arguments, got 1 at column 1"),
        ("if([A], 1)", "if() takes 3 arguments, got 2 at column 1"),
        ("min(1)", "min() takes at least 2 arguments, got 1 at column 1"),
        ("coalesce([A])", "coalesce() takes at least 2 arguments, got 1 at column 1"),
        ("round(1, 2, 3)", "round() takes 1 or 2 arguments, got 3 at column 1"),
        ("count([A], [B])", "count() takes 1 argument, got 2 at column 1"),
        ("sum()", "sum() takes 1 argument, got 0 at column 1"),
        ("count([A] + 1)", "count() takes one item reference at column 7"),
        ("maxof(3)", "maxof() takes one item reference at column 7"),
        ("count([VISIT.DATE])", "count() needs an item of a repeating group, not [VISIT.DATE] at column 7"),
        ("sum([SUBJECT.consent])", "sum() needs an item of a repeating group"),
        ("datediff([A], [B], 'w')", "datediff() unit must be 'd', 'm' or 'y' at column 20"),
        ("datediff([A], [B], [U])", "datediff() unit must be 'd', 'm' or 'y' at column 20"),
        ("date('2024-02-30')", "invalid date: day 30 is out of range 1-29 for 2024-02 at column 6"),
        ("date('2024-UN-05')", "invalid date"),
        ("date('31/01/2024')", "invalid date"),
        ("round([X], 0.5)", "round() places must be a whole number from -28 to 28 at column 12"),
        ("", "expression is empty"),
        ("  \n ", "expression is empty"),
        ("1 +\n  )", "unexpected ')' at line 2, column 3"),
    ],
)
def test_syntax_error_messages(source, message):
    assert str(syntax_error(source)).startswith(message)


def test_syntax_error_carries_position_fields():
    error = syntax_error("[A] = (1 + )")
    assert (error.reason, error.position, error.line, error.column) == ("unexpected ')'", 11, 1, 12)
    assert error.source == "[A] = (1 + )"


@pytest.mark.parametrize(
    "source",
    [
        "__import__('os')",
        "__import__('os').system('ls')",
        "[A].__class__",
        "os.system('rm -rf /')",
        "eval('1')",
        "exec('1')",
        "lambda: 1",
        "[A]; 1",
        "1 if [A] else 2",
        "{'a': 1}",
        "[A][0]",
        "'a' + __builtins__",
        "getattr([A], 'x')",
    ],
)
def test_python_injection_attempts_are_syntax_errors(source):
    with pytest.raises(ExpressionSyntaxError):
        compile_expression(source)


def test_no_python_eval_exec_or_compile_in_the_package():
    forbidden = {"eval", "exec", "compile", "__import__"}
    package = Path(ecrf.rules.__file__).parent
    sources = sorted(package.glob("*.py"))
    assert len(sources) >= 6
    for path in sources:
        with path.open("rb") as handle:
            tokens = list(tokenize.tokenize(handle.readline))
        # a bare name (not an attribute such as re.compile) would be the builtin
        bare = {tok.string for prev, tok in zip(tokens, tokens[1:]) if tok.type == tokenize.NAME and prev.string != "."}
        assert not bare & forbidden, path.name


def test_grammar_file_is_used():
    grammar = Path(ecrf.rules.__file__).with_name("grammar.lark").read_text()
    assert re.search(r"^\?or_test:", grammar, re.M)


# --- limits ----------------------------------------------------------------------------------

def test_maximum_length():
    ok = "1" + " + 1" * 499  # 1997 characters
    assert len(ok) <= 2000 and ev(ok) == Decimal(500)
    error = syntax_error("1" + " + 1" * 500)
    assert str(error) == "expression is too long (2001 characters, at most 2000)"


def test_long_flat_chains_are_not_deep():
    assert ev(" and ".join(["true"] * 200)) is True
    assert ev(" or ".join(["false"] * 200)) is False
    assert ev(" * ".join(["1"] * 500)) == Decimal(1)


def test_moderate_nesting_is_fine():
    assert ev("(" * 40 + "1" + ")" * 40) == Decimal(1)
    assert ev("not " * 40 + "true") is True
    assert ev("abs(" * 30 + "-1" + ")" * 30) == Decimal(1)


@pytest.mark.parametrize(
    "source",
    [
        "(" * 60 + "1" + ")" * 60,
        "(" * 999 + "1" + ")" * 999,
        "-" * 1999 + "1",
        "not " * 499 + "true",
        "abs(" * 399 + "1" + ")" * 399,
        "if(true, " * 150 + "1" + ", 2)" * 150,
    ],
)
def test_deep_nesting_is_a_clean_syntax_error(source):
    error = syntax_error(source)
    assert error.reason == "expression is nested too deeply (more than 50 levels)"
    assert error.column is not None


# --- evaluation errors --------------------------------------------------------------------

def test_type_error_message_names_the_failing_part():
    expr = compile_expression("[OK] = 1 and [X] > 3")
    with pytest.raises(ExpressionTypeError) as info:
        expr.evaluate(MappingContext({"OK": 1, "X": "abc"}))
    assert str(info.value) == "cannot compare text with a number in '[X] > 3'"
    assert info.value.span == (13, 20)


def test_type_error_in_arithmetic_chain_points_at_the_chain_so_far():
    with pytest.raises(ExpressionTypeError) as info:
        ev("1 + [D] + 'x' + 3", {"D": 2})
    assert str(info.value) == "cannot add a number and text in '1 + [D] + 'x''"


def test_unsupported_context_values_are_type_errors():
    with pytest.raises(ExpressionTypeError, match="unsupported value of Python type dict"):
        ev("[A] = 1", {"A": {"x": 1}})
    with pytest.raises(ExpressionTypeError, match="not a finite number"):
        ev("[A] = 1", {"A": float("nan")})
    with pytest.raises(ExpressionTypeError, match="not a finite number"):
        ev("[A] = 1", {"A": Decimal("Infinity")})


def test_partial_date_is_exported():
    assert str(PartialDate.parse("2024-03-UN")) == "2024-03-UN"
