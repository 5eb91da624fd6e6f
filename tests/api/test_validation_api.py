"""Validation through the API, for the forms of the walkthrough.

* Every HARD check defined in forms/crfs fires through the API with its message: a draft saves it
  as a pending problem (``hard_pending``), completion is refused with 422 and the errors keyed by
  item OID (``IG_X[row].ITEM`` inside repeating groups), and the refused request changes nothing.
* Value problems (type, code list, decimals, length, pattern, hard range), required and
  ``required_if`` at completion, values of hidden items, row counts and row keys.
* Every SOFT check saves (201/200) with a warning naming its rule and message.

Subjects are in ESCC-LDRT (the forms are shared) except for the ESCC-N3 eligibility checklist.
The valid data comes from tests/support/casebook.py; each case changes what it needs to fail.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
import yaml

from tests.support import casebook as cb

FORMS_DIR = Path(__file__).resolve().parents[2] / "forms" / "crfs"
FUTURE = (dt.date.today() + dt.timedelta(days=40)).isoformat()
WALKTHROUGH_FORMS = ("F_DM", "F_BASELINE", "F_ECOG", "F_TNM", "F_LB", "F_IE_N3", "F_IE_LDRT", "F_RECIST_BL",
                     "F_RECIST", "F_EX", "F_RT", "F_AE", "F_EOT", "F_FU", "F_DD")
DEATH_DATE = "2026-05-10"
RT_START = cb.C2D1


def _load_forms() -> dict[str, dict]:
    forms = {}
    for path in sorted(FORMS_DIR.glob("*.v1.yaml")):
        with path.open(encoding="utf-8") as handle:
            doc = yaml.safe_load(handle)
        forms[doc["oid"]] = doc
    return forms


FORMS = _load_forms()


def checks_of(severity: str) -> dict[tuple[str, str], str]:
    """{(form OID, check id): message} of every check of that severity in the walkthrough forms."""
    return {(oid, check["id"]): check["message"] for oid in WALKTHROUGH_FORMS
            for check in FORMS[oid].get("checks", []) if check["severity"] == severity}


def item_spec(form: str, item: str) -> dict:
    return next(i for g in FORMS[form]["groups"] for i in g["items"] if i["oid"] == item)


# ---------------------------------------------------------------- subjects with what a case needs

def prepare(client, study: str, needs: tuple[str, ...]) -> int:
    """Enrol a subject and complete the records a case depends on (cross-form checks, anchors)."""
    site = {"ESCC-N3": "RJH", "ESCC-LDRT": "WCH"}[study]
    sid = cb.enrol(client, study, site)["id"]
    immuno = cb.course_for(study).immunotherapy
    if "dm" in needs:
        cb.enter_record(client, sid, "SCR", "F_DM", cb.demographics())
    if "female" in needs:
        cb.enter_record(client, sid, "SCR", "F_DM", cb.demographics(SEX="F"))
    if "recist_bl" in needs:
        cb.enter_record(client, sid, "SCR", "F_RECIST_BL", cb.recist_baseline("2026-01-09"))
    if "c1d1" in needs:
        cb.enter_record(client, sid, "CYCLE", "F_EX", cb.chemo_cycle(1, cb.C1D1, immunotherapy=immuno))
    if "rt" in needs:
        cb.enter_record(client, sid, "RT", "F_RT", cb.radiotherapy(RT_START))
    if "death" in needs:
        cb.enter_record(client, sid, "DEATH", "F_DD", cb.death(DEATH_DATE))
    return sid


def create(client, sid: int, form: str, visit: str, data: dict, repeat: int = 1):
    return client.post(f"/subjects/{sid}/visits/{visit}/forms/{form}?repeat={repeat}", json={"data": data})


def complete(client, record_id: int, etag: str, reason: str | None = None):
    return client.post(f"/records/{record_id}/complete", json={"reason": reason} if reason else {},
                       headers={"If-Match": etag})


def ex_rows(**changes_by_row) -> Callable[[dict], dict]:
    """Change IG_EX rows of a cycle: ``ex_rows(r2={"EXDOSE": "0"})``."""
    def apply(data: dict) -> dict:
        for name, changes in changes_by_row.items():
            data = cb.with_row(data, "IG_EX", int(name[1:]) - 1, **changes)
        return data
    return apply


def cycle1(**overrides) -> dict:
    return cb.chemo_cycle(1, cb.C1D1, **overrides)


# ---------------------------------------------------------------- hard checks

@dataclass(frozen=True)
class Case:
    form: str
    visit: str
    data: Callable[[], dict]
    key: str                      # where the error is reported
    needs: tuple[str, ...] = ("dm",)
    repeat: int = 1
    study: str = "ESCC-LDRT"
    patch: dict | None = None     # refuse a change of the complete record instead of a completion


LB_LIMITS = {stem: (f"LB{stem}LO", f"LB{stem}HI") for stem in ("HGB", "WBC", "ANC", "PLT", "ALT", "AST", "BILI",
                                                                "CREAT", "ALB")}


HARD: dict[tuple[str, str], Case] = {
    # F_DM
    ("F_DM", "DM_CONSENT_NOT_FUTURE"): Case("F_DM", "SCR", lambda: cb.demographics(FUTURE), "RFICDTC", needs=()),
    ("F_DM", "DM_BIRTH_BEFORE_CONSENT"): Case("F_DM", "SCR", lambda: cb.demographics(BRTHDAT="2026-02-01"), "BRTHDAT",
                                              needs=()),
    # F_BASELINE
    ("F_BASELINE", "BL_DIAG_NOT_FUTURE"): Case("F_BASELINE", "SCR", lambda: cb.baseline("ESCC-LDRT", FUTURE),
                                               "DIAGDAT"),
    ("F_BASELINE", "BL_DIAG_AFTER_BIRTH"): Case("F_BASELINE", "SCR", lambda: cb.baseline("ESCC-LDRT", "1960-05-UN"),
                                                "DIAGDAT"),
    # F_ECOG, F_TNM
    ("F_ECOG", "PS_DATE_NOT_FUTURE"): Case("F_ECOG", "SCR", lambda: cb.performance(FUTURE), "ECOGDAT"),
    ("F_TNM", "TNM_DATE_NOT_FUTURE"): Case("F_TNM", "SCR", lambda: cb.staging(FUTURE, n="N1"), "TNMDAT"),
    # F_LB
    ("F_LB", "LB_DATE_NOT_FUTURE"): Case("F_LB", "SCR", lambda: cb.labs(FUTURE), "LBDAT"),
    ("F_LB", "LB_ANC_NOT_ABOVE_WBC"): Case("F_LB", "SCR", lambda: cb.labs("2026-01-07", anc="7.00"), "LBANC"),
    **{("F_LB", f"LB_{stem}_LLN_BELOW_ULN"): Case(
        "F_LB", "SCR", (lambda lo=lo, hi=hi: cb.labs("2026-01-07", **{lo: cb.labs("2026-01-07")[hi]})), lo)
       for stem, (lo, hi) in LB_LIMITS.items()},
    ("F_LB", "LB_HGB_POSSIBLE_FOR_UNIT"): Case("F_LB", "SCR", lambda: cb.labs(
        "2026-01-07", hgb="30", LBHGBU="G_DL", LBHGBLO="13", LBHGBHI="17.5"), "LBHGB"),
    ("F_LB", "LB_WBC_POSSIBLE_FOR_UNIT"): Case("F_LB", "SCR", lambda: cb.labs("2026-01-07", wbc="620"), "LBWBC"),
    ("F_LB", "LB_ANC_POSSIBLE_FOR_UNIT"): Case("F_LB", "SCR", lambda: cb.labs(
        "2026-01-07", anc="600", wbc="6200", LBWBCU="PER_MM3", LBWBCLO="3500", LBWBCHI="9500"), "LBANC"),
    ("F_LB", "LB_PLT_POSSIBLE_FOR_UNIT"): Case("F_LB", "SCR", lambda: cb.labs("2026-01-07", plt="6000.0"), "LBPLT"),
    ("F_LB", "LB_BILI_POSSIBLE_FOR_UNIT"): Case("F_LB", "SCR", lambda: cb.labs(
        "2026-01-07", bili="70.00", LBBILIU="MG_DL", LBBILILO="0.20", LBBILIHI="1.20"), "LBBILI"),
    ("F_LB", "LB_CREAT_POSSIBLE_FOR_UNIT"): Case("F_LB", "SCR", lambda: cb.labs(
        "2026-01-07", creat="72.00", LBCREATU="MG_DL", LBCREATLO="0.60", LBCREATHI="1.30"), "LBCREAT"),
    ("F_LB", "LB_ALB_POSSIBLE_FOR_UNIT"): Case("F_LB", "SCR", lambda: cb.labs(
        "2026-01-07", alb="41.0", LBALBU="G_DL", LBALBLO="4.0", LBALBHI="5.5"), "LBALB"),
    # F_IE_N3 (ESCC-N3)
    ("F_IE_N3", "IE_NOT_ELIGIBLE_IF_CRITERION_FAILED"): Case(
        "F_IE_N3", "SCR", lambda: cb.eligibility_n3("2026-01-10", EX05="Y"), "IEYN", study="ESCC-N3"),
    ("F_IE_N3", "IE_EXCEPTION_NEEDS_ECOG_0_1"): Case("F_IE_N3", "SCR", lambda: cb.eligibility_n3(
        "2026-01-10", IN07="N", IEEXCYN="Y", IEEXC=["CHRONIC_ANEMIA"], IEEXCECOG="N"), "IEEXCECOG", study="ESCC-N3"),
    ("F_IE_N3", "IE_EXCEPTION_ECOG_MATCHES_IN05"): Case("F_IE_N3", "SCR", lambda: cb.eligibility_n3(
        "2026-01-10", eligible=False, IN05="N", IN07="N", IEEXCYN="Y", IEEXC=["LOW_PLT"], IEEXCECOG="Y"), "IN05",
        study="ESCC-N3"),
    ("F_IE_N3", "IE_DATE_AFTER_CONSENT"): Case("F_IE_N3", "SCR", lambda: cb.eligibility_n3("2026-01-02"), "IEDAT",
                                               study="ESCC-N3"),
    ("F_IE_N3", "IE_DATE_NOT_FUTURE"): Case("F_IE_N3", "SCR", lambda: cb.eligibility_n3(FUTURE), "IEDAT",
                                            study="ESCC-N3"),
    # F_IE_LDRT
    ("F_IE_LDRT", "IE_NOT_ELIGIBLE_IF_CRITERION_FAILED"): Case(
        "F_IE_LDRT", "SCR", lambda: cb.eligibility_ldrt("2026-01-10", IN02="N"), "IEYN"),
    ("F_IE_LDRT", "IE_DATE_AFTER_CONSENT"): Case("F_IE_LDRT", "SCR", lambda: cb.eligibility_ldrt("2026-01-02"),
                                                 "IEDAT"),
    ("F_IE_LDRT", "IE_DATE_NOT_FUTURE"): Case("F_IE_LDRT", "SCR", lambda: cb.eligibility_ldrt(FUTURE), "IEDAT"),
    # F_RECIST_BL
    ("F_RECIST_BL", "RBL_DATE_NOT_FUTURE"): Case("F_RECIST_BL", "SCR", lambda: cb.recist_baseline(FUTURE), "TRDAT"),
    ("F_RECIST_BL", "RBL_MEASURABLE_HAS_TARGETS"): Case("F_RECIST_BL", "SCR", lambda: cb.recist_baseline(
        "2026-01-09", targets=[], TUMEASYN="Y"), "TUMEASYN"),
    ("F_RECIST_BL", "RBL_NOT_MEASURABLE_NO_TARGETS"): Case("F_RECIST_BL", "SCR", lambda: cb.recist_baseline(
        "2026-01-09", TUMEASYN="N"), "TUMEASYN"),
    ("F_RECIST_BL", "RBL_NODE_SHORT_AXIS_15"): Case("F_RECIST_BL", "SCR", lambda: cb.recist_baseline(
        "2026-01-09", targets=[cb.BASELINE_TARGETS[0], cb.target("T02", "LYMPH_NODE", "station 2R", "12.0")]),
        "IG_TL[2].TRORRES"),
    ("F_RECIST_BL", "RBL_XRAY_TARGET_20MM"): Case("F_RECIST_BL", "SCR", lambda: cb.recist_baseline(
        "2026-01-09", targets=[cb.target("T01", "LUNG", "right upper lobe", "15.0", method="XRAY")]),
        "IG_TL[1].TRORRES"),
    ("F_RECIST_BL", "RBL_TARGET_METHOD_MEASURABLE"): Case("F_RECIST_BL", "SCR", lambda: cb.recist_baseline(
        "2026-01-09", targets=[cb.target("T01", "ESOPHAGUS", "mid-thoracic", "38.0", method="ENDOSCOPY")]),
        "IG_TL[1].TRMETHOD"),
    # F_RECIST (TA 1, after the baseline of 2026-01-09)
    ("F_RECIST", "RFU_DATE_NOT_FUTURE"): Case("F_RECIST", "TA", lambda: cb.recist_followup(FUTURE), "TRDAT",
                                              needs=("dm", "recist_bl")),
    ("F_RECIST", "RFU_AFTER_BASELINE"): Case("F_RECIST", "TA", lambda: cb.recist_followup("2026-01-09"), "TRDAT",
                                             needs=("dm", "recist_bl")),
    ("F_RECIST", "RFU_TARGET_METHOD_MEASURABLE"): Case(
        "F_RECIST", "TA", lambda: cb.with_row(cb.recist_followup("2026-03-03"), "IG_TL", 0, TRMETHOD="ULTRASOUND"),
        "IG_TL[1].TRMETHOD", needs=("dm", "recist_bl")),
    ("F_RECIST", "RFU_NEWLIND_NO_ROWS"): Case("F_RECIST", "TA", lambda: cb.recist_followup(
        "2026-03-03", new_lesions=[cb.new_lesion()], new_lesion_answer="N", overall="PD"), "NEWLIND",
        needs=("dm", "recist_bl")),
    ("F_RECIST", "RFU_NEWLIND_HAS_ROWS"): Case("F_RECIST", "TA", lambda: cb.recist_followup(
        "2026-03-03", new_lesion_answer="EQUIVOCAL"), "NEWLIND", needs=("dm", "recist_bl")),
    ("F_RECIST", "RFU_TARGET_NA_ONLY_WITHOUT_TARGETS"): Case("F_RECIST", "TA", lambda: cb.recist_followup(
        "2026-03-03", TRGRESP="NA"), "TRGRESP", needs=("dm", "recist_bl")),
    ("F_RECIST", "RFU_TARGETS_NEED_RESPONSE"): Case("F_RECIST", "TA", lambda: cb.recist_followup(
        "2026-03-03", TRGRESP="NA"), "TRGRESP", needs=("dm", "recist_bl")),
    ("F_RECIST", "RFU_NONTARGET_NA_ONLY_WITHOUT_LESIONS"): Case("F_RECIST", "TA", lambda: cb.recist_followup(
        "2026-03-03", NTRGRESP="NA"), "NTRGRESP", needs=("dm", "recist_bl")),
    ("F_RECIST", "RFU_NONTARGETS_NEED_RESPONSE"): Case("F_RECIST", "TA", lambda: cb.recist_followup(
        "2026-03-03", NTRGRESP="NA"), "NTRGRESP", needs=("dm", "recist_bl")),
    # F_EX (repeating group IG_EX: 1 paclitaxel, 2 carboplatin, 3 camrelizumab)
    ("F_EX", "EX_CYCLE_DATE_NOT_FUTURE"): Case("F_EX", "CYCLE", lambda: cb.chemo_cycle(1, FUTURE), "CYCDAT"),
    ("F_EX", "EX_CYCLE_AFTER_CONSENT"): Case("F_EX", "CYCLE", lambda: cb.chemo_cycle(1, "2026-01-02"), "CYCDAT"),
    ("F_EX", "EX_CYCLE_NOT_BEFORE_C1D1"): Case("F_EX", "CYCLE", lambda: cb.chemo_cycle(2, "2026-01-12"), "CYCDAT",
                                               needs=("dm", "c1d1"), repeat=2),
    ("F_EX", "EX_DOSE_POSITIVE"): Case("F_EX", "CYCLE", lambda: ex_rows(r2={"EXDOSE": "0"})(cycle1()),
                                       "IG_EX[2].EXDOSE"),
    ("F_EX", "EX_GIVEN_WITHIN_CYCLE"): Case("F_EX", "CYCLE", lambda: ex_rows(r3={"EXSTDAT": "2026-01-18"})(cycle1()),
                                            "IG_EX[3].EXSTDAT"),
    ("F_EX", "EX_UNIT_CAMRELIZUMAB"): Case("F_EX", "CYCLE", lambda: ex_rows(r3={"EXDOSU": "MG_M2"})(cycle1()),
                                           "IG_EX[3].EXDOSU"),
    ("F_EX", "EX_UNIT_CARBOPLATIN"): Case("F_EX", "CYCLE", lambda: ex_rows(r2={"EXDOSU": "MG_M2"})(cycle1()),
                                          "IG_EX[2].EXDOSU"),
    ("F_EX", "EX_UNIT_TAXANE"): Case("F_EX", "CYCLE", lambda: ex_rows(r1={"EXDOSU": "AUC"})(cycle1()),
                                     "IG_EX[1].EXDOSU"),
    # F_RT
    ("F_RT", "RT_START_NOT_FUTURE"): Case("F_RT", "RT", lambda: cb.radiotherapy(FUTURE, completed=None), "RTSTDAT"),
    ("F_RT", "RT_END_NOT_BEFORE_START"): Case("F_RT", "RT", lambda: cb.radiotherapy(RT_START, end="2026-02-06"),
                                              "RTENDAT"),
    ("F_RT", "RT_END_NOT_FUTURE"): Case("F_RT", "RT", lambda: cb.radiotherapy(RT_START, end=FUTURE), "RTENDAT"),
    ("F_RT", "RT_START_AFTER_CONSENT"): Case("F_RT", "RT", lambda: cb.radiotherapy("2026-01-02"), "RTSTDAT"),
    ("F_RT", "RT_END_WHEN_FINISHED"): Case("F_RT", "RT", lambda: cb.radiotherapy(RT_START, completed=None,
                                                                                 RTCOMPL="Y"), "RTCOMPL"),
    ("F_RT", "RT_INTERRUPTION_ROWS"): Case("F_RT", "RT", lambda: cb.radiotherapy(RT_START, RTINTYN="Y"), "RTINTYN"),
    ("F_RT", "RT_INTERRUPTION_END_AFTER_START"): Case("F_RT", "RT", lambda: cb.radiotherapy(
        RT_START, fractions=25, interruptions=[cb.interruption("2026-02-20", "2026-02-18")]), "IG_RTINT[1].RTINTEN"),
    # F_AE
    ("F_AE", "AE_START_NOT_FUTURE"): Case("F_AE", "AELOG", lambda: cb.adverse_event(start=FUTURE, end=None),
                                          "AESTDAT"),
    ("F_AE", "AE_END_NOT_FUTURE"): Case("F_AE", "AELOG", lambda: cb.adverse_event(end=FUTURE), "AEENDAT"),
    ("F_AE", "AE_END_NOT_BEFORE_START"): Case("F_AE", "AELOG", lambda: cb.adverse_event(end="2026-02-20"),
                                              "AEENDAT"),
    ("F_AE", "AE_ONGOING_NO_END_DATE"): Case("F_AE", "AELOG", lambda: cb.adverse_event(), "AEENDAT",
                                             patch={"AEONGO": "Y", "AEOUT": "RECOVERING"}),
    ("F_AE", "AE_START_NOT_AFTER_DEATH"): Case("F_AE", "AELOG", lambda: cb.adverse_event(
        start="2026-05-20", end="2026-05-25"), "AESTDAT", needs=("dm", "death")),
    ("F_AE", "AE_SERIOUS_HAS_CRITERION"): Case("F_AE", "AELOG", lambda: cb.adverse_event(
        serious=(), AESER="Y", **{c: "N" for c in cb.SERIOUSNESS}), "AESER"),
    ("F_AE", "AE_GRADE5_IS_FATAL"): Case("F_AE", "AELOG", lambda: cb.adverse_event(
        grade=5, serious=("AESDTH",), outcome="RECOVERED"), "AEOUT"),
    ("F_AE", "AE_GRADE5_IS_SERIOUS_DEATH"): Case("F_AE", "AELOG", lambda: cb.adverse_event(
        grade=5, serious=("AESHOSP",), outcome="FATAL"), "AESDTH"),
    ("F_AE", "AE_FATAL_IS_GRADE5"): Case("F_AE", "AELOG", lambda: cb.adverse_event(grade=3, outcome="FATAL"),
                                         "AETOXGR"),
    ("F_AE", "AE_FINAL_OUTCOME_NOT_ONGOING"): Case("F_AE", "AELOG", lambda: cb.adverse_event(
        end=None, outcome="RECOVERED"), "AEONGO"),
    # F_EOT (c1d1 2026-01-19, rt_start 2026-02-09)
    ("F_EOT", "EOT_DATE_NOT_FUTURE"): Case("F_EOT", "EOT", lambda: cb.end_of_treatment(FUTURE), "EOTDAT"),
    ("F_EOT", "EOT_AFTER_CONSENT"): Case("F_EOT", "EOT", lambda: cb.end_of_treatment("2026-01-02"), "EOTDAT"),
    ("F_EOT", "EOT_LAST_DOSE_PAC"): Case("F_EOT", "EOT", lambda: cb.end_of_treatment(
        "2026-03-30", last_chemo="2026-02-09", LDDAT_PAC="2026-01-12"), "LDDAT_PAC", needs=("dm", "c1d1")),
    ("F_EOT", "EOT_LAST_DOSE_CARBO"): Case("F_EOT", "EOT", lambda: cb.end_of_treatment(
        "2026-03-30", last_chemo="2026-02-09", LDDAT_CARBO="2026-04-02"), "LDDAT_CARBO", needs=("dm", "c1d1")),
    ("F_EOT", "EOT_LAST_DOSE_CAM"): Case("F_EOT", "EOT", lambda: cb.end_of_treatment(
        "2026-03-30", last_immuno="2026-01-12"), "LDDAT_CAM", needs=("dm", "c1d1")),
    ("F_EOT", "EOT_LAST_FRACTION_RT"): Case("F_EOT", "EOT", lambda: cb.end_of_treatment(
        "2026-03-30", last_rt="2026-02-06"), "LDDAT_RT", needs=("dm", "rt")),
    # F_FU
    ("F_FU", "FU_CONTACT_NOT_FUTURE"): Case("F_FU", "FU", lambda: cb.follow_up(FUTURE), "SSDAT"),
    ("F_FU", "FU_ALIVE_NOT_AFTER_CONTACT"): Case("F_FU", "FU", lambda: cb.follow_up(
        "2026-06-29", last_known_alive="2026-06-30"), "LKADAT"),
    ("F_FU", "FU_ALIVE_AFTER_CONSENT"): Case("F_FU", "FU", lambda: cb.follow_up(
        "2026-06-29", "LOST", last_known_alive="2026-01-02"), "LKADAT"),
    ("F_FU", "FU_PD_NOT_AFTER_CONTACT"): Case("F_FU", "FU", lambda: cb.follow_up(
        "2026-06-29", progression="2026-07-02"), "PDDAT"),
    ("F_FU", "FU_THERAPY_NOT_AFTER_CONTACT"): Case("F_FU", "FU", lambda: cb.follow_up(
        "2026-06-29", therapy="2026-07-UN"), "STHSTDAT"),
    # F_DD
    ("F_DD", "DD_NOT_BEFORE_CONSENT"): Case("F_DD", "DEATH", lambda: cb.death("2025-12-20"), "DTHDAT"),
    ("F_DD", "DD_NOT_FUTURE"): Case("F_DD", "DEATH", lambda: cb.death(FUTURE), "DTHDAT"),
}


def test_every_hard_check_of_the_walkthrough_forms_has_an_api_case():
    defined = checks_of("hard")
    assert len(defined) >= 70
    assert set(HARD) == set(defined)
    assert {form for form, _ in defined} == set(WALKTHROUGH_FORMS)  # every form has hard checks


KNOWN_BUGS: dict = {}  # (form, check) -> pytest mark, for a check that cannot be tested yet


@pytest.mark.parametrize("form,check_id", [
    pytest.param(f, c, id=f"{f}-{c}", marks=[KNOWN_BUGS[(f, c)]] if (f, c) in KNOWN_BUGS else [])
    for f, c in sorted(HARD)])
def test_a_hard_check_fires_with_its_message(as_user, form, check_id):
    case = HARD[(form, check_id)]
    message = checks_of("hard")[(form, check_id)]
    key = case.key
    client = as_user("coord_a")
    sid = prepare(client, case.study, case.needs)

    if case.patch is not None:
        record = cb.enter_record(client, sid, case.visit, form, case.data(), repeat=case.repeat)
        refused = client.patch(f"/records/{record['id']}", json={"data": case.patch, "reason": "correction"},
                               headers={"If-Match": record["etag"]})
        assert refused.status_code == 422, refused.json
        assert message in refused.json["errors"][key]
        after = client.get(f"/records/{record['id']}")
        assert after.headers["ETag"] == record["etag"]
        assert after.json["data"] == record["data"] and after.json["status"] == "complete"
        return

    # A draft keeps the data and lists the failed hard check as pending.
    created = create(client, sid, form, case.visit, case.data(), case.repeat)
    assert created.status_code == 201, created.json
    record, etag = created.json, created.headers["ETag"]
    assert record["status"] == "draft"
    pending = [w for w in record["warnings"] if w["rule"] == check_id]
    assert pending and all(w["severity"] == "hard_pending" for w in pending), record["warnings"]
    assert {w["key"] for w in pending} >= {key} and {w["message"] for w in pending} == {message}

    # Completion is refused: 422, the check's message under the item's key.
    refused = complete(client, record["id"], etag)
    assert refused.status_code == 422, refused.json
    assert refused.json["message"] == "the record cannot be completed: fix the errors listed"
    assert key in refused.json["errors"], refused.json["errors"]
    assert message in refused.json["errors"][key]

    # Nothing changed.
    after = client.get(f"/records/{record['id']}")
    assert after.status_code == 200
    assert after.headers["ETag"] == etag
    assert after.json["status"] == "draft" and after.json["data"] == record["data"]
    assert after.json["ever_completed"] is False and after.json["completed_at"] is None


@pytest.mark.parametrize("form,check_id,patch,key", [
    ("F_DM", "DM_BIRTH_BEFORE_CONSENT", {"BRTHDAT": "2026-01-UN"}, None),   # undecidable: allowed
    ("F_DM", "DM_BIRTH_BEFORE_CONSENT", {"BRTHDAT": "2026-02-UN"}, "BRTHDAT"),
    ("F_RT", "RT_END_NOT_BEFORE_START", {"RTENDAT": "2026-02-08"}, "RTENDAT"),
    ("F_RT", "RT_INTERRUPTION_END_AFTER_START", {"IG_RTINT": [cb.interruption("2026-02-20", "2026-02-18")],
                                                 "RTINTYN": "Y"}, "IG_RTINT[1].RTINTEN"),
    ("F_EX", "EX_UNIT_TAXANE", {"IG_EX": [{"_row": 1, "EXDOSU": "AUC"}, {"_row": 2}, {"_row": 3}]},
     "IG_EX[1].EXDOSU"),
])
def test_a_change_to_complete_data_runs_the_hard_checks(as_user, form, check_id, patch, key):
    client = as_user("coord_a")
    needs = ("dm",) if form != "F_DM" else ()
    sid = prepare(client, "ESCC-LDRT", needs)
    visit, data = {"F_DM": ("SCR", cb.demographics()), "F_RT": ("RT", cb.radiotherapy(RT_START)),
                   "F_EX": ("CYCLE", cycle1())}[form]
    record = cb.enter_record(client, sid, visit, form, data)
    response = client.patch(f"/records/{record['id']}", json={"data": patch, "reason": "source document check"},
                            headers={"If-Match": record["etag"]})
    after = client.get(f"/records/{record['id']}")
    if key is None:
        assert response.status_code == 200, response.json
        assert after.json["data"]["BRTHDAT"] == "2026-01-UN"
        return
    assert response.status_code == 422
    assert response.json["errors"][key] == [checks_of("hard")[(form, check_id)]]
    assert after.headers["ETag"] == record["etag"] and after.json["data"] == record["data"]
    assert after.json["status"] == "complete"


# ---------------------------------------------------------------- values refused whatever the state

def dm_with(**overrides):
    return "F_DM", "SCR", cb.demographics(**overrides)


VALUE_PROBLEMS = [
    # (id, form, visit, data, key, message)
    ("text-in-integer", *dm_with(AGE="sixty"), "AGE", "Age at informed consent must be a whole number"),
    ("decimal-in-integer", "F_RT", "RT", cb.radiotherapy(RT_START, RTPLFX="25.5"), "RTPLFX",
     "Planned number of fractions must be a whole number"),
    ("impossible-date", *dm_with(RFICDTC="2026-02-30"), "RFICDTC",
     "Date of informed consent is not a real calendar date (2026-02-30)"),
    ("badly-written-date", *dm_with(RFICDTC="05/01/2026"), "RFICDTC",
     "Date of informed consent must be a date written YYYY-MM-DD"),
    ("partial-date-day-without-month", *dm_with(BRTHDAT="1961-UN-14"), "BRTHDAT",
     "Date of birth must be a date written YYYY-MM-DD, YYYY-MM-UN or YYYY-UN-UN"),
    ("code-not-in-codelist", *dm_with(SEX="X"), "SEX", "Sex must be one of the codes of CL_SEX: M, F"),
    ("integer-code-not-in-codelist", "F_ECOG", "SCR", cb.performance("2026-01-07", ecog=6), "ECOG",
     "ECOG performance status must be one of the codes of CL_ECOG: 0, 1, 2, 3, 4, 5"),
    ("multichoice-code-not-in-codelist", "F_TNM", "SCR", cb.staging("2026-01-07", methods=["CT", "XRAY"]), "TNMMETH",
     "Staging examinations must be one of the codes of CL_STGMETH"),
    ("multichoice-code-twice", "F_TNM", "SCR", cb.staging("2026-01-07", methods=["CT", "CT"]), "TNMMETH",
     "Staging examinations must not list a code twice"),
    ("multichoice-not-a-list", "F_TNM", "SCR", cb.staging("2026-01-07", TNMMETH="CT"), "TNMMETH",
     "Staging examinations must be a non-empty list of codes"),
    ("too-many-decimals", *dm_with(HEIGHT="170.25"), "HEIGHT", "Height must have at most 1 decimal place"),
    ("decimals-in-a-whole-decimal", "F_LB", "SCR", cb.labs("2026-01-07", alt="22.5"), "LBALT",
     "ALT (alanine aminotransferase) must have at most 0 decimal places"),
    ("too-long-text", *dm_with(RFICVER="v" * 41), "RFICVER",
     "Version of the consent form signed must be at most 40 characters (got 41)"),
    ("number-for-text", *dm_with(RFICVER=2), "RFICVER", "Version of the consent form signed must be text"),
    ("boolean-for-decimal", *dm_with(WEIGHT=True), "WEIGHT", "Weight must be a number"),
    ("pattern-in-row", "F_RECIST_BL", "SCR",
     cb.recist_baseline("2026-01-09", targets=[cb.target("T6", "LUNG", "left lower lobe", "21.0")]),
     "IG_TL[1].TRLNKID", "Lesion ID does not have the expected format (^T0[1-5]$)"),
    ("hard-range", *dm_with(HEIGHT="300"), "HEIGHT",
     "Height must be between 100 and 250 cm. Check the value and that it is in centimetres."),
    ("hard-range-integer", *dm_with(AGE=121), "AGE",
     "Age must be between 0 and 120 years. Check the date of birth and the age."),
    ("hard-range-lab", "F_LB", "SCR", cb.labs("2026-01-07", hgb="260"), "LBHGB",
     "Haemoglobin must be between 0 and 250 (in any of its units). Check the value."),
    ("hard-range-in-row", "F_RECIST_BL", "SCR",
     cb.recist_baseline("2026-01-09", targets=[cb.BASELINE_TARGETS[0], cb.target("T02", "LUNG", "RLL", "8.0")]),
     "IG_TL[2].TRORRES",
     "A target lesion must measure at least 10 mm (at most 500 mm). Lesions under 10 mm are non-target."),
    ("hard-range-cycle-number", "F_EX", "CYCLE", cb.chemo_cycle(1, cb.C1D1, EXCYCLE=41), "EXCYCLE",
     "The cycle number must be between 1 and 40. Check the cycle number."),
    ("hard-range-rt", "F_RT", "RT", cb.radiotherapy(RT_START, RTPLDOS="90.00"), "RTPLDOS",
     "The planned total dose must be between 1 and 80 Gy. Check the value."),
    ("unknown-item", *dm_with(NOPE="1"), "NOPE", "NOPE is not an item of form F_DM version 1"),
    ("repeating-item-outside-its-rows", "F_RECIST_BL", "SCR", cb.recist_baseline("2026-01-09", TRORRES="20.0"),
     "TRORRES", "TRORRES belongs to repeating group IG_TL: send it inside IG_TL rows"),
    ("item-of-another-group-in-a-row", "F_RECIST_BL", "SCR", cb.with_row(
        cb.recist_baseline("2026-01-09"), "IG_TL", 0, NTSTAT="PRESENT"), "IG_TL[1].NTSTAT",
     "NTSTAT is not an item of group IG_TL"),
    ("rows-not-a-list", "F_RECIST_BL", "SCR", cb.recist_baseline("2026-01-09", IG_TL={"TRLNKID": "T01"}), "IG_TL",
     "Target lesions must be a list of rows"),
    ("max-rows", "F_RECIST_BL", "SCR", cb.recist_baseline("2026-01-09", targets=[
        cb.target(f"T0{n}", organ, "lesion", "22.0") for n, organ in
        ((1, "LUNG"), (2, "LUNG"), (3, "LIVER"), (4, "LIVER"), (5, "ADRENAL"), (5, "BONE"))]), "IG_TL",
     "Target lesions allows at most 5 rows"),
    ("row-sent-twice", "F_RECIST_BL", "SCR", cb.recist_baseline("2026-01-09", IG_TL=[
        dict(cb.BASELINE_TARGETS[0], _row=1), dict(cb.BASELINE_TARGETS[1], _row=1)]), "IG_TL[1]",
     "row 1 is sent twice"),
    ("duplicate-row-key", "F_EX", "CYCLE", cb.chemo_cycle(1, cb.C1D1, drugs=[
        cb.drug("PACLITAXEL", "MG", "232.20", cb.C1D1), cb.drug("PACLITAXEL", "MG", "232.20", cb.C1D1)]),
     "IG_EX[2].EXTRT", "Study drug 'PACLITAXEL' is already used in row 1"),
    # A value in an item that the other answers hide is refused, even in a draft.
    ("hidden-item", "F_FU", "FU", cb.follow_up("2026-06-29", "DEAD", LKADAT="2026-06-20"), "LKADAT",
     "Date last known alive does not apply given the other answers; clear it"),
    ("hidden-group", "F_LB", "SCR", cb.labs("2026-01-07", LBPERF="N", LBDAT=None, LBNAM=None,
                                            LBREASND="patient refused"), "LBHGB",
     "Haemoglobin does not apply given the other answers; clear it"),
    ("hidden-item-in-row", "F_EX", "CYCLE", ex_rows(r3={"EXOCCUR": "N", "EXREASND": "AE"})(cycle1()),
     "IG_EX[3].EXDOSE", "Dose given does not apply given the other answers; clear it"),
    ("hidden-repeating-group", "F_RT", "RT", cb.radiotherapy(
        RT_START, interruptions=[cb.interruption("2026-02-16", "2026-02-17")], RTINTYN="N"), "IG_RTINT[1].RTINTST",
     "First day without a planned fraction does not apply given the other answers; clear it"),
    ("hidden-by-another-form", "F_BASELINE", "SCR", cb.baseline("ESCC-LDRT", CHILDPOT="N"), "CHILDPOT",
     "Woman of childbearing potential does not apply given the other answers; clear it"),
]


@pytest.mark.parametrize("form,visit,data,key,message", [p[1:] for p in VALUE_PROBLEMS],
                         ids=[p[0] for p in VALUE_PROBLEMS])
def test_a_value_problem_is_refused_and_nothing_is_created(as_user, form, visit, data, key, message):
    client = as_user("coord_a")
    sid = prepare(client, "ESCC-LDRT", ("dm",) if form != "F_DM" else ())
    response = create(client, sid, form, visit, data)
    assert response.status_code == 422, response.json
    assert response.json["message"] in ("some values cannot be saved; nothing was changed",
                                        "some values are not consistent with the form; nothing was changed")
    assert key in response.json["errors"], response.json["errors"]
    assert any(m.startswith(message) for m in response.json["errors"][key]), response.json["errors"][key]
    visits = client.get(f"/subjects/{sid}/visits").json["items"]
    records = [r for v in visits if v["key"] == visit for f in v["forms"] if f["form"] == form for r in f["records"]]
    assert records == []


ON_A_DRAFT = ("text-in-integer", "impossible-date", "code-not-in-codelist", "too-many-decimals", "too-long-text",
              "hard-range", "hidden-item", "hard-range-in-row", "max-rows", "duplicate-row-key")


@pytest.mark.parametrize("form,visit,data,key,message",
                         [pytest.param(*p[1:], id=p[0]) for p in VALUE_PROBLEMS if p[0] in ON_A_DRAFT])
def test_a_refused_change_to_a_draft_changes_nothing(as_user, form, visit, data, key, message):
    """The same problems sent as a change of a valid draft: 422, same data, same ETag, no audit."""
    client = as_user("coord_a")
    sid = prepare(client, "ESCC-LDRT", ("dm",) if form != "F_DM" else ())
    valid = {"F_DM": cb.demographics(), "F_FU": cb.follow_up("2026-06-29"), "F_EX": cycle1(),
             "F_RECIST_BL": cb.recist_baseline("2026-01-09")}[form]
    created = create(client, sid, form, visit, valid)
    assert created.status_code == 201
    record, etag = created.json, created.headers["ETag"]
    refused = client.patch(f"/records/{record['id']}", json={"data": data}, headers={"If-Match": etag})
    assert refused.status_code == 422
    # New rows are numbered after the stored ones, so a row problem may be reported on another row.
    prefix = message.rsplit(" in row ", 1)[0]
    assert any(m.startswith(prefix) for messages in refused.json["errors"].values() for m in messages)
    after = client.get(f"/records/{record['id']}")
    assert after.headers["ETag"] == etag and after.json["data"] == record["data"]
    assert after.json["version"] == record["version"] and after.json["updated_at"] == record["updated_at"]
    trail = as_user("monitor_a").get(f"/audit?record={record['id']}&action=item.changed").json["items"]
    assert trail == []


# ---------------------------------------------------------------- drafts, required, required_if, rows

def test_a_draft_accepts_partial_data_and_completion_asks_for_the_rest(as_user):
    client = as_user("coord_a")
    sid = prepare(client, "ESCC-LDRT", ())
    created = create(client, sid, "F_DM", "SCR", {"RFICDTC": "2026-01-05", "SEX": "M"})
    assert created.status_code == 201, created.json
    record, etag = created.json, created.headers["ETag"]
    assert record["status"] == "draft" and record["data"] == {"RFICDTC": "2026-01-05", "SEX": "M"}
    assert record["warnings"] == []
    refused = complete(client, record["id"], etag)
    assert refused.status_code == 422
    labels = {oid: item_spec("F_DM", oid)["label"] for oid in ("RFICVER", "BRTHDAT", "AGE", "ETHNIC", "RACE",
                                                             "HEIGHT", "WEIGHT")}
    assert refused.json["errors"] == {oid: [f"{label} is required"] for oid, label in labels.items()}
    # More data later, in steps, still a draft; then completion succeeds.
    step = client.patch(f"/records/{record['id']}", json={"data": {"BRTHDAT": cb.BIRTH_DATE, "AGE": 64}},
                        headers={"If-Match": etag})
    assert step.status_code == 200 and step.json["status"] == "draft"
    rest = {k: v for k, v in cb.demographics().items() if k not in step.json["data"]}
    step2 = client.patch(f"/records/{record['id']}", json={"data": rest}, headers={"If-Match": step.headers["ETag"]})
    assert step2.status_code == 200
    done = complete(client, record["id"], step2.headers["ETag"])
    assert done.status_code == 200 and done.json["status"] == "complete"
    assert done.json["data"] == cb.demographics()


def test_a_repeating_group_draft_accepts_incomplete_rows(as_user):
    client = as_user("coord_a")
    sid = prepare(client, "ESCC-LDRT", ("dm",))
    created = create(client, sid, "F_EX", "CYCLE", {"EXCYCLE": 1, "IG_EX": [{"EXTRT": "PACLITAXEL"}]})
    assert created.status_code == 201
    assert created.json["data"]["IG_EX"] == [{"EXTRT": "PACLITAXEL", "_row": 1}]
    refused = complete(client, created.json["id"], created.headers["ETag"])
    assert refused.status_code == 422
    errors = refused.json["errors"]
    assert errors["IG_EX[1].EXOCCUR"] == ["Was the drug given in this cycle? is required"]
    assert errors["IG_EX[1].EXPLDOS"] == ["Planned dose is required"]
    assert errors["CYCDAT"] == ["Cycle day 1 date is required"]


REQUIRED_IF = [
    # (id, form, visit, data, key, message, needs)
    ("item", "F_FU", "FU", cb.follow_up("2026-06-29", LKADAT=None), "LKADAT",
     "Date last known alive is required here", ("dm",)),
    ("item-in-row", "F_EX", "CYCLE", ex_rows(r1={"EXSTDAT": None})(cycle1()), "IG_EX[1].EXSTDAT",
     "Date given is required here", ("dm",)),
    ("unit-of-a-result", "F_LB", "SCR", cb.labs("2026-01-07", LBHGBU=None), "LBHGBU",
     "Haemoglobin, unit is required here", ("dm",)),
    ("item-of-a-conditional-group", "F_IE_N3", "SCR", cb.eligibility_n3("2026-01-10", eligible=False, IN07="N"),
     "IEEXCYN", "Is the protocol exception for low blood counts applied? is required here", ("dm",)),
    ("on-another-form", "F_BASELINE", "SCR", cb.baseline("ESCC-LDRT", LACTYN="N"), "CHILDPOT",
     "Woman of childbearing potential is required here", ("female",)),
    ("min-rows", "F_EX", "CYCLE", cycle1(IG_EX=[]), "IG_EX", "Study drugs needs at least 1 row(s)", ("dm",)),
]


@pytest.mark.parametrize("form,visit,data,key,message,needs", [r[1:] for r in REQUIRED_IF],
                         ids=[r[0] for r in REQUIRED_IF])
def test_required_if_is_enforced_at_completion(as_user, form, visit, data, key, message, needs):
    client = as_user("coord_a")
    study = "ESCC-N3" if form == "F_IE_N3" else "ESCC-LDRT"
    sid = prepare(client, study, needs)
    created = create(client, sid, form, visit, data)
    assert created.status_code == 201, created.json
    refused = complete(client, created.json["id"], created.headers["ETag"])
    assert refused.status_code == 422
    assert refused.json["errors"] == {key: [message]}
    after = client.get(f"/records/{created.json['id']}")
    assert after.json["status"] == "draft" and after.headers["ETag"] == created.headers["ETag"]


def test_the_death_date_is_checked_against_consent_on_the_demographics_form(as_user):
    """A cross-form check reads the other form's current value (F_DM.RFICDTC)."""
    client = as_user("coord_a")
    sid = prepare(client, "ESCC-LDRT", ("dm",))
    message = checks_of("hard")[("F_DD", "DD_NOT_BEFORE_CONSENT")]
    created = create(client, sid, "F_DD", "DEATH", cb.death("2026-01-04"))
    refused = complete(client, created.json["id"], created.headers["ETag"])
    assert refused.status_code == 422 and refused.json["errors"] == {"DTHDAT": [message]}
    # A partial date that may be on or after consent cannot be decided: accepted.
    fixed = client.patch(f"/records/{created.json['id']}", json={"data": {"DTHDAT": "2026-01-UN"}},
                         headers={"If-Match": created.headers["ETag"]})
    assert fixed.status_code == 200 and fixed.json["warnings"] == []
    done = complete(client, created.json["id"], fixed.headers["ETag"])
    assert done.status_code == 200 and done.json["data"]["DTHDAT"] == "2026-01-UN"
    # Without demographics the check cannot be decided either.
    other = prepare(client, "ESCC-LDRT", ())
    lone = create(client, other, "F_DD", "DEATH", cb.death("2025-06-01"))
    assert lone.status_code == 201 and lone.json["warnings"] == []


# ---------------------------------------------------------------- soft checks

@dataclass(frozen=True)
class Soft:
    form: str
    visit: str
    data: Callable[[], dict]
    key: str
    needs: tuple[str, ...] = ("dm",)
    completes: bool = True
    repeat: int = 1


def fatal_ae(**overrides) -> dict:
    return cb.adverse_event("Pneumonitis", "Pneumonitis", "2026-04-20", 5, "2026-05-08", serious=("AESDTH",),
                            outcome="FATAL", **overrides)


SOFT: dict[tuple[str, str], Soft] = {
    ("F_DM", "DM_AGE_MATCHES_BIRTH_DATE"): Soft("F_DM", "SCR", lambda: cb.demographics(AGE=60), "AGE", needs=()),
    ("F_DM", "DM_AGE_ADULT"): Soft("F_DM", "SCR", lambda: cb.demographics(BRTHDAT="2008-06-01", AGE=17), "AGE",
                                   needs=()),
    ("F_DM", "soft_range:HEIGHT"): Soft("F_DM", "SCR", lambda: cb.demographics(HEIGHT="135.0"), "HEIGHT", needs=()),
    ("F_BASELINE", "BL_HISTOL_NEEDS_CONFIRMATION"): Soft("F_BASELINE", "SCR", lambda: cb.baseline(
        "ESCC-LDRT", DIAGMETH="NOT_CONFIRMED"), "DIAGMETH"),
    ("F_ECOG", "PS_ECOG_KPS_CONSISTENT"): Soft("F_ECOG", "SCR", lambda: cb.performance("2026-01-07", 0, 60), "KPS"),
    ("F_TNM", "TNM_STAGE_GROUP_MATCHES"): Soft("F_TNM", "SCR", lambda: cb.staging("2026-01-07", n="N3", stage="III"),
                                               "TNMSTG"),
    ("F_TNM", "TNM_TIS_NODE_NEGATIVE"): Soft("F_TNM", "SCR", lambda: cb.staging(
        "2026-01-07", t="TIS", n="N1", stage="0"), "TNMCT"),
    ("F_LB", "LB_CORE_PANEL_COMPLETE"): Soft("F_LB", "SCR", lambda: cb.labs(
        "2026-01-07", ast=None, LBASTU=None, LBASTLO=None, LBASTHI=None), "LBPERF"),
    ("F_LB", "LB_HCG_MALE_NOT_APPLICABLE"): Soft("F_LB", "SCR", lambda: cb.labs("2026-01-07", hcg="NEG"), "LBHCG"),
    ("F_LB", "LB_HCG_POSITIVE"): Soft("F_LB", "SCR", lambda: cb.labs("2026-01-07", hcg="POS"), "LBHCG",
                                      needs=("female",)),
    ("F_LB", "LB_HGB_PLAUSIBLE"): Soft("F_LB", "SCR", lambda: cb.labs("2026-01-07", hgb="55"), "LBHGB"),
    ("F_LB", "LB_WBC_PLAUSIBLE"): Soft("F_LB", "SCR", lambda: cb.labs("2026-01-07", wbc="0.80", anc="0.50"), "LBWBC"),
    ("F_LB", "LB_ANC_PLAUSIBLE"): Soft("F_LB", "SCR", lambda: cb.labs("2026-01-07", anc="0.30"), "LBANC"),
    ("F_LB", "LB_PLT_PLAUSIBLE"): Soft("F_LB", "SCR", lambda: cb.labs("2026-01-07", plt="15.0"), "LBPLT"),
    ("F_LB", "LB_ALT_PLAUSIBLE"): Soft("F_LB", "SCR", lambda: cb.labs("2026-01-07", alt="640"), "LBALT"),
    ("F_LB", "LB_AST_PLAUSIBLE"): Soft("F_LB", "SCR", lambda: cb.labs("2026-01-07", ast="4"), "LBAST"),
    ("F_LB", "LB_BILI_PLAUSIBLE"): Soft("F_LB", "SCR", lambda: cb.labs("2026-01-07", bili="250.00"), "LBBILI"),
    ("F_LB", "LB_CREAT_PLAUSIBLE"): Soft("F_LB", "SCR", lambda: cb.labs("2026-01-07", creat="25.00"), "LBCREAT"),
    ("F_LB", "LB_ALB_PLAUSIBLE"): Soft("F_LB", "SCR", lambda: cb.labs("2026-01-07", alb="15.0"), "LBALB"),
    ("F_IE_LDRT", "IE_ELIGIBLE_IF_ALL_CRITERIA_MET"): Soft("F_IE_LDRT", "SCR", lambda: cb.eligibility_ldrt(
        "2026-01-10", eligible=False), "IEYN"),
    ("F_RECIST_BL", "RBL_WITHIN_28_DAYS_BEFORE_C1D1"): Soft("F_RECIST_BL", "SCR", lambda: cb.recist_baseline(
        "2025-12-01"), "TRDAT", needs=("dm", "c1d1")),
    ("F_RECIST_BL", "RBL_SOME_DISEASE_RECORDED"): Soft("F_RECIST_BL", "SCR", lambda: cb.recist_baseline(
        "2026-01-09", targets=[], non_targets=[]), "TUMEASYN"),
    ("F_RECIST_BL", "RBL_SUM_MATCHES"): Soft("F_RECIST_BL", "SCR", lambda: cb.recist_baseline(
        "2026-01-09", TRSUM="50.0"), "TRSUM"),
    ("F_RECIST_BL", "soft_range:TRORRES"): Soft("F_RECIST_BL", "SCR", lambda: cb.recist_baseline(
        "2026-01-09", targets=[cb.target("T01", "LIVER", "segment VII", "210.0")]), "IG_TL[1].TRORRES"),
    ("F_RECIST", "RFU_PD_COMPONENT_MEANS_PD"): Soft("F_RECIST", "TA", lambda: cb.recist_followup(
        "2026-03-03", new_lesions=[cb.new_lesion()], overall="PR"), "RSORRES", needs=("dm", "recist_bl")),
    ("F_RECIST", "RFU_CR_NEEDS_ALL_CR"): Soft("F_RECIST", "TA", lambda: cb.recist_followup(
        "2026-03-03", overall="CR"), "RSORRES", needs=("dm", "recist_bl")),
    ("F_RECIST", "RFU_NON_CR_NON_PD_ONLY_WITHOUT_TARGETS"): Soft("F_RECIST", "TA", lambda: cb.recist_followup(
        "2026-03-03", target_response="SD", overall="NON_CR_NON_PD"), "RSORRES", needs=("dm", "recist_bl")),
    ("F_RECIST", "RFU_PR_SD_NEED_TARGETS"): Soft("F_RECIST", "TA", lambda: cb.recist_followup(
        "2026-03-03", targets={}, overall="SD"), "RSORRES", needs=("dm", "recist_bl")),
    ("F_EX", "EX_DAY1_IS_FIRST_DOSE"): Soft("F_EX", "CYCLE", lambda: cb.chemo_cycle(
        1, cb.C1D1, drugs=[cb.drug("PACLITAXEL", "MG", "232.20", "2026-01-20"),
                           cb.drug("CARBOPLATIN", "AUC", "5", "2026-01-20"),
                           cb.drug("CAMRELIZUMAB", "MG", "200", "2026-01-20")]), "CYCDAT"),
    ("F_EX", "EX_GIVEN_NEAR_DAY1"): Soft("F_EX", "CYCLE", lambda: ex_rows(r3={"EXSTDAT": "2026-01-24"})(cycle1()),
                                         "IG_EX[3].EXSTDAT"),
    ("F_EX", "EX_CAMRELIZUMAB_200MG"): Soft("F_EX", "CYCLE", lambda: cycle1(camrelizumab_mg=240), "IG_EX[3].EXPLDOS"),
    ("F_EX", "EX_CARBOPLATIN_AUC_RANGE"): Soft("F_EX", "CYCLE", lambda: cycle1(carboplatin_auc=8),
                                               "IG_EX[2].EXPLDOS"),
    ("F_EX", "EX_NOT_ABOVE_PLANNED"): Soft("F_EX", "CYCLE", lambda: ex_rows(r1={"EXDOSE": "250.00"})(cycle1()),
                                           "IG_EX[1].EXDOSE"),
    ("F_EX", "EX_REDUCED_DOSE_FLAGGED"): Soft("F_EX", "CYCLE", lambda: ex_rows(r1={"EXDOSE": "180.00"})(cycle1()),
                                              "IG_EX[1].EXDOSADJ"),
    ("F_EX", "soft_range:CYCDLYD"): Soft("F_EX", "CYCLE", lambda: cb.chemo_cycle(
        2, "2026-03-23", delay_days=42 + 1, delay_reason="AE"), "CYCDLYD", needs=("dm", "c1d1"), repeat=2),
    ("F_RT", "RT_PLAN_CONSISTENT"): Soft("F_RT", "RT", lambda: cb.radiotherapy(RT_START, RTPLDOS="50.00"), "RTPLDOS"),
    ("F_RT", "RT_DELIVERED_CONSISTENT"): Soft("F_RT", "RT", lambda: cb.radiotherapy(RT_START, RTDOSE="44.00"),
                                              "RTDOSE"),
    ("F_RT", "RT_DOSE_NOT_ABOVE_PLAN"): Soft("F_RT", "RT", lambda: cb.radiotherapy(
        RT_START, fractions=26, planned_fractions=25), "RTDOSE"),
    ("F_RT", "RT_FRACTIONS_NOT_ABOVE_PLAN"): Soft("F_RT", "RT", lambda: cb.radiotherapy(
        RT_START, fractions=26, planned_fractions=25), "RTFX"),
    ("F_RT", "RT_COMPLETED_ALL_FRACTIONS"): Soft("F_RT", "RT", lambda: cb.radiotherapy(
        RT_START, fractions=24, planned_fractions=25), "RTCOMPL"),
    ("F_RT", "RT_INTERRUPTION_WITHIN_COURSE"): Soft("F_RT", "RT", lambda: cb.radiotherapy(
        RT_START, interruptions=[cb.interruption("2026-02-06", "2026-02-08", "HOLIDAY")]), "IG_RTINT[1].RTINTST"),
    ("F_RT", "soft_range:RTPLDPF"): Soft("F_RT", "RT", lambda: cb.radiotherapy(RT_START, dose_per_fraction="1.2"),
                                         "RTPLDPF"),
    ("F_AE", "AE_START_AFTER_CONSENT"): Soft("F_AE", "AELOG", lambda: cb.adverse_event(start="2026-01-03"),
                                             "AESTDAT"),
    # Ongoing with a final outcome always breaks the hard AE_FINAL_OUTCOME_NOT_ONGOING as well.
    ("F_AE", "AE_ONGOING_OUTCOME"): Soft("F_AE", "AELOG", lambda: cb.adverse_event(end=None, outcome="RECOVERED"),
                                         "AEOUT", completes=False),
    ("F_AE", "AE_FATAL_ENDS_AT_DEATH"): Soft("F_AE", "AELOG", lambda: fatal_ae(), "AEENDAT", needs=("dm", "death")),
    ("F_AE", "AE_IRAE_RELATED_TO_IMMUNOTHERAPY"): Soft("F_AE", "AELOG", lambda: cb.adverse_event(
        "Hypothyroidism", "Hypothyroidism", grade=2, serious=(), irae=True), "AEREL_CAM"),
    ("F_EOT", "EOT_DEATH_NEEDS_DEATH_FORM"): Soft("F_EOT", "EOT", lambda: cb.end_of_treatment("2026-03-30", "DEATH"),
                                                  "EOTREAS"),
    ("F_EOT", "EOT_RT_MATCHES_RT_FORM"): Soft("F_EOT", "EOT", lambda: cb.end_of_treatment(
        "2026-03-30", last_rt="2026-03-12"), "LDDAT_RT", needs=("dm", "rt")),
    ("F_FU", "FU_ALIVE_AT_CONTACT"): Soft("F_FU", "FU", lambda: cb.follow_up(
        "2026-06-29", last_known_alive="2026-06-20"), "LKADAT"),
    ("F_FU", "FU_DEAD_NEEDS_DEATH_FORM"): Soft("F_FU", "FU", lambda: cb.follow_up("2026-06-29", "DEAD"), "SSORRES"),
    ("F_FU", "FU_PD_AFTER_C1D1"): Soft("F_FU", "FU", lambda: cb.follow_up("2026-06-29", progression="2026-01-15"),
                                       "PDDAT", needs=("dm", "c1d1")),
    ("F_FU", "FU_THERAPY_AFTER_C1D1"): Soft("F_FU", "FU", lambda: cb.follow_up("2026-06-29", therapy="2026-01-10"),
                                            "STHSTDAT", needs=("dm", "c1d1")),
}


def soft_message(form: str, rule: str) -> str:
    if rule.startswith("soft_range:"):
        return item_spec(form, rule.split(":", 1)[1])["soft"]["message"]
    return checks_of("soft")[(form, rule)]


def test_every_soft_check_of_the_walkthrough_forms_has_an_api_case():
    defined = set(checks_of("soft"))
    covered = {k for k in SOFT if not k[1].startswith("soft_range:")}
    missing = defined - covered
    # The ESCC-N3 checklist shares IE_ELIGIBLE_IF_ALL_CRITERIA_MET with F_IE_LDRT (same expression
    # over its own criteria); it is exercised in the warnings-only test below.
    assert missing == {("F_IE_N3", "IE_ELIGIBLE_IF_ALL_CRITERIA_MET")}
    assert covered <= defined


@pytest.mark.parametrize("form,rule", sorted(SOFT), ids=[f"{f}-{r}" for f, r in sorted(SOFT)])
def test_a_soft_check_saves_with_a_warning(as_user, form, rule):
    case = SOFT[(form, rule)]
    message = soft_message(form, rule)
    client = as_user("coord_a")
    sid = prepare(client, "ESCC-LDRT", case.needs)
    created = create(client, sid, form, case.visit, case.data(), case.repeat)
    assert created.status_code == 201, created.json
    mine = [w for w in created.json["warnings"] if w["rule"] == rule]
    assert mine, created.json["warnings"]
    assert [(w["key"], w["message"], w["severity"]) for w in mine] == [(case.key, message, "soft")]
    assert created.json["status"] == "draft"
    done = complete(client, created.json["id"], created.headers["ETag"])
    if not case.completes:
        assert done.status_code == 422
        return
    assert done.status_code == 200, done.json
    assert done.json["status"] == "complete"
    assert [(w["key"], w["message"], w["severity"]) for w in done.json["warnings"] if w["rule"] == rule] == [
        (case.key, message, "soft")]
    assert all(w["severity"] == "soft" for w in done.json["warnings"])
    # The warning opened an automatic query on the item.
    assert done.json["open_queries"] >= 1
    record = client.get(f"/records/{created.json['id']}").json
    assert any(w["rule"] == rule for w in record["warnings"])


def test_an_n3_checklist_answered_not_eligible_with_every_criterion_met_warns(as_user):
    client = as_user("coord_a")
    sid = prepare(client, "ESCC-N3", ("dm",))
    created = create(client, sid, "F_IE_N3", "SCR", cb.eligibility_n3("2026-01-10", eligible=False))
    assert created.status_code == 201
    assert [(w["rule"], w["key"], w["severity"]) for w in created.json["warnings"]] == [
        ("IE_ELIGIBLE_IF_ALL_CRITERIA_MET", "IEYN", "soft")]
    assert created.json["warnings"][0]["message"] == checks_of("soft")[("F_IE_N3", "IE_ELIGIBLE_IF_ALL_CRITERIA_MET")]
    done = complete(client, created.json["id"], created.headers["ETag"])
    assert done.status_code == 200 and done.json["status"] == "complete"


def test_warnings_go_when_the_data_is_corrected(as_user):
    client = as_user("coord_a")
    sid = prepare(client, "ESCC-LDRT", ())
    record = cb.enter_record(client, sid, "SCR", "F_DM", cb.demographics(HEIGHT="135.0"))
    assert [w["rule"] for w in record["warnings"]] == ["soft_range:HEIGHT"]
    assert record["warnings"][0]["value"] == "135.0" and record["warnings"][0]["item"] == "HEIGHT"
    fixed = client.patch(f"/records/{record['id']}", json={"data": {"HEIGHT": "153.5"}, "reason": "re-measured"},
                         headers={"If-Match": record["etag"]})
    assert fixed.status_code == 200 and fixed.json["warnings"] == []
    assert fixed.json["open_queries"] == 0


# ---------------------------------------------------------------- bugs found (kept failing)

def test_cycle_1_day_1_can_be_corrected_to_an_earlier_date(as_user):
    client = as_user("coord_a")
    sid = prepare(client, "ESCC-LDRT", ("dm",))
    record = cb.enter_record(client, sid, "CYCLE", "F_EX", cycle1())
    earlier = "2026-01-16"
    rows = [{"_row": row["_row"], "EXSTDAT": earlier} for row in record["data"]["IG_EX"]]
    response = client.patch(f"/records/{record['id']}",
                            json={"data": {"CYCDAT": earlier, "IG_EX": rows}, "reason": "transcription error"},
                            headers={"If-Match": record["etag"]})
    assert response.status_code == 200, response.json
    assert client.get(f"/subjects/{sid}").json["anchors"]["c1d1"] == earlier


def test_integer_codes_are_stored_as_integers(as_user):
    client = as_user("coord_a")
    sid = prepare(client, "ESCC-LDRT", ("dm",))
    created = create(client, sid, "F_ECOG", "SCR", {"ECOGDAT": "2026-01-07", "ECOG": 1.0, "KPS": 80.0})
    assert created.status_code == 201
    stored = client.get(f"/records/{created.json['id']}").json["data"]
    assert type(stored["ECOG"]) is int and type(stored["KPS"]) is int
    entered = as_user("monitor_a").get(f"/audit?record={created.json['id']}&item=ECOG").json["items"]
    assert type(entered[0]["new_value"]) is int


def test_rows_without_a_number_do_not_collide_with_numbered_rows(as_user):
    client = as_user("coord_a")
    sid = prepare(client, "ESCC-LDRT", ("dm",))
    first, second = cb.BASELINE_TARGETS
    response = create(client, sid, "F_RECIST_BL", "SCR",
                      cb.recist_baseline("2026-01-09", IG_TL=[dict(first), dict(second, _row=1)]))
    assert response.status_code == 201, response.json
    assert sorted(r["_row"] for r in response.json["data"]["IG_TL"]) == [1, 2]
