"""Queries: the filters, per-site metrics, cancelling and refusals that test_queries.py leaves uncovered.

Covers the subject, age (``max_age_days``) and raiser filters, per-site counts of the summary with
queries at two sites, cancelling (who may, and its audit entry), an answer whose data correction is
refused (nothing of it stays), and the wording of refused transitions.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from ecrf.db import utcnow
from ecrf.queries.models import Query


@pytest.fixture
def ecog(coord_a):
    """A subject at site A (RJH, ESCC-N3) with a complete ECOG record (ECOG 1, KPS 80)."""
    subject = coord_a.post("/studies/ESCC-N3/subjects", json={"site": "RJH", "consent_date": "2026-01-05"}).json
    created = coord_a.post(f"/subjects/{subject['id']}/visits/SCR/forms/F_ECOG",
                           json={"data": {"ECOGDAT": "2026-01-06", "ECOG": 1, "KPS": 80}})
    done = coord_a.post(f"/records/{created.json['id']}/complete", json={},
                        headers={"If-Match": created.headers["ETag"]})
    assert done.status_code == 200, done.json
    return {"subject": subject, "record": done.json, "etag": done.headers["ETag"]}


def raise_on_item(client, ecog, text="Please verify the ECOG score against the source"):
    response = client.post("/queries", json={"record_id": ecog["record"]["id"], "item": "ECOG", "text": text})
    assert response.status_code == 201, response.json
    return response.json


def new_subject(client, site: str, study: str = "ESCC-N3") -> dict:
    response = client.post(f"/studies/{study}/subjects", json={"site": site, "consent_date": "2026-01-05"})
    assert response.status_code == 201, response.json
    return response.json


def raise_on_visit(client, subject: dict, text: str) -> int:
    response = client.post("/queries", json={"subject_id": subject["id"], "visit_key": "SCR", "text": text})
    assert response.status_code == 201, response.json
    return response.json["id"]


def ids(client, url: str) -> list[int]:
    response = client.get(url)
    assert response.status_code == 200, response.json
    return [q["id"] for q in response.json["items"]]


def set_timestamps(app, timeline: dict[int, dict[str, dt.datetime]]) -> None:
    """Move queries in time directly in the database (the API never lets anyone back-date)."""
    with app.app_context():
        from ecrf.db import get_session

        db = get_session()
        for query_id, values in timeline.items():
            db.execute(update(Query).where(Query.id == query_id).values(**values))
        db.commit()


# ---------------------------------------------------------------- 1. filters

def test_subject_filter_returns_only_that_subjects_queries_within_the_callers_scope(as_user, ecog):
    dm, coord_a, coord_b = as_user("dm"), as_user("coord_a"), as_user("coord_b")
    subject_a = ecog["subject"]
    subject_b = new_subject(coord_b, "N3-B")
    on_item = raise_on_item(as_user("monitor_a"), ecog)["id"]
    on_record = dm.post("/queries", json={"record_id": ecog["record"]["id"], "text": "Source missing"}).json["id"]
    on_visit_a = raise_on_visit(dm, subject_a, "Visit date missing")
    on_visit_b = raise_on_visit(dm, subject_b, "Consent page missing")

    assert dm.get("/queries").json["total"] == 4  # the filter below has something to leave out
    assert ids(dm, f"/queries?subject={subject_a['id']}") == [on_visit_a, on_record, on_item]  # newest first
    only_b = dm.get(f"/queries?subject={subject_b['id']}").json
    assert (only_b["total"], [q["id"] for q in only_b["items"]]) == (1, [on_visit_b])
    assert {(q["subject_id"], q["subject"], q["site"]) for q in only_b["items"]} == \
        {(subject_b["id"], subject_b["subject_code"], "N3-B")}
    # combined with other filters, and never widening a caller's scope
    assert ids(dm, f"/queries?subject={subject_a['id']}&item=ECOG") == [on_item]
    assert ids(coord_a, f"/queries?subject={subject_a['id']}") == [on_visit_a, on_record, on_item]
    assert ids(coord_a, f"/queries?subject={subject_b['id']}") == []
    assert ids(coord_b, f"/queries?subject={subject_a['id']}") == []
    assert ids(coord_b, f"/queries?subject={subject_b['id']}") == [on_visit_b]
    assert ids(dm, "/queries?subject=999999") == []
    assert dm.get("/queries?subject=0").status_code == 422
    assert dm.get("/queries?subject=abc").status_code == 422


def test_max_age_days_keeps_queries_raised_within_that_many_days_of_now(app, as_user, ecog):
    """As listing.py implements it: ``raised_at >= now - max_age_days`` (continuous days, on the raise
    time, whatever the status); ``min_age_days`` is ``raised_at <= now - min_age_days``."""
    dm, coord = as_user("dm"), as_user("coord_a")
    subject = ecog["subject"]
    fresh, three, inside, outside, ten, closed = (raise_on_visit(dm, subject, f"q{i}") for i in range(6))
    assert coord.post(f"/queries/{closed}/responses", json={"text": "done"}).status_code == 200
    assert dm.post(f"/queries/{closed}/close", json={}).status_code == 200
    now = utcnow()
    ago = lambda days, hours=0: now - dt.timedelta(days=days, hours=hours)  # noqa: E731
    set_timestamps(app, {
        three: {"raised_at": ago(3)},
        inside: {"raised_at": ago(5, -1)},    # 4 days 23 hours old
        outside: {"raised_at": ago(5, 1)},    # 5 days 1 hour old
        ten: {"raised_at": ago(10)},
        # raised 10 days ago, closed 8 days ago: shown as 2 days old, but filtered on its raise time
        closed: {"raised_at": ago(10, 1), "closed_at": ago(8), "updated_at": ago(8)},
    })
    assert dm.get(f"/queries/{closed}").json["age_days"] == pytest.approx(2 + 1 / 24, abs=0.01)

    assert ids(dm, "/queries") == [fresh, three, inside, outside, ten, closed]
    assert ids(dm, "/queries?max_age_days=5") == [fresh, three, inside]
    assert ids(dm, "/queries?max_age_days=4") == [fresh, three]
    assert ids(dm, "/queries?max_age_days=3") == [fresh]  # 3 days and a few ms: just outside
    assert ids(dm, "/queries?max_age_days=1") == [fresh]
    assert ids(dm, "/queries?max_age_days=0") == []  # nothing is 0 days old once raised
    assert ids(dm, "/queries?max_age_days=10") == [fresh, three, inside, outside]
    assert ids(dm, "/queries?max_age_days=11") == [fresh, three, inside, outside, ten, closed]
    assert ids(dm, "/queries?max_age_days=36500") == [fresh, three, inside, outside, ten, closed]
    # a window, with min_age_days, and with other filters
    assert ids(dm, "/queries?min_age_days=2&max_age_days=5") == [three, inside]
    assert ids(dm, "/queries?min_age_days=5&max_age_days=10") == [outside]
    assert ids(dm, "/queries?max_age_days=11&status=closed") == [closed]
    assert ids(dm, "/queries?max_age_days=9&status=closed") == []
    for bad in ("-1", "36501", "x"):
        assert dm.get(f"/queries?max_age_days={bad}").status_code == 422


def test_raiser_system_lists_automatic_queries_only(as_user, ecog):
    coord, monitor, dm = as_user("coord_a"), as_user("monitor_a"), as_user("dm")
    inconsistent = coord.patch(f"/records/{ecog['record']['id']}", json={"data": {"KPS": 40}, "reason": "re-assessed"},
                               headers={"If-Match": ecog["etag"]})
    assert inconsistent.status_code == 200, inconsistent.json
    by_monitor = raise_on_item(monitor, ecog)["id"]
    by_dm = dm.post("/queries", json={"record_id": ecog["record"]["id"], "text": "Source missing"}).json["id"]
    everything = dm.get("/queries").json["items"]
    assert len(everything) == 3
    automatic = [q["id"] for q in everything if q["kind"] == "automatic"]
    assert len(automatic) == 1

    system = dm.get("/queries?raiser=system").json["items"]
    assert [q["id"] for q in system] == automatic
    assert {(q["kind"], q["raised_by"], q["rule_id"]) for q in system} == \
        {("automatic", "system", "PS_ECOG_KPS_CONSISTENT")}
    assert ids(dm, "/queries?raiser=monitor_a") == [by_monitor]
    assert ids(dm, "/queries?raiser=dm") == [by_dm]
    # the user whose save set off the check did not raise the automatic query
    assert ids(dm, "/queries?raiser=coord_a") == []
    assert ids(dm, "/queries?raiser=nobody") == []
    assert ids(dm, "/queries?raiser=no_such_user") == []
    assert ids(dm, "/queries?raiser=system&kind=manual") == []
    assert ids(dm, "/queries?raiser=system&kind=automatic") == automatic
    assert ids(coord, "/queries?raiser=system") == automatic  # site users see their site's automatic ones
    assert ids(as_user("coord_b"), "/queries?raiser=system") == []


# ---------------------------------------------------------------- 2. metrics per site

def test_summary_counts_per_site_with_queries_at_two_sites(as_user):
    coord_a, coord_b, dm, monitor = as_user("coord_a"), as_user("coord_b"), as_user("dm"), as_user("monitor_a")
    at_a, at_b = new_subject(coord_a, "RJH"), new_subject(coord_b, "N3-B")
    a = [raise_on_visit(dm, at_a, f"a{i}") for i in range(4)]
    b = [raise_on_visit(dm, at_b, f"b{i}") for i in range(4)]
    # another study's query must not count in ESCC-N3's numbers
    raise_on_visit(dm, new_subject(coord_a, "WCH", "ESCC-LDRT"), "other study")
    for query_id in (a[1], a[2], a[3]):
        assert coord_a.post(f"/queries/{query_id}/responses", json={"text": "ok"}).status_code == 200
    assert monitor.post(f"/queries/{a[3]}/close", json={}).status_code == 200
    for query_id in (b[2], b[3]):
        assert coord_b.post(f"/queries/{query_id}/responses", json={"text": "ok"}).status_code == 200
    assert dm.post(f"/queries/{b[2]}/close", json={}).status_code == 200
    assert dm.post(f"/queries/{b[3]}/cancel", json={"text": "raised in error"}).status_code == 200

    site_a = {"open": 1, "answered": 2, "closed": 1, "cancelled": 0}
    site_b = {"open": 2, "answered": 0, "closed": 1, "cancelled": 1}
    summary = dm.get("/queries/summary?study=ESCC-N3")
    assert summary.status_code == 200, summary.json
    assert summary.json["by_site"] == {"RJH": site_a, "N3-B": site_b}
    assert summary.json["by_status"] == {"open": 3, "answered": 2, "closed": 2, "cancelled": 1}
    assert (summary.json["total"], summary.json["closed_count"]) == (8, 2)
    # each site's people see their own site's row only, with the same numbers
    for client, site, counts in ((coord_a, "RJH", site_a), (monitor, "RJH", site_a), (coord_b, "N3-B", site_b)):
        own = client.get("/queries/summary?study=ESCC-N3").json
        assert own["by_site"] == {site: counts}, own
        assert (own["by_status"], own["total"]) == (counts, sum(counts.values()))
    assert dm.get("/queries/summary?study=ESCC-LDRT").json["by_site"] == \
        {"WCH": {"open": 1, "answered": 0, "closed": 0, "cancelled": 0}}
    # the listing agrees with the summary
    assert dm.get("/queries?study=ESCC-N3&site=N3-B").json["total"] == 4
    assert dm.get("/queries?study=ESCC-N3&site=N3-B&status=open").json["total"] == 2
    assert dm.get("/queries?study=ESCC-N3&site=RJH&status=answered").json["total"] == 2


# ---------------------------------------------------------------- 3. cancel

def cancelled_entries(dm) -> list[dict]:
    response = dm.get("/api/v1/audit?action=query.cancelled&order=oldest")
    assert response.status_code == 200, response.json
    return response.json["items"]


def test_the_raiser_cancels_and_the_audit_trail_says_who_and_why(as_user, ecog):
    monitor, coord, dm = as_user("monitor_a"), as_user("coord_a"), as_user("dm")
    with_reason = raise_on_item(monitor, ecog, "q1")["id"]
    answered = raise_on_item(monitor, ecog, "q2")["id"]
    assert coord.post(f"/queries/{answered}/responses", json={"text": "answer"}).status_code == 200
    assert cancelled_entries(dm) == []

    cancelled = monitor.post(f"/queries/{with_reason}/cancel", json={"text": "Raised on the wrong item"})
    assert cancelled.status_code == 200, cancelled.json
    assert cancelled.json["status"] == "cancelled"
    assert [(m["action"], m["author"], m["text"], m["status_after"]) for m in cancelled.json["messages"]][-1] == \
        ("cancel", "Mo Monitor", "Raised on the wrong item", "cancelled")
    assert monitor.post(f"/queries/{answered}/cancel", json={}).json["status"] == "cancelled"

    entries = cancelled_entries(dm)
    assert [(e["username"], e["user_name"], e["user_role"], e["reason"], e["old_value"], e["new_value"],
             e["details"]["query"]) for e in entries] == [
        ("monitor_a", "Mo Monitor", "monitor", "Raised on the wrong item", "open", "cancelled", with_reason),
        ("monitor_a", "Mo Monitor", "monitor", None, "answered", "cancelled", answered),
    ]
    assert {(e["subject_id"], e["record_id"], e["item_oid"], e["site"]) for e in entries} == \
        {(ecog["subject"]["id"], ecog["record"]["id"], "ECOG", "RJH")}
    # a cancelled query is final, even for its raiser
    again = monitor.post(f"/queries/{with_reason}/cancel", json={"text": "twice"})
    assert again.status_code == 409, again.json
    assert len(cancelled_entries(dm)) == 2


@pytest.mark.parametrize("username", ["dm", "coord_a", "inv_a"])
@pytest.mark.parametrize("status", ["open", "answered"])
def test_only_the_raiser_can_cancel(as_user, ecog, username, status):
    monitor, dm = as_user("monitor_a"), as_user("dm")
    query_id = raise_on_item(monitor, ecog)["id"]
    if status == "answered":
        assert as_user("coord_a").post(f"/queries/{query_id}/responses", json={"text": "a"}).status_code == 200
    refused = as_user(username).post(f"/queries/{query_id}/cancel", json={"text": "not mine"})
    assert refused.status_code == 403, refused.json
    assert refused.json["message"] == "only the person who raised a query can cancel it"
    after = dm.get(f"/queries/{query_id}").json
    assert after["status"] == status
    assert [m["action"] for m in after["messages"]] == ["raise"] + (["respond"] if status == "answered" else [])
    assert cancelled_entries(dm) == []
    # the raiser still can
    assert monitor.post(f"/queries/{query_id}/cancel", json={}).status_code == 200
    assert len(cancelled_entries(dm)) == 1


# ---------------------------------------------------------------- 4. refused correction

def audit_actions(dm, subject_id: int) -> list[str]:
    return [e["action"] for e in dm.get(f"/audit?subject={subject_id}&order=oldest&limit=1000").json["items"]]


@pytest.mark.parametrize("case", ["stale_etag_in_body", "stale_if_match", "bad_value", "no_etag"])
def test_an_answer_whose_correction_is_refused_leaves_no_trace(as_user, ecog, case):
    coord, dm = as_user("coord_a"), as_user("dm")
    record_id = ecog["record"]["id"]
    changed = coord.patch(f"/records/{record_id}", json={"data": {"KPS": 70}, "reason": "re-read"},
                          headers={"If-Match": ecog["etag"]})
    assert changed.status_code == 200 and changed.json["warnings"] == [], changed.json
    current, stale = changed.headers["ETag"], ecog["etag"]
    assert current != stale
    query_id = raise_on_item(as_user("monitor_a"), ecog)["id"]
    before = audit_actions(dm, ecog["subject"]["id"])

    body, headers, expected = {
        "stale_etag_in_body": ({"data": {"ECOG": 2}, "etag": stale}, None, 412),
        "stale_if_match": ({"data": {"ECOG": 2}}, {"If-Match": stale}, 412),
        "bad_value": ({"data": {"ECOG": 9}, "etag": current}, None, 422),
        "no_etag": ({"data": {"ECOG": 2}}, None, 428),
    }[case]
    refused = coord.post(f"/queries/{query_id}/responses", json={"text": "Corrected", "correction": body},
                         headers=headers)
    assert refused.status_code == expected, refused.json
    if case == "bad_value":
        assert "ECOG" in str(refused.json.get("errors")), refused.json

    query = dm.get(f"/queries/{query_id}").json
    assert query["status"] == "open"
    assert [m["action"] for m in query["messages"]] == ["raise"]
    record = coord.get(f"/records/{record_id}")
    assert (record.json["data"]["ECOG"], record.json["data"]["KPS"]) == (1, 70)
    assert record.headers["ETag"] == current
    assert record.json["open_queries"] == 1
    assert audit_actions(dm, ecog["subject"]["id"]) == before  # no query.answered, no item.changed
    # nothing was left half-done: the same answer with a good correction goes through
    accepted = coord.post(f"/queries/{query_id}/responses", json={"text": "Corrected", "correction": {
        "data": {"ECOG": 2, "KPS": 60}, "etag": current}})
    assert accepted.status_code == 200, accepted.json
    assert [m["action"] for m in accepted.json["messages"]] == ["raise", "respond"]
    assert coord.get(f"/records/{record_id}").json["data"]["ECOG"] == 2


# ---------------------------------------------------------------- 5. wording of refusals

REFUSALS = [
    # (state, who acts, action, expected message)
    ("open", "monitor_a", "close", "a query that is open cannot be closed; allowed: cancel, respond"),
    ("open", "dm", "reopen", "a query that is open cannot be reopened; allowed: cancel, respond"),
    ("answered", "coord_a", "responses", "a query that is answered cannot be answered; allowed: cancel, close, reopen"),
    ("closed", "coord_a", "responses", "a query that is closed cannot be answered; allowed: reopen"),
    ("closed", "monitor_a", "close", "a query that is closed cannot be closed; allowed: reopen"),
    ("closed", "monitor_a", "cancel", "a query that is closed cannot be cancelled; allowed: reopen"),
    ("cancelled", "coord_a", "responses",
     "a query that is cancelled cannot be answered; allowed: nothing (final state)"),
    ("cancelled", "dm", "reopen", "a query that is cancelled cannot be reopened; allowed: nothing (final state)"),
]


@pytest.mark.parametrize(("state", "username", "action", "message"), REFUSALS,
                         ids=[f"{r[2]}-{r[0]}" for r in REFUSALS])
def test_refused_transitions_name_the_state_and_the_action(as_user, ecog, state, username, action, message):
    monitor, coord = as_user("monitor_a"), as_user("coord_a")
    query_id = raise_on_item(monitor, ecog)["id"]
    if state in ("answered", "closed"):
        assert coord.post(f"/queries/{query_id}/responses", json={"text": "a"}).status_code == 200
    if state == "closed":
        assert monitor.post(f"/queries/{query_id}/close", json={}).status_code == 200
    if state == "cancelled":
        assert monitor.post(f"/queries/{query_id}/cancel", json={}).status_code == 200
    thread = as_user("dm").get(f"/queries/{query_id}").json["messages"]

    refused = as_user(username).post(f"/queries/{query_id}/{action}", json={"text": "because"})
    assert refused.status_code == 409, refused.json
    assert refused.json["message"] == message
    assert refused.json["errors"] == {"status": [state]}
    after = as_user("dm").get(f"/queries/{query_id}").json
    assert (after["status"], after["messages"]) == (state, thread)
