"""Treatment checks through the API: BSA and doses, q3w cycle windows, the radiotherapy plan."""

from __future__ import annotations

import pytest

from tests.support.treatment import cycle


@pytest.fixture
def subject(coord_a):
    return coord_a.post("/studies/ESCC-LDRT/subjects", json={"site": "WCH", "consent_date": "2026-01-05"}).json


def post(client, subject, visit, repeat, form, data):
    response = client.post(f"/subjects/{subject['id']}/visits/{visit}/forms/{form}?repeat={repeat}", json={"data": data})
    assert response.status_code == 201, response.json
    return response


def treatment_queries(client, subject):
    items = client.get(f"/queries?subject={subject['id']}&kind=automatic&per_page=100").json["items"]
    return {(q["rule_id"], q["item_oid"], q["status"]) for q in items
            if q["rule_version"] == "treatment/1"}


def findings(client, subject):
    entries = client.get(f"/audit?subject={subject['id']}&action=finding.raised&limit=200").json["items"]
    return {e["details"]["code"] for e in entries}


def test_protocol_doses_on_time_raise_nothing(coord_a, as_user, subject):
    post(coord_a, subject, "CYCLE", 1, "F_EX", cycle(1, "2026-01-19"))
    post(coord_a, subject, "CYCLE", 2, "F_EX", cycle(2, "2026-02-09"))
    dm = as_user("dm")
    assert treatment_queries(dm, subject) == set()
    assert findings(dm, subject) == set()


def test_overdose_and_wrong_bsa_become_findings_and_queries(coord_a, as_user, subject):
    created = post(coord_a, subject, "CYCLE", 1, "F_EX", cycle(1, "2026-01-19", paclitaxel_mg="300", bsa="2.10"))
    dm = as_user("dm")
    assert treatment_queries(dm, subject) == {("DOSE_DEVIATION", "EXDOSE", "open"), ("BSA_MISMATCH", "BSA", "open")}
    assert findings(dm, subject) == {"DOSE_DEVIATION", "BSA_MISMATCH"}
    dose_query = next(q for q in dm.get(f"/queries?subject={subject['id']}&item=EXDOSE&kind=automatic").json["items"]
                      if q["rule_id"] == "DOSE_DEVIATION")
    assert (dose_query["group_oid"], dose_query["group_row"]) == ("IG_EX", 1)
    record = created.json
    fixed = coord_a.patch(f"/records/{record['id']}", json={"data": {"BSA": "1.82", "IG_EX": [
        {"_row": 1, "EXDOSE": "245"}, {"_row": 2}, {"_row": 3}]}}, headers={"If-Match": created.headers["ETag"]})
    assert fixed.status_code == 200, fixed.json
    assert treatment_queries(dm, subject) == {("DOSE_DEVIATION", "EXDOSE", "closed"), ("BSA_MISMATCH", "BSA", "closed")}
    resolved = {e["details"]["code"] for e in dm.get(f"/audit?subject={subject['id']}&action=finding.resolved").json["items"]}
    assert resolved == {"DOSE_DEVIATION", "BSA_MISMATCH"}


def test_a_late_cycle_without_a_reason_is_a_deviation(coord_a, as_user, subject):
    post(coord_a, subject, "CYCLE", 1, "F_EX", cycle(1, "2026-01-19"))
    late = post(coord_a, subject, "CYCLE", 2, "F_EX", cycle(2, "2026-02-16"))  # day 28: window is +3
    dm = as_user("dm")
    assert ("CYCLE_DELAY_NO_REASON", "CYCDAT", "open") in treatment_queries(dm, subject) | {
        (q["rule_id"], q["item_oid"], q["status"]) for q in
        dm.get(f"/queries?subject={subject['id']}&item=CYCDAT").json["items"]}
    explained = coord_a.patch(f"/records/{late.json['id']}", json={"data": {
        "CYCDLY": "Y", "CYCDLYD": 7, "CYCDLYR": "AE"}}, headers={"If-Match": late.headers["ETag"]})
    assert explained.status_code == 200, explained.json
    codes = {(q["rule_id"], q["status"]) for q in dm.get(f"/queries?subject={subject['id']}&item=CYCDAT").json["items"]}
    assert ("CYCLE_DELAY_NO_REASON", "closed") in codes and ("CYCLE_DELAY", "open") in codes


def test_radiotherapy_off_plan_and_late_after_c2d1(coord_a, as_user, subject):
    """The RT visit window is C2D1 -0/+3 days; a start 5 days after C2D1 is a deviation."""
    post(coord_a, subject, "CYCLE", 1, "F_EX", cycle(1, "2026-01-19"))
    post(coord_a, subject, "CYCLE", 2, "F_EX", cycle(2, "2026-02-09"))
    rt = {"RTSTDAT": "2026-02-14", "RTENDAT": "2026-03-19", "RTTECH": "IMRT", "RTPLDOS": "45.0", "RTPLFX": 25,
          "RTPLDPF": "1.8", "RTFX": 24, "RTDPF": "1.8", "RTDOSE": "43.2", "RTINTYN": "N", "RTCOMPL": "N",
          "RTNCREAS": "AE"}
    post(coord_a, subject, "RT", 1, "F_RT", rt)
    dm = as_user("dm")
    codes = {rule for rule, _item, _status in treatment_queries(dm, subject)}
    assert {"RT_START_WINDOW", "RT_FRACTIONS_PLAN", "RT_TOTAL_PLAN"} <= codes
    assert "RT_TOTAL_INCONSISTENT" not in codes  # 24 x 1.8 = 43.2 exactly
