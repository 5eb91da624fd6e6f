"""The validation engine over a small synthetic form: pure, no app, no database."""

from __future__ import annotations

import datetime as dt

import pytest

from ecrf.entry.compiled import compile_form
from ecrf.entry.validation import apply_patch, errors_by_key, evaluate

TODAY = dt.date(2026, 6, 1)

FORM = {
    "kind": "form", "oid": "F_TEST", "version": 1, "title": "Test",
    "groups": [
        {"oid": "IG_MAIN", "items": [
            {"oid": "DONE", "label": "Done", "type": "choice", "codelist": "CL_NY", "required": True},
            {"oid": "WHY", "label": "Why not", "type": "text", "max_length": 10,
             "show_if": "[DONE] = 'N'", "required_if": "[DONE] = 'N'"},
            {"oid": "NOTE", "label": "Note", "type": "text", "show_if": "[DONE] = 'N'", "when_hidden": "clear"},
            {"oid": "DAT", "label": "Date", "type": "date"},
            {"oid": "HGB", "label": "Haemoglobin", "type": "decimal", "digits": 1, "unit": "g/L",
             "hard": {"min": 0, "max": 250}, "soft": {"min": 80, "max": 200}},
            {"oid": "N", "label": "Count", "type": "integer"},
            {"oid": "PD", "label": "Partial", "type": "partial_date"},
            {"oid": "SITES", "label": "Sites", "type": "multichoice", "codelist": "CL_SITE"},
            {"oid": "CODE", "label": "Code", "type": "text", "pattern": "^[A-Z]{2}[0-9]{2}$"},
            {"oid": "TIM", "label": "Time", "type": "time"},
            {"oid": "STDTM", "label": "Start", "type": "datetime"},
            {"oid": "ENDTM", "label": "End", "type": "datetime"},
            {"oid": "FLAG", "label": "Flag", "type": "boolean"},
        ]},
        {"oid": "IG_LES", "repeating": True, "max_rows": 3, "row_key": "LID", "items": [
            {"oid": "LID", "label": "Lesion ID", "type": "text", "required": True},
            {"oid": "SIZE", "label": "Size", "type": "decimal", "digits": 1, "required": True},
        ]},
    ],
    "codelists": {
        "CL_NY": {"items": [{"code": "Y", "label": "Yes"}, {"code": "N", "label": "No"}]},
        "CL_SITE": {"items": [{"code": "A", "label": "A"}, {"code": "B", "label": "B"}]},
    },
    "checks": [
        {"id": "DAT_NOT_AFTER_OTHER", "assert": "[DAT] >= [F_OTHER.START]", "severity": "hard",
         "message": "Date must not be before the other form's start", "items": ["DAT"]},
        {"id": "SIZE_SOFT", "assert": "[SIZE] < 100", "severity": "soft", "message": "Large lesion", "items": ["SIZE"]},
        {"id": "SUM_MAX", "assert": "sum([SIZE]) <= 150", "severity": "hard", "message": "Sum too large",
         "items": ["HGB"]},
        {"id": "END_AFTER_START", "assert": "[ENDTM] >= [STDTM]", "severity": "hard",
         "message": "End must not be before start", "items": ["ENDTM"]},
    ],
}


@pytest.fixture(scope="module")
def form():
    return compile_form(FORM)


def resolver(values):
    return lambda ref: values.get(f"{ref.scope}.{ref.name}")


def run(form, current, patch, completing=False, other=None):
    data, changes, errors = apply_patch(form, current, patch)
    if errors:
        return data, changes, errors_by_key(errors), None
    result = evaluate(form, data, completing=completing, resolve=resolver(other or {}), today=TODAY)
    return data, changes, errors_by_key(result.errors), result


@pytest.mark.parametrize("item, value, message", [
    ("N", "12a", "Count must be a whole number"),
    ("N", 1.5, "Count must be a whole number"),
    ("N", True, "Count must be a whole number"),
    ("HGB", "12.34", "Haemoglobin must have at most 1 decimal place"),
    ("HGB", "1e3", "Haemoglobin must be a decimal number"),
    ("HGB", 251, "Haemoglobin must be between 0 and 250 g/L"),
    ("HGB", -0.1, "Haemoglobin must be between 0 and 250 g/L"),
    ("DAT", "2026-02-30", "Date is not a real calendar date"),
    ("DAT", "01/02/2026", "Date must be a date written YYYY-MM-DD"),
    ("PD", "2026-13-UN", "Partial must be a date written"),
    ("DONE", "X", "Done must be one of the codes of CL_NY: Y, N"),
    ("SITES", ["A", "A"], "Sites must not list a code twice"),
    ("SITES", "A", "Sites must be a non-empty list of codes"),
    ("CODE", "ab12", "Code does not have the expected format"),
    ("WHY", "x" * 11, "Why not must be at most 10 characters"),
    ("WHY", "bad\x00", "Why not must not contain control characters"),
    ("TIM", "24:00", "Time must be a time written HH:MM"),
    ("TIM", "8:30", "Time must be a time written HH:MM"),
    ("STDTM", "2026-01-05 08:30", "Start must be a local date and time written YYYY-MM-DDTHH:MM"),
    ("STDTM", "2026-01-05T08:30+08:00", "Start must be a local date and time"),  # no time zone
    ("STDTM", "2026-01-05T08:30Z", "Start must be a local date and time"),
    ("STDTM", "2026-01-05T08:30:00.123", "Start must be a local date and time"),  # no fraction
    ("STDTM", "2026-02-30T08:30", "Start is not a real calendar date"),
    ("FLAG", "true", "Flag must be true or false"),
    ("FLAG", 1, "Flag must be true or false"),
])
def test_value_errors_name_the_item_and_reason(form, item, value, message):
    _, _, errors, _ = run(form, {}, {item: value})
    assert list(errors) == [item]
    assert errors[item][0].startswith(message)


def test_values_are_stored_canonically(form):
    data, changes, errors, _ = run(form, {}, {"HGB": 132, "N": "7", "PD": "2025-03-un", "SITES": ["B", "A"]})
    assert errors == {}
    assert data["HGB"] == "132" and data["N"] == 7 and data["PD"] == "2025-03-UN" and data["SITES"] == ["A", "B"]
    assert {c.item_oid for c in changes} == {"HGB", "N", "PD", "SITES"}


def test_time_datetime_and_boolean_values(form):
    data, _, errors, _ = run(form, {}, {"TIM": "08:30:00", "STDTM": "2026-01-05T08:30:00", "ENDTM": "2026-01-05T09:15:30",
                                        "FLAG": False})
    assert errors == {}
    assert (data["TIM"], data["STDTM"], data["ENDTM"], data["FLAG"]) == ("08:30:00", "2026-01-05T08:30", "2026-01-05T09:15:30",
                                                                     False)


def test_a_datetime_check_compares_every_accepted_value(form):
    """Every stored datetime is comparable with every other, so a check is never silently undecidable."""
    done = {"DONE": "Y"}
    _, _, errors, _ = run(form, {}, done | {"STDTM": "2026-01-05T10:00", "ENDTM": "2026-01-05T09:59:59"}, completing=True)
    assert errors == {"ENDTM": ["End must not be before start"]}
    _, _, errors, _ = run(form, {}, done | {"STDTM": "2026-01-05T10:00", "ENDTM": "2026-01-05T10:00:00"}, completing=True)
    assert errors == {}


def test_unknown_item_and_repeating_item_outside_its_group(form):
    _, _, errors, _ = run(form, {}, {"NOPE": 1, "SIZE": 3})
    assert "NOPE is not an item of form F_TEST version 1" in errors["NOPE"][0]
    assert "belongs to repeating group IG_LES" in errors["SIZE"][0]


def test_draft_accepts_partial_data_and_completion_requires(form):
    data, _, errors, _ = run(form, {}, {"HGB": "120.5"})
    assert errors == {}
    _, _, errors, _ = run(form, data, {}, completing=True)
    assert errors == {"DONE": ["Done is required"]}


def test_required_if_and_hidden_items(form):
    _, _, errors, _ = run(form, {}, {"DONE": "N"}, completing=True)
    assert errors == {"WHY": ["Why not is required here"]}
    _, _, errors, _ = run(form, {}, {"DONE": "Y", "WHY": "because"})
    assert errors["WHY"][0] == "Why not does not apply given the other answers; clear it"


def test_hidden_item_marked_clear_is_cleared_not_refused(form):
    data, _, errors, result = run(form, {}, {"DONE": "N", "NOTE": "kept while shown"})
    assert errors == {} and data["NOTE"] == "kept while shown"
    data, _, errors, result = run(form, data, {"DONE": "Y"})
    assert errors == {}
    assert "NOTE" not in data
    assert [(c.item_oid, c.old, c.new) for c in result.cleared] == [("NOTE", "kept while shown", None)]


def test_soft_range_and_soft_check_are_warnings(form):
    _, _, errors, result = run(form, {}, {"HGB": 75, "IG_LES": [{"LID": "T1", "SIZE": "120"}]})
    assert errors == {}
    warnings = {(w.key, w.rule) for w in result.warnings}
    assert ("HGB", "soft_range:HGB") in warnings
    assert ("IG_LES[1].SIZE", "SIZE_SOFT") in warnings


def test_repeating_rows_keys_and_limits(form):
    data, changes, errors, _ = run(form, {}, {"IG_LES": [{"LID": "T1", "SIZE": 10}, {"LID": "T2", "SIZE": 20}]})
    assert errors == {} and [r["_row"] for r in data["IG_LES"]] == [1, 2]
    # change row 2, drop row 1, add a row: row keys are stable
    data2, changes, errors, _ = run(form, data, {"IG_LES": [{"_row": 2, "SIZE": 25}, {"LID": "T3", "SIZE": 5}]})
    assert errors == {}
    assert [(r["_row"], r["LID"], r["SIZE"]) for r in data2["IG_LES"]] == [(2, "T2", "25"), (3, "T3", "5")]
    assert {(c.group_oid, c.row, c.item_oid, c.old, c.new) for c in changes} == {
        ("IG_LES", 1, "LID", "T1", None), ("IG_LES", 1, "SIZE", "10", None),
        ("IG_LES", 2, "SIZE", "20", "25"), ("IG_LES", 3, "LID", None, "T3"), ("IG_LES", 3, "SIZE", None, "5")}
    _, _, errors, _ = run(form, data, {"IG_LES": [{"_row": 1}, {"_row": 2, "LID": "T1"}]})
    assert errors == {"IG_LES[2].LID": ["Lesion ID 'T1' is already used in row 1"]}
    _, _, errors, _ = run(form, {}, {"IG_LES": [{"LID": f"T{i}", "SIZE": 1} for i in range(4)]})
    assert errors == {"IG_LES": ["IG_LES allows at most 3 rows"]}
    _, _, errors, _ = run(form, {}, {"IG_LES": [{"_row": 1}, {"_row": 1}]})
    assert "IG_LES[1]" in errors


def test_row_required_items_and_aggregate_checks(form):
    data, _, _, _ = run(form, {}, {"DONE": "Y", "IG_LES": [{"LID": "T1"}]})
    _, _, errors, _ = run(form, data, {}, completing=True)
    assert errors == {"IG_LES[1].SIZE": ["Size is required"]}
    data, _, _, _ = run(form, {}, {"DONE": "Y", "IG_LES": [{"LID": "T1", "SIZE": 90}, {"LID": "T2", "SIZE": 61}]})
    _, _, errors, _ = run(form, data, {}, completing=True)
    assert errors == {"HGB": ["Sum too large"]}


def test_cross_form_check_fires_only_when_decidable(form):
    data, _, _, _ = run(form, {}, {"DONE": "Y", "DAT": "2026-01-01"})
    _, _, errors, _ = run(form, data, {}, completing=True, other={})
    assert errors == {}  # the other form has no start date yet: blank, cannot decide
    _, _, errors, _ = run(form, data, {}, completing=True, other={"F_OTHER.START": dt.date(2026, 2, 1)})
    assert errors == {"DAT": ["Date must not be before the other form's start"]}
    _, _, errors, result = run(form, data, {}, completing=False, other={"F_OTHER.START": dt.date(2026, 2, 1)})
    assert errors == {} and [w.severity for w in result.warnings] == ["hard_pending"]
