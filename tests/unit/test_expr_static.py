"""Expression language: static_check against declared item types."""

import pytest

from ecrf.rules import Reference, compile_expression, static_check

TYPES = {
    Reference(None, "AGE"): "integer",
    Reference(None, "WEIGHT"): "decimal",
    Reference(None, "NAME"): "text",
    Reference(None, "AESTDTC"): "date",
    Reference("F_DM", "RFICDTC"): "date",
    Reference(None, "BRTHDTC"): "partial_date",
    Reference(None, "DOSEDTM"): "datetime",
    Reference(None, "DOSETM"): "time",
    Reference(None, "PREGNANT"): "boolean",
    Reference(None, "AESEV"): "choice",
    Reference(None, "ECOG"): "choice",
    Reference(None, "SYMPT"): "multichoice",
    Reference(None, "AETOXGR"): "integer",
    Reference(None, "AETERM"): "text",
    Reference("VISIT", "DATE"): "date",
    Reference("SUBJECT", "consent"): "date",
}


@pytest.mark.parametrize(
    "source",
    [
        "[AESEV] = 'MILD'",
        "[AESEV] in ('MILD', 'MODERATE')",
        "[ECOG] in (0, 1)",
        "[ECOG] <= 1",
        "[ECOG] = [AESEV]",
        "[AGE] >= 18 and not isblank([ECOG])",
        "[AGE] = [WEIGHT]",
        "[NAME] = 'x' or [NAME] < 'm'",
        "[AESTDTC] >= [F_DM.RFICDTC]",
        "[AESTDTC] >= [VISIT.DATE] and [AESTDTC] <= adddays([SUBJECT.consent], 28)",
        "[BRTHDTC] < [AESTDTC]",
        "[DOSEDTM] >= [AESTDTC]",
        "[DOSETM] < [DOSETM]",
        "[PREGNANT] = true",
        "[PREGNANT] != false and [PREGNANT]",
        "not [PREGNANT] or isblank([PREGNANT])",
        "contains([SYMPT], 'NAUSEA')",
        "contains([SYMPT], 1)",
        "len([SYMPT]) > 1 and len([NAME]) < 200",
        "datediff([BRTHDTC], [F_DM.RFICDTC], 'y') >= 18",
        "datediff([DOSEDTM], today()) <= 30",
        "[AESTDTC] + 7 > today() and [AESTDTC] - 7 < today() and 7 + [AESTDTC] > [VISIT.DATE]",
        "[AESTDTC] - [F_DM.RFICDTC] <= 28",
        "[WEIGHT] / ([AGE] * 2) - -[WEIGHT] > 1.5",
        "round([WEIGHT], 1) = 70.5 and abs([AGE] - 50) < 10",
        "year([BRTHDTC]) > 1900 and year([AESTDTC]) = 2024",
        "min([AGE], 5) = max([WEIGHT], [AGE], 2)",
        "min([AESTDTC], [F_DM.RFICDTC]) <= today()",
        "coalesce([AGE], 0) >= 0",
        "if([PREGNANT], [AGE], 0) > 18",
        "count([AETERM]) >= 1 and sum([AETOXGR]) > 2 and maxof([AETOXGR]) >= 3 and minof([AETERM]) = 'A'",
        "sum([ECOG]) > 1",  # a choice with integer codes may be summed
        "[ECOG] + 1 > 2",
        "date([NAME]) < today()",
        "[UNKNOWN] > 5 and [OTHER] = 'x' and [UNKNOWN] + [OTHER] = 1",
        "isblank([SYMPT]) or isblank([AESTDTC])",
        "if([AGE] > 1, [AESTDTC], [F_DM.RFICDTC]) > today()",
    ],
)
def test_valid_expressions_raise_no_false_alarm(source):
    assert static_check(compile_expression(source), TYPES) == []


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("[AESTDTC] > 5", "cannot compare [AESTDTC] (date) with a number in '[AESTDTC] > 5' (column 1)"),
        ("[AGE] = 'x'", "cannot compare [AGE] (integer) with text in '[AGE] = 'x'' (column 1)"),
        ("[NAME] > 3", "cannot compare [NAME] (text) with a number"),
        ("[DOSETM] < [AESTDTC]", "cannot compare [DOSETM] (time) with [AESTDTC] (date)"),
        ("[AESEV] = [AESTDTC]", "cannot compare [AESEV] (choice) with [AESTDTC] (date)"),
        ("[PREGNANT] = 1", "cannot compare [PREGNANT] (boolean) with a number"),
        ("[PREGNANT] > false", "cannot order [PREGNANT] (boolean)"),
        ("[SYMPT] = 'A'", "cannot compare [SYMPT] (multichoice); use contains()"),
        ("[SYMPT] in ('A', 'B')", "'in' needs a single value (use contains() for multiple choice)"),
        ("[AGE] in (1, 'x')", "cannot compare [AGE] (integer) with text"),
        ("[NAME] + 1", "arithmetic needs numbers or dates, not [NAME] (text) in '[NAME]' (column 1)"),
        ("[WEIGHT] * [PREGNANT]", "arithmetic needs numbers or dates, not [PREGNANT] (boolean)"),
        ("[AESTDTC] * 2", "cannot multiply [AESTDTC] (date) and a number"),
        ("[AESTDTC] + [VISIT.DATE]", "cannot add [AESTDTC] (date) and [VISIT.DATE] (date)"),
        ("1 - [AESTDTC] > 0", "cannot subtract a number and [AESTDTC] (date)"),
        ("-[NAME]", "unary minus needs a number, not [NAME] (text)"),
        ("[AGE] and true", "'and' needs true/false, not [AGE] (integer)"),
        ("not [NAME]", "'not' needs true/false, not [NAME] (text)"),
        ("if([AGE], 1, 2)", "if() needs a true/false condition, not [AGE] (integer)"),
        ("contains([AESEV], 'MILD')", "contains() needs a multiple-choice item, not [AESEV] (choice) in '[AESEV]' (column 10)"),
        ("contains([NAME], 'x')", "contains() needs a multiple-choice item, not [NAME] (text)"),
        ("sum([AETERM]) > 1", "sum() needs a numeric item, not [AETERM] (text) in 'sum([AETERM])' (column 1)"),
        ("sum([AESTDTC]) > 1", "sum() needs a numeric item, not [AESTDTC] (date)"),
        ("maxof([PREGNANT])", "maxof() needs an orderable item, not [PREGNANT] (boolean)"),
        ("datediff([AGE], today())", "datediff() needs a date, not [AGE] (integer) in '[AGE]' (column 10)"),
        ("datediff(today(), [NAME])", "datediff() needs a date, not [NAME] (text)"),
        ("adddays([AESTDTC], [NAME])", "adddays() needs a number of days, not [NAME] (text)"),
        ("year([AGE]) = 2000", "year() needs a date, not [AGE] (integer)"),
        ("date([AGE])", "date() needs text or a date, not [AGE] (integer)"),
        ("round([NAME])", "round() needs a number, not [NAME] (text)"),
        ("abs([AESTDTC])", "abs() needs a number, not [AESTDTC] (date)"),
        ("len([AGE])", "len() needs text, not [AGE] (integer)"),
        ("min([AGE], [AESTDTC])", "min() needs values of one type"),
        ("count([AETERM]) = 'x'", "cannot compare count([AETERM]) with text"),
        ("today() > 2024", "cannot compare a date with a number"),
        ("datediff([AESTDTC], today()) > today()", "cannot compare a number with a date"),
        ("minof([AESTDTC]) > 3", "cannot compare minof([AESTDTC]) with a number"),
    ],
)
def test_obvious_type_errors_are_reported(source, problem):
    problems = static_check(compile_expression(source), TYPES)
    assert len(problems) == 1, problems
    assert problems[0].startswith(problem)


def test_several_problems_are_all_reported_with_lines():
    problems = static_check("[AGE] = 'x'\n or [AESTDTC] > 5", TYPES)
    assert problems == [
        "cannot compare [AGE] (integer) with text in '[AGE] = 'x'' (line 1, column 1)",
        "cannot compare [AESTDTC] (date) with a number in '[AESTDTC] > 5' (line 2, column 5)",
    ]


def test_static_check_accepts_source_text_and_unknown_types():
    assert static_check("[AGE] > 'x'", {}) == []
    assert static_check("[AGE] > 'x'", {Reference(None, "AGE"): "some_future_type"}) == []
    assert static_check("[AGE] > 'x'", TYPES) != []
