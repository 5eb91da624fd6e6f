"""The endpoints report of a small ESCC-LDRT study entered through the API, checked by hand.

Every subject starts treatment (C1D1, study day 1) on 2025-07-01 and has a baseline of two targets,
30 + 20 = 50 mm. Study day d is 2025-07-01 + (d - 1). Data cut-off 2026-10-31.

    subject     site  tumour assessments (day: sum -> response)          other data
    WCH-001     A     44: 35 PR, 86: 34 PR, 128: 42 PD (+8 mm, +23.5 %)  alive on day 400
    WCH-002     A     44: 40 SD                                           died day 92
    WCH-003     A     44: 35 PR, 86: PD (new lesion)                      new therapy day 70, alive day 300
    WCH-004     A     44: 40 SD                                           withdrawn day 60
    WCH-005     A     none                                                C1D1 only
    WCH-006     A     -                                                   never treated (no C1D1)
    WCH-007     A     44, 86, 128, 380: 40 SD                             alive day 450
    LDRT-B-001  B     44: 0 CR, 86: 0 CR, 380: 0 CR                        alive day 420
    LDRT-B-002  B     44: 40 + new lesion PD                              died 2025-11-UN (imputed 11-01, day 124)

PFS (day, event): 001 128 PD; 002 92 death; 003 44 censored (new therapy before PD); 004 44 censored
(last assessment; withdrawn); 005 1 censored (no assessment); 007 380 censored; B-001 380 censored;
B-002 44 PD.  Kaplan-Meier, n = 8:
    day   1: 8 at risk, 1 censored                    S = 1
    day  44: 7 at risk, 1 event, 2 censored           S = 6/7             G = 1/42
    day  92: 4 at risk, 1 event                       S = 6/7 * 3/4 = 9/14  G = 1/42 + 1/12 = 3/28
    day 128: 3 at risk, 1 event                       S = 9/14 * 2/3 = 3/7  G = 3/28 + 1/6 = 23/84
    day 380: 2 at risk, 2 censored                    S = 3/7
Median PFS = day 128 (first S <= 0.5). 1-year PFS S(365.25) = 3/7 with SE = 3/7 * sqrt(23/84), 2 at risk.

OS: 001 400 c; 002 92 death; 003 300 c; 004 44 c (last assessment); 005 1 c; 007 450 c; B-001 420 c;
B-002 124 death.  KM: day 92: 6 at risk, S = 5/6, G = 1/30; day 124: 5 at risk, S = 2/3,
G = 1/30 + 1/20 = 1/12; median not reached; S(730.5) = 2/3 carried forward beyond follow-up.

Confirmed BOR: 001 PR (PR day 44 confirmed day 86), 002 SD, 003 SD (only the day-44 PR before the new
therapy), 004 SD, 005 NE, 007 SD, B-001 CR, B-002 PD -> ORR 2/8; unconfirmed (any CR/PR) 3/8.

Treatment-emergent AEs (N = 8): 001 esophagitis 3 (related) and 2 (related), anemia 2 (not related);
002 esophagitis 1 (related), pneumonitis 4 (not related); B-001 anemia 3 (related); 007 an uncoded
term grade 1 (not related); 005 an AE that started before C1D1 (not counted).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from dataclasses import replace

import pytest

from ecrf.oncology.stats import clopper_pearson
from tests.support import casebook as cb

C1D1 = dt.date(2025, 7, 1)
CUTOFF = "2026-10-31"
TARGETS = (cb.target("T01", "LIVER", "segment VI", "30.0"), cb.target("T02", "LUNG", "right lower lobe", "20.0"))
NOT_RELATED = {k: "NOT_RELATED" for k in ("PAC", "CARBO", "CAM", "RT")}


def day(n: int) -> dt.date:
    return C1D1 + dt.timedelta(days=n - 1)


def assessment(n, t1, t2, overall, target=None, new=()):
    return cb.recist_followup(day(n), targets={"T01": t1, "T02": t2}, non_targets={}, new_lesions=new,
                              target_response=target or overall, overall=overall)


SD, PR, CR = ("24.0", "16.0", "SD"), ("21.0", "14.0", "PR"), ("DISAPPEARED", "DISAPPEARED", "CR")


class Site:
    """Enters one site's subjects through the API."""

    def __init__(self, client, site: str, data_manager):
        self.client, self.site, self.dm = client, site, data_manager

    def subject(self, treated: bool = True) -> int:
        """Registered and enrolled (eligibility is not what this report tests: a data manager's override)."""
        sid = cb.enrol(self.client, "ESCC-LDRT", self.site, consent=dt.date(2025, 6, 20))["id"]
        override = self.dm.post(f"/subjects/{sid}/eligibility/override", json={"reason": "report test: eligibility "
                                                                                         "checked on paper"})
        assert override.status_code == 201, override.get_json()
        cb.change_status(self.client, sid, "enrolled", day(-3))
        if treated:
            cb.enter_record(self.client, sid, "CYCLE", "F_EX", cb.chemo_cycle(1, C1D1), complete=False)
            cb.enter_record(self.client, sid, "SCR", "F_RECIST_BL",
                            cb.recist_baseline(day(-5), targets=TARGETS, non_targets=()))
        return sid

    def assessments(self, sid: int, *visits) -> None:
        """Follow-ups at TA 1, 2, ... in order."""
        for repeat, data in enumerate(visits, start=1):
            cb.enter_record(self.client, sid, "TA", "F_RECIST", data, repeat=repeat)

    def alive(self, sid: int, n: int, therapy: int | None = None) -> None:
        cb.enter_record(self.client, sid, "FU", "F_FU",
                        cb.follow_up(day(n), therapy=day(therapy) if therapy else None))

    def death(self, sid: int, date) -> None:
        cb.enter_record(self.client, sid, "DEATH", "F_DD", cb.death(date))

    def ae(self, sid: int, decod: str, start: int, grade: int, related: bool = True) -> None:
        data = cb.adverse_event(term=decod, decod=decod, start=day(start), end=day(start + 10), grade=grade,
                                relation=None if related else NOT_RELATED)
        cb.enter_record(self.client, sid, "AELOG", "F_AE", data)


@pytest.fixture
def study(as_user):
    dm = as_user("dm")
    a, b = Site(as_user("coord_a"), "WCH", dm), Site(as_user("coord_b"), "LDRT-B", dm)
    s1 = a.subject()
    a.assessments(s1, assessment(44, *PR), assessment(86, "20.0", "14.0", "PR"),
                  assessment(128, "28.0", "14.0", "PD"))
    a.alive(s1, 400)
    a.ae(s1, "Esophagitis", 30, 3)
    a.ae(s1, "Esophagitis", 100, 2)
    a.ae(s1, "Anemia", 50, 2, related=False)
    s2 = a.subject()
    a.assessments(s2, assessment(44, *SD))
    a.ae(s2, "Esophagitis", 20, 1)
    a.ae(s2, "Pneumonitis", 60, 4, related=False)
    a.death(s2, day(92))
    s3 = a.subject()
    a.assessments(s3, assessment(44, *PR),
                  assessment(86, "21.0", "14.0", "PD", target="PR", new=[cb.new_lesion()]))
    a.alive(s3, 300, therapy=70)
    s4 = a.subject()
    a.assessments(s4, assessment(44, *SD))
    cb.change_status(a.client, s4, "withdrawn", day(60), "Consent withdrawn")
    s5 = a.subject()
    a.ae(s5, "Anemia", -3, 1)
    a.subject(treated=False)
    s7 = a.subject()
    a.assessments(s7, *[assessment(n, *SD) for n in (44, 86, 128)])
    cb.enter_record(a.client, s7, "TA_Y2", "F_RECIST", assessment(380, *SD))
    a.alive(s7, 450)
    a.ae(s7, "Strange feeling", 200, 1, related=False)
    b1 = b.subject()
    b.assessments(b1, assessment(44, *CR), assessment(86, *CR))
    cb.enter_record(b.client, b1, "TA_Y2", "F_RECIST", assessment(380, *CR))
    b.alive(b1, 420)
    b.ae(b1, "Anemia", 40, 3)
    b2 = b.subject()
    b.assessments(b2, assessment(44, "24.0", "16.0", "PD", target="SD", new=[cb.new_lesion()]))
    b.death(b2, "2025-11-UN")


def report(client, **params):
    query = "&".join(f"{k}={v}" for k, v in {"cutoff": CUTOFF, **params}.items())
    response = client.get(f"/studies/ESCC-LDRT/reports/endpoints?{query}")
    assert response.status_code == 200, response.get_json()
    return response.json


def test_per_subject_pfs_os_and_best_response_match_the_hand_checked_table(study, as_user):
    result = report(as_user("dm"))
    rows = {r["subject"]: r for r in result["subjects"]}
    table = {code: (r["pfs"]["time_days"], r["pfs"]["event"], r["pfs"]["rule"], r["os"]["time_days"],
                    r["os"]["event"], r["os"]["rule"], r["bor_confirmed"], r["bor_unconfirmed"])
             for code, r in rows.items() if r["analysed"]}
    assert table == {
        "WCH-001": (128, True, "EVENT_PD", 400, False, "CENSORED_LAST_KNOWN_ALIVE", "PR", "PR"),
        "WCH-002": (92, True, "EVENT_DEATH", 92, True, "EVENT_DEATH", "SD", "SD"),
        "WCH-003": (44, False, "CENSORED_NEW_THERAPY", 300, False, "CENSORED_LAST_KNOWN_ALIVE", "SD", "PR"),
        "WCH-004": (44, False, "CENSORED_LAST_ASSESSMENT", 44, False, "CENSORED_LAST_KNOWN_ALIVE", "SD", "SD"),
        "WCH-005": (1, False, "CENSORED_NO_ASSESSMENT", 1, False, "CENSORED_LAST_KNOWN_ALIVE", "NE", "NE"),
        "WCH-007": (380, False, "CENSORED_LAST_ASSESSMENT", 450, False, "CENSORED_LAST_KNOWN_ALIVE", "SD", "SD"),
        "LDRT-B-001": (380, False, "CENSORED_LAST_ASSESSMENT", 420, False, "CENSORED_LAST_KNOWN_ALIVE", "CR", "CR"),
        "LDRT-B-002": (44, True, "EVENT_PD", 124, True, "EVENT_DEATH", "PD", "PD"),
    }
    assert rows["WCH-006"]["analysed"] is False and rows["WCH-006"]["excluded_reason"].startswith("NO_C1D1")
    assert result["analysis_population"]["n"] == 8 and result["analysis_population"]["screened"] == 9
    assert rows["LDRT-B-002"]["death_date"] == "2025-11-01"
    assert any(n.startswith("DEATH_DATE_IMPUTED") for n in rows["LDRT-B-002"]["notes"])
    assert (rows["WCH-004"]["withdrawal_date"], rows["WCH-003"]["new_therapy_date"]) == (
        day(60).isoformat(), day(70).isoformat())
    assert rows["WCH-001"]["pfs"]["date"] == day(128).isoformat()
    assert "progression" in rows["WCH-001"]["pfs"]["rule_text"]
    assert set(result["rules"]["pfs"]) >= {"EVENT_PD", "EVENT_DEATH", "CENSORED_NEW_THERAPY"}
    assert (result["data_cutoff"], result["recist_engine_version"]) == (CUTOFF, "recist-1.1/1")
    # every investigator response in the seeded study agrees with the derived one: no RECIST query
    queries = as_user("dm").get("/queries?study=ESCC-LDRT&kind=automatic&per_page=500").json["items"]
    assert [q for q in queries if q["rule_version"] == "recist-1.1/1"] == []


def test_kaplan_meier_values_at_event_times(study, as_user):
    result = report(as_user("dm"))
    pfs = result["pfs"]
    steps = {s["time_days"]: s for s in pfs["steps"]}
    assert [(t, s["at_risk"], s["events"], s["censored"]) for t, s in steps.items()] == [
        (1, 8, 0, 1), (44, 7, 1, 2), (92, 4, 1, 0), (128, 3, 1, 0), (380, 2, 0, 2)]
    for t, survival, greenwood in ((44, 6 / 7, 1 / 42), (92, 9 / 14, 3 / 28), (128, 3 / 7, 23 / 84)):
        assert steps[t]["survival"] == pytest.approx(survival, abs=1e-12)
        assert steps[t]["std_err"] == pytest.approx(survival * math.sqrt(greenwood), abs=1e-12)
    assert (pfs["n"], pfs["events"], pfs["censored"], pfs["median"]["median"]) == (8, 3, 5, 128)
    rate = pfs["rate_1y"]
    assert (rate["estimate"], rate["at_risk"], rate["beyond_follow_up"]) == (pytest.approx(3 / 7), 2, False)
    se = 3 / 7 * math.sqrt(23 / 84)
    assert rate["std_err"] == pytest.approx(se, abs=1e-12)
    comparisons = {c["label"]: c for c in rate["comparisons"]}
    assert (comparisons["historical"]["p0"], comparisons["hypothesised"]["p0"]) == (0.34, 0.52)
    assert comparisons["historical"]["z"] == pytest.approx((3 / 7 - 0.34) / se, abs=1e-9)
    assert comparisons["hypothesised"]["difference"] == pytest.approx(3 / 7 - 0.52)
    assert "not a controlled comparison" in rate["note"]

    # the Greenwood log-log (exponential) CI against lifelines, the oracle
    from lifelines import KaplanMeierFitter

    fitter = KaplanMeierFitter().fit([128, 92, 44, 44, 1, 380, 380, 44], [1, 1, 0, 0, 0, 0, 0, 1])
    bounds = fitter.confidence_interval_
    for t in (44, 92, 128):
        assert steps[t]["ci_lower"] == pytest.approx(bounds.loc[t].iloc[0], abs=1e-9)
        assert steps[t]["ci_upper"] == pytest.approx(bounds.loc[t].iloc[1], abs=1e-9)

    os_ = result["os"]
    os_steps = {s["time_days"]: s for s in os_["steps"]}
    assert (os_steps[92]["at_risk"], os_steps[92]["survival"]) == (6, pytest.approx(5 / 6))
    assert (os_steps[124]["at_risk"], os_steps[124]["survival"]) == (5, pytest.approx(2 / 3))
    assert os_steps[124]["std_err"] == pytest.approx(2 / 3 * math.sqrt(1 / 12), abs=1e-12)
    assert os_["median"]["median_reached"] is False
    assert (os_["rate_24m"]["estimate"], os_["rate_24m"]["beyond_follow_up"]) == (pytest.approx(2 / 3), True)


def test_orr_and_the_ae_table(study, as_user):
    result = report(as_user("dm"))
    orr = result["orr"]["evaluable"]
    confirmed, unconfirmed = orr["confirmed"], orr["unconfirmed"]
    assert (confirmed["numerator"], confirmed["denominator"], sorted(confirmed["responder_ids"])) == (
        2, 8, ["LDRT-B-001", "WCH-001"])
    assert (confirmed["ci_lower"], confirmed["ci_upper"]) == pytest.approx(clopper_pearson(2, 8))
    assert (unconfirmed["numerator"], sorted(unconfirmed["responder_ids"])) == (
        3, ["LDRT-B-001", "WCH-001", "WCH-003"])
    assert (unconfirmed["ci_lower"], unconfirmed["ci_upper"]) == pytest.approx(clopper_pearson(3, 8))
    assert orr["best_response_counts"] == {"CR": 1, "PR": 1, "SD": 4, "NON_CR_NON_PD": 0, "PD": 1, "NE": 1}
    assert "Measurable disease" in orr["population_rule"] and "confirmed" in confirmed["numerator_rule"]

    ae = result["adverse_events"]
    assert (ae["n"], ae["not_counted"], ae["uncoded_terms"]) == (8, {"before_c1d1": 1}, ["Strange feeling"])
    rows = {(r["level"], r["soc"], r["term"]): (r["by_grade"], r["any_grade"], r["grade_3_plus"]) for r in ae["all"]}
    grades = lambda *g: {str(i): g[i - 1] for i in range(1, 6)}          # noqa: E731
    assert rows[("ANY", None, None)] == (grades(1, 0, 2, 1, 0), 4, 3)
    assert rows[("SOC", "Gastrointestinal disorders", None)] == (grades(1, 0, 1, 0, 0), 2, 1)
    assert rows[("TERM", "Gastrointestinal disorders", "Esophagitis")] == (grades(1, 0, 1, 0, 0), 2, 1)
    assert rows[("TERM", "Blood and lymphatic system disorders", "Anemia")] == (grades(0, 1, 1, 0, 0), 2, 1)
    assert rows[("TERM", "Respiratory, thoracic and mediastinal disorders", "Pneumonitis")] == (
        grades(0, 0, 0, 1, 0), 1, 1)
    assert [r["soc"] for r in ae["all"] if r["level"] == "SOC"] == [
        "Blood and lymphatic system disorders", "Gastrointestinal disorders",
        "Not coded (term not in the CTCAE v5.0 list)", "Respiratory, thoracic and mediastinal disorders"]
    assert ae["all"][0]["pct_any_grade"] == pytest.approx(50.0)
    related = {(r["level"], r["term"]): (r["by_grade"], r["any_grade"]) for r in ae["related"]}
    assert related[("ANY", None)] == (grades(1, 0, 2, 0, 0), 3)
    assert ("TERM", "Pneumonitis") not in related


def test_csv_and_site_scope(study, as_user):
    dm = as_user("dm")
    response = dm.get(f"/studies/ESCC-LDRT/reports/endpoints?cutoff={CUTOFF}&format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "endpoints_ESCC-LDRT_2026-10-31.csv" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 9
    first = next(r for r in rows if r["subject"] == "WCH-001")
    assert (first["pfs_days"], first["pfs_event"], first["pfs_rule"], first["os_days"], first["os_event"],
            first["bor_confirmed"], first["data_cutoff"]) == ("128", "1", "EVENT_PD", "400", "0", "PR", CUTOFF)
    by_accept = dm.get(f"/studies/ESCC-LDRT/reports/endpoints?cutoff={CUTOFF}", headers={"Accept": "text/csv"})
    assert by_accept.mimetype == "text/csv"

    site_b = report(as_user("coord_b"))
    assert [r["subject"] for r in site_b["subjects"]] == ["LDRT-B-001", "LDRT-B-002"]
    assert (site_b["sites"], site_b["pfs"]["n"], site_b["orr"]["evaluable"]["denominator"]) == (["LDRT-B"], 2, 2)
    site_a = report(as_user("monitor_a"))
    assert {r["site"] for r in site_a["subjects"]} == {"WCH"} and site_a["analysis_population"]["n"] == 6
    assert as_user("nobody").get("/studies/ESCC-LDRT/reports/endpoints").status_code == 404
    assert as_user("admin").get("/studies/ESCC-LDRT/reports/endpoints").status_code == 403


def test_the_cutoff_ignores_later_data(study, as_user):
    result = report(as_user("dm"), cutoff="2025-10-01")       # day 93
    rows = {r["subject"]: r for r in result["subjects"]}
    # the PD of day 128 lies after the cut-off: censored at the last adequate assessment before it
    assert (rows["WCH-001"]["pfs"]["time_days"], rows["WCH-001"]["pfs"]["rule"]) == (86, "CENSORED_CUTOFF")
    assert (rows["WCH-007"]["pfs"]["time_days"], rows["WCH-007"]["pfs"]["rule"]) == (86, "CENSORED_LAST_ASSESSMENT")
    assert rows["WCH-001"]["os"]["rule"] == "CENSORED_CUTOFF" and rows["WCH-001"]["os"]["time_days"] == 93
    assert rows["LDRT-B-002"]["os"]["rule"] == "CENSORED_CUTOFF"            # died on day 124
    assert rows["WCH-001"]["bor_confirmed"] == "PR"                          # confirmed on day 86
    assert result["orr"]["evaluable"]["confirmed"]["numerator"] == 2


def test_an_empty_study_gives_an_empty_report(as_user):
    result = report(as_user("dm"))
    assert (result["subjects"], result["pfs"], result["os"]) == ([], None, None)
    assert result["orr"]["evaluable"]["denominator"] == 0 and result["adverse_events"]["all"] is None
    assert as_user("dm").get("/studies/ESCC-LDRT/reports/endpoints?format=xml").status_code == 422


# ---------------------------------------------------------------- the per-subject rules, without the app

def source(**kw):
    from ecrf.oncology.reports.subjects import SubjectSource

    kw.setdefault("reference_date", C1D1)
    return SubjectSource(code="X-001", site="A", status="on_treatment", status_date=None, **kw)


def analyse(src, cutoff="2026-10-31"):
    from ecrf.oncology.reports.subjects import analyse as run

    return run(src, dt.date.fromisoformat(cutoff), 42, 28)


def test_a_partial_death_date_is_not_imputed_before_the_subject_was_last_seen_alive():
    out = analyse(source(death_dates=["2025-11-UN"], followups=[{"SSORRES": "ALIVE", "SSDAT": "2025-11-10",
                                                                 "LKADAT": "2025-11-10"}]))
    assert (out.data.death_date, out.os.time_days, out.os.rule) == (dt.date(2025, 11, 10), 133, "EVENT_DEATH")
    assert "DEATH_DATE_IMPUTED: partial date of death 2025-11-UN imputed as 2025-11-10" in out.notes


def test_a_partial_start_of_new_therapy_is_not_imputed_on_or_before_c1d1():
    out = analyse(source(followups=[{"STHYN": "Y", "STHSTDAT": "2025-07-UN", "SSORRES": "ALIVE",
                                     "SSDAT": "2025-12-01", "LKADAT": "2025-12-01"}]))
    assert out.data.new_anticancer_therapy_date == dt.date(2025, 7, 2)
    assert (out.pfs.rule, out.pfs.time_days) == ("CENSORED_NEW_THERAPY", 1)


def test_exclusions_are_named():
    assert analyse(source(reference_date=None)).excluded_reason.startswith("NO_C1D1")
    assert analyse(source(), cutoff="2025-06-30").excluded_reason.startswith("C1D1_AFTER_CUTOFF")
    inconsistent = analyse(source(death_dates=["2025-08-01"], visit_dates=[dt.date(2025, 9, 1)]))
    assert inconsistent.excluded_reason.startswith("INCONSISTENT_DATES") and inconsistent.pfs is None
    for status in ("screening", "screen_failed"):  # treated without being enrolled
        assert analyse(replace(source(), status=status)).excluded_reason.startswith("NOT_ENROLLED")
    assert analyse(replace(source(), status="withdrawn")).analysed


def test_an_ae_counts_when_its_partial_start_may_be_on_or_after_c1d1():
    from ecrf.oncology.reports.subjects import ae_exclusion

    ae = {"AEDECOD": "Anemia", "AETOXGR": 2}
    cutoff = dt.date(2026, 10, 31)
    assert ae_exclusion({**ae, "AESTDAT": "2025-07-UN"}, C1D1, cutoff) is None
    assert ae_exclusion({**ae, "AESTDAT": "2025-06-UN"}, C1D1, cutoff) == "before_c1d1"
    assert ae_exclusion({**ae, "AESTDAT": "2026-11-01"}, C1D1, cutoff) == "after_cutoff"
    assert ae_exclusion({"AESTDAT": "2025-08-01"}, C1D1, cutoff) == "no_term_or_grade"
