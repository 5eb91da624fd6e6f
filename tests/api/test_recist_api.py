"""RECIST 1.1 through the API: assessments entered by the site produce the derived responses at
GET /subjects/{id}/recist; findings and investigator disagreements become automatic queries that
close themselves when the data is corrected."""

from __future__ import annotations

import pytest

from tests.support import casebook as cb

C1D1 = "2026-01-19"
BASELINE_DAY = "2026-01-09"
TWO_TARGETS = (cb.target("T01", "LIVER", "segment VI", "30.0"), cb.target("T02", "LUNG", "right lower lobe", "20.0"))


def followup(date, targets, overall, target_response=None, **kw):
    return cb.recist_followup(date, targets=targets, non_targets={}, target_response=target_response or overall,
                              overall=overall, **kw)


@pytest.fixture
def coord(as_user):
    return as_user("coord_a")


@pytest.fixture
def subject(coord):
    """An ESCC-LDRT subject at site A: C1D1 2026-01-19, baseline 30 + 20 = 50 mm, no non-targets."""
    subject = cb.enrol(coord, "ESCC-LDRT", "WCH")
    cb.enter_record(coord, subject["id"], "CYCLE", "F_EX", cb.chemo_cycle(1, C1D1), complete=False)
    cb.enter_record(coord, subject["id"], "SCR", "F_RECIST_BL",
                    cb.recist_baseline(BASELINE_DAY, targets=TWO_TARGETS, non_targets=()))
    return subject


def recist(client, subject):
    response = client.get(f"/subjects/{subject['id']}/recist")
    assert response.status_code == 200, response.json
    return response.json


def recist_queries(client, subject, **filters):
    items = client.get(f"/queries?subject={subject['id']}&kind=automatic&per_page=500").json["items"]
    return [q for q in items if q["rule_version"] == "recist-1.1/1"
            and all(q[k] == v for k, v in filters.items())]


def test_assessments_produce_the_expected_responses(coord, subject, as_user):
    sid = subject["id"]
    # 21 + 14 = 35 mm: exactly -30 % from 50 -> PR
    cb.enter_record(coord, sid, "TA", "F_RECIST", followup("2026-03-03", {"T01": "21.0", "T02": "14.0"}, "PR"))
    # T01 not evaluated: NE (the measured 14 mm alone do not prove PD)
    cb.enter_record(coord, sid, "TA", "F_RECIST",
                    followup("2026-04-14", {"T01": "NOT_EVALUATED", "T02": "14.0"}, "NE"), repeat=2)
    # 28 + 14 = 42 mm: +20 % and +7 mm over the nadir of 35 -> PD
    cb.enter_record(coord, sid, "TA", "F_RECIST", followup("2026-05-26", {"T01": "28.0", "T02": "14.0"}, "PD"),
                    repeat=3)
    result = recist(coord, subject)
    assert (result["status"], result["engine_version"], result["stale"]) == ("evaluated", "recist-1.1/1", False)
    assert (result["reference_date"], result["reference_source"], result["sd_min_days"],
            result["confirm_min_days"]) == (C1D1, "c1d1", 42, 28)
    assert result["baseline"]["sum_mm"] == result["baseline_sum_mm"] == "50.0"
    assert (result["nadir_mm"], result["nadir_date"], result["first_pd_date"]) == ("35.0", "2026-03-03", "2026-05-26")
    assert result["bor_unconfirmed"] == {"response": "PR", "date": "2026-03-03"}
    # the PR is never confirmed (NE, then PD); day 43 after C1D1 meets the 42-day SD minimum
    assert result["bor_confirmed"] == {"response": "SD", "date": "2026-03-03", "confirmation_date": None}
    pr, ne, pd = result["assessments"]
    assert (pr["visit_key"], pr["visit_repeat"], pr["days_from_reference"]) == ("TA", 1, 43)
    assert (pr["sum_mm"], pr["nadir_mm"], pr["change_from_baseline"], pr["change_from_nadir"]) == (
        "35.0", "50.0", {"mm": "-15.0", "pct": "-30", "pct_display": "-30.0"},
        {"mm": "-15.0", "pct": "-30", "pct_display": "-30.0"})
    assert (pr["target_response"], pr["non_target_response"], pr["new_lesions"], pr["overall_response"]) == (
        "PR", "NA", "NO", "PR")
    assert (pr["investigator_response"], pr["agrees"]) == ("PR", True)
    assert (ne["sum_mm"], ne["measured_sum_mm"], ne["change_from_baseline"]["pct"]) == (None, "14.0", None)
    assert (ne["target_response"], ne["target_basis"], ne["overall_response"]) == ("NE", "NOT_ALL_EVALUATED", "NE")
    assert (pd["sum_mm"], pd["nadir_mm"], pd["change_from_nadir"], pd["change_from_baseline"]["pct"]) == (
        "42.0", "35.0", {"mm": "7.0", "pct": "20", "pct_display": "20.0"}, "-16")
    assert (pd["target_response"], pd["target_basis"], pd["overall_response"]) == ("PD", "PD_SUM", "PD")
    assert result["findings"] == [] and result["open_queries"] == []
    assert recist_queries(as_user("dm"), subject) == []


def test_derivations_are_stored_with_provenance_and_audited(coord, subject, as_user):
    cb.enter_record(coord, subject["id"], "TA", "F_RECIST",
                    followup("2026-03-03", {"T01": "21.0", "T02": "14.0"}, "PR"))
    result = recist(coord, subject)
    forms = [(r["form"], r["version"]) for r in result["inputs"]["records"]]
    assert forms == [("F_RECIST_BL", 2), ("F_RECIST", 2)]          # created, then completed
    assert result["inputs"]["reference_date"] == C1D1 and result["computed_at"]
    entries = as_user("dm").get(f"/audit?subject={subject['id']}&action=derivation.updated&limit=100").json["items"]
    kinds = {e["item_oid"] for e in entries}
    assert kinds == {"recist.subject", "recist.assessment"}
    assert all(e["username"] == "system" and e["details"]["engine"] == "recist-1.1/1" for e in entries)


def test_a_wrong_investigator_response_raises_a_query_that_closes_when_corrected(coord, subject, as_user):
    dm = as_user("dm")
    record = cb.enter_record(coord, subject["id"], "TA", "F_RECIST",
                             followup("2026-03-03", {"T01": "21.0", "T02": "14.0"}, "SD", target_response="PR"))
    [query] = recist_queries(dm, subject)
    assert (query["status"], query["rule_id"], query["item_oid"], query["value_at_raise"], query["raised_by"]) == (
        "open", "RECIST_RESPONSE_MISMATCH", "RSORRES", "SD", "system")
    assert "RECIST 1.1 derived from the lesion data gives PR" in query["text"]
    assessment = recist(coord, subject)["assessments"][0]
    assert (assessment["overall_response"], assessment["investigator_response"], assessment["agrees"]) == (
        "PR", "SD", False)
    assert recist(coord, subject)["open_queries"][0]["rule"] == "RECIST_RESPONSE_MISMATCH"

    # the site answers the query with the correction: the system closes it
    answered = coord.post(f"/queries/{query['id']}/responses", json={
        "text": "Re-read: partial response", "correction": {"data": {"RSORRES": "PR"}, "etag": record["etag"]}})
    assert answered.status_code == 200, answered.json
    closed = dm.get(f"/queries/{query['id']}").json
    assert closed["status"] == "closed" and closed["messages"][-1]["action"] == "auto_close"
    assert recist(coord, subject)["assessments"][0]["agrees"] is True

    # wrong again: the same query reopens
    current = coord.get(f"/records/{record['id']}")
    wrong = coord.patch(f"/records/{record['id']}", json={"data": {"RSORRES": "SD"}, "reason": "entered in error"},
                        headers={"If-Match": current.headers["ETag"]})
    assert wrong.status_code == 200
    reopened = dm.get(f"/queries/{query['id']}").json
    assert reopened["status"] == "open" and reopened["messages"][-1]["action"] == "auto_reopen"
    assert len(recist_queries(dm, subject)) == 1


def test_component_responses_are_compared_too(coord, subject, as_user):
    cb.enter_record(coord, subject["id"], "TA", "F_RECIST",
                    followup("2026-03-03", {"T01": "24.0", "T02": "16.0"}, "SD", target_response="PR"))
    [query] = recist_queries(as_user("dm"), subject)        # 40 mm is -20 %: SD; the overall SD agrees
    assert (query["rule_id"], query["item_oid"], query["value_at_raise"]) == (
        "RECIST_TARGET_RESPONSE_MISMATCH", "TRGRESP", "PR")


def test_findings_of_a_bad_baseline_become_queries_on_their_rows(coord, as_user):
    dm = as_user("dm")
    subject = cb.enrol(coord, "ESCC-LDRT", "WCH")
    targets = (cb.target("T01", "LIVER", "segment II", "30.0"), cb.target("T02", "LIVER", "segment IV", "25.0"),
               cb.target("T03", "LIVER", "segment VII", "22.0"),
               cb.target("T04", "LYMPH_NODE", "supraclavicular", "16.0", method="CLINICAL"))
    baseline = cb.enter_record(coord, subject["id"], "SCR", "F_RECIST_BL",
                               cb.recist_baseline(BASELINE_DAY, targets=targets, non_targets=()))
    queries = {q["rule_id"]: q for q in recist_queries(dm, subject)}
    assert set(queries) == {"TOO_MANY_TARGETS_IN_ORGAN", "NODE_METHOD"}
    organ, method = queries["TOO_MANY_TARGETS_IN_ORGAN"], queries["NODE_METHOD"]
    assert (organ["record_id"], organ["group_oid"], organ["group_row"], organ["item_oid"]) == (
        baseline["id"], "IG_TL", 3, "TRLNKID")
    assert (method["group_oid"], method["group_row"], method["item_oid"], method["value_at_raise"]) == (
        "IG_TL", 4, "TRMETHOD", "CLINICAL")
    result = recist(coord, subject)
    assert result["status"] == "not_evaluated" and result["bor_confirmed"] is None
    assert [(f["code"], f["lesion_id"], f["row"]) for f in result["findings"]] == [
        ("NODE_METHOD", "T04", 4), ("TOO_MANY_TARGETS_IN_ORGAN", "T03", 3)]
    # the site moves T03 to the non-target list and measures the node on CT: both queries close
    rows = cb.rows_of(baseline["data"], "IG_TL")
    fixed = {"IG_TL": [rows[0], rows[1], {**rows[3], "TRMETHOD": "CT"}], "TRSUM": "71.0",
             "IG_NTL": [cb.non_target("NT01", "LIVER", "segment VII")]}
    response = coord.patch(f"/records/{baseline['id']}", json={"data": fixed, "reason": "RECIST selection rules"},
                           headers={"If-Match": baseline["etag"]})
    assert response.status_code == 200, response.json
    assert {q["status"] for q in (dm.get(f"/queries/{q['id']}").json for q in queries.values())} == {"closed"}
    result = recist(coord, subject)
    assert (result["status"], result["baseline_sum_mm"], result["findings"]) == ("evaluated", "71.0", [])
    assert result["reference_source"] == "baseline_assessment"     # no C1D1 yet


def test_followup_findings_point_at_the_lesion_or_the_record(coord, subject, as_user):
    data = followup("2026-03-03", {"T01": "21.0", "T03": "9.0"}, "PR")     # T02 left out, T03 unknown
    record = cb.enter_record(coord, subject["id"], "TA", "F_RECIST", data)
    found = {q["rule_id"]: q for q in recist_queries(as_user("dm"), subject)}
    assert set(found) == {"MISSING_TARGET", "UNKNOWN_TARGET"}
    assert (found["MISSING_TARGET"]["record_id"], found["MISSING_TARGET"]["item_oid"],
            found["MISSING_TARGET"]["value_at_raise"]) == (record["id"], None, "T02")
    assert (found["UNKNOWN_TARGET"]["group_oid"], found["UNKNOWN_TARGET"]["group_row"]) == ("IG_TL", 2)
    assessment = recist(coord, subject)["assessments"][0]
    assert (assessment["evaluated"], assessment["overall_response"]) == (False, None)


def test_drafts_are_not_evaluated(coord, subject):
    cb.enter_record(coord, subject["id"], "TA", "F_RECIST",
                    followup("2026-03-03", {"T01": "21.0", "T02": "14.0"}, "SD"), complete=False)
    result = recist(coord, subject)
    assert result["assessments"] == [] and result["status"] == "evaluated" and result["open_queries"] == []


def test_a_new_c1d1_recomputes_the_minimum_duration_for_sd(coord, subject):
    sid = subject["id"]
    cb.enter_record(coord, sid, "TA", "F_RECIST", followup("2026-03-03", {"T01": "24.0", "T02": "16.0"}, "SD"))
    assert recist(coord, subject)["bor_confirmed"]["response"] == "SD"       # day 43
    ex = coord.get(f"/records/{c1d1_record_id(coord, sid)}")
    moved = coord.patch(f"/records/{ex.json['id']}", json={"data": {"CYCDAT": "2026-01-25"}},
                        headers={"If-Match": ex.headers["ETag"]})
    assert moved.status_code == 200, moved.json
    result = recist(coord, subject)
    assert result["reference_date"] == "2026-01-25"
    assert result["assessments"][0]["days_from_reference"] == 37
    assert result["bor_confirmed"]["response"] == "NE"                        # SD before day 42 does not count


def c1d1_record_id(client, subject_id):
    visits = client.get(f"/subjects/{subject_id}/visits").json["items"]
    cycle = next(v for v in visits if v["key"] == "CYCLE" and v["repeat"] == 1)
    return next(f for f in cycle["forms"] if f["form"] == "F_EX")["records"][0]["id"]


@pytest.mark.parametrize("username, status", [("coord_b", 404), ("inv_b", 404), ("nobody", 404), ("admin", 404),
                                              ("monitor_a", 200), ("inv_a", 200), ("dm", 200)])
def test_recist_results_follow_site_scope(as_user, subject, username, status):
    assert as_user(username).get(f"/subjects/{subject['id']}/recist").status_code == status


def test_a_subject_without_assessments_has_no_data(coord):
    subject = cb.enrol(coord, "ESCC-N3", "RJH")
    result = recist(coord, subject)
    assert (result["status"], result["assessments"], result["computed_at"]) == ("no_data", [], None)


def test_followups_without_a_complete_baseline_are_queried_until_it_is_complete(coord, as_user):
    subject = cb.enrol(coord, "ESCC-LDRT", "WCH")
    baseline = cb.enter_record(coord, subject["id"], "SCR", "F_RECIST_BL",
                               cb.recist_baseline(BASELINE_DAY, targets=TWO_TARGETS, non_targets=()), complete=False)
    cb.enter_record(coord, subject["id"], "TA", "F_RECIST",
                    followup("2026-03-03", {"T01": "21.0", "T02": "14.0"}, "PR"))
    [query] = recist_queries(as_user("dm"), subject)
    assert (query["rule_id"], query["item_oid"], query["status"]) == ("NO_BASELINE", "TRDAT", "open")
    assert recist(coord, subject)["status"] == "no_baseline"
    done = coord.post(f"/records/{baseline['id']}/complete", json={}, headers={"If-Match": baseline["etag"]})
    assert done.status_code == 200, done.json
    assert as_user("dm").get(f"/queries/{query['id']}").json["status"] == "closed"
    result = recist(coord, subject)
    assert (result["status"], result["assessments"][0]["overall_response"]) == ("evaluated", "PR")
