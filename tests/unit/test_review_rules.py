"""Pure review rules: item values, SDV status, signed-content hashes, definition changes, migration plans."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from ecrf.definitions.files import parse_definition
from ecrf.entry.compiled import compile_form
from ecrf.entry.validation import Change
from ecrf.review.migration_plan import plan_migration
from ecrf.review.rules import (change_keys, changed_definitions, content_hash, item_values, record_content,
                               sdv_status)
from ecrf.review.signatures import record_signature_status, subject_signature_status

CRFS = Path(__file__).resolve().parents[2] / "forms" / "crfs"
TODAY = dt.date(2026, 6, 30)


def content(name: str) -> dict:
    return parse_definition(name, (CRFS / name).read_text("utf-8")).content


def nothing(_ref):
    return None


GROUPED = {
    "oid": "F_T", "version": 1, "title": "Test", "kind": "form",
    "groups": [
        {"oid": "IG_A", "items": [{"oid": "A", "label": "A", "type": "integer"},
                                  {"oid": "B", "label": "B", "type": "text", "max_length": 10}]},
        {"oid": "IG_R", "repeating": True, "items": [{"oid": "R1", "label": "R1", "type": "integer"},
                                                     {"oid": "R2", "label": "R2", "type": "text"}]},
    ],
}


def test_item_values_key_repeating_rows_like_validation_issues():
    form = compile_form(GROUPED)
    data = {"A": 1, "IG_R": [{"_row": 1, "R1": 5}, {"_row": 3, "R1": 7, "R2": "x"}]}
    values = item_values(form, data)
    assert list(values) == ["A", "IG_R[1].R1", "IG_R[3].R1", "IG_R[3].R2"]
    assert (values["IG_R[3].R2"].group_oid, values["IG_R[3].R2"].row, values["IG_R[3].R2"].value) == ("IG_R", 3, "x")
    assert item_values(form, {"IG_R": []}) == {}


@pytest.mark.parametrize("values, verified, expected", [
    (["A", "B"], ["A", "B"], "verified"),
    (["A", "B"], ["A", "B", "GONE"], "verified"),
    (["A", "B"], ["A"], "partially_verified"),
    (["A", "B"], [], "not_verified"),
    (["A"], ["GONE"], "not_verified"),
    ([], [], "not_verified"),
])
def test_sdv_status_counts_only_items_that_have_values(values, verified, expected):
    assert sdv_status(values, verified) == expected


def test_change_keys_name_each_changed_item_once():
    changes = [Change("A", None, None, 1, 2), Change("R1", "IG_R", 2, None, 3), Change("A", None, None, 2, 3)]
    assert change_keys(changes) == ["A", "IG_R[2].R1"]


def test_content_hash_is_sha256_of_canonical_json_and_sees_every_value():
    signed = record_content(record_id=7, form_oid="F_ECOG", form_version=1, status="complete",
                            data={"ECOG": 1, "ECOGDAT": "2026-01-06"}, visit_key="SCR", visit_repeat=1, repeat=1)
    canonical = json.dumps(signed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert content_hash(signed) == hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    reordered = dict(reversed(list(signed.items())))
    assert content_hash(reordered) == content_hash(signed)
    changed = copy.deepcopy(signed)
    changed["data"]["ECOG"] = 2
    assert content_hash(changed) != content_hash(signed)
    assert content_hash(signed | {"form_version": 2}) != content_hash(signed)


def test_the_published_version_2_forms_change_what_the_amendment_says():
    assert changed_definitions(content("F_AE.v1.yaml"), content("F_AE.v2.yaml")) == {
        "AEACN_PAC", "AEACN_CARBO", "AEACN_CAM", "AEACN_RT"}  # CL_ACN gained DOSE_RATE_REDUCED
    assert changed_definitions(content("F_LB.v1.yaml"), content("F_LB.v2.yaml")) == {"LBHGB"}
    ae2 = compile_form(content("F_AE.v2.yaml"))
    assert "DOSE_RATE_REDUCED" in ae2.items["AEACN_CAM"].codes and ae2.items["AECONTRT"].required
    assert set(ae2.items) - set(compile_form(content("F_AE.v1.yaml")).items) == {"AECONTRT"}


AE_COMPLETE = {
    "AETERM": "Nausea", "AEDECOD": "Nausea", "AESTDAT": "2026-01-10", "AEONGO": "Y", "AETOXGR": 1, "AEIRAE": "N",
    "AESER": "N", "AEREL_PAC": "POSSIBLE", "AEREL_CARBO": "POSSIBLE", "AEREL_CAM": "NOT_RELATED",
    "AEREL_RT": "NOT_RELATED", "AEACN_PAC": "DOSE_NOT_CHANGED", "AEACN_CARBO": "DOSE_NOT_CHANGED",
    "AEACN_CAM": "DOSE_NOT_CHANGED", "AEACN_RT": "NOT_APPLICABLE", "AEOUT": "RECOVERING",
}


def test_a_complete_ae_maps_every_value_and_goes_back_to_draft_for_the_new_required_item():
    v1, v2 = compile_form(content("F_AE.v1.yaml")), compile_form(content("F_AE.v2.yaml"))
    plan = plan_migration(v1, v2, AE_COMPLETE, record_status="complete", resolve=nothing, today=TODAY)
    assert sorted(o.key for o in plan.mapped) == sorted(AE_COMPLETE)
    assert [a["item"] for a in plan.added] == ["AECONTRT"] and plan.added[0]["required"] is True
    assert plan.lost == [] and plan.failing == []
    assert plan.needs_value == ["AECONTRT"] and plan.status_after == "draft"
    assert plan.data_after == AE_COMPLETE
    draft = plan_migration(v1, v2, AE_COMPLETE, record_status="draft", resolve=nothing, today=TODAY)
    assert draft.needs_value == [] and draft.status_after == "draft"


def test_a_haemoglobin_below_the_new_hard_minimum_fails_and_blocks_applying():
    v1, v2 = compile_form(content("F_LB.v1.yaml")), compile_form(content("F_LB.v2.yaml"))
    data = {"LBPERF": "Y", "LBDAT": "2026-01-06", "LBHGB": "0.5", "LBHGBU": "G_DL", "LBHGBLO": "12.0"}
    plan = plan_migration(v1, v2, data, record_status="draft", resolve=nothing, today=TODAY)
    assert [(o.key, o.value) for o in plan.failing] == [("LBHGB", "0.5")]
    assert "between 1 and 250" in plan.failing[0].reason
    assert sorted(o.key for o in plan.mapped) == ["LBDAT", "LBHGBLO", "LBHGBU", "LBPERF"]
    assert plan.added == [] and plan.lost == []
    assert set(plan.blockers(accept_losses=True)) == {"LBHGB"}
    fine = plan_migration(v1, v2, data | {"LBHGB": "1.0"}, record_status="draft", resolve=nothing, today=TODAY)
    assert fine.failing == [] and fine.blockers(accept_losses=False) == {}


ECOG = {"ECOGDAT": "2026-01-06", "ECOG": 1, "KPS": 80}


def ecog_v2(edit) -> dict:
    doc = content("F_ECOG.v1.yaml")
    doc["version"] = 2
    edit(doc)
    return doc


def _drop_kps(doc):
    doc["groups"][0]["items"] = [i for i in doc["groups"][0]["items"] if i["oid"] != "KPS"]
    del doc["codelists"]["CL_KPS"]
    doc["checks"] = [c for c in doc["checks"] if c["id"] != "PS_ECOG_KPS_CONSISTENT"]


def test_values_without_a_place_in_the_new_version_are_lost_and_need_to_be_accepted():
    v1 = compile_form(content("F_ECOG.v1.yaml"))
    plan = plan_migration(v1, compile_form(ecog_v2(_drop_kps)), ECOG, record_status="complete", resolve=nothing,
                          today=TODAY)
    assert [(o.key, o.value) for o in plan.lost] == [("KPS", 80)]
    assert sorted(o.key for o in plan.mapped) == ["ECOG", "ECOGDAT"] and plan.failing == []
    assert plan.data_after == {"ECOGDAT": "2026-01-06", "ECOG": 1}
    assert set(plan.blockers(accept_losses=False)) == {"KPS"} and plan.blockers(accept_losses=True) == {}
    assert plan.as_dict()["summary"] == {"mapped": 2, "added": 0, "lost": 1, "failing": 0}


def test_a_value_the_new_version_hides_and_clears_is_lost():
    def hide_kps(doc):
        kps = next(i for i in doc["groups"][0]["items"] if i["oid"] == "KPS")
        kps.update(show_if="[ECOG] >= 2", when_hidden="clear")

    plan = plan_migration(compile_form(content("F_ECOG.v1.yaml")), compile_form(ecog_v2(hide_kps)), ECOG,
                          record_status="complete", resolve=nothing, today=TODAY)
    assert [(o.key, o.value) for o in plan.lost] == [("KPS", 80)] and "hidden" in plan.lost[0].reason
    assert sorted(o.key for o in plan.mapped) == ["ECOG", "ECOGDAT"] and plan.failing == []
    assert "KPS" not in plan.data_after


def test_a_new_hard_check_fails_the_values_it_names():
    def ecog_max_3(doc):
        doc["checks"].append({"id": "PS_ECOG_MAX_3", "assert": "[ECOG] <= 0", "severity": "hard",
                              "message": "ECOG above 0 is not allowed any more", "items": ["ECOG"]})

    target = compile_form(ecog_v2(ecog_max_3))
    complete = plan_migration(compile_form(content("F_ECOG.v1.yaml")), target, ECOG, record_status="complete",
                              resolve=nothing, today=TODAY)
    assert [(o.key, o.value, o.reason) for o in complete.failing] == [
        ("ECOG", 1, "ECOG above 0 is not allowed any more")]
    draft = plan_migration(compile_form(content("F_ECOG.v1.yaml")), target, ECOG, record_status="draft",
                           resolve=nothing, today=TODAY)
    assert draft.failing == [] and [w.severity for w in draft.warnings] == ["hard_pending"]


def test_rows_of_a_repeating_group_map_and_lose_item_by_item():
    target = copy.deepcopy(GROUPED)
    target["version"] = 2
    target["groups"][1]["items"] = [{"oid": "R1", "label": "R1", "type": "integer"}]
    data = {"A": 1, "IG_R": [{"_row": 1, "R1": 5, "R2": "gone"}, {"_row": 2, "R1": 6}]}
    plan = plan_migration(compile_form(GROUPED), compile_form(target), data, record_status="draft",
                          resolve=nothing, today=TODAY)
    assert [o.key for o in plan.mapped] == ["A", "IG_R[1].R1", "IG_R[2].R1"]
    assert [(o.key, o.group_oid, o.row, o.value) for o in plan.lost] == [("IG_R[1].R2", "IG_R", 1, "gone")]
    assert plan.data_after == {"A": 1, "IG_R": [{"_row": 1, "R1": 5}, {"_row": 2, "R1": 6}]}


def _sig(scope, status, record_id=None, visit_id=None):
    return SimpleNamespace(scope=scope, status=status, record_id=record_id, visit_id=visit_id)


def test_signature_statuses_of_a_record_and_of_a_subject():
    assert record_signature_status([]) == "unsigned"
    assert record_signature_status([_sig("record", "invalidated", 1)]) == "invalidated"
    assert record_signature_status([_sig("record", "invalidated", 1), _sig("subject", "valid")]) == "signed"
    assert subject_signature_status([]) == "unsigned"
    assert subject_signature_status([_sig("record", "valid", 1)]) == "unsigned"
    assert subject_signature_status([_sig("subject", "valid")]) == "signed"
    assert subject_signature_status([_sig("subject", "valid"), _sig("record", "invalidated", 1)]) == "needs_resigning"
    assert subject_signature_status([_sig("record", "invalidated", 1), _sig("record", "valid", 1)]) == "unsigned"
    assert subject_signature_status([_sig("subject", "invalidated"), _sig("subject", "valid")]) == "signed"
    assert subject_signature_status([_sig("visit", "invalidated", visit_id=3)]) == "needs_resigning"
