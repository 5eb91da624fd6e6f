"""Queries: the state machine per role, automatic queries, scoping, correction in a response, metrics."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from ecrf.db import utcnow
from ecrf.queries.models import Query


@pytest.fixture
def ecog(coord_a):
    """A subject at site A (ESCC-N3) with a complete ECOG record."""
    subject = coord_a.post("/studies/ESCC-N3/subjects", json={"site": "RJH", "consent_date": "2026-01-05"}).json
    created = coord_a.post(f"/subjects/{subject['id']}/visits/SCR/forms/F_ECOG",
                           json={"data": {"ECOGDAT": "2026-01-06", "ECOG": 1, "KPS": 80}})
    done = coord_a.post(f"/records/{created.json['id']}/complete", json={}, headers={"If-Match": created.headers["ETag"]})
    assert done.status_code == 200
    return {"subject": subject, "record": done.json, "etag": done.headers["ETag"]}


def raise_on_item(client, ecog, text="Please verify the ECOG score against the source"):
    return client.post("/queries", json={"record_id": ecog["record"]["id"], "item": "ECOG", "text": text})


def test_manual_query_on_an_item_keeps_the_value_and_threads_the_conversation(as_user, ecog):
    monitor, coord = as_user("monitor_a"), as_user("coord_a")
    raised = raise_on_item(monitor, ecog)
    assert raised.status_code == 201, raised.json
    query = raised.json
    assert (query["status"], query["kind"], query["value_at_raise"], query["raised_by"]) == ("open", "manual", 1, "monitor_a")
    answered = coord.post(f"/queries/{query['id']}/responses", json={"text": "Checked: ECOG 1 is right"})
    assert answered.json["status"] == "answered"
    requeried = monitor.post(f"/queries/{query['id']}/reopen", json={"text": "Source says 2 on that date"})
    assert requeried.json["status"] == "open"
    coord.post(f"/queries/{query['id']}/responses", json={"text": "Corrected", "correction": {
        "data": {"ECOG": 2, "KPS": 60}, "etag": ecog["etag"]}})
    closed = monitor.post(f"/queries/{query['id']}/close", json={"text": "Thanks"})
    assert closed.json["status"] == "closed"
    thread = [(m["action"], m["author"], m["status_after"]) for m in closed.json["messages"]]
    assert thread == [("raise", "Mo Monitor", "open"), ("respond", "Chen Coordinator", "answered"),
                      ("reopen", "Mo Monitor", "open"), ("respond", "Chen Coordinator", "answered"),
                      ("close", "Mo Monitor", "closed")]
    assert closed.json["messages"][3]["correction"]["data"] == {"ECOG": 2, "KPS": 60}
    record = coord.get(f"/records/{ecog['record']['id']}").json
    assert record["data"]["ECOG"] == 2 and record["open_queries"] == 0
    change = as_user("dm").get(f"/audit?record={record['id']}&item=ECOG&action=item.changed").json["items"][0]
    assert change["reason"] == "Corrected" and (change["old_value"], change["new_value"]) == (1, 2)
    actions = [e["action"] for e in as_user("dm").get(f"/audit?subject={ecog['subject']['id']}&order=oldest&limit=500").json["items"]]
    for action in ("query.raised", "query.answered", "query.reopened", "query.closed"):
        assert action in actions


# (from status, action, role) -> expected HTTP status. Every cell not allowed is refused.
ROLES = ["coord_a", "inv_a", "monitor_a", "dm"]
ACTIONS = ["responses", "close", "reopen", "cancel"]
ALLOWED = {
    ("open", "responses"): {"coord_a", "inv_a"},
    ("answered", "close"): {"monitor_a", "dm"},
    ("answered", "reopen"): {"monitor_a", "dm"},
    ("closed", "reopen"): {"monitor_a", "dm"},
    ("open", "cancel"): {"raiser"},
    ("answered", "cancel"): {"raiser"},
}
SITE_ACTIONS = {"responses"}
OVERSIGHT_ACTIONS = {"close", "reopen"}


def _bring_to(as_user, query_id: int, status: str) -> None:
    monitor, coord = as_user("monitor_a"), as_user("coord_a")
    if status in ("answered", "closed", "cancelled_from_answered"):
        assert coord.post(f"/queries/{query_id}/responses", json={"text": "answer"}).status_code == 200
    if status == "closed":
        assert monitor.post(f"/queries/{query_id}/close", json={}).status_code == 200
    if status == "cancelled":
        assert monitor.post(f"/queries/{query_id}/cancel", json={}).status_code == 200


@pytest.mark.parametrize("status", ["open", "answered", "closed", "cancelled"])
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("username", ROLES)
def test_every_transition_per_role(as_user, ecog, status, action, username):
    query_id = raise_on_item(as_user("monitor_a"), ecog).json["id"]  # raised by monitor_a
    _bring_to(as_user, query_id, status)
    response = as_user(username).post(f"/queries/{query_id}/{action}", json={"text": "because"})
    allowed = ALLOWED.get((status, action), set())
    permitted = username in allowed or ("raiser" in allowed and username == "monitor_a")
    if permitted:
        assert response.status_code == 200, response.json
        return
    if (status, action) not in ALLOWED:
        # a transition the state machine does not have: 409 when the role may act at all, else 403
        role_may = (action in SITE_ACTIONS and username in ("coord_a", "inv_a")) or \
                   (action in OVERSIGHT_ACTIONS and username in ("monitor_a", "dm")) or \
                   (action == "cancel" and username == "monitor_a")
        assert response.status_code == (409 if role_may else 403), (response.status_code, response.json)
    else:
        assert response.status_code == 403, response.json
    assert as_user("dm").get(f"/queries/{query_id}").json["status"] == status


def test_site_users_cannot_raise_and_reopen_needs_a_reason(as_user, ecog):
    assert raise_on_item(as_user("coord_a"), ecog).status_code == 403
    assert raise_on_item(as_user("inv_a"), ecog).status_code == 403
    query_id = raise_on_item(as_user("dm"), ecog).json["id"]
    _bring_to(as_user, query_id, "closed")
    refused = as_user("dm").post(f"/queries/{query_id}/reopen", json={})
    assert refused.status_code == 422 and "reason" in refused.json["errors"]


def test_query_on_a_record_and_on_a_visit(as_user, ecog):
    dm = as_user("dm")
    on_record = dm.post("/queries", json={"record_id": ecog["record"]["id"], "text": "Source document missing"})
    assert on_record.status_code == 201 and on_record.json["item_oid"] is None
    on_visit = dm.post("/queries", json={"subject_id": ecog["subject"]["id"], "visit_key": "SCR",
                                         "text": "Screening visit date not entered", "assignee": "coord_a",
                                         "due_date": "2026-12-31"})
    assert on_visit.status_code == 201
    assert (on_visit.json["visit_key"], on_visit.json["record_id"], on_visit.json["assignee"]) == ("SCR", None, "coord_a")
    bad_item = dm.post("/queries", json={"record_id": ecog["record"]["id"], "item": "NOPE", "text": "x"})
    assert bad_item.status_code == 422
    outsider = dm.post("/queries", json={"record_id": ecog["record"]["id"], "text": "x", "assignee": "coord_b"})
    assert outsider.status_code == 422 and "assignee" in outsider.json["errors"]
    assert dm.get(f"/subjects/{ecog['subject']['id']}").json["open_queries"] == 2


def test_automatic_query_lifecycle(as_user, ecog):
    coord, dm = as_user("coord_a"), as_user("dm")
    record_id, etag = ecog["record"]["id"], ecog["etag"]
    bad = coord.patch(f"/records/{record_id}", json={"data": {"KPS": 40}, "reason": "re-assessed"},
                      headers={"If-Match": etag})
    assert bad.status_code == 200
    assert [w["rule"] for w in bad.json["warnings"]] == ["PS_ECOG_KPS_CONSISTENT"]
    autos = dm.get(f"/queries?subject={ecog['subject']['id']}&kind=automatic").json["items"]
    assert len(autos) == 1
    auto = autos[0]
    assert (auto["status"], auto["rule_id"], auto["rule_version"], auto["value_at_raise"], auto["raised_by"]) == \
        ("open", "PS_ECOG_KPS_CONSISTENT", "F_ECOG v1", 40, "system")
    assert "value 40" in auto["text"]
    again = coord.patch(f"/records/{record_id}", json={"data": {"ECOGDAT": "2026-01-07"}, "reason": "date typo"},
                        headers={"If-Match": bad.headers["ETag"]})
    assert len(dm.get(f"/queries?subject={ecog['subject']['id']}&kind=automatic").json["items"]) == 1
    fixed = coord.patch(f"/records/{record_id}", json={"data": {"KPS": 80}, "reason": "corrected"},
                        headers={"If-Match": again.headers["ETag"]})
    assert fixed.json["warnings"] == [] and fixed.json["open_queries"] == 0
    closed = dm.get(f"/queries/{auto['id']}").json
    assert closed["status"] == "closed" and closed["messages"][-1]["action"] == "auto_close"
    relapse = coord.patch(f"/records/{record_id}", json={"data": {"KPS": 30}, "reason": "re-assessed again"},
                          headers={"If-Match": fixed.headers["ETag"]})
    reopened = dm.get(f"/queries/{auto['id']}").json
    assert reopened["status"] == "open" and reopened["messages"][-1]["action"] == "auto_reopen"
    assert len(dm.get(f"/queries?subject={ecog['subject']['id']}&kind=automatic").json["items"]) == 1
    assert relapse.json["open_queries"] == 1
    system = [e for e in dm.get(f"/audit?record={record_id}&order=oldest&limit=200").json["items"]
              if e["action"] in ("query.raised", "query.auto_closed", "query.auto_reopened")]
    assert [(e["action"], e["username"], e["user_role"]) for e in system] == [
        ("query.raised", "system", "system"), ("query.auto_closed", "system", "system"),
        ("query.auto_reopened", "system", "system")]


def test_the_system_alone_cancels_nothing_of_its_own(as_user, ecog):
    coord, dm = as_user("coord_a"), as_user("dm")
    coord.patch(f"/records/{ecog['record']['id']}", json={"data": {"KPS": 40}, "reason": "x"},
                headers={"If-Match": ecog["etag"]})
    auto = dm.get("/queries?kind=automatic").json["items"][0]
    assert dm.post(f"/queries/{auto['id']}/cancel", json={}).status_code == 403


def test_queries_are_scoped_to_the_callers_sites(as_user, ecog):
    query_id = raise_on_item(as_user("monitor_a"), ecog).json["id"]
    for username in ("coord_b", "inv_b"):
        client = as_user(username)
        assert client.get(f"/queries/{query_id}").status_code == 404
        assert client.get("/queries").json["total"] == 0
        assert client.post(f"/queries/{query_id}/responses", json={"text": "x"}).status_code == 404
    assert as_user("coord_a").get("/queries").json["total"] == 1
    assert as_user("nobody").get("/queries").json["total"] == 0


def test_filters(as_user, ecog):
    dm = as_user("dm")
    manual = raise_on_item(as_user("monitor_a"), ecog).json
    dm.post("/queries", json={"record_id": ecog["record"]["id"], "text": "whole record", "assignee": "coord_a"})
    assert dm.get("/queries?raiser=monitor_a").json["total"] == 1
    assert dm.get("/queries?assignee=coord_a").json["total"] == 1
    assert dm.get("/queries?item=ECOG").json["items"][0]["id"] == manual["id"]
    assert dm.get("/queries?form=F_ECOG&study=ESCC-N3&site=RJH").json["total"] == 2
    assert dm.get("/queries?site=N3-B&study=ESCC-N3").json["total"] == 0
    assert dm.get("/queries?status=answered").json["total"] == 0
    assert dm.get("/queries?status=open&status=answered").json["total"] == 2
    assert dm.get("/queries?min_age_days=1").json["total"] == 0
    assert dm.get("/queries?kind=manual").json["total"] == 2
    assert dm.get("/queries?status=bogus").status_code == 422


def test_metrics_on_a_known_data_set(app, as_user, ecog):
    monitor, coord, dm = as_user("monitor_a"), as_user("coord_a"), as_user("dm")
    ids = [raise_on_item(monitor, ecog, f"q{i}").json["id"] for i in range(4)]
    other = coord.post("/studies/ESCC-N3/subjects", json={"site": "RJH", "consent_date": "2026-01-05"}).json
    visit_query = dm.post("/queries", json={"subject_id": other["id"], "visit_key": "SCR", "text": "q5"}).json["id"]
    coord.post(f"/queries/{ids[1]}/responses", json={"text": "a"})
    for closed in (ids[2], ids[3]):
        coord.post(f"/queries/{closed}/responses", json={"text": "a"})
        monitor.post(f"/queries/{closed}/close", json={})
    monitor.post(f"/queries/{ids[0]}/cancel", json={})
    now = utcnow()
    timeline = {ids[0]: (10, None), ids[1]: (6, None), ids[2]: (9, 4), ids[3]: (5, 3), visit_query: (2, None)}
    with app.app_context():
        from ecrf.db import get_session

        db = get_session()
        for query_id, (raised_days_ago, closed_days_ago) in timeline.items():
            values = {"raised_at": now - dt.timedelta(days=raised_days_ago)}
            if closed_days_ago is not None:
                values["closed_at"] = now - dt.timedelta(days=closed_days_ago)
            db.execute(update(Query).where(Query.id == query_id).values(**values))
        db.commit()
    summary = dm.get("/queries/summary?study=ESCC-N3").json
    assert summary["by_status"] == {"open": 1, "answered": 1, "closed": 2, "cancelled": 1}
    assert summary["by_site"] == {"RJH": {"open": 1, "answered": 1, "closed": 2, "cancelled": 1}}
    assert summary["open_average_age_days"] == pytest.approx((6 + 2) / 2, abs=0.01)
    assert summary["average_days_to_close"] == pytest.approx(((9 - 4) + (5 - 3)) / 2, abs=0.001)
    assert summary["total"] == 5
    assert as_user("coord_b").get("/queries/summary?study=ESCC-N3").json["total"] == 0
    aged = dm.get("/queries?min_age_days=6&status=open&status=answered").json
    assert [q["id"] for q in aged["items"]] == [ids[1]]
