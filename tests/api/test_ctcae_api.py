"""CTCAE v5.0 on adverse event records and lab-derived grades against recorded AE grades."""

from __future__ import annotations

from tests.support.screening import enter, labs, screen_n3_subject


def adverse_event(term="Neutrophil count decreased", grade=2, start="2026-02-01", ongoing="Y", **extra) -> dict:
    data = {"AETERM": term.lower(), "AEDECOD": term, "AESTDAT": start, "AEONGO": ongoing, "AETOXGR": grade,
            "AEIRAE": "N", "AESER": "N", "AEOUT": "NOT_RECOVERED" if ongoing == "Y" else "RECOVERED"}
    for drug in ("PAC", "CARBO", "CAM", "RT"):
        data[f"AEREL_{drug}"] = "POSSIBLE"
        data[f"AEACN_{drug}"] = "DOSE_NOT_CHANGED"
    data.update(extra)
    return data


def new_ae(client, subject_id, data):
    return client.post(f"/subjects/{subject_id}/visits/AELOG/forms/F_AE", json={"data": data})


def complete(client, created):
    return client.post(f"/records/{created.json['id']}/complete", json={}, headers={"If-Match": created.headers["ETag"]})


def test_a_grade_the_term_does_not_have_is_refused(coord_a):
    subject, _ = screen_n3_subject(coord_a)
    created = new_ae(coord_a, subject["id"], adverse_event("Fatigue", 4))
    assert created.status_code == 201  # a draft keeps it, flagged
    assert any(w["rule"] == "CTCAE_GRADE_NOT_DEFINED" for w in created.json["warnings"])
    refused = complete(coord_a, created)
    assert refused.status_code == 422
    assert "CTCAE v5.0 defines grades 1, 2, 3 for Fatigue" in refused.json["errors"]["AETOXGR"][0]
    fixed = coord_a.patch(f"/records/{created.json['id']}", json={"data": {"AETOXGR": 3}},
                          headers={"If-Match": created.headers["ETag"]})
    assert complete(coord_a, fixed).status_code == 200


def test_grade_5_needs_the_death_record(coord_a):
    subject, _ = screen_n3_subject(coord_a)
    fatal = adverse_event("Pneumonitis", 5, ongoing="N", AEENDAT="2026-03-01", AEOUT="FATAL", AESER="Y",
                          AESDTH="Y", AESLIFE="N", AESHOSP="Y", AESDISAB="N", AESCONG="N", AESMIE="N")
    created = new_ae(coord_a, subject["id"], fatal)
    refused = complete(coord_a, created)
    assert refused.status_code == 422
    assert any("death record" in m for m in refused.json["errors"]["AETOXGR"])
    enter(coord_a, subject["id"], "F_DD", {"DTHDAT": "2026-03-01", "DDORRES": "ADVERSE_EVENT",
                                           "DDAETERM": "Pneumonitis", "AUTOPSYN": "N"}, visit="DEATH")
    etag = coord_a.get(f"/records/{created.json['id']}").headers["ETag"]
    done = coord_a.post(f"/records/{created.json['id']}/complete", json={}, headers={"If-Match": etag})
    assert done.status_code == 200, done.json


def test_an_unknown_term_is_queried_not_refused(coord_a, as_user):
    subject, _ = screen_n3_subject(coord_a)
    created = new_ae(coord_a, subject["id"], adverse_event("Tiredness", 1))
    assert complete(coord_a, created).status_code == 200
    queries = as_user("dm").get(f"/queries?subject={subject['id']}&kind=automatic&item=AEDECOD").json["items"]
    assert [q["rule_id"] for q in queries] == ["CTCAE_UNKNOWN_TERM"] and queries[0]["rule_version"] == "F_AE v1"


def test_lab_grade_above_the_ae_grade_raises_a_query_that_closes_when_the_grade_is_corrected(coord_a, as_user):
    subject, _ = screen_n3_subject(coord_a)
    dm = as_user("dm")
    ae = new_ae(coord_a, subject["id"], adverse_event("Neutrophil count decreased", 2, start="2026-02-01"))
    ae = complete(coord_a, ae).json
    assert coord_a.patch(f"/subjects/{subject['id']}/visits/CYCLE?repeat=1", json={"visit_date": "2026-02-09"}
                         ).status_code == 200
    lab = enter(coord_a, subject["id"], "F_LB", labs("2026-02-09", anc="0.8"), visit="CYCLE")
    grades = dm.get(f"/audit?record={lab['id']}&action=derivation.updated").json["items"][0]["new_value"]
    assert grades["grades"]["Neutrophil count decreased"]["grade"] == 3  # 0.8 x10^9/L: <1.0-0.5 is grade 3
    assert grades["grades"]["Anemia"]["grade"] == 0
    queries = dm.get(f"/queries?subject={subject['id']}&kind=automatic&item=AETOXGR").json["items"]
    assert len(queries) == 1
    query = queries[0]
    assert (query["rule_id"], query["rule_version"], query["record_id"], query["status"]) == (
        "CTCAE_LAB_GRADE_ABOVE_AE", "ctcae-v5.0/1", ae["id"], "open")
    assert "lab-derived grade 3 on 2026-02-09 is above the recorded AE grade 2" in query["text"]
    etag = coord_a.get(f"/records/{ae['id']}").headers["ETag"]
    coord_a.patch(f"/records/{ae['id']}", json={"data": {"AETOXGR": 3}, "reason": "regraded from lab"},
                  headers={"If-Match": etag})
    assert dm.get(f"/queries/{query['id']}").json["status"] == "closed"


def test_lab_outside_the_ae_period_raises_nothing(coord_a, as_user):
    subject, _ = screen_n3_subject(coord_a)
    ae = complete(coord_a, new_ae(coord_a, subject["id"], adverse_event(
        "Neutrophil count decreased", 1, start="2026-02-01", ongoing="N", AEENDAT="2026-02-05"))).json
    coord_a.patch(f"/subjects/{subject['id']}/visits/CYCLE?repeat=1", json={"visit_date": "2026-02-09"})
    enter(coord_a, subject["id"], "F_LB", labs("2026-02-09", anc="0.8"), visit="CYCLE")
    assert as_user("dm").get(f"/queries?subject={subject['id']}&kind=automatic&item=AETOXGR").json["total"] == 0
    assert as_user("dm").get(f"/queries?subject={subject['id']}&recrod={ae['id']}").status_code == 422


def _lab_grades(dm, record_id):
    return dm.get(f"/audit?record={record_id}&action=derivation.updated").json["items"][0]["new_value"]["grades"]


def _cycle_lab(client, subject_id, repeat, day, **values):
    assert client.patch(f"/subjects/{subject_id}/visits/CYCLE?repeat={repeat}", json={"visit_date": day}
                        ).status_code == 200
    created = client.post(f"/subjects/{subject_id}/visits/CYCLE/forms/F_LB?repeat={repeat}",
                          json={"data": labs(day, **values)})
    assert created.status_code == 201, created.json
    return created


def test_an_abnormal_baseline_grades_later_labs_and_its_correction_regrades_them(coord_a, as_user):
    subject, records = screen_n3_subject(coord_a, alt="100")  # ULN 50: the baseline is abnormal
    dm = as_user("dm")
    later = _cycle_lab(coord_a, subject["id"], 1, "2026-02-09", alt="160").json
    alt = _lab_grades(dm, later["id"])["Alanine aminotransferase increased"]
    assert (alt["grade"], alt["basis"]) == (1, "baseline")  # 1.6 x baseline
    baseline = records["F_LB"]
    etag = coord_a.get(f"/records/{baseline['id']}").headers["ETag"]
    corrected = coord_a.patch(f"/records/{baseline['id']}", json={"data": {"LBALT": "22"}, "reason": "transcription"},
                              headers={"If-Match": etag})
    assert corrected.status_code == 200, corrected.json
    alt = _lab_grades(dm, later["id"])["Alanine aminotransferase increased"]
    assert (alt["grade"], alt["basis"]) == (2, "ULN")  # 3.2 x ULN once the baseline is normal


def test_a_later_lab_change_regrades_that_record_alone_and_completing_it_none(coord_a, monkeypatch):
    from ecrf.oncology import lab_grading

    subject, _ = screen_n3_subject(coord_a)
    first = _cycle_lab(coord_a, subject["id"], 1, "2026-02-09")
    _cycle_lab(coord_a, subject["id"], 2, "2026-03-02")
    graded = []
    real = lab_grading.grade_record
    monkeypatch.setattr(lab_grading, "grade_record", lambda form, data, baseline: graded.append(data["LBDAT"])
                        or real(form, data, baseline))
    changed = coord_a.patch(f"/records/{first.json['id']}", json={"data": {"LBANC": "0.9"}},
                            headers={"If-Match": first.headers["ETag"]})
    assert changed.status_code == 200, changed.json
    assert graded == ["2026-02-09"]
    done = coord_a.post(f"/records/{first.json['id']}/complete", json={}, headers={"If-Match": changed.headers["ETag"]})
    assert done.status_code == 200, done.json
    assert graded == ["2026-02-09"]  # completing changed no value: nothing to re-grade
