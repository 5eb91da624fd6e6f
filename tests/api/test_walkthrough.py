"""One subject of each trial walked through the API as the site would: screening, two cycles with
radiotherapy, the first RECIST assessment, an adverse event, end of treatment and follow-up.

What is asserted is what a user sees: records complete and pinned to form version 1, visit
statuses, anchor dates, target dates and windows computed from the anchors, and an audit entry
for every item entered.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support import casebook as cb

STUDIES = [("ESCC-N3", "RJH"), ("ESCC-LDRT", "WCH")]

# The schedules as the protocols state them (docs/forms.md section 3): anchor, day, window before,
# window after, repeat every (days), number of occurrences.
SCHEDULE = {
    "ESCC-N3": {
        "SCR": ("consent", 0, 0, 28, 0, 1),
        "CYCLE": ("c1d1", 0, 2, 3, 21, 4),
        "MAINT": ("maint_start", 0, 3, 3, 21, 18),
        "RT": ("maint_start", 0, 0, 21, 0, 1),
        "TA": ("c1d1", 42, 0, 7, 42, 8),
        "TA_Y2": ("c1d1", 420, 7, 14, 84, 4),
        "EOT": ("eot", 0, 0, 30, 0, 1),
        "FU": ("eot", 90, 14, 14, 90, 8),
    },
    "ESCC-LDRT": {
        "SCR": ("consent", 0, 0, 28, 0, 1),
        "CYCLE": ("c1d1", 0, 2, 3, 21, 3),
        "RT": ("c1d1", 21, 0, 3, 0, 1),
        "MAINT": ("maint_start", 0, 3, 3, 21, 18),
        "TA": ("c1d1", 42, 0, 7, 42, 8),
        "TA_Y2": ("c1d1", 420, 7, 14, 84, 4),
        "EOT": ("eot", 0, 0, 30, 0, 1),
        "FU": ("eot", 90, 14, 14, 90, 8),
    },
}
LOGS = ("AELOG", "DEATH")


def d(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def audit_entries(client, **filters) -> list[dict]:
    """Every audit entry matching the filters, oldest first, following the cursor."""
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    entries, cursor = [], None
    while True:
        url = f"/audit?{query}&order=oldest&limit=500" + (f"&cursor={cursor}" if cursor else "")
        response = client.get(url)
        assert response.status_code == 200, response.json
        entries += response.json["items"]
        cursor = response.json["next_cursor"]
        if not cursor:
            return entries


@pytest.fixture
def coordinator(as_user):
    return as_user("coord_a")


@pytest.fixture
def investigator(as_user):
    return as_user("inv_a")


@pytest.fixture(params=STUDIES, ids=[s for s, _ in STUDIES])
def walk(request, coordinator, investigator):
    study_oid, site = request.param
    return cb.walk_subject(coordinator, study_oid, site, investigator=investigator)


def visits_of(client, subject_id: int) -> dict[tuple[str, int], dict]:
    response = client.get(f"/subjects/{subject_id}/visits")
    assert response.status_code == 200
    return {(v["key"], v["repeat"]): v for v in response.json["items"]}


# ---------------------------------------------------------------- records

def test_every_record_is_complete_clean_and_pinned_to_version_1(walk, coordinator):
    expected_forms = {
        ("SCR", 1): {"F_DM", "F_BASELINE", "F_ECOG", "F_TNM", "F_LB", "F_RECIST_BL",
                     cb.eligibility_form(walk.study_oid)},
        ("CYCLE", 1): {"F_EX", "F_LB", "F_ECOG"},
        ("CYCLE", 2): {"F_EX", "F_LB", "F_ECOG"},
        ("RT", 1): {"F_RT"},
        ("TA", 1): {"F_RECIST"},
        ("AELOG", 1): {"F_AE"},
        ("EOT", 1): {"F_EOT"},
        ("FU", 1): {"F_FU"},
    }
    if walk.study_oid == "ESCC-N3":
        expected_forms[("MAINT", 1)] = {"F_EX", "F_LB"}
    entered = {}
    for (visit, repeat, form) in walk.records:
        entered.setdefault((visit, repeat), set()).add(form)
    assert entered == expected_forms

    for (visit, repeat, form), entered_record in walk.records.items():
        response = coordinator.get(f"/records/{entered_record['id']}")
        assert response.status_code == 200
        record = response.json
        assert response.headers["ETag"] == entered_record["etag"]
        assert (record["visit_key"], record["visit_repeat"], record["form_oid"]) == (visit, repeat, form)
        assert record["status"] == "complete" and record["ever_completed"] is True, (visit, form)
        assert record["form_version"] == 1
        assert record["completed_at"] is not None
        assert record["warnings"] == [], (visit, form, record["warnings"])
        assert record["open_queries"] == 0
        assert record["subject_id"] == walk.subject_id and record["site"] == walk.subject["site"]
    assert walk.subject["open_queries"] == 0


def test_the_data_entered_is_the_data_stored(walk, coordinator):
    course = walk.course
    dm = walk.record("SCR", "F_DM")["data"]
    assert dm["RFICDTC"] == "2026-01-05" and dm["AGE"] == 64 and dm["HEIGHT"] == "170.0"
    ex1 = walk.record("CYCLE", "F_EX", 1)["data"]
    assert ex1["CYCDAT"] == "2026-01-19" and ex1["BSA"] == "1.72" and "CYCDLY" not in ex1
    drugs = {row["EXTRT"]: row for row in ex1["IG_EX"]}
    assert [row["_row"] for row in ex1["IG_EX"]] == [1, 2, 3]
    assert (drugs["PACLITAXEL"]["EXDOSU"], drugs["PACLITAXEL"]["EXDOSE"]) == ("MG", "232.20")  # 135 x 1.72
    assert (drugs["CARBOPLATIN"]["EXDOSU"], drugs["CARBOPLATIN"]["EXPLDOS"]) == ("AUC", "5.00")
    immuno = drugs["IO_OTHER" if walk.study_oid == "ESCC-N3" else "CAMRELIZUMAB"]
    assert (immuno["EXDOSU"], immuno["EXDOSE"]) == ("MG", "200.00")
    ex2 = walk.record("CYCLE", "F_EX", 2)["data"]
    assert ex2["EXCYCLE"] == 2 and ex2["CYCDAT"] == "2026-02-09" and ex2["CYCDLY"] == "N"
    rt = walk.record("RT", "F_RT")["data"]
    assert rt["RTSTDAT"] == course.rt_start.isoformat() and rt["RTENDAT"] == course.rt_end.isoformat()
    assert rt["RTFX"] == course.rt_fractions and rt["RTDPF"] == "1.80"
    assert rt["RTDOSE"] == {"ESCC-LDRT": "45.00", "ESCC-N3": "50.40"}[walk.study_oid]
    recist = walk.record("TA", "F_RECIST")["data"]
    assert recist["RSORRES"] == "PR" and recist["TRSUM"] == "35.0" and recist["IG_NL"] == []
    assert walk.record("SCR", "F_RECIST_BL")["data"]["TRSUM"] == "56.0"
    ae = walk.record("AELOG", "F_AE")["data"]
    assert (ae["AETOXGR"], ae["AESER"], ae["AESHOSP"], ae["AEOUT"]) == (3, "Y", "Y", "RECOVERED")
    fu = walk.record("FU", "F_FU")["data"]
    assert fu["SSORRES"] == "ALIVE" and fu["LKADAT"] == fu["SSDAT"] == course.follow_up_contact.isoformat()
    if walk.study_oid == "ESCC-N3":
        maint = walk.record("MAINT", "F_EX")["data"]
        assert maint["EXCYCLE"] == 3 and [r["EXTRT"] for r in maint["IG_EX"]] == ["IO_OTHER"]
        assert maint["IG_EX"][0]["EXTRTSP"] == "Tislelizumab"
        assert walk.record("SCR", "F_BASELINE")["data"]["CCRTCAND"] == "N"
        assert walk.record("SCR", "F_TNM")["data"]["TNMSTG"] == "IVA"
    else:
        assert "CCRTCAND" not in walk.record("SCR", "F_BASELINE")["data"]
        assert walk.record("SCR", "F_TNM")["data"]["TNMSTG"] == "III"


# ---------------------------------------------------------------- subject, anchors, visits

def test_subject_status_and_anchor_dates(walk, as_user):
    course = walk.course
    expected = {"consent": "2026-01-05", "c1d1": "2026-01-19", "rt_start": course.rt_start.isoformat(),
                "eot": course.eot.isoformat()}
    if walk.study_oid == "ESCC-N3":
        expected["maint_start"] = "2026-03-02"
        assert expected["rt_start"] == expected["maint_start"]
    else:
        assert expected["rt_start"] == "2026-02-09"  # cycle 2 day 1
    for username in ("coord_a", "inv_a", "monitor_a", "dm"):
        subject = as_user(username).get(f"/subjects/{walk.subject_id}").json
        assert subject["anchors"] == expected, username
        assert subject["status"] == "follow_up" and subject["status_date"] == course.eot.isoformat()
        assert subject["study"] == walk.study_oid and subject["study_version"] == 1
    assert walk.subject["subject_code"] == {"ESCC-N3": "RJH-001", "ESCC-LDRT": "WCH-001"}[walk.study_oid]


def test_visit_statuses_dates_and_forms(walk, coordinator):
    visits = visits_of(coordinator, walk.subject_id)
    schedule = SCHEDULE[walk.study_oid]
    expected_keys = {(key, n) for key, spec in schedule.items() for n in range(1, spec[5] + 1)}
    assert set(visits) == expected_keys | {(log, 1) for log in LOGS}

    done = {(visit, repeat) for (visit, repeat, _form) in walk.records} - {("AELOG", 1)}
    for key, visit in visits.items():
        if key in done:
            assert visit["status"] == "complete", key
            assert d(visit["visit_date"]) == walk.visit_dates[key], key
            required = {f["form"] for f in visit["forms"] if f["required"]}
            with_complete_record = {f["form"] for f in visit["forms"]
                                    if any(r["status"] == "complete" for r in f["records"])}
            assert required and required <= with_complete_record, key
        elif key[0] in LOGS:
            assert visit["kind"] == "log" and visit["visit_date"] is None
        else:
            assert visit["status"] == "not_started", key
            assert visit["visit_date"] is None and all(f["records"] == [] for f in visit["forms"]), key
        assert visit["days_outside_window"] == 0, key

    ae_log = visits[("AELOG", 1)]
    assert ae_log["status"] == "in_progress" and ae_log["name"] == "Adverse events"
    (ae_form,) = ae_log["forms"]
    assert ae_form["form"] == "F_AE" and ae_form["required"] is False
    assert [r["status"] for r in ae_form["records"]] == ["complete"]
    assert visits[("DEATH", 1)]["status"] == "not_started"
    assert visits[("CYCLE", 2)]["name"] == "Chemo-immunotherapy cycle 2"
    assert [f["form"] for f in visits[("CYCLE", 1)]["forms"]] == ["F_EX", "F_LB", "F_ECOG"]
    assert all(f["version"] == 1 for v in visits.values() for f in v["forms"])


def test_target_dates_and_windows_follow_the_anchors(walk, coordinator):
    anchors = {k: d(v) for k, v in walk.subject["anchors"].items()}
    visits = visits_of(coordinator, walk.subject_id)
    for (key, repeat), visit in visits.items():
        if key in LOGS:
            assert (visit["anchor"], visit["target_date"], visit["window_start"]) == (None, None, None)
            continue
        anchor, day, before, after, every, _count = SCHEDULE[walk.study_oid][key]
        assert visit["anchor"] == anchor and visit["day"] == day + (repeat - 1) * every, (key, repeat)
        if anchor not in anchors:
            assert visit["target_date"] is None and visit["window_start"] is None, (key, repeat)
            continue
        target = anchors[anchor] + dt.timedelta(days=day + (repeat - 1) * every)
        assert d(visit["target_date"]) == target, (key, repeat)
        assert d(visit["window_start"]) == target - dt.timedelta(days=before), (key, repeat)
        assert d(visit["window_end"]) == target + dt.timedelta(days=after), (key, repeat)

    c1d1 = dt.date(2026, 1, 19)
    cycle2 = visits[("CYCLE", 2)]
    assert (cycle2["target_date"], cycle2["window_start"], cycle2["window_end"]) == (
        "2026-02-09", "2026-02-07", "2026-02-12")                       # C1D1 + 21, -2/+3
    assert visits[("CYCLE", 3)]["target_date"] == (c1d1 + dt.timedelta(days=42)).isoformat()
    ta1 = visits[("TA", 1)]
    assert (ta1["target_date"], ta1["window_start"], ta1["window_end"]) == ("2026-03-02", "2026-03-02", "2026-03-09")
    assert visits[("TA", 8)]["target_date"] == (c1d1 + dt.timedelta(days=336)).isoformat()
    assert visits[("TA_Y2", 1)]["target_date"] == (c1d1 + dt.timedelta(days=420)).isoformat()
    eot = walk.course.eot
    assert visits[("EOT", 1)]["target_date"] == eot.isoformat()
    fu1 = visits[("FU", 1)]
    assert (d(fu1["target_date"]), d(fu1["window_start"]), d(fu1["window_end"])) == (
        eot + dt.timedelta(days=90), eot + dt.timedelta(days=76), eot + dt.timedelta(days=104))
    rt = visits[("RT", 1)]
    if walk.study_oid == "ESCC-LDRT":
        # Radiotherapy starts on cycle 2 day 1: C1D1 + 21, never before, up to 3 days after.
        assert (rt["anchor"], rt["target_date"], rt["window_start"], rt["window_end"]) == (
            "c1d1", "2026-02-09", "2026-02-09", "2026-02-12")
        assert all(visits[("MAINT", n)]["target_date"] is None for n in range(1, 19))  # no maintenance yet
    else:
        # Radiotherapy during immune maintenance: from its first dose, within its first 3 weeks.
        assert (rt["anchor"], rt["target_date"], rt["window_start"], rt["window_end"]) == (
            "maint_start", "2026-03-02", "2026-03-02", "2026-03-23")
        assert visits[("MAINT", 2)]["target_date"] == "2026-03-23"
        assert visits[("CYCLE", 4)]["target_date"] == (c1d1 + dt.timedelta(days=63)).isoformat()


# ---------------------------------------------------------------- audit

@pytest.mark.parametrize("reader", ["monitor_a", "dm"])
def test_every_item_entered_has_its_audit_entry(walk, as_user, reader):
    entries = audit_entries(as_user(reader), subject=walk.subject_id, action="item.entered")
    by_record: dict[int, dict] = {}
    for entry in entries:
        key = (entry["item_oid"], entry["group_oid"], entry["group_row"])
        assert key not in by_record.setdefault(entry["record_id"], {}), ("entered twice", entry)
        by_record[entry["record_id"]][key] = entry

    assert set(by_record) == {r["id"] for r in walk.records.values()}
    usernames = {"coordinator": ("coord_a", "Chen Coordinator"), "investigator": ("inv_a", "Irene Investigator")}
    for (visit, repeat, form), record in walk.records.items():
        trail = by_record[record["id"]]
        data = cb.flatten(record["data"])
        assert {k: e["new_value"] for k, e in trail.items()} == data, form
        role = walk.entered_by[record["id"]]
        for (item, group, row), entry in trail.items():
            assert entry["old_value"] is None
            assert (entry["username"], entry["user_name"]) == usernames[role]
            assert entry["user_role"] == role
            assert entry["study"] == walk.study_oid and entry["site"] == walk.subject["site"]
            assert entry["subject"] == walk.subject["subject_code"] and entry["subject_id"] == walk.subject_id
            assert (entry["visit_key"], entry["visit_repeat"]) == (visit, repeat)
            assert (entry["form_oid"], entry["form_version"], entry["record_id"]) == (form, 1, record["id"])
            assert entry["reason"] is None and entry["occurred_at"].endswith("+00:00")
            assert entry["entry_hash"] and entry["chain_seq"] >= 1
            if group is not None:
                assert isinstance(row, int) and row >= 1

    # Repeating groups are audited row by row.
    ex1 = walk.record("CYCLE", "F_EX", 1)
    rows = {(e["group_row"], e["item_oid"]): e["new_value"] for e in by_record[ex1["id"]].values()
            if e["group_oid"] == "IG_EX"}
    assert rows[(1, "EXTRT")] == "PACLITAXEL" and rows[(2, "EXTRT")] == "CARBOPLATIN"
    assert rows[(3, "EXTRT")] == {"ESCC-N3": "IO_OTHER", "ESCC-LDRT": "CAMRELIZUMAB"}[walk.study_oid]
    assert rows[(3, "EXDOSE")] == "200.00"
    baseline = walk.record("SCR", "F_RECIST_BL")
    lesions = {(e["group_oid"], e["group_row"], e["item_oid"]): e["new_value"]
               for e in by_record[baseline["id"]].values() if e["group_oid"]}
    assert lesions[("IG_TL", 2, "TULOC")] == "LYMPH_NODE" and lesions[("IG_TL", 2, "TRORRES")] == "18.0"
    assert lesions[("IG_NTL", 1, "NTLNKID")] == "NT01"
    # The eligibility checklist and the tumour assessment were entered by the investigator.
    eligibility = walk.record("SCR", cb.eligibility_form(walk.study_oid))
    assert {e["user_role"] for e in by_record[eligibility["id"]].values()} == {"investigator"}
    assert by_record[eligibility["id"]][("IEYN", None, None)]["username"] == "inv_a"
    assert {e["username"] for e in by_record[walk.record("TA", "F_RECIST")["id"]].values()} == {"inv_a"}


def test_the_trail_shows_creation_completion_visit_dates_and_anchors(walk, as_user):
    monitor = as_user("monitor_a")
    entries = audit_entries(monitor, subject=walk.subject_id)
    actions = [e["action"] for e in entries]
    assert actions[0] == "subject.created"
    for record in walk.records.values():
        mine = [e for e in entries if e["record_id"] == record["id"]]
        assert [e["action"] for e in mine if e["action"].startswith("record.")] == ["record.created",
                                                                                    "record.completed"]
        completed = next(e for e in mine if e["action"] == "record.completed")
        assert (completed["old_value"], completed["new_value"]) == ("draft", "complete")
        assert completed["details"] == {"warnings": 0}
    dated = {(e["visit_key"], e["visit_repeat"]): e["new_value"] for e in entries if e["action"] == "visit.date_set"}
    assert dated == {k: v.isoformat() for k, v in walk.visit_dates.items()}
    anchors = {e["item_oid"]: e["new_value"] for e in entries if e["action"] == "subject.anchor_set"}
    assert anchors == walk.subject["anchors"]
    c1d1_set = next(e for e in entries if e["action"] == "subject.anchor_set" and e["item_oid"] == "c1d1")
    assert c1d1_set["old_value"] is None and c1d1_set["reason"] == "from F_EX CYCDAT"
    statuses = [(e["old_value"], e["new_value"]) for e in entries if e["action"] == "subject.status_changed"]
    assert statuses == [("screening", "enrolled"), ("enrolled", "on_treatment"), ("on_treatment", "follow_up")]
    completed_visits = {(e["visit_key"], e["visit_repeat"]) for e in entries
                        if e["action"] == "visit.status_changed" and e["new_value"] == "complete"}
    assert completed_visits == set(walk.visit_dates)
    assert "finding.raised" not in actions and "query.raised" not in actions
    # Another site sees none of it.
    assert as_user("coord_b").get(f"/audit?subject={walk.subject_id}").json["items"] == []


# ---------------------------------------------------------------- visit windows

@pytest.fixture(params=STUDIES, ids=[s for s, _ in STUDIES])
def treated(request, coordinator):
    """A subject with demographics and cycle 1 entered (consent and c1d1 anchors set)."""
    study_oid, site = request.param
    subject = cb.enrol(coordinator, study_oid, site)
    cb.enter_record(coordinator, subject["id"], "SCR", "F_DM", cb.demographics())
    ex = cb.enter_record(coordinator, subject["id"], "CYCLE", "F_EX",
                         cb.chemo_cycle(1, cb.C1D1, immunotherapy=cb.course_for(study_oid).immunotherapy))
    return {"study": study_oid, "subject": subject, "ex": ex}


def test_a_visit_date_outside_its_window_is_accepted_and_raises_a_finding(treated, coordinator, as_user):
    sid = treated["subject"]["id"]
    late = coordinator.patch(f"/subjects/{sid}/visits/CYCLE?repeat=2", json={"visit_date": "2026-02-14"})
    assert late.status_code == 200, late.json
    assert late.json["visit_date"] == "2026-02-14" and late.json["status"] == "in_progress"
    assert (late.json["target_date"], late.json["window_end"]) == ("2026-02-09", "2026-02-12")
    assert late.json["days_outside_window"] == 2

    monitor = as_user("monitor_a")
    (finding,) = audit_entries(monitor, subject=sid, action="finding.raised")
    assert finding["new_value"] == ("Chemo-immunotherapy cycle 2 on 2026-02-14 is 2 day(s) after its window "
                                    "(2026-02-07 to 2026-02-12)")
    assert finding["details"]["code"] == "VISIT_OUT_OF_WINDOW"
    assert finding["details"]["days_outside"] == 2 and finding["details"]["visit"] == "CYCLE"
    assert (finding["visit_key"], finding["visit_repeat"]) == ("CYCLE", 2)
    assert finding["username"] == "coord_a" and finding["site"] == treated["subject"]["site"]

    early = coordinator.patch(f"/subjects/{sid}/visits/CYCLE?repeat=2", json={"visit_date": "2026-02-06"})
    assert early.status_code == 200 and early.json["days_outside_window"] == -1
    raised = audit_entries(monitor, subject=sid, action="finding.raised")
    assert raised[-1]["new_value"].startswith("Chemo-immunotherapy cycle 2 on 2026-02-06 is 1 day(s) before")

    inside = coordinator.patch(f"/subjects/{sid}/visits/CYCLE?repeat=2", json={"visit_date": "2026-02-09"})
    assert inside.status_code == 200 and inside.json["days_outside_window"] == 0
    (resolved,) = audit_entries(monitor, subject=sid, action="finding.resolved")
    assert resolved["reason"] == "visit date now within its window"
    assert resolved["details"]["code"] == "VISIT_OUT_OF_WINDOW"


def test_a_window_moves_with_its_anchor(treated, coordinator, as_user):
    sid = treated["subject"]["id"]
    # TA 1 on C1D1 + 42 is in its window (no early days allowed) ...
    ta = coordinator.patch(f"/subjects/{sid}/visits/TA?repeat=1", json={"visit_date": "2026-03-02"})
    assert ta.status_code == 200 and ta.json["days_outside_window"] == 0
    # ... until C1D1 is corrected to a day later: the assessment is now one day early.
    ex = treated["ex"]
    new_day1 = "2026-01-20"
    rows = [dict(row, EXSTDAT=new_day1) for row in ex["data"]["IG_EX"]]
    changed = coordinator.patch(f"/records/{ex['id']}", json={"data": {"CYCDAT": new_day1, "IG_EX": rows},
                                                              "reason": "cycle 1 was given on 20 January"},
                                headers={"If-Match": ex["etag"]})
    assert changed.status_code == 200, changed.json
    assert coordinator.get(f"/subjects/{sid}").json["anchors"]["c1d1"] == new_day1
    ta1 = visits_of(coordinator, sid)[("TA", 1)]
    assert (ta1["target_date"], ta1["days_outside_window"]) == ("2026-03-03", -1)
    (finding,) = audit_entries(as_user("dm"), subject=sid, action="finding.raised")
    assert finding["new_value"] == "Tumour assessment (every 6 weeks, first year) 1 on 2026-03-02 is 1 day(s) " \
                                   "before its window (2026-03-03 to 2026-03-10)"
    anchor = audit_entries(as_user("dm"), subject=sid, action="subject.anchor_set", item="c1d1")
    assert [(a["old_value"], a["new_value"]) for a in anchor] == [(None, "2026-01-19"), ("2026-01-19", new_day1)]


def test_a_visit_dated_before_its_anchor_exists_is_checked_when_the_anchor_arrives(coordinator, as_user):
    subject = cb.enrol(coordinator, "ESCC-LDRT", "WCH")
    sid = subject["id"]
    cb.enter_record(coordinator, sid, "SCR", "F_DM", cb.demographics())
    rt = coordinator.patch(f"/subjects/{sid}/visits/RT", json={"visit_date": "2026-02-16"})
    assert rt.status_code == 200 and rt.json["target_date"] is None and rt.json["days_outside_window"] == 0
    cb.enter_record(coordinator, sid, "CYCLE", "F_EX", cb.chemo_cycle(1, cb.C1D1))
    rt = visits_of(coordinator, sid)[("RT", 1)]
    assert (rt["target_date"], rt["window_end"], rt["days_outside_window"]) == ("2026-02-09", "2026-02-12", 4)
    (finding,) = audit_entries(as_user("monitor_a"), subject=sid, action="finding.raised")
    assert finding["new_value"].endswith("is 4 day(s) after its window (2026-02-09 to 2026-02-12)")


def test_visit_dates_in_the_future_or_before_consent_are_refused(treated, coordinator):
    sid = treated["subject"]["id"]
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    refused = coordinator.patch(f"/subjects/{sid}/visits/CYCLE?repeat=2", json={"visit_date": future})
    assert refused.status_code == 422 and refused.json["errors"] == {"visit_date": ["must not be in the future"]}
    before = coordinator.patch(f"/subjects/{sid}/visits/SCR", json={"visit_date": "2026-01-04"})
    assert before.status_code == 422
    assert before.json["errors"] == {"visit_date": ["must not be before the consent date 2026-01-05"]}
    visits = visits_of(coordinator, sid)
    assert visits[("CYCLE", 2)]["visit_date"] is None and visits[("SCR", 1)]["visit_date"] is None


def test_camrelizumab_can_be_recorded_in_escc_n3(coordinator):
    """F_EX offers camrelizumab in both studies; ESCC-N3 has no protocol dose for it (null)."""
    subject = cb.enrol(coordinator, "ESCC-N3", "RJH")
    cb.enter_record(coordinator, subject["id"], "SCR", "F_DM", cb.demographics())
    response = coordinator.post(f"/subjects/{subject['id']}/visits/CYCLE/forms/F_EX?repeat=1",
                                json={"data": cb.chemo_cycle(1, cb.C1D1)})
    assert response.status_code == 201
    assert [r["EXTRT"] for r in response.json["data"]["IG_EX"]] == ["PACLITAXEL", "CARBOPLATIN", "CAMRELIZUMAB"]
