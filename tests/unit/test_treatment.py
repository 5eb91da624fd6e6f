"""Treatment checks: BSA, dose per m2, flat doses, q3w cycle windows, radiotherapy."""

from datetime import date
from decimal import Decimal as D

import pytest

from ecrf.oncology.treatment import (CAMRELIZUMAB_DOSE_MG, RT_PLAN_ESCC_LDRT, DoseReduction, RTCourse,
                                     RTPlan, bsa_mosteller, check_bsa_dose, check_cycles,
                                     check_flat_dose, check_radiotherapy, cycle_timings,
                                     dose_deviation_pct, expected_dose, round_bsa, rt_summary,
                                     rt_total_dose)


# ------------------------------------------------------------------------------------------ BSA
@pytest.mark.parametrize("height,weight,rounded", [
    ("170", "70", D("1.82")),
    ("180", "80", D("2.00")),
    ("160", "50", D("1.49")),
    ("175", "75", D("1.91")),
    ("100", "25", D("0.83")),
    ("250", "250", D("4.17")),
])
def test_bsa_mosteller(height, weight, rounded):
    bsa = bsa_mosteller(D(height), D(weight))
    assert round_bsa(bsa) == rounded
    assert abs(bsa * bsa - D(height) * D(weight) / 3600) < D("1e-30")


def test_bsa_kept_exact_and_rounded_half_up():
    assert bsa_mosteller(D("170"), D("70")) == D("1.818118685772619068583692414562150")
    assert bsa_mosteller(D("180"), D("80")) == D("2")
    assert round_bsa(D("1.825")) == D("1.83")
    assert round_bsa(D("1.8249999")) == D("1.82")
    assert round_bsa(D("1.835")) == D("1.84")


@pytest.mark.parametrize("height,weight,message", [
    ("99.9", "70", "height_cm 99.9 outside the plausible range 100-250 cm"),
    ("250.1", "70", "height_cm 250.1 outside the plausible range 100-250 cm"),
    ("170", "24.9", "weight_kg 24.9 outside the plausible range 25-250 kg"),
    ("170", "250.1", "weight_kg 250.1 outside the plausible range 25-250 kg"),
    ("tall", "70", "height_cm: not a number"),
])
def test_bsa_rejects_implausible_input(height, weight, message):
    with pytest.raises(ValueError, match=message):
        bsa_mosteller(height, weight)


# ----------------------------------------------------------------------------------------- dose
def test_expected_dose_and_deviation():
    assert expected_dose(D("175"), D("1.82")) == D("318.50")
    assert dose_deviation_pct(D("350.35"), D("318.50")) == D("10")
    assert dose_deviation_pct(D("286.65"), D("318.50")) == D("-10")
    assert dose_deviation_pct(D("318.50"), D("318.50")) == 0
    with pytest.raises(ValueError, match="expected dose must be positive"):
        dose_deviation_pct(D("1"), D("0"))


@pytest.mark.parametrize("actual,flagged", [
    ("350.35", False),   # +10.0% exactly: within tolerance
    ("350.36", True),
    ("286.65", False),   # -10.0% exactly
    ("286.64", True),
    ("318.50", False),
])
def test_bsa_dose_tolerance_edges(actual, flagged):
    findings = check_bsa_dose("paclitaxel", D(actual), D("175"), D("1.82"))
    assert [f.code for f in findings] == (["DOSE_DEVIATION"] if flagged else [])


def test_bsa_dose_deviation_details():
    (finding,) = check_bsa_dose("paclitaxel", D("300"), D("135"), D("1.82"))
    assert (finding.code, finding.severity) == ("DOSE_DEVIATION", "deviation")
    assert finding.message == ("paclitaxel: 300 mg given, planned dose 245.70 mg (22.1%, "
                               "tolerance 10%)")
    assert finding.details["expected_mg"] == D("245.70")
    assert finding.details["reduction_level"] is None


def test_bsa_dose_tolerance_parameter():
    assert check_bsa_dose("paclitaxel", D("335"), D("175"), D("1.82")) == []
    (finding,) = check_bsa_dose("paclitaxel", D("335"), D("175"), D("1.82"), tolerance_pct=D("5"))
    assert finding.message.endswith("(5.2%, tolerance 5%)")


def test_documented_reduction_explains_underdose_only():
    reduction = DoseReduction(-1, "grade 3 neutropenia")
    assert check_bsa_dose("paclitaxel", D("250"), D("175"), D("1.82"), reduction=reduction) == []
    over = check_bsa_dose("paclitaxel", D("360"), D("175"), D("1.82"), reduction=reduction)
    assert [f.code for f in over] == ["DOSE_DEVIATION"]


def test_reduction_with_stated_dose_is_checked_against_it():
    reduction = DoseReduction(-1, "febrile neutropenia", dose_per_m2=D("135"))
    assert check_bsa_dose("paclitaxel", D("245"), D("175"), D("1.82"), reduction=reduction) == []
    (finding,) = check_bsa_dose("paclitaxel", D("200"), D("175"), D("1.82"), reduction=reduction)
    assert finding.message == ("paclitaxel: 200 mg given, reduced (level -1) dose 245.70 mg "
                               "(-18.6%, tolerance 10%)")
    assert finding.details["reduction_level"] == -1


def test_reduction_without_reason_is_not_documented():
    findings = check_bsa_dose("carboplatin", D("300"), D("250"), D("1.82"),
                              reduction=DoseReduction(-1, "  "))
    assert [(f.code, f.severity) for f in findings] == [
        ("DOSE_REDUCTION_NO_REASON", "warning"), ("DOSE_DEVIATION", "deviation")]


@pytest.mark.parametrize("actual,kwargs,codes", [
    ("200", {}, []),
    ("180", {}, ["FLAT_DOSE_DEVIATION"]),
    ("200.5", {}, ["FLAT_DOSE_DEVIATION"]),
    ("180", {"reduction": DoseReduction(-1, "infusion reaction")}, []),
    ("220", {"reduction": DoseReduction(-1, "infusion reaction")}, ["FLAT_DOSE_DEVIATION"]),
    ("180", {"reduction": DoseReduction(-1, "")}, ["FLAT_DOSE_DEVIATION"]),
    (None, {"withheld_reason": "grade 2 pneumonitis"}, []),
    ("0", {"withheld_reason": "RCCEP grade 3"}, []),
    (None, {}, ["DOSE_WITHHELD_NO_REASON"]),
    ("0", {"withheld_reason": " "}, ["DOSE_WITHHELD_NO_REASON"]),
])
def test_camrelizumab_flat_dose(actual, kwargs, codes):
    findings = check_flat_dose("camrelizumab", None if actual is None else D(actual), **kwargs)
    assert [f.code for f in findings] == codes
    assert all(f.severity == "deviation" for f in findings)


def test_flat_dose_message():
    assert CAMRELIZUMAB_DOSE_MG == D("200")
    (finding,) = check_flat_dose("camrelizumab", D("180"))
    assert finding.message == "camrelizumab: 180 mg given, planned flat dose 200 mg"


# --------------------------------------------------------------------------------------- cycles
C1 = date(2024, 1, 1)


@pytest.mark.parametrize("c2,codes,delay", [
    (date(2024, 1, 20), [], -2),                          # first day of the window
    (date(2024, 1, 19), ["CYCLE_EARLY"], -3),
    (date(2024, 1, 22), [], 0),
    (date(2024, 1, 25), [], 3),                           # last day of the window
    (date(2024, 1, 26), ["CYCLE_DELAY_NO_REASON"], 4),
])
def test_cycle_window_edges(c2, codes, delay):
    assert cycle_timings([C1, c2])[1].delay_days == delay
    assert [f.code for f in check_cycles([C1, c2])] == codes


def test_cycle_delay_with_reason_is_a_warning():
    (finding,) = check_cycles([C1, date(2024, 1, 29)], delay_reasons={2: "neutropenia grade 3"})
    assert (finding.code, finding.severity) == ("CYCLE_DELAY", "warning")
    assert finding.message == "cycle 2 delayed 7 days (neutropenia grade 3)"
    (unexplained,) = check_cycles([C1, date(2024, 1, 29)], delay_reasons={3: "other cycle"})
    assert (unexplained.code, unexplained.severity) == ("CYCLE_DELAY_NO_REASON", "deviation")
    assert unexplained.message == "cycle 2 delayed 7 days without a recorded reason"


def test_cycle_anchor_previous_propagates_delays():
    starts = [C1, date(2024, 1, 26), date(2024, 2, 16)]
    timings = cycle_timings(starts)
    assert [(t.cycle, t.expected, t.delay_days, t.in_window) for t in timings] == [
        (1, None, 0, True), (2, date(2024, 1, 22), 4, False), (3, date(2024, 2, 16), 0, True)]
    assert timings[1].window_start == date(2024, 1, 20)
    assert timings[1].window_end == date(2024, 1, 25)
    assert [f.details["cycle"] for f in check_cycles(starts)] == [2]


def test_cycle_anchor_c1d1_accumulates_delays():
    starts = [C1, date(2024, 1, 26), date(2024, 2, 16)]
    timings = cycle_timings(starts, anchor="c1d1")
    assert [(t.expected, t.delay_days) for t in timings[1:]] == [
        (date(2024, 1, 22), 4), (date(2024, 2, 12), 4)]
    assert [f.details["cycle"] for f in check_cycles(starts, anchor="c1d1")] == [2, 3]


def test_cycle_window_and_interval_parameters():
    assert check_cycles([C1, date(2024, 1, 27)], window_after=5) == []
    assert [f.code for f in check_cycles([C1, date(2024, 1, 21)], window_before=0)] == ["CYCLE_EARLY"]
    assert check_cycles([C1, date(2024, 1, 15)], interval_days=14) == []


def test_cycle_order_and_bad_anchor():
    assert [f.code for f in check_cycles([C1, C1])] == ["CYCLE_ORDER"]
    assert check_cycles([C1]) == [] and check_cycles([]) == []
    with pytest.raises(ValueError, match="anchor must be"):
        cycle_timings([C1], anchor="c2d1")


# --------------------------------------------------------------------------------- radiotherapy
MON = date(2024, 3, 4)      # a Monday: C2D1 in these examples


def _course(**kwargs):
    base = dict(start=MON, end=date(2024, 4, 5), fractions_delivered=25,
                dose_per_fraction_gy=D("1.8"), total_dose_gy=D("45.0"))
    base.update(kwargs)
    return RTCourse(**base)


def test_rt_total_dose_exact():
    assert rt_total_dose(25, D("1.8")) == D("45.0")
    assert str(rt_total_dose(25, D("1.8"))) == "45.0"
    assert rt_total_dose(24, D("1.8")) == D("43.2")
    assert RT_PLAN_ESCC_LDRT == RTPlan(D("45.0"), 25, D("1.8"), 5)
    with pytest.raises(ValueError, match="RT plan inconsistent"):
        RTPlan(D("45.0"), 24, D("1.8"))


def test_rt_per_plan_course_has_no_findings():
    course = _course()
    assert check_radiotherapy(course, RT_PLAN_ESCC_LDRT, c2d1=MON) == []
    summary = rt_summary(course)
    assert (summary.computed_total_gy, summary.overall_treatment_days,
            summary.expected_treatment_days, summary.prolongation_days) == (D("45.0"), 33, 33, 0)


def test_rt_24_fractions_is_a_deviation():
    findings = check_radiotherapy(_course(fractions_delivered=24, total_dose_gy=D("43.2"),
                                          end=date(2024, 4, 4)), RT_PLAN_ESCC_LDRT, c2d1=MON)
    assert [(f.code, f.severity) for f in findings] == [
        ("RT_FRACTIONS_PLAN", "deviation"), ("RT_TOTAL_PLAN", "deviation")]
    assert findings[1].message == "RT total dose (Gy): 43.2, planned 45.0"


def test_rt_recorded_total_inconsistent_with_fractions():
    findings = check_radiotherapy(_course(fractions_delivered=24, end=date(2024, 4, 4)),
                                  RT_PLAN_ESCC_LDRT, c2d1=MON)
    assert [f.code for f in findings] == ["RT_TOTAL_INCONSISTENT", "RT_FRACTIONS_PLAN", "RT_TOTAL_PLAN"]
    assert findings[0].message == "recorded total 45.0 Gy != 24 x 1.8 Gy = 43.2 Gy"
    assert findings[0].severity == "warning"


def test_rt_dose_per_fraction_off_plan():
    findings = check_radiotherapy(_course(dose_per_fraction_gy=D("2.0"), total_dose_gy=D("50.0")),
                                  RT_PLAN_ESCC_LDRT)
    assert [f.code for f in findings] == ["RT_DOSE_PER_FRACTION_PLAN", "RT_TOTAL_PLAN"]


@pytest.mark.parametrize("start_offset,kwargs,flagged", [
    (0, {}, False),
    (1, {}, True),                                   # default window 0/0: must start on C2D1
    (-1, {}, True),
    (3, {"start_window_after": 3}, False),
    (4, {"start_window_after": 3}, True),
    (-2, {"start_window_before": 2}, False),
])
def test_rt_start_on_c2d1(start_offset, kwargs, flagged):
    start = date.fromordinal(MON.toordinal() + start_offset)
    course = _course(start=start, end=date.fromordinal(start.toordinal() + 34))
    codes = [f.code for f in check_radiotherapy(course, RT_PLAN_ESCC_LDRT, c2d1=MON, **kwargs)]
    assert ("RT_START_WINDOW" in codes) is flagged


def test_rt_interruptions():
    course = _course(end=date(2024, 4, 12), interruptions=(
        (date(2024, 3, 11), date(2024, 3, 13)), (date(2024, 3, 25), date(2024, 3, 26))))
    summary = rt_summary(course)
    assert (summary.interruption_days, summary.total_interruption_days) == ((3, 2), 5)
    assert (summary.overall_treatment_days, summary.prolongation_days) == (40, 7)
    findings = check_radiotherapy(course, RT_PLAN_ESCC_LDRT, c2d1=MON)
    assert [(f.code, f.severity) for f in findings] == [
        ("RT_INTERRUPTED", "warning"), ("RT_OTT_PROLONGED", "deviation")]
    assert findings[0].message == "RT interrupted 2 time(s), 5 days in total"
    assert findings[1].message == "overall treatment time 40 days, expected 33 (+7, allowed +5)"


def test_rt_interruption_validation():
    with pytest.raises(ValueError, match="ends .* before it starts"):
        rt_summary(_course(interruptions=((date(2024, 3, 13), date(2024, 3, 11)),)))
    outside = check_radiotherapy(_course(interruptions=((date(2024, 4, 6), date(2024, 4, 8)),)))
    assert [f.code for f in outside] == ["RT_INTERRUPTED", "RT_INTERRUPTION_OUTSIDE_COURSE"]
    with pytest.raises(ValueError, match="RT end .* is before RT start"):
        rt_summary(_course(end=date(2024, 3, 1)))


@pytest.mark.parametrize("end,kwargs,flagged", [
    (date(2024, 4, 10), {}, False),                 # +5 days: not more than 5
    (date(2024, 4, 11), {}, True),                  # +6 days
    (date(2024, 4, 11), {"max_prolongation_days": 6}, False),
])
def test_rt_overall_treatment_time(end, kwargs, flagged):
    codes = [f.code for f in check_radiotherapy(_course(end=end), RT_PLAN_ESCC_LDRT, **kwargs)]
    assert ("RT_OTT_PROLONGED" in codes) is flagged


@pytest.mark.parametrize("start,fractions,expected_days", [
    (date(2024, 3, 4), 25, 33),     # Monday start: 5 weeks Mon-Fri
    (date(2024, 3, 6), 25, 35),     # Wednesday start crosses 5 weekends
    (date(2024, 3, 8), 25, 35),     # Friday start
    (date(2024, 3, 5), 25, 35),     # Tuesday start
    (date(2024, 3, 4), 1, 1),
    (date(2024, 3, 8), 2, 4),       # Friday then Monday
])
def test_rt_expected_treatment_time(start, fractions, expected_days):
    course = RTCourse(start, date(2024, 6, 1), fractions, D("1.8"), None)
    assert rt_summary(course).expected_treatment_days == expected_days


def test_rt_protocol_000_without_plan_checks_arithmetic_only():
    course = _course(fractions_delivered=30, dose_per_fraction_gy=D("2.0"), total_dose_gy=D("60.0"),
                     end=date(2024, 4, 12))
    assert check_radiotherapy(course) == []
    bad = check_radiotherapy(_course(fractions_delivered=30, dose_per_fraction_gy=D("2.0"),
                                     total_dose_gy=D("54.0"), end=date(2024, 4, 12)))
    assert [f.code for f in bad] == ["RT_TOTAL_INCONSISTENT"]


def test_rt_incomplete_course_skips_what_it_cannot_check():
    empty = RTCourse(None, None, None, None, None)
    assert check_radiotherapy(empty, RT_PLAN_ESCC_LDRT, c2d1=MON) == []
    summary = rt_summary(empty)
    assert (summary.computed_total_gy, summary.overall_treatment_days, summary.prolongation_days) == \
        (None, None, None)
    only_total = RTCourse(MON, None, None, None, D("43.2"))
    assert [f.code for f in check_radiotherapy(only_total, RT_PLAN_ESCC_LDRT, c2d1=MON)] == \
        ["RT_TOTAL_PLAN"]
