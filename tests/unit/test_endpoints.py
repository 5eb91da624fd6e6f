"""ecrf.oncology.endpoints: PFS/OS event and censoring rules, BOR/ORR, AE worst-grade table."""

import datetime as dt
import json
import math

import pytest

from ecrf.oncology.endpoints import (
    DAYS_PER_MONTH, DAYS_PER_YEAR, AdverseEvent, OsRule, OverallResponse, PfsRule, SubjectData,
    TumourAssessment, ae_worst_grade_table, best_overall_response, derive_all, derive_os,
    derive_pfs, km_for, objective_response_rate, pfs_rate_at, rate_at_months, study_day,
)
from ecrf.oncology.stats import clopper_pearson, kaplan_meier, survival_at, survival_rate_test

REF = dt.date(2024, 1, 1)


def day(n):
    """Date of study day n (REF is day 1)."""
    return REF + dt.timedelta(days=n - 1)


def subject(sid="S01", responses=(), **kw):
    """Subject with assessments given as (study day, response) pairs."""
    kw.setdefault("reference_date", REF)
    return SubjectData(subject_id=sid,
                       assessments=tuple(TumourAssessment(day(d), r) for d, r in responses),
                       **kw)


# ---------------------------------------------------------------- day-count convention

def test_study_day_convention_reference_is_day_one():
    assert study_day(REF, REF) == 1
    assert study_day(dt.date(2024, 1, 2), REF) == 2
    assert study_day(dt.date(2024, 12, 31), REF) == 366      # 2024 is a leap year
    assert study_day(day(365), REF) == 365
    with pytest.raises(ValueError):
        study_day(dt.date(2023, 12, 31), REF)


def test_year_and_month_lengths():
    assert DAYS_PER_YEAR == 365.25 and DAYS_PER_MONTH == 30.4375
    assert 24 * DAYS_PER_MONTH == 730.5


# ---------------------------------------------------------------- PFS events

def test_pfs_event_progression():
    r = derive_pfs(subject(responses=[(43, "SD"), (85, "PR"), (127, "PD"), (169, "PD")]))
    assert (r.event, r.rule, r.event_or_censor_date, r.time_days) == (
        True, PfsRule.EVENT_PD, day(127), 127)
    assert r.endpoint == "PFS" and "progression" in r.rule_text


def test_pfs_event_death_without_progression():
    r = derive_pfs(subject(responses=[(43, "SD")], death_date=day(60)))
    assert (r.event, r.rule, r.time_days) == (True, PfsRule.EVENT_DEATH, 60)


def test_pfs_death_before_first_assessment_is_an_event():
    r = derive_pfs(subject(death_date=day(20)), assessment_interval_days=42)
    assert (r.event, r.rule, r.time_days) == (True, PfsRule.EVENT_DEATH, 20)


def test_pfs_progression_and_death_same_day_is_progression():
    r = derive_pfs(subject(responses=[(43, "SD"), (80, "PD")], death_date=day(80)))
    assert (r.rule, r.time_days) == (PfsRule.EVENT_PD, 80)


def test_pfs_death_before_progression_date():
    r = derive_pfs(subject(responses=[(43, "SD")], first_pd_date=day(90), death_date=day(95)))
    assert r.rule == PfsRule.EVENT_PD
    r = derive_pfs(subject(responses=[(43, "SD")], death_date=day(70)))
    assert r.rule == PfsRule.EVENT_DEATH


def test_pfs_first_pd_date_and_adequate_dates_input():
    """The alternative input (first PD date + adequate assessment dates) gives the same result
    as the equivalent assessment list."""
    full = derive_pfs(subject(responses=[(43, "SD"), (85, "SD"), (127, "PD")]))
    short = derive_pfs(SubjectData("S01", reference_date=REF, first_pd_date=day(127),
                                   adequate_assessment_dates=(day(85), day(43))))
    assert (short.time_days, short.event, short.rule) == (full.time_days, full.event, full.rule)
    censored = derive_pfs(SubjectData("S01", reference_date=REF,
                                      adequate_assessment_dates=(day(43), day(85))))
    assert (censored.rule, censored.time_days) == (PfsRule.CENSORED_LAST_ASSESSMENT, 85)


# ---------------------------------------------------------------- PFS censoring rules

def test_pfs_censored_at_last_adequate_assessment_ne_does_not_count():
    r = derive_pfs(subject(responses=[(43, "SD"), (85, "PR"), (127, "NE")],
                           last_known_alive_date=day(200)))
    assert (r.event, r.rule, r.event_or_censor_date, r.time_days) == (
        False, PfsRule.CENSORED_LAST_ASSESSMENT, day(85), 85)


def test_pfs_no_adequate_post_baseline_assessment_censored_at_reference_day_one():
    for s in (subject(),
              subject(responses=[(43, "NE")]),
              subject(responses=[(-5, "SD"), (1, "SD")])):     # baseline (on/before C1D1) only
        r = derive_pfs(s)
        assert (r.event, r.rule, r.event_or_censor_date, r.time_days) == (
            False, PfsRule.CENSORED_NO_ASSESSMENT, REF, 1)


def test_pfs_new_anticancer_therapy_before_progression():
    r = derive_pfs(subject(responses=[(43, "SD"), (85, "SD"), (127, "SD"), (169, "PD")],
                           new_anticancer_therapy_date=day(100)))
    assert (r.event, r.rule, r.event_or_censor_date, r.time_days) == (
        False, PfsRule.CENSORED_NEW_THERAPY, day(85), 85)
    # also without any later event
    r = derive_pfs(subject(responses=[(43, "SD"), (85, "SD")],
                           new_anticancer_therapy_date=day(60)))
    assert (r.rule, r.time_days) == (PfsRule.CENSORED_NEW_THERAPY, 43)
    # before any adequate assessment: censored at the reference date
    r = derive_pfs(subject(responses=[(43, "SD")], new_anticancer_therapy_date=day(30),
                           death_date=day(90)))
    assert (r.rule, r.time_days) == (PfsRule.CENSORED_NEW_THERAPY, 1)


def test_pfs_new_therapy_same_day_as_assessment_or_progression():
    r = derive_pfs(subject(responses=[(43, "SD"), (85, "SD")],
                           new_anticancer_therapy_date=day(85)))
    assert (r.rule, r.time_days) == (PfsRule.CENSORED_NEW_THERAPY, 85)
    r = derive_pfs(subject(responses=[(43, "SD"), (85, "PD")],
                           new_anticancer_therapy_date=day(85)))
    assert (r.event, r.rule, r.time_days) == (True, PfsRule.EVENT_PD, 85)


def test_pfs_event_after_two_or_more_missed_assessments():
    s = subject(responses=[(43, "SD"), (200, "PD")])
    # no interval given: the rule is off
    assert derive_pfs(s).rule == PfsRule.EVENT_PD
    r = derive_pfs(s, assessment_interval_days=42)        # gap 157 days > 84
    assert (r.event, r.rule, r.event_or_censor_date, r.time_days) == (
        False, PfsRule.CENSORED_MISSED_ASSESSMENTS, day(43), 43)
    # gap exactly 2 intervals (+ window) is not "more than two missed"
    s = subject(responses=[(43, "SD"), (127, "PD")])      # gap 84
    assert derive_pfs(s, assessment_interval_days=42).rule == PfsRule.EVENT_PD
    s = subject(responses=[(43, "SD"), (134, "PD")])      # gap 91
    assert derive_pfs(s, assessment_interval_days=42).rule == PfsRule.CENSORED_MISSED_ASSESSMENTS
    assert derive_pfs(s, assessment_interval_days=42,
                      assessment_window_days=7).rule == PfsRule.EVENT_PD
    # death with no adequate assessment, long after the reference date: censored at day 1
    r = derive_pfs(subject(responses=[(43, "NE")], death_date=day(150)),
                   assessment_interval_days=42)
    assert (r.rule, r.time_days) == (PfsRule.CENSORED_MISSED_ASSESSMENTS, 1)
    with pytest.raises(ValueError):
        derive_pfs(s, assessment_interval_days=0)
    with pytest.raises(ValueError):
        derive_pfs(s, assessment_interval_days=42, assessment_window_days=-1)


def test_pfs_data_cutoff_ignores_later_events_and_assessments():
    s = subject(responses=[(43, "SD"), (85, "SD"), (127, "SD"), (169, "PD")],
                death_date=day(300))
    r = derive_pfs(s, data_cutoff=day(150))
    assert (r.event, r.rule, r.event_or_censor_date, r.time_days) == (
        False, PfsRule.CENSORED_CUTOFF, day(127), 127)
    assert "cut-off" in r.rule_text
    # the cut-off day itself is included
    r = derive_pfs(s, data_cutoff=day(169))
    assert (r.event, r.rule, r.time_days) == (True, PfsRule.EVENT_PD, 169)
    # no event at all: assessments after the cut-off are dropped, ordinary censoring
    s = subject(responses=[(43, "SD"), (85, "SD"), (127, "SD")])
    r = derive_pfs(s, data_cutoff=day(100))
    assert (r.rule, r.time_days) == (PfsRule.CENSORED_LAST_ASSESSMENT, 85)
    # event after the cut-off and no assessment before it: censored at the reference date
    r = derive_pfs(subject(responses=[(43, "PD")]), data_cutoff=day(30))
    assert (r.rule, r.time_days, r.event) == (PfsRule.CENSORED_CUTOFF, 1, False)
    with pytest.raises(ValueError, match="cut-off"):
        derive_pfs(s, data_cutoff=REF - dt.timedelta(days=1))


def test_pfs_withdrawal_ends_follow_up():
    s = subject(responses=[(43, "SD"), (85, "SD")], withdrawal_date=day(100),
                death_date=day(250))
    r = derive_pfs(s)
    assert (r.event, r.rule, r.time_days) == (False, PfsRule.CENSORED_WITHDRAWAL, 85)
    # the earlier of cut-off and withdrawal decides the code
    assert derive_pfs(s, data_cutoff=day(90)).rule == PfsRule.CENSORED_CUTOFF


def test_pfs_reference_date_falls_back_to_enrolment():
    s = SubjectData("S09", enrolment_date=day(-6),
                    assessments=(TumourAssessment(day(36), "PD"),))
    r = derive_pfs(s)
    assert (r.reference_date, r.time_days) == (day(-6), 43)
    with pytest.raises(ValueError, match="reference"):
        derive_pfs(SubjectData("S10"))


def test_subject_validation():
    with pytest.raises(ValueError, match="death date"):
        subject(death_date=REF - dt.timedelta(days=2))
    with pytest.raises(ValueError, match="after the death"):
        subject(responses=[(43, "SD")], death_date=day(40))
    with pytest.raises(ValueError, match="after the death"):
        subject(last_known_alive_date=day(50), death_date=day(40))
    with pytest.raises(ValueError, match="overall_response"):
        TumourAssessment(day(43), "NA")
    with pytest.raises(TypeError):
        TumourAssessment(dt.datetime(2024, 2, 1, 10, 0), "SD")
    with pytest.raises(TypeError):
        subject(death_date="2024-03-01")
    with pytest.raises(ValueError, match="first PD"):
        subject(first_pd_date=REF)
    with pytest.raises(ValueError):
        SubjectData("")
    # assessments are sorted and strings become enum members
    s = subject(responses=[(85, "PR"), (43, "SD")])
    assert [a.date for a in s.assessments] == [day(43), day(85)]
    assert s.assessments[1].overall_response is OverallResponse.PR


# ---------------------------------------------------------------- OS

def test_os_death_is_event():
    r = derive_os(subject(responses=[(43, "PD")], death_date=day(200),
                          new_anticancer_therapy_date=day(60)))
    assert (r.event, r.rule, r.time_days, r.endpoint) == (True, OsRule.EVENT_DEATH, 200, "OS")


def test_os_censored_at_last_known_alive():
    r = derive_os(subject(responses=[(43, "SD")], last_known_alive_date=day(300)))
    assert (r.event, r.rule, r.event_or_censor_date, r.time_days) == (
        False, OsRule.CENSORED_LAST_KNOWN_ALIVE, day(300), 300)
    # an assessment later than the recorded last-known-alive date is evidence of being alive
    r = derive_os(subject(responses=[(43, "SD"), (320, "SD")], last_known_alive_date=day(300)))
    assert r.time_days == 320
    assert derive_os(subject()).time_days == 1


def test_os_data_cutoff():
    s = subject(responses=[(43, "SD")], last_known_alive_date=day(300))
    r = derive_os(s, data_cutoff=day(200))                 # known alive after the cut-off
    assert (r.rule, r.event_or_censor_date, r.time_days) == (OsRule.CENSORED_CUTOFF, day(200),
                                                             200)
    assert derive_os(s, data_cutoff=day(400)).time_days == 300      # last alive is earlier
    r = derive_os(subject(responses=[(43, "SD")], death_date=day(250)), data_cutoff=day(200))
    assert (r.event, r.rule, r.time_days) == (False, OsRule.CENSORED_CUTOFF, 200)
    r = derive_os(subject(death_date=day(200)), data_cutoff=day(200))
    assert (r.event, r.time_days) == (True, 200)


def test_os_death_after_withdrawal_still_counts():
    r = derive_os(subject(withdrawal_date=day(100), death_date=day(180)))
    assert (r.event, r.time_days) == (True, 180)


# ---------------------------------------------------------------- KM over derived results

def cohort():
    return [
        subject("S01", [(43, "PR"), (85, "PR"), (127, "PD")], death_date=day(400)),
        subject("S02", [(43, "SD"), (85, "SD")], death_date=day(100)),
        subject("S03", [(43, "CR"), (85, "CR"), (169, "CR"), (253, "CR"), (365, "CR"),
                        (420, "CR")], last_known_alive_date=day(450)),
        subject("S04", [(43, "SD"), (85, "PD")], last_known_alive_date=day(500)),
        subject("S05", [(43, "PR"), (85, "SD"), (169, "SD"), (253, "SD"), (366, "PD")],
                last_known_alive_date=day(380)),
        subject("S06", [(43, "SD"), (85, "NE")], withdrawal_date=day(90),
                last_known_alive_date=day(90)),
        subject("S07", [(43, "PR"), (85, "PR"), (169, "SD"), (253, "SD"), (337, "SD"),
                        (421, "SD")], last_known_alive_date=day(430)),
        subject("S08", [], death_date=day(30)),
    ]


def test_km_over_derived_pfs_and_landmark_rates():
    results = derive_all(cohort(), "PFS")
    assert [(r.time_days, r.event) for r in results] == [
        (127, True), (100, True), (420, False), (85, True), (366, True), (43, False),
        (421, False), (30, True)]
    km = km_for(results)
    assert km.n == 8 and km.n_events == 5
    one_year = pfs_rate_at(km)
    assert one_year.time == 365.25
    # events on days 30, 85, 100, 127 (at risk 8, 6, 5, 4: S06 is censored on day 43); the
    # event on day 366 is after 365.25 days and does not count
    expected = (7 / 8) * (5 / 6) * (4 / 5) * (3 / 4)
    assert one_year.survival == pytest.approx(expected, abs=1e-15)
    assert one_year.survival == survival_at(km, 365).survival
    assert survival_at(km, 366).survival == pytest.approx(expected * 2 / 3, abs=1e-15)
    assert pfs_rate_at(km, days=100).survival == pytest.approx((7 / 8) * (5 / 6) * (4 / 5))
    assert rate_at_months(km, 12).time == 365.25
    test = survival_rate_test(km, DAYS_PER_YEAR, 0.34)
    assert test.estimate == one_year.survival and test.p_value > 0.05
    assert km_for(results, ci_method="linear").ci_method == "linear"


def test_km_over_derived_os():
    results = derive_all(cohort(), "OS", data_cutoff=day(450))
    assert [(r.time_days, r.event) for r in results] == [
        (400, True), (100, True), (450, False), (450, False), (380, False), (90, False),
        (430, False), (30, True)]
    km = km_for(results)
    assert rate_at_months(km, 24).beyond_follow_up
    assert km == kaplan_meier([r.time_days for r in results], [r.event for r in results])
    with pytest.raises(TypeError):
        derive_all(cohort(), "OS", assessment_interval_days=42)


def test_time_to_event_to_dict_is_json_ready():
    r = derive_pfs(cohort()[0])
    doc = json.loads(json.dumps(r.to_dict()))
    assert doc == {"subject_id": "S01", "endpoint": "PFS", "time_days": 127, "event": True,
                   "rule": "EVENT_PD", "rule_text": r.rule_text,
                   "event_or_censor_date": "2024-05-06", "reference_date": "2024-01-01"}


# ---------------------------------------------------------------- best overall response, ORR

def test_best_overall_response_confirmation_rules():
    bor = best_overall_response
    assert bor(subject(responses=[(43, "CR"), (85, "CR")])) == "CR"
    assert bor(subject(responses=[(43, "PR"), (85, "CR")])) == "PR"
    assert bor(subject(responses=[(43, "PR"), (60, "PR")])) == "SD"       # < 28 days apart
    assert bor(subject(responses=[(43, "PR"), (71, "PR")])) == "PR"       # exactly 28 days
    assert bor(subject(responses=[(43, "PR"), (85, "NE"), (127, "PR")])) == "PR"
    assert bor(subject(responses=[(43, "PR"), (85, "PD"), (127, "PR")])) == "SD"  # after PD
    assert bor(subject(responses=[(43, "PR")])) == "SD"
    assert bor(subject(responses=[(43, "PR")]), confirmed=False) == "PR"
    assert bor(subject(responses=[(43, "SD"), (85, "CR")]), confirmed=False) == "CR"
    assert bor(subject(responses=[(30, "SD"), (60, "PD")])) == "PD"      # SD too early
    assert bor(subject(responses=[(30, "SD")])) == "NE"
    assert bor(subject(responses=[(43, "SD")])) == "SD"                  # 42 days after C1D1
    assert bor(subject(responses=[(43, "NON_CR_NON_PD")])) == "NON_CR_NON_PD"
    assert bor(subject(responses=[(43, "NE")])) == "NE"
    assert bor(subject()) == "NE"
    # new anticancer therapy and data cut-off close the window
    s = subject(responses=[(43, "PR"), (85, "PR")], new_anticancer_therapy_date=day(60))
    assert bor(s) == "SD" and bor(s, confirmed=False) == "PR"
    s = subject(responses=[(43, "PR"), (85, "PR")])
    assert bor(s, data_cutoff=day(70)) == "SD"
    # a recorded confirmed BOR overrides the derivation
    assert bor(subject(responses=[(43, "SD")], bor_confirmed="PR")) == "PR"


def orr_subjects():
    ev = dict(measurable_disease_at_baseline=True, dosed=True)
    return [
        subject("R1", [(43, "PR"), (85, "PR")], **ev),                     # confirmed PR
        subject("R2", [(43, "CR"), (85, "CR")], **ev),                     # confirmed CR
        subject("R3", [(43, "SD")], bor_confirmed="PR", **ev),             # recorded BOR
        subject("R4", [(43, "PR"), (85, "PD")], **ev),                     # unconfirmed PR
        subject("R5", [(43, "SD"), (85, "SD")], **ev),
        subject("R6", [(43, "PD")], **ev),
        subject("R7", [], **ev),                                           # NE
        subject("R8", [(43, "SD")], **ev),
        subject("X1", [(43, "PR"), (85, "PR")], measurable_disease_at_baseline=False,
                dosed=True),                                               # not measurable
        subject("X2", [], measurable_disease_at_baseline=True, dosed=False),  # never dosed
        subject("X3", [(43, "PR"), (85, "PR")]),                           # unknown: excluded
    ]


def test_orr_evaluable_population_numerator_denominator_ci():
    res = objective_response_rate(orr_subjects())
    c = res.confirmed
    assert (c.numerator, c.denominator) == (3, 8)
    assert c.rate == 3 / 8
    assert (c.ci_lower, c.ci_upper) == clopper_pearson(3, 8)
    assert (c.ci_lower, c.ci_upper) == pytest.approx((0.08523341413725354, 0.7551367836334484),
                                                     abs=1e-12)
    assert c.responder_ids == ("R1", "R2", "R3")
    u = res.unconfirmed
    assert (u.numerator, u.denominator, u.responder_ids) == (4, 8, ("R1", "R2", "R3", "R4"))
    assert res.best_response_counts == {"CR": 1, "PR": 2, "SD": 3, "NON_CR_NON_PD": 0,
                                        "PD": 1, "NE": 1}
    assert res.excluded_ids == ("X1", "X2", "X3") and len(res.included_ids) == 8
    assert c.test is None
    doc = json.loads(json.dumps(res.to_dict(), allow_nan=False))
    assert doc["population"] == "evaluable" and doc["confirmed"]["numerator"] == 3


def test_orr_other_populations_and_null_rate():
    subjects = orr_subjects()
    treated = objective_response_rate(subjects, population="treated")
    assert (treated.confirmed.numerator, treated.confirmed.denominator) == (4, 9)
    everyone = objective_response_rate(subjects, population="all")
    assert (everyone.confirmed.numerator, everyone.confirmed.denominator) == (5, 11)
    custom = objective_response_rate(subjects, population=lambda s: s.subject_id.startswith("X"))
    assert (custom.confirmed.numerator, custom.confirmed.denominator) == (2, 3)
    tested = objective_response_rate(subjects, null_rate=0.1)
    assert tested.confirmed.test.p0 == 0.1 and tested.confirmed.test.k == 3
    assert tested.confirmed.test.p_value < 0.05
    with pytest.raises(ValueError, match="empty"):
        objective_response_rate(subjects[-2:], population="evaluable")
    with pytest.raises(ValueError):
        objective_response_rate(subjects, population="per-protocol")


# ---------------------------------------------------------------- AE worst-grade table

AES = [
    AdverseEvent("S1", "Nausea", "Gastrointestinal disorders", 1),
    AdverseEvent("S1", "Nausea", "Gastrointestinal disorders", 2),
    AdverseEvent("S1", "Diarrhoea", "Gastrointestinal disorders", 3, True),
    AdverseEvent("S2", "Nausea", "Gastrointestinal disorders", 1, True),
    AdverseEvent("S2", "Neutrophil count decreased", "Investigations", 4, True),
    AdverseEvent("S3", "Diarrhoea", "Gastrointestinal disorders", 2),
    AdverseEvent("S3", "Fatigue", "General disorders and administration site conditions", 1),
    AdverseEvent("S4", "Pneumonia", "Infections and infestations", 5),
    AdverseEvent("S5", "Nausea", "Gastrointestinal disorders", 3, True),
]
SAFETY = ["S1", "S2", "S3", "S4", "S5", "S6"]


def rows_of(table):
    return [(r.level, r.soc, r.term, r.by_grade, r.any_grade, r.grade_3_plus)
            for r in table.rows]


def test_ae_worst_grade_table_all_causality():
    table = ae_worst_grade_table(AES, SAFETY)
    gi, gen = "Gastrointestinal disorders", "General disorders and administration site conditions"
    assert table.population_n == 6
    assert rows_of(table) == [
        ("ANY", None, None, (0, 1, 2, 1, 1), 5, 4),
        ("SOC", gi, None, (1, 1, 2, 0, 0), 4, 2),
        ("TERM", gi, "Nausea", (1, 1, 1, 0, 0), 3, 1),
        ("TERM", gi, "Diarrhoea", (0, 1, 1, 0, 0), 2, 1),
        ("SOC", gen, None, (1, 0, 0, 0, 0), 1, 0),
        ("TERM", gen, "Fatigue", (1, 0, 0, 0, 0), 1, 0),
        ("SOC", "Infections and infestations", None, (0, 0, 0, 0, 1), 1, 1),
        ("TERM", "Infections and infestations", "Pneumonia", (0, 0, 0, 0, 1), 1, 1),
        ("SOC", "Investigations", None, (0, 0, 0, 1, 0), 1, 1),
        ("TERM", "Investigations", "Neutrophil count decreased", (0, 0, 0, 1, 0), 1, 1),
    ]
    any_row = table.to_dict()["rows"][0]
    assert any_row["pct_any_grade"] == pytest.approx(500 / 6)
    assert any_row["pct_grade_3_plus"] == pytest.approx(400 / 6)
    assert any_row["by_grade"] == {"1": 0, "2": 1, "3": 2, "4": 1, "5": 1}
    assert any_row["pct_by_grade"]["3"] == pytest.approx(200 / 6)
    json.dumps(table.to_dict(), allow_nan=False)


def test_ae_worst_grade_table_treatment_related():
    table = ae_worst_grade_table(AES, 6, treatment_related_only=True)
    gi = "Gastrointestinal disorders"
    assert table.treatment_related_only
    assert rows_of(table) == [
        ("ANY", None, None, (0, 0, 2, 1, 0), 3, 3),
        ("SOC", gi, None, (1, 0, 2, 0, 0), 3, 2),
        ("TERM", gi, "Nausea", (1, 0, 1, 0, 0), 2, 1),
        ("TERM", gi, "Diarrhoea", (0, 0, 1, 0, 0), 1, 1),
        ("SOC", "Investigations", None, (0, 0, 0, 1, 0), 1, 1),
        ("TERM", "Investigations", "Neutrophil count decreased", (0, 0, 0, 1, 0), 1, 1),
    ]


def test_ae_table_empty_and_invalid():
    empty = ae_worst_grade_table([], 10)
    assert rows_of(empty) == [("ANY", None, None, (0, 0, 0, 0, 0), 0, 0)]
    with pytest.raises(ValueError, match="outside"):
        ae_worst_grade_table(AES, ["S1", "S2"])
    with pytest.raises(ValueError):
        ae_worst_grade_table(AES, 3)                 # 5 subjects with AEs, N = 3
    with pytest.raises(ValueError):
        ae_worst_grade_table([], 0)
    for grade in (0, 6, True, 2.0, None):
        with pytest.raises(ValueError):
            AdverseEvent("S1", "Nausea", "Gastrointestinal disorders", grade)
    with pytest.raises(ValueError):
        AdverseEvent("S1", "", "Gastrointestinal disorders", 1)
    with pytest.raises(ValueError):
        AdverseEvent("S1", "Nausea", "Gastrointestinal disorders", 1, "yes")


def test_results_are_frozen():
    r = derive_pfs(cohort()[0])
    with pytest.raises(AttributeError):
        r.time_days = 1
    assert math.isclose(DAYS_PER_MONTH * 12, DAYS_PER_YEAR)
