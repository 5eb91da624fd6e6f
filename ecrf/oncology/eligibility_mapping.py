"""From a subject's screening records to the eligibility engine's inputs (pure).

``baseline_inputs`` takes the screening-visit data of F_DM, F_BASELINE, F_ECOG, F_TNM and F_LB
(plain dicts as stored) and the unit labels of the lab record, and returns the engine's keys in
its fixed units (docs/oncology-rules.md). Anything not entered stays absent, so the engine says
"missing", never "not met".
"""

from __future__ import annotations

from decimal import Decimal
from typing import Mapping

from ecrf.oncology import units

# engine flag <- F_BASELINE item (Y/N)
FLAGS = {
    "distant_metastasis_excluded_by_imaging": "DMEXCL", "chronic_anemia_history": "ANEMHX",
    "prior_low_wbc_history": "LWBCHX", "prior_low_platelets_history": "LPLTHX", "prior_chest_rt": "PRCHRT",
    "immune_deficiency": "IMMDEF", "drug_or_alcohol_dependence": "DRUGALC", "hiv_positive": "HIVPOS",
    "hbv_replication": "HBVREP", "hcv_active": "HCVACT", "syphilis_active": "SYPHACT",
    "mental_illness_hindering_treatment": "MENTILL", "unstable_angina": "UANGINA",
    "congestive_heart_failure": "CHF", "mi_within_6_months": "MI6M",
    "acute_bacterial_or_fungal_infection": "ACUTEINF", "respiratory_exacerbation_hospitalization": "COPDEXAC",
    "hepatic_or_renal_insufficiency": "HEPRENIN", "immunosuppressed": "IMMSUPP",
    "active_connective_tissue_disease": "CTDACT", "comprehends_treatment_purpose": "COMPREH",
    "full_legal_capacity": "LEGCAP",
}
# one F_BASELINE item (severe cardiovascular comorbidity affecting RT) answers the record's list
CVD_FLAGS = ("severe_pulmonary_hypertension", "severe_cardiovascular_disease", "peripheral_vascular_disease",
             "severe_chronic_heart_disease", "other_comorbidity_impacting_rt")
# engine key <- (F_LB stem, analyte code, engine unit); ULN keys for the "x ULN" criteria
LABS = {
    "hgb_g_l": ("HGB", "Hb", "g/L"), "plt_10e9_l": ("PLT", "PLT", "10^9/L"), "wbc_10e9_l": ("WBC", "WBC", "10^9/L"),
    "alt_u_l": ("ALT", "ALT", "U/L"), "ast_u_l": ("AST", "AST", "U/L"),
    "bilirubin_umol_l": ("BILI", "BILI", "umol/L"), "creatinine_umol_l": ("CREAT", "CREAT", "umol/L"),
}
ULN = {"alt_uln_u_l": ("ALT", "ALT", "U/L"), "ast_uln_u_l": ("AST", "AST", "U/L"),
       "bilirubin_uln_umol_l": ("BILI", "BILI", "umol/L")}


def _yes(value) -> bool | None:
    return None if value is None else value == "Y"


def _lab(lb: Mapping, unit_labels: Mapping[str, str], stem: str, analyte: str, unit: str, suffix: str = ""):
    value, unit_code = lb.get(f"LB{stem}{suffix}"), lb.get(f"LB{stem}U")
    if value is None or unit_code is None:
        return None
    return units.convert(Decimal(str(value)), unit_labels.get(unit_code, unit_code), unit, analyte)


def baseline_inputs(dm: Mapping, baseline: Mapping, ecog: Mapping, tnm: Mapping, lb: Mapping,
                    unit_labels: Mapping[str, str]) -> dict:
    data: dict = {}
    if baseline.get("HISTOL") is not None:
        data["histology"] = baseline["HISTOL"]
    method = baseline.get("DIAGMETH")
    if method is not None:
        data["pathology_method"] = {"HISTOLOGY": "histology", "CYTOLOGY": "cytology"}.get(method, "none")
    if baseline.get("LIFEEXP6") is not None:
        data["life_expectancy_months"] = 6 if baseline["LIFEEXP6"] == "Y" else 0
    for key, item in FLAGS.items():
        if baseline.get(item) is not None:
            data[key] = _yes(baseline[item])
    if baseline.get("CVDSEV") is not None:
        data.update({key: _yes(baseline["CVDSEV"]) for key in CVD_FLAGS})
    other = _other_malignancy(baseline)
    if other is not None:
        data["other_malignancy_uncontrolled"] = other
    pregnant = _pregnant_or_lactating(dm, baseline, lb)
    if pregnant is not None:
        data["pregnant_or_lactating"] = pregnant
    surgery = baseline.get("SURGSTAT")
    if surgery is not None:
        data["surgery_unsuitable_or_declined"] = surgery in ("UNSUITABLE", "DECLINED")
    if dm.get("RFICDTC") is not None:
        data["informed_consent"] = True
    for key, item in (("ecog", "ECOG"), ("kps", "KPS")):
        if ecog.get(item) is not None:
            data[key] = ecog[item]
    for key, item in (("ajcc_t", "TNMCT"), ("ajcc_n", "TNMCN"), ("ajcc_m", "TNMCM")):
        if tnm.get(item) is not None:
            data[key] = tnm[item]
    for key, (stem, analyte, unit) in LABS.items():
        value = _lab(lb, unit_labels, stem, analyte, unit)
        if value is not None:
            data[key] = value
    for key, (stem, analyte, unit) in ULN.items():
        value = _lab(lb, unit_labels, stem, analyte, unit, "HI")
        if value is not None:
            data[key] = value
    return data


def _other_malignancy(baseline: Mapping) -> bool | None:
    """Uncontrolled other malignancy: present, not a non-melanoma skin cancer, not cured/controlled."""
    if baseline.get("OMALYN") == "N":
        return False
    if baseline.get("OMALYN") != "Y":
        return None
    if baseline.get("OMALNMSC") == "Y" or baseline.get("OMALCUR") == "Y":
        return False
    if baseline.get("OMALCUR") == "N":
        return True
    return None


def _pregnant_or_lactating(dm: Mapping, baseline: Mapping, lb: Mapping) -> bool | None:
    hcg, lactating = lb.get("LBHCG"), baseline.get("LACTYN")
    if hcg == "POS" or lactating == "Y":
        return True
    not_lactating = lactating == "N" or dm.get("SEX") == "M"
    if hcg in ("NEG", "NA") and not_lactating:
        return False
    return None
