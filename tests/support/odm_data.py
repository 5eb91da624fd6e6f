"""Case books of both trials for the export tests, entered through the API, with history on top:
a correction with a reason, a manual query on an item and an investigator's signature."""

from __future__ import annotations

from dataclasses import dataclass

from tests.support.casebook import Walk, walk_subject
from tests.support.seed import PASSWORD, SITE_A

STUDIES = ("ESCC-N3", "ESCC-LDRT")


@dataclass
class Casebook:
    study_oid: str
    walk: Walk
    corrected_record: int
    query_id: int
    signed_record: int


def build_casebook(as_user, study_oid: str) -> Casebook:
    coord, inv, monitor = as_user("coord_a"), as_user("inv_a"), as_user("monitor_a")
    walk = walk_subject(coord, study_oid, SITE_A[study_oid], investigator=inv)
    ecog = walk.record("SCR", "F_ECOG")
    changed = coord.patch(f"/records/{ecog['id']}", json={"data": {"ECOG": 0, "KPS": 90},
                                                           "reason": "Transcription error: source says ECOG 0"},
                          headers={"If-Match": ecog["etag"]})
    assert changed.status_code == 200, changed.get_json()
    query = monitor.post("/queries", json={"record_id": ecog["id"], "item": "KPS",
                                           "text": "Please confirm KPS 90 against the clinic note"})
    assert query.status_code == 201, query.get_json()
    answered = coord.post(f"/queries/{query.get_json()['id']}/responses", json={"text": "Confirmed in the note"})
    assert answered.status_code == 200, answered.get_json()
    tnm = walk.record("SCR", "F_TNM")
    signed = inv.post(f"/records/{tnm['id']}/sign", json={"username": "inv_a", "password": PASSWORD,
                                                          "meaning": "approval"},
                     headers={"If-Match": tnm["etag"]})
    assert signed.status_code in (200, 201), signed.get_json()
    return Casebook(study_oid, walk, ecog["id"], query.get_json()["id"], tnm["id"])


def export(client, study_oid: str, query: str = "", path: str = "odm"):
    response = client.get(f"/studies/{study_oid}/export/{path}{'?' + query if query else ''}")
    assert response.status_code == 200, response.get_data()[:500]
    return response.get_data()
