"""RECIST 1.1 baseline checks: measurability, target limits, lesion IDs, baseline sum."""

from datetime import date
from decimal import Decimal

import pytest

from ecrf.oncology.recist import (
    Baseline, BaselineNonTarget, BaselineTarget, Finding, Severity, baseline_sum, check_baseline,
)

BASE_DATE = date(2024, 1, 2)


def lesion(lid, organ, ld, method="CT"):
    return BaselineTarget(lid, organ, ld_mm=ld, method=method)


def node(lid, sa, station="hilar", method="CT"):
    return BaselineTarget(lid, station, is_node=True, sa_mm=sa, method=method)


def codes(findings):
    return [(f.code, f.lesion_id) for f in findings]


def test_valid_baseline_has_no_findings():
    b = Baseline(BASE_DATE, targets=(lesion("T1", "liver", 25), lesion("T2", "lung", "10"),
                                     node("T3", 15)),
                 non_targets=(BaselineNonTarget("NT1", "bone"),
                              BaselineNonTarget("NT2", "", is_node=True, sa_mm="12")))
    assert check_baseline(b) == []


@pytest.mark.parametrize("ld, expected", [
    ("10", []), ("9.9", [("NOT_MEASURABLE", "T1")]), ("10.0", []), ("9.99", [("NOT_MEASURABLE", "T1")]),
])
def test_non_nodal_ld_10_mm_boundary(ld, expected):
    assert codes(check_baseline(Baseline(BASE_DATE, targets=(lesion("T1", "liver", ld),)))) == expected


@pytest.mark.parametrize("method, ld, expected", [
    ("XRAY", "20", []), ("XRAY", "19.9", [("NOT_MEASURABLE", "T1")]),
    ("MRI", "10", []), ("CALIPER", "10", []), ("CALIPER", "9.9", [("NOT_MEASURABLE", "T1")]),
])
def test_method_specific_minimum(method, ld, expected):
    b = Baseline(BASE_DATE, targets=(lesion("T1", "lung", ld, method),))
    assert codes(check_baseline(b)) == expected


def test_not_measurable_message_names_the_threshold():
    [f] = check_baseline(Baseline(BASE_DATE, targets=(lesion("T1", "lung", "19.9", "XRAY"),)))
    assert "20 mm" in f.message and "non-target" in f.message
    assert f.severity is Severity.ERROR


@pytest.mark.parametrize("sa, expected", [
    ("15", []),
    ("14.9", [("NODE_NOT_MEASURABLE", "N1")]),
    ("10", [("NODE_NOT_MEASURABLE", "N1")]),
    ("9.9", [("NODE_NORMAL", "N1")]),
])
def test_target_node_short_axis_boundaries(sa, expected):
    assert codes(check_baseline(Baseline(BASE_DATE, targets=(node("N1", sa),)))) == expected


def test_node_uses_short_axis_not_long_axis():
    b = Baseline(BASE_DATE, targets=(BaselineTarget("N1", "neck", is_node=True, ld_mm=30, sa_mm="14"),))
    assert codes(check_baseline(b)) == [("NODE_NOT_MEASURABLE", "N1")]
    b = Baseline(BASE_DATE, targets=(BaselineTarget("N1", "neck", is_node=True, ld_mm=30),))
    assert codes(check_baseline(b)) == [("MISSING_MEASUREMENT", "N1")]


@pytest.mark.parametrize("sa, expected", [
    ("10", []), ("14.9", []), ("15", []), (None, []), ("9.9", [("NODE_NORMAL", "NT1")]),
])
def test_non_target_node_10_mm_boundary(sa, expected):
    b = Baseline(BASE_DATE, non_targets=(BaselineNonTarget("NT1", "axilla", is_node=True, sa_mm=sa),))
    assert codes(check_baseline(b)) == expected


def test_short_axis_on_non_nodal_non_target_is_a_warning():
    b = Baseline(BASE_DATE, targets=(lesion("T1", "liver", 20),),
                 non_targets=(BaselineNonTarget("NT1", "bone", sa_mm=12),))
    [f] = check_baseline(b)
    assert (f.code, f.lesion_id, f.severity) == ("SA_ON_NON_NODAL", "NT1", Severity.WARNING)


def test_node_must_be_measured_on_ct_or_mri():
    b = Baseline(BASE_DATE, targets=(node("N1", 20, method="XRAY"),))
    assert codes(check_baseline(b)) == [("NODE_METHOD", "N1")]


@pytest.mark.parametrize("value", ["0", "-3"])
def test_non_positive_measurement(value):
    assert codes(check_baseline(Baseline(BASE_DATE, targets=(lesion("T1", "liver", value),)))) == [
        ("INVALID_MEASUREMENT", "T1")]


def test_missing_ld_and_missing_organ():
    b = Baseline(BASE_DATE, targets=(BaselineTarget("T1", "liver"), lesion("T2", " ", 20)),
                 non_targets=(BaselineNonTarget("NT1", ""),))
    assert codes(check_baseline(b)) == [("MISSING_MEASUREMENT", "T1"), ("MISSING_ORGAN", "T2"),
                                        ("MISSING_ORGAN", "NT1")]


def test_five_targets_allowed_six_not():
    five = tuple(lesion(f"T{i}", organ, 20) for i, organ in
                 enumerate(["liver", "liver", "lung", "lung", "brain"], start=1))
    assert check_baseline(Baseline(BASE_DATE, targets=five)) == []
    six = five + (lesion("T6", "kidney", 20),)
    assert codes(check_baseline(Baseline(BASE_DATE, targets=six))) == [("TOO_MANY_TARGETS", "T6")]


def test_seven_targets_report_each_extra():
    organs = ["liver", "lung", "brain", "kidney", "spleen", "adrenal", "bone"]
    seven = tuple(lesion(f"T{i}", o, 20) for i, o in enumerate(organs, start=1))
    assert codes(check_baseline(Baseline(BASE_DATE, targets=seven))) == [
        ("TOO_MANY_TARGETS", "T6"), ("TOO_MANY_TARGETS", "T7")]


def test_two_per_organ_allowed_three_not_case_insensitive():
    two = (lesion("T1", "liver", 20), lesion("T2", "Liver", 20))
    assert check_baseline(Baseline(BASE_DATE, targets=two)) == []
    three = two + (lesion("T3", " LIVER", 20),)
    [f] = check_baseline(Baseline(BASE_DATE, targets=three))
    assert (f.code, f.lesion_id) == ("TOO_MANY_TARGETS_IN_ORGAN", "T3")
    assert "3 in 'liver'" in f.message


def test_all_lymph_nodes_are_one_organ():
    nodes = (node("N1", 20, "mediastinal 4R"), node("N2", 18, "axillary left"),
             node("N3", 16, "inguinal right"))
    findings = check_baseline(Baseline(BASE_DATE, targets=nodes))
    assert codes(findings) == [("TOO_MANY_TARGETS_IN_ORGAN", "N3")]
    assert "lymph nodes" in findings[0].message
    assert check_baseline(Baseline(BASE_DATE, targets=nodes[:2])) == []


def test_node_named_like_an_organ_does_not_count_in_that_organ():
    b = Baseline(BASE_DATE, targets=(lesion("T1", "lung", 20), lesion("T2", "lung", 20),
                                     node("N1", 20, station="lung")))
    assert check_baseline(b) == []


def test_duplicate_ids_across_target_and_non_target():
    b = Baseline(BASE_DATE, targets=(lesion("T1", "liver", 20), lesion("T2", "lung", 20)),
                 non_targets=(BaselineNonTarget("T1", "bone"), BaselineNonTarget("NT1", "bone"),
                              BaselineNonTarget("NT1", "pleura")))
    assert codes(check_baseline(b)) == [("DUPLICATE_LESION_ID", "T1"), ("DUPLICATE_LESION_ID", "NT1")]


def test_empty_lesion_id():
    b = Baseline(BASE_DATE, targets=(lesion(" ", "liver", 20),))
    assert codes(check_baseline(b)) == [("EMPTY_LESION_ID", None)]


def test_no_disease_at_baseline_is_a_warning():
    [f] = check_baseline(Baseline(BASE_DATE))
    assert f == Finding("NO_BASELINE_DISEASE", None, f.message, Severity.WARNING)


def test_non_target_only_baseline_is_valid():
    assert check_baseline(Baseline(BASE_DATE, non_targets=(BaselineNonTarget("NT1", "bone"),))) == []


def test_baseline_sum_adds_ld_of_lesions_and_sa_of_nodes():
    b = Baseline(BASE_DATE, targets=(lesion("T1", "liver", "25.2"),
                                     BaselineTarget("N1", "neck", is_node=True, ld_mm=40, sa_mm="15.3")))
    total = baseline_sum(b)
    assert total == Decimal("40.5")
    assert str(total) == "40.5"
    assert baseline_sum(Baseline(BASE_DATE)) is None
