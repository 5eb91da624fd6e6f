"""RECIST 1.1 per-subject evaluation: nadir, first PD, best overall response (Table 3)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from ecrf.oncology.recist import (
    ENGINE_VERSION, Assessment, Baseline, BaselineNonTarget, BaselineTarget, Disagreement,
    NewLesion, NonTargetStatus, Response, TargetMeasurement, best_overall_response,
    evaluate_subject, investigator_disagreements,
)

D = Decimal
CR, PR, SD, NCNP, PD, NE = (Response.CR, Response.PR, Response.SD, Response.NON_CR_NON_PD,
                            Response.PD, Response.NE)
REF = date(2024, 1, 1)                 # C1D1
BASE = Baseline(date(2023, 12, 20), targets=(BaselineTarget("T1", "liver", ld_mm=100),))
FLAGS = {"TOO_SMALL", "DISAPPEARED", "NOT_EVALUATED"}


def day(n):
    return REF + timedelta(days=n)


def tm(lid, value):
    return TargetMeasurement(lid, value, None) if value in FLAGS else TargetMeasurement(lid, "MEASURED", value)


def v(n, *values, ids=("T1", "T2", "T3"), new=(), non_targets=(), inv=None):
    return Assessment(day(n), targets=tuple(tm(lid, x) for lid, x in zip(ids, values)),
                      non_targets=non_targets, new_lesions=new, investigator_response=inv)


def run(assessments, baseline=BASE, **kw):
    result = evaluate_subject(baseline, assessments, REF, **kw)
    assert result.evaluated, result.findings
    return result


def overall(result):
    return [a.overall_response for a in result.assessments]


def bor(result):
    return result.bor_unconfirmed, result.bor_confirmed


# --------------------------------------------------------------------------- nadir and sums

def test_nadir_used_is_min_of_baseline_and_prior_complete_sums():
    b = Baseline(date(2023, 12, 20), targets=(BaselineTarget("T1", "liver", ld_mm=60),
                                             BaselineTarget("T2", "lung", ld_mm=40)))
    r = run([v(42, 50, 30), v(84, 10, "NOT_EVALUATED"), v(126, 50, 20), v(168, 40, 20), v(210, 45, 20)],
            baseline=b)
    assert [a.nadir_mm for a in r.assessments] == [D(100), D(80), D(80), D(70), D(60)]
    assert [a.sum_mm for a in r.assessments] == [D(80), None, D(70), D(60), D(65)]
    assert [a.measured_sum_mm for a in r.assessments] == [D(80), D(10), D(70), D(60), D(65)]
    assert overall(r) == [SD, NE, PR, PR, PR]
    assert (r.baseline_sum_mm, r.nadir_mm, r.nadir_date) == (D(100), D(60), day(168))
    assert [a.days_from_reference for a in r.assessments] == [42, 84, 126, 168, 210]
    assert r.assessments[4].change_from_nadir_mm == D(5)
    assert r.assessments[4].change_from_baseline_pct_display == D("-35.0")


def test_incomplete_sum_never_becomes_the_nadir():
    b = Baseline(date(2023, 12, 20), targets=(BaselineTarget("T1", "liver", ld_mm=60),
                                             BaselineTarget("T2", "lung", ld_mm=40)))
    # the NE visit has a partial sum of 5; the next visit (sum 84) is judged against 80, not 5
    r = run([v(42, 50, 30), v(84, 5, "NOT_EVALUATED"), v(126, 54, 30)], baseline=b)
    assert r.assessments[2].nadir_mm == D(80)
    assert r.assessments[2].target_response is SD
    assert r.first_pd_date is None


def test_assessments_are_sorted_by_date():
    visits = [v(84, 60), v(42, 90), v(126, 60)]
    r = run(visits)
    assert [a.date for a in r.assessments] == [day(42), day(84), day(126)]
    assert r == run(list(reversed(visits)))


def test_result_records_engine_version_and_parameters():
    r = run([v(42, 90)], sd_min_days=56, confirm_min_days=30)
    assert (r.engine_version, r.reference_date, r.sd_min_days, r.confirm_min_days) == (
        ENGINE_VERSION, REF, 56, 30)
    assert r.engine_version == "recist-1.1/1"


# --------------------------------------------------------------------------- refusals

def test_identical_dates_are_refused():
    r = evaluate_subject(BASE, [v(42, 90), v(84, 60), v(42, 80)], REF)
    assert not r.evaluated
    assert [(f.code, f.assessment_date) for f in r.findings] == [("DUPLICATE_ASSESSMENT_DATE", day(42))]
    assert r.assessments == () and r.bor_confirmed is None and r.bor_unconfirmed is None
    assert r.engine_version == ENGINE_VERSION


def test_followup_errors_refuse_evaluation_and_are_keyed():
    r = evaluate_subject(BASE, [v(42, 90), Assessment(day(84)), v(126, 80, 10, ids=("T1", "X9"))], REF)
    assert not r.evaluated
    assert [(f.code, f.lesion_id, f.assessment_date) for f in r.findings] == [
        ("MISSING_TARGET", "T1", day(84)), ("UNKNOWN_TARGET", "X9", day(126))]


def test_baseline_errors_refuse_evaluation():
    b = Baseline(date(2023, 12, 20), targets=(BaselineTarget("T1", "liver", ld_mm="9.9"),))
    r = evaluate_subject(b, [v(42, 9)], REF)
    assert not r.evaluated
    assert [f.code for f in r.findings] == ["NOT_MEASURABLE"]


def test_warnings_do_not_refuse_no_disease_subject():
    empty = Baseline(date(2023, 12, 20))
    r = evaluate_subject(empty, [Assessment(day(42)), Assessment(day(84))], REF)
    assert r.evaluated and [f.code for f in r.findings] == ["NO_BASELINE_DISEASE"]
    assert overall(r) == [NE, NE]
    assert bor(r) == (NE, NE)
    assert r.baseline_sum_mm is None and r.nadir_mm is None
    r = evaluate_subject(empty, [Assessment(day(42)), Assessment(day(84), new_lesions=(NewLesion("L1"),))], REF)
    assert overall(r) == [NE, PD]
    assert (r.first_pd_date, bor(r)) == (day(84), (PD, PD))


@pytest.mark.parametrize("kw", [{"sd_min_days": -1}, {"confirm_min_days": 2.5}, {"max_ne_between": True}])
def test_bad_parameters_raise(kw):
    with pytest.raises(ValueError):
        evaluate_subject(BASE, [], REF, **kw)


def test_reference_date_must_be_a_date():
    with pytest.raises(TypeError):
        evaluate_subject(BASE, [], "2024-01-01")


# --------------------------------------------------------------------------- SD minimum duration

@pytest.mark.parametrize("n, expected", [(41, (NE, NE)), (42, (SD, SD))])
def test_sd_needs_42_days_from_c1d1(n, expected):
    r = run([v(n, 90)])
    assert overall(r) == [SD]
    assert bor(r) == expected


def test_early_sd_then_pd_is_pd():
    r = run([v(41, 90), v(80, 110)])
    assert overall(r) == [SD, PD]
    assert bor(r) == (PD, PD)
    assert r.first_pd_date == day(80)
    assert (r.bor_confirmed_date, r.bor_unconfirmed_date) == (day(80), day(80))


def test_sd_at_42_then_pd_is_sd():
    r = run([v(42, 90), v(84, 110)])
    assert bor(r) == (SD, SD)
    assert r.bor_confirmed_date == day(42) and r.bor_confirmation_date is None


def test_sd_min_days_is_a_parameter():
    assert bor(run([v(50, 90)], sd_min_days=56)) == (NE, NE)
    assert bor(run([v(56, 90)], sd_min_days=56)) == (SD, SD)


# --------------------------------------------------------------------------- confirmation

@pytest.mark.parametrize("second, expected", [(83, SD), (84, PR)])
def test_pr_confirmation_27_vs_28_days(second, expected):
    r = run([v(56, 60), v(second, 60)])
    assert r.bor_unconfirmed is PR
    assert r.bor_confirmed is expected
    if expected is PR:
        assert (r.bor_confirmed_date, r.bor_confirmation_date) == (day(56), day(84))
    else:
        assert (r.bor_confirmed_date, r.bor_confirmation_date) == (day(56), None)


def test_unconfirmed_early_pr_without_sd_duration_is_ne():
    r = run([v(14, 60), v(41, 60)])
    assert bor(r) == (PR, NE)


def test_confirmation_window_is_a_parameter():
    assert run([v(56, 60), v(84, 60)], confirm_min_days=29).bor_confirmed is SD
    assert run([v(56, 60), v(85, 60)], confirm_min_days=29).bor_confirmed is PR


def test_one_ne_between_allowed_two_not():
    one = run([v(56, 60), v(70, "NOT_EVALUATED"), v(98, 60)])
    assert overall(one) == [PR, NE, PR]
    assert (one.bor_confirmed, one.bor_confirmation_date) == (PR, day(98))
    two = run([v(56, 60), v(70, "NOT_EVALUATED"), v(84, "NOT_EVALUATED"), v(112, 60)])
    assert two.bor_confirmed is SD
    assert run([v(56, 60), v(70, "NOT_EVALUATED"), v(84, "NOT_EVALUATED"), v(112, 60)],
               max_ne_between=2).bor_confirmed is PR


def test_sd_between_breaks_confirmation():
    r = run([v(56, 60), v(70, 71), v(98, 60)])
    assert overall(r) == [PR, SD, PR]
    assert r.bor_confirmed is SD


def test_short_interval_responses_may_chain_to_28_days():
    r = run([v(56, 60), v(70, 60), v(84, 60)])
    assert (r.bor_confirmed, r.bor_confirmed_date, r.bor_confirmation_date) == (PR, day(56), day(84))


def test_confirmed_pr_continues_as_pr_until_pd():
    r = run([v(56, 60), v(84, 60), v(112, 71), v(140, 71), v(168, 80), v(200, 50)])
    assert overall(r) == [PR, PR, SD, SD, PD, PR]
    assert r.first_pd_date == day(168)
    assert bor(r) == (PR, PR)
    assert (r.bor_confirmed_date, r.bor_confirmation_date) == (day(56), day(84))


def test_nothing_after_first_pd_counts():
    r = run([v(56, 90), v(84, 110), v(112, "DISAPPEARED"), v(140, "DISAPPEARED")])
    assert overall(r) == [SD, PD, CR, CR]
    assert bor(r) == (SD, SD)
    assert r.first_pd_date == day(84)


def test_confirmed_cr():
    r = run([v(56, 60), v(84, "DISAPPEARED"), v(112, "DISAPPEARED")])
    assert overall(r) == [PR, CR, CR]
    assert bor(r) == (CR, CR)
    assert (r.bor_confirmed_date, r.bor_confirmation_date) == (day(84), day(112))
    assert r.bor_unconfirmed_date == day(84)


def test_cr_confirmed_only_as_pr_when_followed_by_pr():
    # target CR; a nodal non-target visible again (not progression) -> overall PR (Table 3 note)
    b = Baseline(date(2023, 12, 20), targets=(BaselineTarget("T1", "liver", ld_mm=100),),
                 non_targets=(BaselineNonTarget("NT1", "", is_node=True, sa_mm=12),))
    r = run([v(56, "DISAPPEARED", non_targets=(NonTargetStatus("NT1", "ABSENT"),)),
             v(84, "DISAPPEARED", non_targets=(NonTargetStatus("NT1", "PRESENT"),))], baseline=b)
    assert overall(r) == [CR, PR]
    assert bor(r) == (CR, PR)
    assert (r.bor_confirmed_date, r.bor_confirmation_date) == (day(56), day(84))


def test_cr_ne_pr_ne_ne():
    assert bor(run([v(56, "DISAPPEARED"), v(70, "NOT_EVALUATED"), v(84, "NOT_EVALUATED")])) == (CR, SD)
    assert bor(run([v(28, "DISAPPEARED"), v(35, "NOT_EVALUATED")])) == (CR, NE)


# Table 3 (best overall response when confirmation of CR and PR is required), as time lines.
# First time point at day a, subsequent at day b; SD minimum duration 42 days from C1D1.
TABLE_3 = [
    # first, subsequent, a, b, confirmed BOR
    (CR, CR, 56, 84, CR),
    (CR, PR, 56, 84, PR),     # footnote: the CR was not real -> PR
    (CR, SD, 56, 84, SD),     # SD provided the minimum duration is met
    (CR, PD, 56, 84, SD),     # SD provided the minimum duration is met ...
    (CR, PD, 28, 40, PD),     # ... otherwise PD
    (CR, NE, 56, 84, SD),     # SD provided the minimum duration is met ...
    (CR, NE, 28, 40, NE),     # ... otherwise NE
    (PR, CR, 56, 84, PR),
    (PR, PR, 56, 84, PR),
    (PR, SD, 56, 84, SD),
    (PR, PD, 56, 84, SD),
    (PR, PD, 28, 40, PD),
    (PR, NE, 56, 84, SD),
    (PR, NE, 28, 40, NE),
    (NE, NE, 56, 84, NE),
]


@pytest.mark.parametrize("first, second, a, b, expected", TABLE_3)
def test_table_3(first, second, a, b, expected):
    best = best_overall_response([(day(a), first), (day(b), second)], REF)
    assert best.confirmed is expected
    assert best.confirmation_date == (day(b) if expected in (CR, PR) else None)


@pytest.mark.parametrize("first, second, expected", [
    (CR, CR, CR), (PR, PR, PR), (PR, CR, CR), (CR, PD, CR), (SD, PD, SD), (PD, CR, PD), (NE, NE, NE),
])
def test_unconfirmed_best(first, second, expected):
    assert best_overall_response([(day(56), first), (day(84), second)], REF).unconfirmed is expected


def test_best_overall_response_for_non_target_only_disease():
    assert best_overall_response([(day(42), NCNP)], REF, non_target_only=True).confirmed is NCNP
    assert best_overall_response([(day(41), NCNP)], REF, non_target_only=True).confirmed is NE
    best = best_overall_response([(day(56), CR), (day(70), CR)], REF, non_target_only=True)
    assert (best.unconfirmed, best.confirmed) == (CR, NCNP)
    best = best_overall_response([(day(56), CR), (day(84), CR)], REF, non_target_only=True)
    assert (best.unconfirmed, best.confirmed) == (CR, CR)


def test_best_overall_response_input_checks():
    with pytest.raises(ValueError):
        best_overall_response([(day(56), PR), (day(56), SD)], REF)
    with pytest.raises(ValueError):
        best_overall_response([(day(56), Response.NA)], REF)
    best = best_overall_response([(day(84), "PR"), (day(56), "PR")], REF)
    assert (best.confirmed, best.confirmed_date) == (PR, day(56))
    empty = best_overall_response([], REF)
    assert (empty.unconfirmed, empty.confirmed, empty.confirmed_date) == (NE, NE, None)


def test_best_overall_response_stops_at_first_pd():
    best = best_overall_response([(day(42), SD), (day(84), PD), (day(112), CR), (day(140), CR)], REF)
    assert (best.unconfirmed, best.confirmed) == (SD, SD)


# --------------------------------------------------------------------------- non-target only subject

NT_ONLY = Baseline(date(2023, 12, 20), non_targets=(BaselineNonTarget("NT1", "bone"),))


def nt(n, status, new=()):
    return Assessment(day(n), non_targets=(NonTargetStatus("NT1", status),), new_lesions=new)


def test_non_target_only_subject():
    r = run([nt(42, "PRESENT"), nt(84, "PRESENT")], baseline=NT_ONLY)
    assert overall(r) == [NCNP, NCNP]
    assert bor(r) == (NCNP, NCNP)
    assert [a.target_response for a in r.assessments] == [Response.NA, Response.NA]
    r = run([nt(56, "ABSENT"), nt(84, "ABSENT")], baseline=NT_ONLY)
    assert bor(r) == (CR, CR)
    r = run([nt(56, "ABSENT"), nt(70, "ABSENT"), nt(98, "UNEQUIVOCAL_PROGRESSION")], baseline=NT_ONLY)
    assert overall(r) == [CR, CR, PD]
    assert bor(r) == (CR, NCNP)
    r = run([nt(41, "PRESENT"), nt(60, "PRESENT", new=(NewLesion("L1"),))], baseline=NT_ONLY)
    assert bor(r) == (PD, PD)


# --------------------------------------------------------------------------- reappearance after CR

TWO = Baseline(date(2023, 12, 20), targets=(BaselineTarget("T1", "liver", ld_mm=60),
                                           BaselineTarget("T2", "lung", ld_mm=40)))


def test_reappearance_after_cr_is_pd():
    r = run([v(56, "DISAPPEARED", "DISAPPEARED"), v(84, "DISAPPEARED", "DISAPPEARED"),
             v(112, "TOO_SMALL", "DISAPPEARED")], baseline=TWO)
    assert overall(r) == [CR, CR, PD]
    assert r.assessments[2].target_basis == "PD_REAPPEARANCE_AFTER_CR"
    assert r.assessments[2].nadir_mm == D(0)
    assert r.first_pd_date == day(112)
    assert bor(r) == (CR, CR)


def test_reappearance_after_cr_then_ne_is_still_pd():
    # 3 mm alone would not be PD by the 20 % / 5 mm rule (nadir 0): it is PD as a reappearance
    r = run([v(56, "DISAPPEARED", "DISAPPEARED"), v(84, "NOT_EVALUATED", "DISAPPEARED"),
             v(112, 3, "DISAPPEARED")], baseline=TWO)
    assert overall(r) == [CR, NE, PD]
    assert r.assessments[2].target_basis == "PD_REAPPEARANCE_AFTER_CR"


def test_reappearance_after_pr_is_added_back_into_the_sum():
    r = run([v(56, "DISAPPEARED", 20), v(84, 4, 20), v(112, 5, 20)], baseline=TWO)
    assert [a.sum_mm for a in r.assessments] == [D(20), D(24), D(25)]
    assert overall(r) == [PR, PR, PD]       # 25 vs nadir 20: +25 % and +5 mm
    assert r.assessments[2].target_basis == "PD_SUM"


def test_node_regrowth_after_cr():
    b = Baseline(date(2023, 12, 20), targets=(BaselineTarget("T1", "liver", ld_mm=30),
                                             BaselineTarget("N1", "neck", is_node=True, sa_mm=20)))
    r = run([v(56, "DISAPPEARED", 8, ids=("T1", "N1")), v(84, "DISAPPEARED", "9.9", ids=("T1", "N1")),
             v(112, "DISAPPEARED", 10, ids=("T1", "N1"))], baseline=b)
    assert overall(r) == [CR, CR, PD]
    assert [a.sum_mm for a in r.assessments] == [D(8), D("9.9"), D(10)]
    assert r.assessments[2].target_basis == "PD_REAPPEARANCE_AFTER_CR"


# --------------------------------------------------------------------------- equivocal new lesions

def test_equivocal_new_lesion_confirmed_backdates_pd():
    r = run([v(42, 60), v(84, 60, new=(NewLesion("L1", "EQUIVOCAL"),)), v(126, 60, new=(NewLesion("L1"),))])
    assert overall(r) == [PR, PR, PD]
    assert r.assessments[2].confirms_equivocal_from == day(84)
    assert (r.first_pd_date, r.first_pd_backdated) == (day(84), True)
    # day 84 counts as PD: the PR of day 42 is not confirmed; SD duration met at day 42
    assert bor(r) == (PR, SD)


def test_equivocal_new_lesion_backdates_to_first_observation():
    r = run([v(42, 90, new=(NewLesion("L1", "EQUIVOCAL"),)), v(84, 90, new=(NewLesion("L1", "EQUIVOCAL"),)),
             v(126, 90, new=(NewLesion("L1"), NewLesion("L2")))])
    assert r.assessments[2].confirms_equivocal_from == day(42)
    assert (r.first_pd_date, r.first_pd_backdated) == (day(42), True)
    assert bor(r) == (PD, PD)


def test_equivocal_new_lesion_not_confirmed_is_not_pd():
    r = run([v(42, 60, new=(NewLesion("L1", "EQUIVOCAL"),)), v(84, 60)])
    assert overall(r) == [PR, PR]
    assert (r.first_pd_date, r.first_pd_backdated) == (None, False)
    assert bor(r) == (PR, PR)


def test_other_new_lesion_does_not_backdate():
    r = run([v(42, 60), v(84, 60, new=(NewLesion("L1", "EQUIVOCAL"),)), v(126, 60, new=(NewLesion("L2"),))])
    assert r.assessments[2].confirms_equivocal_from is None
    assert (r.first_pd_date, r.first_pd_backdated) == (day(126), False)
    assert bor(r) == (PR, PR)


def test_backdating_can_precede_a_later_pd():
    r = run([v(42, 90, new=(NewLesion("L1", "EQUIVOCAL"),)), v(84, 110), v(126, 110, new=(NewLesion("L1"),))])
    assert overall(r) == [SD, PD, PD]
    assert (r.first_pd_date, r.first_pd_backdated) == (day(42), True)
    assert bor(r) == (PD, PD)


# --------------------------------------------------------------------------- investigator comparison

def test_investigator_disagreements():
    r = run([v(42, 90, inv="SD"), v(84, 60, inv="SD"), v(126, 60), v(168, 80, inv="SD")])
    assert overall(r) == [SD, PR, PR, PD]
    assert investigator_disagreements(r) == [
        Disagreement(day(84), SD, PR), Disagreement(day(168), SD, PD)]


def test_no_disagreements_when_unevaluated():
    r = evaluate_subject(BASE, [v(42, 90, inv="PD"), v(42, 80)], REF)
    assert investigator_disagreements(r) == []
