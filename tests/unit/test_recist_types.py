"""RECIST engine data types: exact decimals, enumerations, effective values."""

import dataclasses
from datetime import date, datetime
from decimal import Decimal

import pytest

from ecrf.oncology import recist
from ecrf.oncology.recist import (
    ENGINE_VERSION, Assessment, Baseline, BaselineNonTarget, BaselineTarget, MeasurementFlag,
    Method, NewLesion, NewLesionStatus, NonTargetState, NonTargetStatus, Response,
    TargetMeasurement, to_mm,
)


def test_engine_version_string():
    assert ENGINE_VERSION == "recist-1.1/1"


def test_public_api_is_reexported():
    for name in recist.__all__:
        assert hasattr(recist, name), name
    for name in ("check_baseline", "check_followup", "evaluate_subject", "investigator_disagreements",
                 "overall_response", "best_overall_response"):
        assert name in recist.__all__


@pytest.mark.parametrize("raw, expected", [
    (Decimal("25.2"), Decimal("25.2")), (10, Decimal(10)), ("9.9", Decimal("9.9")),
    (" 14.9 ", Decimal("14.9")), (None, None),
])
def test_to_mm_is_exact(raw, expected):
    value = to_mm(raw)
    assert value == expected
    if expected is not None:
        assert isinstance(value, Decimal)
        assert str(value) == str(expected)


@pytest.mark.parametrize("raw", [25.2, 10.0, True, False])
def test_to_mm_refuses_float_and_bool(raw):
    with pytest.raises(TypeError):
        to_mm(raw)


@pytest.mark.parametrize("raw", ["abc", "NaN", "Infinity", Decimal("NaN"), ""])
def test_to_mm_refuses_non_numbers(raw):
    with pytest.raises(ValueError):
        to_mm(raw)


def test_to_mm_refuses_other_types():
    with pytest.raises(TypeError):
        to_mm([10])


def test_float_refused_in_dataclasses():
    with pytest.raises(TypeError):
        BaselineTarget("T1", "liver", ld_mm=25.2)
    with pytest.raises(TypeError):
        TargetMeasurement("T1", value_mm=25.2)
    with pytest.raises(TypeError):
        BaselineNonTarget("N1", "", is_node=True, sa_mm=12.0)


def test_string_values_are_converted_to_enums_and_decimals():
    t = BaselineTarget("T1", "Liver", ld_mm="25.2", method="XRAY")
    assert t.ld_mm == Decimal("25.2") and isinstance(t.ld_mm, Decimal)
    assert t.method is Method.XRAY
    m = TargetMeasurement("T1", "TOO_SMALL")
    assert m.flag is MeasurementFlag.TOO_SMALL
    s = NonTargetStatus("N1", "ABSENT")
    assert s.status is NonTargetState.ABSENT
    a = Assessment(date(2024, 3, 1), investigator_response="PR")
    assert a.investigator_response is Response.PR
    assert Response.PR == "PR"


@pytest.mark.parametrize("bad", [
    lambda: TargetMeasurement("T1", "GONE"),
    lambda: NonTargetStatus("N1", "SMALLER"),
    lambda: BaselineTarget("T1", "liver", ld_mm=10, method="PET"),
    lambda: Assessment(date(2024, 3, 1), investigator_response="GOOD"),
    lambda: NewLesion("L1", "MAYBE"),
])
def test_unknown_enum_values_raise(bad):
    with pytest.raises(ValueError):
        bad()


def test_new_lesion_row_cannot_be_no():
    with pytest.raises(ValueError):
        NewLesion("L1", NewLesionStatus.NO)
    assert NewLesion("L1").status is NewLesionStatus.YES


def test_dates_must_be_dates_not_datetimes():
    with pytest.raises(TypeError):
        Baseline(datetime(2024, 1, 1, 8, 0))
    with pytest.raises(TypeError):
        Assessment("2024-01-01")


def test_lesion_id_must_be_a_string():
    with pytest.raises(TypeError):
        TargetMeasurement(1, value_mm=10)


def test_sequences_become_tuples_and_items_are_typed():
    b = Baseline(date(2024, 1, 1), targets=[BaselineTarget("T1", "liver", ld_mm=20)])
    assert isinstance(b.targets, tuple)
    with pytest.raises(TypeError):
        Baseline(date(2024, 1, 1), targets=[("T1", "liver", 20)])
    with pytest.raises(TypeError):
        Assessment(date(2024, 2, 1), targets=[TargetMeasurement("T1", value_mm=1)],
                   non_targets=[TargetMeasurement("N1", value_mm=1)])


def test_dataclasses_are_frozen():
    m = TargetMeasurement("T1", value_mm=10)
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.value_mm = Decimal(11)


@pytest.mark.parametrize("flag, value, effective", [
    ("MEASURED", "12.5", Decimal("12.5")),
    ("TOO_SMALL", None, Decimal(5)),
    ("TOO_SMALL", 5, Decimal(5)),
    ("DISAPPEARED", None, Decimal(0)),
    ("DISAPPEARED", 0, Decimal(0)),
    ("NOT_EVALUATED", None, None),
])
def test_effective_value(flag, value, effective):
    assert TargetMeasurement("T1", flag, value).effective_mm == effective


def test_diameter_and_organ_group():
    node = BaselineTarget("N1", "Mediastinal station 4R", is_node=True, ld_mm=30, sa_mm=16)
    lesion = BaselineTarget("T1", "  Liver ", ld_mm=30, sa_mm=16)
    assert node.diameter_mm == Decimal(16)
    assert lesion.diameter_mm == Decimal(30)
    assert node.organ_group == "lymph node"
    assert lesion.organ_group == "liver"
