"""ODM values (pure): data types, the text of stored values and back, and the negated show_if."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ecrf.exports.metadata import negated
from ecrf.exports.values import OdmValueError, from_odm, odm_data_type, to_odm
from ecrf.rules import compile_expression
from ecrf.rules.context import MappingContext
from tests.support.odm import value_ok


@pytest.mark.parametrize("item_type, stored, text, odm_type", [
    ("text", "Radiation oesophagitis", "Radiation oesophagitis", "text"),
    ("integer", 64, "64", "integer"),
    ("decimal", "62.50", "62.50", "float"),
    ("date", "2026-01-05", "2026-01-05", "date"),
    ("partial_date", "2024-03-15", "2024-03-15", "partialDate"),
    ("partial_date", "2024-03-UN", "2024-03", "partialDate"),
    ("partial_date", "2024-UN-UN", "2024", "partialDate"),
    ("time", "08:30", "08:30", "partialTime"),
    ("time", "08:30:15", "08:30:15", "partialTime"),
    ("datetime", "2026-01-05T08:30", "2026-01-05T08:30", "partialDatetime"),
    ("datetime", "2026-01-05T08:30:15+08:00", "2026-01-05T08:30:15+08:00", "partialDatetime"),
    ("boolean", True, "true", "boolean"),
    ("boolean", False, "false", "boolean"),
    ("multichoice", ["CT", "PET_CT"], "CT,PET_CT", "text"),
])
def test_stored_values_become_odm_text_and_come_back(item_type, stored, text, odm_type):
    assert to_odm(item_type, stored) == text
    assert odm_data_type({"type": item_type}) == odm_type
    assert value_ok(odm_type, text)
    assert from_odm(item_type, text) == stored


def test_choices_follow_their_code_list_type():
    assert odm_data_type({"type": "choice"}, {"data_type": "integer"}) == "integer"
    assert odm_data_type({"type": "choice"}, {"items": []}) == "text"
    assert from_odm("choice", "3", integer_codes=True) == 3
    assert from_odm("choice", "Y") == "Y"
    assert from_odm("multichoice", "1,2", integer_codes=True) == [1, 2]
    assert to_odm("choice", 3) == "3"


def test_blank_and_bad_odm_text():
    assert to_odm("text", None) is None and from_odm("integer", None) is None and from_odm("date", "") is None
    for item_type, text in (("integer", "1.5"), ("partial_date", "2024-3"), ("partial_date", "03/2024"),
                            ("boolean", "yes")):
        with pytest.raises(OdmValueError):
            from_odm(item_type, text)


def test_decimals_keep_their_exact_text():
    assert to_odm("decimal", "25.20") == "25.20"
    assert Decimal(from_odm("decimal", "25.20")) == Decimal("25.20")


@pytest.mark.parametrize("show_if, values", [
    ("[AEONGO] = 'N'", [{"AEONGO": "N"}, {"AEONGO": "Y"}, {}]),
    ("[AGE] >= 18 and not isblank([ECOG])", [{"AGE": Decimal(20), "ECOG": 1}, {"AGE": Decimal(12), "ECOG": 1},
                                              {"AGE": Decimal(20)}, {}]),
])
def test_the_collection_exception_is_exactly_the_negation_of_show_if(show_if, values):
    """ODM's condition says when an item is NOT collected; ours hides an item unless show_if is
    true (a blank show_if hides it too), so the condition must be true exactly then."""
    shown, exception = compile_expression(show_if), compile_expression(negated(show_if))
    for case in values:
        context = MappingContext(case)
        assert exception.evaluate(context) is (shown.evaluate(context) is not True), case
