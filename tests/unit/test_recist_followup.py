"""RECIST follow-up checks: every target accounted for, no unknown IDs, flag/value consistency."""

from datetime import date

import pytest

from ecrf.oncology.recist import (
    Assessment, Baseline, BaselineNonTarget, BaselineTarget, NewLesion, NonTargetStatus,
    TargetMeasurement, check_followup,
)

BASELINE = Baseline(
    date(2024, 1, 2),
    targets=(BaselineTarget("T1", "liver", ld_mm=30), BaselineTarget("N1", "neck", is_node=True, sa_mm=20)),
    non_targets=(BaselineNonTarget("NT1", "bone"),),
)
DAY = date(2024, 3, 1)


def visit(targets=None, non_targets=None, new=(), day=DAY):
    if targets is None:
        targets = (TargetMeasurement("T1", value_mm=20), TargetMeasurement("N1", value_mm=12))
    if non_targets is None:
        non_targets = (NonTargetStatus("NT1", "PRESENT"),)
    return Assessment(day, targets=targets, non_targets=non_targets, new_lesions=new)


def codes(findings):
    return [(f.code, f.lesion_id) for f in findings]


def test_complete_assessment_has_no_findings():
    assert check_followup(BASELINE, visit()) == []


def test_not_evaluated_is_an_explicit_valid_entry():
    a = visit(targets=(TargetMeasurement("T1", "NOT_EVALUATED"), TargetMeasurement("N1", value_mm=12)),
              non_targets=(NonTargetStatus("NT1", "NOT_EVALUATED"),))
    assert check_followup(BASELINE, a) == []


def test_missing_target_and_non_target():
    a = visit(targets=(TargetMeasurement("T1", value_mm=20),), non_targets=())
    findings = check_followup(BASELINE, a)
    assert codes(findings) == [("MISSING_TARGET", "N1"), ("MISSING_NON_TARGET", "NT1")]
    assert all(f.assessment_date == DAY for f in findings)
    assert "NOT_EVALUATED" in findings[0].message


def test_unknown_target_id_points_to_new_lesion_list():
    a = visit(targets=(TargetMeasurement("T1", value_mm=20), TargetMeasurement("N1", value_mm=12),
                       TargetMeasurement("T9", value_mm=8)))
    [f] = check_followup(BASELINE, a)
    assert (f.code, f.lesion_id) == ("UNKNOWN_TARGET", "T9")
    assert "new-lesion list" in f.message


def test_non_target_id_recorded_as_target():
    a = visit(targets=(TargetMeasurement("T1", value_mm=20), TargetMeasurement("N1", value_mm=12),
                       TargetMeasurement("NT1", value_mm=8)))
    [f] = check_followup(BASELINE, a)
    assert (f.code, f.lesion_id) == ("UNKNOWN_TARGET", "NT1")
    assert "non-target" in f.message


def test_unknown_non_target_and_duplicates():
    a = visit(targets=(TargetMeasurement("T1", value_mm=20), TargetMeasurement("T1", value_mm=21),
                       TargetMeasurement("N1", value_mm=12)),
              non_targets=(NonTargetStatus("NT1", "PRESENT"), NonTargetStatus("NT1", "ABSENT"),
                           NonTargetStatus("NT7", "PRESENT")))
    assert codes(check_followup(BASELINE, a)) == [
        ("DUPLICATE_TARGET", "T1"), ("DUPLICATE_NON_TARGET", "NT1"), ("UNKNOWN_NON_TARGET", "NT7")]


@pytest.mark.parametrize("flag, value, expected", [
    ("MEASURED", None, [("MISSING_VALUE", "T1")]),
    ("MEASURED", 0, [("INVALID_MEASUREMENT", "T1")]),
    ("MEASURED", -1, [("INVALID_MEASUREMENT", "T1")]),
    ("MEASURED", "0.1", []),
    ("TOO_SMALL", None, []),
    ("TOO_SMALL", 5, []),
    ("TOO_SMALL", "5.0", []),
    ("TOO_SMALL", 4, [("INCONSISTENT_VALUE", "T1")]),
    ("DISAPPEARED", None, []),
    ("DISAPPEARED", 0, []),
    ("DISAPPEARED", 3, [("INCONSISTENT_VALUE", "T1")]),
    ("NOT_EVALUATED", None, []),
    ("NOT_EVALUATED", 12, [("INCONSISTENT_VALUE", "T1")]),
])
def test_flag_value_consistency(flag, value, expected):
    a = visit(targets=(TargetMeasurement("T1", flag, value), TargetMeasurement("N1", value_mm=12)))
    assert codes(check_followup(BASELINE, a)) == expected


def test_new_lesions_need_own_unique_ids():
    a = visit(new=(NewLesion("T1"), NewLesion("L1"), NewLesion("L1", "EQUIVOCAL"), NewLesion("")))
    assert codes(check_followup(BASELINE, a)) == [
        ("NEW_LESION_ID_CONFLICT", "T1"), ("DUPLICATE_NEW_LESION", "L1"), ("EMPTY_LESION_ID", None)]


@pytest.mark.parametrize("day, expected", [
    (date(2024, 1, 2), [("NOT_AFTER_BASELINE", None)]),
    (date(2024, 1, 1), [("NOT_AFTER_BASELINE", None)]),
    (date(2024, 1, 3), []),
])
def test_assessment_must_follow_baseline(day, expected):
    assert codes(check_followup(BASELINE, visit(day=day))) == expected


def test_baseline_without_lesions_accepts_only_new_lesions():
    empty = Baseline(date(2024, 1, 2))
    assert check_followup(empty, Assessment(DAY, new_lesions=(NewLesion("L1"),))) == []
    assert codes(check_followup(empty, Assessment(DAY, targets=(TargetMeasurement("T1", value_mm=3),)))) == [
        ("UNKNOWN_TARGET", "T1")]
