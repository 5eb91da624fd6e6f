"""RECIST 1.1 time point derivations: sums, exact percentages, target / non-target response."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from ecrf.oncology.recist import (
    Assessment, Baseline, BaselineNonTarget, BaselineTarget, NewLesion, NewLesionStatus,
    NonTargetStatus, Response, TargetMeasurement, evaluate_assessment, meets_pd, meets_pr,
    new_lesion_status, non_target_response, percent_change, round_percent, target_response,
    target_sums,
)

D = Decimal
BASE_DATE = date(2024, 1, 2)
DAY = date(2024, 3, 1)


def one_lesion(ld):
    return Baseline(BASE_DATE, targets=(BaselineTarget("T1", "liver", ld_mm=ld),))


FLAGS = {"TOO_SMALL", "DISAPPEARED", "NOT_EVALUATED"}


def measure(value):
    """A measurement from a shorthand: a flag name, or a value in mm (MEASURED)."""
    return (value, None) if value in FLAGS else ("MEASURED", value)


def visit(*values, ids=None, non_targets=(), new=()):
    ids = ids or [f"T{i}" for i in range(1, len(values) + 1)]
    targets = tuple(TargetMeasurement(lid, *measure(v)) for lid, v in zip(ids, values))
    return Assessment(DAY, targets=targets, non_targets=non_targets, new_lesions=new)


def tr(baseline, assessment, nadir, previous_cr=False):
    return target_response(baseline, assessment, D(nadir), previous_cr)


# --------------------------------------------------------------------------- arithmetic

def test_percent_change_is_exact():
    assert percent_change(D("25.2"), D(21)) == Fraction(20)
    assert percent_change(D(70), D(100)) == Fraction(-30)
    assert percent_change(D("70.1"), D(100)) == Fraction(-299, 10)
    assert percent_change(D(20), D(30)) == Fraction(-100, 3)
    assert percent_change(D(5), D(0)) is None


@pytest.mark.parametrize("value, display", [
    (Fraction(20), D("20.0")), (Fraction(-100, 3), D("-33.3")), (Fraction(200, 3), D("66.7")),
    (Fraction(-599, 20), D("-30.0")), (Fraction(599, 20), D("30.0")), (Fraction(-299, 10), D("-29.9")),
    (Fraction(1, 20), D("0.1")), (Fraction(-1, 21), D("0.0")), (Fraction(0), D("0.0")),
])
def test_round_percent_half_away_from_zero(value, display):
    shown = round_percent(value)
    assert shown == display
    assert str(shown) == str(display)


def test_round_percent_places_and_none():
    assert str(round_percent(Fraction(-100, 3), 2)) == "-33.33"
    assert str(round_percent(Fraction(5, 2), 0)) == "3"
    assert round_percent(None) is None


@pytest.mark.parametrize("total, nadir, expected", [
    ("30", "25", True),        # +20 %, +5 mm
    ("29.9", "25", False),     # +19.6 %
    ("25.2", "21", False),     # +20.0 % but +4.2 mm
    ("26", "21", True),        # +23.8 %, +5 mm
    ("119.9", "100", False),   # +19.9 %
    ("120", "100", True),
    ("14.9", "10", False),     # +49 % but +4.9 mm
    ("15", "10", True),
    ("5", "0", True),          # nadir 0 (CR): +5 mm is enough
    ("4.9", "0", False),
])
def test_meets_pd_boundaries(total, nadir, expected):
    assert meets_pd(D(total), D(nadir)) is expected


@pytest.mark.parametrize("total, base, expected", [
    ("70", "100", True), ("70.1", "100", False), ("14.7", "21", True), ("14.71", "21", False),
])
def test_meets_pr_boundaries(total, base, expected):
    assert meets_pr(D(total), D(base)) is expected


# --------------------------------------------------------------------------- sums

def test_sum_uses_ld_for_lesions_sa_for_nodes_and_flag_values():
    b = Baseline(BASE_DATE, targets=(
        BaselineTarget("T1", "liver", ld_mm=30), BaselineTarget("T2", "lung", ld_mm=20),
        BaselineTarget("N1", "neck", is_node=True, ld_mm=30, sa_mm=20)))
    a = visit("12.4", "TOO_SMALL", "7", ids=["T1", "T2", "N1"])
    assert target_sums(b, a) == (D("24.4"), D("24.4"))
    a = visit("DISAPPEARED", "TOO_SMALL", "TOO_SMALL", ids=["T1", "T2", "N1"])
    assert target_sums(b, a) == (D(10), D(10))
    a = visit("12.4", "NOT_EVALUATED", "7", ids=["T1", "T2", "N1"])
    assert target_sums(b, a) == (None, D("19.4"))
    assert target_sums(Baseline(BASE_DATE), visit()) == (None, None)


# --------------------------------------------------------------------------- target response

@pytest.mark.parametrize("value, expected", [
    ("70", Response.PR),      # exactly -30 %
    ("70.1", Response.SD),    # -29.9 %
    ("69.9", Response.PR),
    ("100", Response.SD),
    ("119.9", Response.SD),   # +19.9 % from nadir 100
    ("120", Response.PD),     # +20 %, +20 mm
])
def test_pr_and_pd_boundaries_against_baseline_100(value, expected):
    assert tr(one_lesion(100), visit(value), 100)[0] is expected


def test_minus_29_95_displays_as_30_but_is_sd():
    b = one_lesion(200)
    r = evaluate_assessment(b, visit("140.1"), nadir_mm=D(200))
    assert r.change_from_baseline_pct == Fraction(-599, 20)
    assert r.change_from_baseline_pct_display == D("-30.0")
    assert r.target_response is Response.SD


def test_plus_20_percent_with_4_2_mm_is_not_pd():
    # baseline 30, nadir 21 (a prior PR), now 25.2: +20.0 % and +4.2 mm over the nadir
    r = evaluate_assessment(one_lesion(30), visit("25.2"), nadir_mm=D(21))
    assert r.change_from_nadir_mm == D("4.2")
    assert r.change_from_nadir_pct == Fraction(20)
    assert r.change_from_nadir_pct_display == D("20.0")
    assert r.change_from_baseline_pct == Fraction(-16)
    assert (r.target_response, r.target_basis) == (Response.SD, "SD")


def test_plus_20_percent_with_5_mm_is_pd():
    r = evaluate_assessment(one_lesion(40), visit("30"), nadir_mm=D(25))
    assert (r.change_from_nadir_mm, r.change_from_nadir_pct) == (D(5), Fraction(20))
    assert (r.target_response, r.target_basis) == (Response.PD, "PD_SUM")


def test_pd_uses_nadir_not_baseline():
    # -25 % from baseline (not PR) but +50 % / +20 mm from the nadir
    assert tr(one_lesion(80), visit("60"), 40) == (Response.PD, "PD_SUM")


def test_pd_is_checked_before_pr():
    # still -40 % from baseline, but +25 % and +6 mm from a nadir of 24
    assert tr(one_lesion(50), visit("30"), 24) == (Response.PD, "PD_SUM")


NODE_AND_LESION = Baseline(BASE_DATE, targets=(
    BaselineTarget("T1", "liver", ld_mm=30), BaselineTarget("N1", "neck", is_node=True, sa_mm=20)))


@pytest.mark.parametrize("lesion, node_sa, expected", [
    ("DISAPPEARED", "9.9", Response.CR),     # node 9.9 mm is normal
    ("DISAPPEARED", "10", Response.PR),      # node exactly 10 mm is not normal: no CR
    ("DISAPPEARED", "TOO_SMALL", Response.CR),  # too small node = 5 mm, < 10 mm
    ("DISAPPEARED", "DISAPPEARED", Response.CR),
    ("TOO_SMALL", "9", Response.PR),         # a too-small lesion is present (5 mm): no CR
    ("2", "9", Response.PR),
])
def test_cr_requires_lesions_gone_and_nodes_below_10(lesion, node_sa, expected):
    assert tr(NODE_AND_LESION, visit(lesion, node_sa, ids=["T1", "N1"]), 50)[0] is expected


def test_cr_with_nonzero_sum_from_nodes():
    r = evaluate_assessment(NODE_AND_LESION, visit("DISAPPEARED", "9.9", ids=["T1", "N1"]),
                            nadir_mm=D(50))
    assert r.sum_mm == D("9.9")
    assert r.target_response is Response.CR


def test_pd_takes_precedence_over_cr_with_normal_nodes():
    b = Baseline(BASE_DATE, targets=tuple(BaselineTarget(f"N{i}", "n", is_node=True, sa_mm=20)
                                          for i in (1, 2, 3)))
    a = visit("9.9", "9.9", "9.9", ids=["N1", "N2", "N3"])
    # nadir 15 (three too-small nodes): 29.7 is +98 % and +14.7 mm although every node is < 10 mm
    assert tr(b, a, 15) == (Response.PD, "PD_SUM")
    assert tr(b, a, 29) == (Response.CR, "CR")


def test_too_small_lesion_counts_5_mm():
    r = evaluate_assessment(one_lesion(20), visit("TOO_SMALL"), nadir_mm=D(20))
    assert (r.sum_mm, r.change_from_baseline_pct, r.target_response) == (D(5), Fraction(-75), Response.PR)


TWO_LESIONS = Baseline(BASE_DATE, targets=(BaselineTarget("T1", "liver", ld_mm=30),
                                          BaselineTarget("T2", "lung", ld_mm=20)))


def test_missing_target_makes_response_ne():
    r = evaluate_assessment(TWO_LESIONS, visit("10", "NOT_EVALUATED"), nadir_mm=D(50))
    assert (r.target_response, r.target_basis) == (Response.NE, "NOT_ALL_EVALUATED")
    assert (r.sum_mm, r.measured_sum_mm) == (None, D(10))
    assert r.change_from_baseline_mm is None and r.change_from_baseline_pct is None
    assert r.change_from_nadir_mm is None


def test_missing_target_but_measured_lesions_prove_pd():
    # nadir 50; the measured lesion alone is 60: >= 120 % and +10 mm whatever T2 measures
    r = evaluate_assessment(TWO_LESIONS, visit("60", "NOT_EVALUATED"), nadir_mm=D(50))
    assert (r.target_response, r.target_basis) == (Response.PD, "PD_MEASURED_SUBSET")
    assert r.overall_response is Response.PD


def test_missing_target_measured_just_below_20_percent_is_ne():
    # measured lesion alone +19.8 % (and +9.9 mm): the missing lesion could still decide -> NE
    assert tr(TWO_LESIONS, visit("59.9", "NOT_EVALUATED"), 50) == (Response.NE, "NOT_ALL_EVALUATED")


def test_missing_target_measured_20_percent_but_4_mm_is_ne():
    b = Baseline(BASE_DATE, targets=(BaselineTarget("T1", "liver", ld_mm=15),
                                     BaselineTarget("T2", "lung", ld_mm=15)))
    # nadir 20; measured alone 24: +20 % but only +4 mm
    assert tr(b, visit("24", "NOT_EVALUATED"), 20) == (Response.NE, "NOT_ALL_EVALUATED")


def test_all_targets_missing_is_ne():
    assert tr(TWO_LESIONS, visit("NOT_EVALUATED", "NOT_EVALUATED"), 50) == (Response.NE, "NOT_ALL_EVALUATED")


def test_unrecorded_target_is_treated_as_not_evaluated():
    assert tr(TWO_LESIONS, visit("10"), 50)[0] is Response.NE


@pytest.mark.parametrize("values, expected", [
    (("TOO_SMALL", "DISAPPEARED"), (Response.PD, "PD_REAPPEARANCE_AFTER_CR")),
    (("1", "DISAPPEARED"), (Response.PD, "PD_REAPPEARANCE_AFTER_CR")),
    (("DISAPPEARED", "DISAPPEARED"), (Response.CR, "CR")),
    (("DISAPPEARED", "NOT_EVALUATED"), (Response.NE, "NOT_ALL_EVALUATED")),
    (("2", "NOT_EVALUATED"), (Response.PD, "PD_REAPPEARANCE_AFTER_CR")),
])
def test_reappearance_after_overall_cr_is_pd(values, expected):
    assert tr(TWO_LESIONS, visit(*values), 0, previous_cr=True) == expected


def test_reappearance_without_previous_cr_is_judged_by_the_sum():
    # nadir 0 after a target CR that was not an overall CR: 4 mm is +4 mm -> not PD, PR vs baseline
    assert tr(TWO_LESIONS, visit("4", "DISAPPEARED"), 0) == (Response.PR, "PR")
    assert tr(TWO_LESIONS, visit("TOO_SMALL", "DISAPPEARED"), 0) == (Response.PD, "PD_SUM")


@pytest.mark.parametrize("node_sa, expected", [
    ("10", (Response.PD, "PD_REAPPEARANCE_AFTER_CR")),
    ("9.9", (Response.CR, "CR")),
])
def test_node_reappears_only_at_10_mm(node_sa, expected):
    a = visit("DISAPPEARED", node_sa, ids=["T1", "N1"])
    assert tr(NODE_AND_LESION, a, 8, previous_cr=True) == expected


def test_no_targets_is_not_applicable():
    b = Baseline(BASE_DATE, non_targets=(BaselineNonTarget("NT1", "bone"),))
    assert target_response(b, visit(), None) == (Response.NA, "NO_TARGETS")
    r = evaluate_assessment(b, Assessment(DAY, non_targets=(NonTargetStatus("NT1", "PRESENT"),)),
                            nadir_mm=None)
    assert (r.sum_mm, r.nadir_mm, r.change_from_baseline_pct) == (None, None, None)


def test_nadir_required_with_targets():
    with pytest.raises(ValueError):
        target_response(one_lesion(20), visit("10"), None)


def test_change_from_zero_nadir_has_no_percentage():
    r = evaluate_assessment(one_lesion(20), visit("3"), nadir_mm=D(0))
    assert (r.change_from_nadir_mm, r.change_from_nadir_pct, r.change_from_nadir_pct_display) == (
        D(3), None, None)


# --------------------------------------------------------------------------- non-target response

NT = Baseline(BASE_DATE, non_targets=(BaselineNonTarget("NT1", "bone"),
                                      BaselineNonTarget("NT2", "", is_node=True, sa_mm=12)))


def nt_visit(s1, s2):
    return Assessment(DAY, non_targets=(NonTargetStatus("NT1", s1), NonTargetStatus("NT2", s2)))


@pytest.mark.parametrize("s1, s2, expected", [
    ("ABSENT", "ABSENT", Response.CR),
    ("PRESENT", "ABSENT", Response.NON_CR_NON_PD),
    ("ABSENT", "PRESENT", Response.NON_CR_NON_PD),   # node still >= 10 mm: no CR
    ("PRESENT", "PRESENT", Response.NON_CR_NON_PD),
    ("UNEQUIVOCAL_PROGRESSION", "ABSENT", Response.PD),
    ("UNEQUIVOCAL_PROGRESSION", "NOT_EVALUATED", Response.PD),
    ("NOT_EVALUATED", "ABSENT", Response.NE),
    ("PRESENT", "NOT_EVALUATED", Response.NE),
    ("NOT_EVALUATED", "NOT_EVALUATED", Response.NE),
])
def test_non_target_response(s1, s2, expected):
    assert non_target_response(NT, nt_visit(s1, s2)) is expected


@pytest.mark.parametrize("s1, s2, expected", [
    ("PRESENT", "ABSENT", Response.PD),               # non-nodal lesion reappeared after CR
    ("ABSENT", "PRESENT", Response.NON_CR_NON_PD),    # a node reappears only by unequivocal progression
    ("ABSENT", "UNEQUIVOCAL_PROGRESSION", Response.PD),
    ("ABSENT", "ABSENT", Response.CR),
])
def test_non_target_after_overall_cr(s1, s2, expected):
    assert non_target_response(NT, nt_visit(s1, s2), previous_overall_cr=True) is expected


def test_non_target_missing_status_is_ne_and_none_at_baseline_is_na():
    assert non_target_response(NT, Assessment(DAY, non_targets=(NonTargetStatus("NT1", "ABSENT"),))) \
        is Response.NE
    assert non_target_response(one_lesion(20), Assessment(DAY)) is Response.NA


# --------------------------------------------------------------------------- new lesions

@pytest.mark.parametrize("rows, expected", [
    ((), NewLesionStatus.NO),
    ((NewLesion("L1", "EQUIVOCAL"),), NewLesionStatus.EQUIVOCAL),
    ((NewLesion("L1", "EQUIVOCAL"), NewLesion("L2", "YES")), NewLesionStatus.YES),
    ((NewLesion("L1"),), NewLesionStatus.YES),
])
def test_new_lesion_status(rows, expected):
    assert new_lesion_status(Assessment(DAY, new_lesions=rows)) is expected


def test_equivocal_new_lesion_is_not_pd_at_the_time_point():
    r = evaluate_assessment(one_lesion(20), visit("19", new=(NewLesion("L1", "EQUIVOCAL"),)),
                            nadir_mm=D(20))
    assert (r.new_lesion_status, r.overall_response) == (NewLesionStatus.EQUIVOCAL, Response.SD)
    r = evaluate_assessment(one_lesion(20), visit("19", new=(NewLesion("L1"),)), nadir_mm=D(20))
    assert (r.new_lesion_status, r.target_response, r.overall_response) == (
        NewLesionStatus.YES, Response.SD, Response.PD)


def test_evaluate_assessment_full_record():
    b = Baseline(BASE_DATE, targets=(BaselineTarget("T1", "liver", ld_mm="30.5"),
                                     BaselineTarget("N1", "neck", is_node=True, sa_mm="17")),
                 non_targets=(BaselineNonTarget("NT1", "bone"),))
    a = Assessment(date(2024, 2, 20), targets=(TargetMeasurement("T1", value_mm="20.1"),
                                               TargetMeasurement("N1", value_mm="12")),
                   non_targets=(NonTargetStatus("NT1", "PRESENT"),), investigator_response="SD")
    r = evaluate_assessment(b, a, nadir_mm=D("47.5"), reference_date=date(2024, 1, 5))
    assert r.date == date(2024, 2, 20)
    assert r.days_from_reference == 46
    assert r.sum_mm == D("32.1")
    assert r.change_from_baseline_mm == D("-15.4")
    assert r.change_from_baseline_pct == Fraction(-154, 475) * 100
    assert r.change_from_baseline_pct_display == D("-32.4")
    assert (r.target_response, r.non_target_response, r.overall_response) == (
        Response.PR, Response.NON_CR_NON_PD, Response.PR)
    assert r.investigator_response is Response.SD
    assert r.confirms_equivocal_from is None
