"""Protocol 000 (Ruijin Hospital, study OID ``ESCC-N3``): unresectable cN3 ESCC.

Criteria transcribed from the registry record shared/protocols/000_*.txt; input keys and units are
documented in docs/oncology-rules.md. Lab keys are fixed units: g/L, 10^9/L, U/L, umol/L.
"""

from __future__ import annotations

from decimal import Decimal

from ._base import (EXCLUSION, INCLUSION, MET, MISSING, NOT_MET, CriterionResult, Data,
                    absent_flags, below_uln_multiple, histology_escc, metastasis_m0, required_flag)

STUDY_OID = "ESCC-N3"


def _stage_n3(d: Data) -> CriterionResult:
    n, t = d.n(), d.t()
    text = "Locally advanced: AJCC/UICC 8th edition any T, N3 (M0 see INC_CM0)"
    used = {"ajcc_n": n, "ajcc_t": t}
    if n is None or n == "NX":
        note = "NX: regional nodes not assessed" if n == "NX" else None
        return CriterionResult("INC_CN3", INCLUSION, text, MISSING, used, note)
    return CriterionResult("INC_CN3", INCLUSION, text, MET if n == "N3" else NOT_MET, used)


def _at_least(d: Data, cid: str, text: str, key: str, limit: Decimal) -> CriterionResult:
    value = d.num(key)
    status = MISSING if value is None else (MET if value >= limit else NOT_MET)
    return CriterionResult(cid, INCLUSION, text, status, {key: value})


def _ecog_0_2(d: Data) -> CriterionResult:
    ecog = d.integer("ecog", 0, 5)
    status = MISSING if ecog is None else (MET if ecog <= 2 else NOT_MET)
    return CriterionResult("INC_ECOG", INCLUSION, "ECOG performance status 0-2", status, {"ecog": ecog})


def _with_exception(d: Data, cid: str, text: str, key: str, limit: Decimal, low: Decimal, unit: str,
                    history_key: str, history: str, label: str) -> CriterionResult:
    """value >= limit; or low <= value < limit when ECOG 0-1 with a documented ``history``."""
    value = d.num(key)
    used: dict[str, object] = {key: value}
    if value is None:
        return CriterionResult(cid, INCLUSION, text, MISSING, used)
    if value >= limit:
        return CriterionResult(cid, INCLUSION, text, MET, used)
    if value < low:
        return CriterionResult(cid, INCLUSION, text, NOT_MET, used,
                               f"below the exception range {low}-{limit} {unit}")
    ecog, documented = d.integer("ecog", 0, 5), d.flag(history_key)
    used.update({"ecog": ecog, history_key: documented})
    exception = f"ECOG 0-1 with {history} ({label} {low}-{limit} {unit})"
    if ecog is not None and ecog > 1:
        return CriterionResult(cid, INCLUSION, text, NOT_MET, used,
                               f"exception not available: ECOG {ecog} (requires {exception})")
    if documented is False:
        return CriterionResult(cid, INCLUSION, text, NOT_MET, used,
                               f"exception not available: no {history}")
    if ecog is None or documented is None:
        return CriterionResult(cid, INCLUSION, text, MISSING, used,
                               f"exception ({exception}) cannot be assessed")
    return CriterionResult(cid, INCLUSION, text, MET, used, f"exception applied: {exception}")


def _creatinine(d: Data) -> CriterionResult:
    value = d.num("creatinine_umol_l")
    status = MISSING if value is None else (MET if value <= Decimal(140) else NOT_MET)
    return CriterionResult("INC_CREATININE", INCLUSION, "Serum creatinine <= 140 umol/L", status,
                           {"creatinine_umol_l": value})


def _poor_health(d: Data) -> CriterionResult:
    ecog, kps = d.integer("ecog", 0, 5), d.integer("kps", 0, 100)
    used = {"ecog": ecog, "kps": kps}
    text = "Poor overall health status: KPS < 70 or ECOG > 2"
    failing = [s for s, bad in (("ECOG > 2", ecog is not None and ecog > 2),
                                ("KPS < 70", kps is not None and kps < 70)) if bad]
    if failing:
        return CriterionResult("EXC_POOR_HEALTH", EXCLUSION, text, NOT_MET, used, "; ".join(failing))
    status = MISSING if ecog is None or kps is None else MET
    return CriterionResult("EXC_POOR_HEALTH", EXCLUSION, text, status, used)


def _no_pathology(d: Data) -> CriterionResult:
    method = d.text("pathology_method")
    status = MISSING if method is None else (
        MET if method.casefold() in ("histology", "cytology") else NOT_MET)
    return CriterionResult("EXC_NO_PATHOLOGY", EXCLUSION,
                           "Lack of histological or cytological diagnosis of esophageal cancer",
                           status, {"pathology_method": method})


def criteria(data) -> tuple[CriterionResult, ...]:
    d = Data(data)
    hist = "documented history of"
    return (
        histology_escc(d, "INC_HISTOLOGY", "ESCC confirmed by histopathology", ("histology",)),
        required_flag(d, "INC_NO_DISTANT_METASTASIS",
                      "Distant metastasis excluded by CT, MRI or PET/CT",
                      "distant_metastasis_excluded_by_imaging"),
        _stage_n3(d),
        metastasis_m0(d, "INC_CM0", "cM0 (AJCC/UICC 8th edition)"),
        _at_least(d, "INC_SURVIVAL", "Expected survival >= 6 months", "life_expectancy_months",
                  Decimal(6)),
        _ecog_0_2(d),
        absent_flags(d, "INC_NO_SEVERE_COMORBIDITY",
                     "No severe pulmonary hypertension, cardiovascular disease, peripheral vascular "
                     "disease, severe chronic heart disease or other comorbidity that could impact "
                     "radiotherapy", ("severe_pulmonary_hypertension", "severe_cardiovascular_disease",
                                      "peripheral_vascular_disease", "severe_chronic_heart_disease",
                                      "other_comorbidity_impacting_rt"), kind=INCLUSION),
        _with_exception(d, "INC_HB", "Hemoglobin >= 100 g/L", "hgb_g_l", Decimal(100), Decimal(80), "g/L",
                        "chronic_anemia_history", f"{hist} chronic anemia", "Hb"),
        _with_exception(d, "INC_PLT", "Platelets >= 90 x 10^9/L", "plt_10e9_l", Decimal(90),
                        Decimal(80), "x 10^9/L", "prior_low_platelets_history",
                        f"{hist} reduced platelets", "PLT"),
        _with_exception(d, "INC_WBC", "White blood cells >= 4 x 10^9/L", "wbc_10e9_l", Decimal(4),
                        Decimal(3), "x 10^9/L", "prior_low_wbc_history",
                        f"{hist} low white blood cells", "WBC"),
        below_uln_multiple(d, "INC_ALT", "ALT < 1.5 x ULN", "alt_u_l", "alt_uln_u_l", Decimal("1.5")),
        below_uln_multiple(d, "INC_AST", "AST < 1.5 x ULN", "ast_u_l", "ast_uln_u_l", Decimal("1.5")),
        below_uln_multiple(d, "INC_BILIRUBIN", "Bilirubin < 1.5 x ULN", "bilirubin_umol_l",
                           "bilirubin_uln_umol_l", Decimal("1.5")),
        _creatinine(d),
        required_flag(d, "INC_CONSENT", "Informed consent to undergo treatment", "informed_consent"),
        absent_flags(d, "EXC_OTHER_MALIGNANCY", "Other malignant tumor (except non-melanoma skin "
                     "cancer), existing or prior, uncontrolled or not cured",
                     ("other_malignancy_uncontrolled",)),
        _no_pathology(d),
        absent_flags(d, "EXC_PRIOR_CHEST_RT", "Previous chest radiotherapy", ("prior_chest_rt",)),
        absent_flags(d, "EXC_IMMUNE_DEFICIENCY", "Innate or acquired immune function defect",
                     ("immune_deficiency",)),
        absent_flags(d, "EXC_PREGNANCY", "Pregnancy (serum or urine beta-HCG) or lactation",
                     ("pregnant_or_lactating",)),
        absent_flags(d, "EXC_DRUG_ALCOHOL", "History of drug abuse or alcohol dependence",
                     ("drug_or_alcohol_dependence",)),
        absent_flags(d, "EXC_HIV", "HIV-positive, including on antiretroviral treatment",
                     ("hiv_positive",)),
        absent_flags(d, "EXC_HBV", "Chronic hepatitis B in viral replication phase", ("hbv_replication",)),
        absent_flags(d, "EXC_HCV", "Active hepatitis C", ("hcv_active",)),
        absent_flags(d, "EXC_SYPHILIS", "Active syphilis", ("syphilis_active",)),
        absent_flags(d, "EXC_MENTAL_ILLNESS", "History of mental illness that may hinder treatment "
                     "completion", ("mental_illness_hindering_treatment",)),
        _poor_health(d),
        absent_flags(d, "EXC_CARDIAC", "Unstable angina, congestive heart failure or myocardial "
                     "infarction requiring hospitalization within the past 6 months",
                     ("unstable_angina", "congestive_heart_failure", "mi_within_6_months")),
        absent_flags(d, "EXC_INFECTION", "Acute bacterial or systemic fungal infection",
                     ("acute_bacterial_or_fungal_infection",)),
        absent_flags(d, "EXC_RESPIRATORY", "COPD exacerbation or other respiratory condition "
                     "requiring hospitalization", ("respiratory_exacerbation_hospitalization",)),
        absent_flags(d, "EXC_HEPATIC_RENAL", "Hepatic or renal insufficiency",
                     ("hepatic_or_renal_insufficiency",)),
        absent_flags(d, "EXC_IMMUNOSUPPRESSED", "Immunosuppressed patient", ("immunosuppressed",)),
        absent_flags(d, "EXC_CONNECTIVE_TISSUE", "Active connective tissue disease (e.g. scleroderma, "
                     "lupus) contraindicating radiotherapy", ("active_connective_tissue_disease",)),
        _comprehension(d),
        required_flag(d, "EXC_LEGAL_CAPACITY", "Lack of legal capacity or limited legal capacity",
                      "full_legal_capacity", kind=EXCLUSION),
    )


def _comprehension(d: Data) -> CriterionResult:
    understands, consent = d.flag("comprehends_treatment_purpose"), d.flag("informed_consent")
    used = {"comprehends_treatment_purpose": understands, "informed_consent": consent}
    text = "Unable to comprehend the treatment's purpose or unwilling to sign the consent form"
    if understands is False or consent is False:
        return CriterionResult("EXC_COMPREHENSION", EXCLUSION, text, NOT_MET, used)
    status = MISSING if understands is None or consent is None else MET
    return CriterionResult("EXC_COMPREHENSION", EXCLUSION, text, status, used)
