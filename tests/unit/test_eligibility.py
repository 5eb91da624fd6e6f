"""Eligibility of protocols 000 (ESCC-N3) and 004 (ESCC-LDRT), and AJCC 8th clinical stage groups."""

from decimal import Decimal as D

import pytest

from ecrf.oncology.eligibility import (MET, MISSING, NOT_MET, UnknownStudyError,
                                       evaluate_eligibility, stage_group_escc)

ELIGIBLE_000 = {
    "histology": "ESCC", "pathology_method": "histology",
    "distant_metastasis_excluded_by_imaging": True,
    "ajcc_t": "T3", "ajcc_n": "N3", "ajcc_m": "M0",
    "life_expectancy_months": 12, "ecog": 1, "kps": 80,
    "severe_pulmonary_hypertension": False, "severe_cardiovascular_disease": False,
    "peripheral_vascular_disease": False, "severe_chronic_heart_disease": False,
    "other_comorbidity_impacting_rt": False,
    "hgb_g_l": D("125"), "plt_10e9_l": D("210"), "wbc_10e9_l": D("6.1"),
    "chronic_anemia_history": False, "prior_low_wbc_history": False,
    "prior_low_platelets_history": False,
    "alt_u_l": D("25"), "alt_uln_u_l": D("40"), "ast_u_l": D("22"), "ast_uln_u_l": D("40"),
    "bilirubin_umol_l": D("12"), "bilirubin_uln_umol_l": D("17.1"), "creatinine_umol_l": D("80"),
    "informed_consent": True, "comprehends_treatment_purpose": True, "full_legal_capacity": True,
    "other_malignancy_uncontrolled": False, "prior_chest_rt": False, "immune_deficiency": False,
    "pregnant_or_lactating": False, "drug_or_alcohol_dependence": False, "hiv_positive": False,
    "hbv_replication": False, "hcv_active": False, "syphilis_active": False,
    "mental_illness_hindering_treatment": False,
    "unstable_angina": False, "congestive_heart_failure": False, "mi_within_6_months": False,
    "acute_bacterial_or_fungal_infection": False, "respiratory_exacerbation_hospitalization": False,
    "hepatic_or_renal_insufficiency": False, "immunosuppressed": False,
    "active_connective_tissue_disease": False,
}

IDS_000 = [
    "INC_HISTOLOGY", "INC_NO_DISTANT_METASTASIS", "INC_CN3", "INC_CM0", "INC_SURVIVAL", "INC_ECOG",
    "INC_NO_SEVERE_COMORBIDITY", "INC_HB", "INC_PLT", "INC_WBC", "INC_ALT", "INC_AST",
    "INC_BILIRUBIN", "INC_CREATININE", "INC_CONSENT",
    "EXC_OTHER_MALIGNANCY", "EXC_NO_PATHOLOGY", "EXC_PRIOR_CHEST_RT", "EXC_IMMUNE_DEFICIENCY",
    "EXC_PREGNANCY", "EXC_DRUG_ALCOHOL", "EXC_HIV", "EXC_HBV", "EXC_HCV", "EXC_SYPHILIS",
    "EXC_MENTAL_ILLNESS", "EXC_POOR_HEALTH", "EXC_CARDIAC", "EXC_INFECTION", "EXC_RESPIRATORY",
    "EXC_HEPATIC_RENAL", "EXC_IMMUNOSUPPRESSED", "EXC_CONNECTIVE_TISSUE", "EXC_COMPREHENSION",
    "EXC_LEGAL_CAPACITY",
]


def _eval(study, base, **changes):
    data = dict(base)
    for key, value in changes.items():
        if value is ...:
            data.pop(key, None)
        else:
            data[key] = value
    return evaluate_eligibility(study, data)


def _criterion(result, cid):
    (found,) = [c for c in result.criteria if c.id == cid]
    return found


# ------------------------------------------------------------------------------ protocol 000
def test_000_fully_eligible_subject():
    result = evaluate_eligibility("ESCC-N3", ELIGIBLE_000)
    assert result.eligible is True
    assert [c.id for c in result.criteria] == IDS_000
    assert {c.status for c in result.criteria} == {MET}
    assert [c.kind for c in result.criteria].count("inclusion") == 15
    assert [c.kind for c in result.criteria].count("exclusion") == 20
    assert result.failed == () and result.missing == ()


@pytest.mark.parametrize("changes,cid,status,note", [
    # histology / pathology
    ({"pathology_method": "cytology"}, "INC_HISTOLOGY", NOT_MET, "requires ESCC confirmed by histology"),
    ({"histology": "adenocarcinoma"}, "INC_HISTOLOGY", NOT_MET, "requires ESCC confirmed by histology"),
    ({"histology": ...}, "INC_HISTOLOGY", MISSING, None),
    ({"pathology_method": "cytology"}, "EXC_NO_PATHOLOGY", MET, None),
    ({"pathology_method": "none"}, "EXC_NO_PATHOLOGY", NOT_MET, None),
    ({"pathology_method": ...}, "EXC_NO_PATHOLOGY", MISSING, None),
    ({"distant_metastasis_excluded_by_imaging": False}, "INC_NO_DISTANT_METASTASIS", NOT_MET, None),
    ({"distant_metastasis_excluded_by_imaging": ...}, "INC_NO_DISTANT_METASTASIS", MISSING, None),
    # stage: any T, N3, M0
    ({"ajcc_n": "cN3", "ajcc_t": "T1"}, "INC_CN3", MET, None),
    ({"ajcc_t": ...}, "INC_CN3", MET, None),
    ({"ajcc_n": "N2"}, "INC_CN3", NOT_MET, None),
    ({"ajcc_n": "NX"}, "INC_CN3", MISSING, "NX: regional nodes not assessed"),
    ({"ajcc_n": ...}, "INC_CN3", MISSING, None),
    ({"ajcc_m": "M1"}, "INC_CM0", NOT_MET, None),
    ({"ajcc_m": ...}, "INC_CM0", MISSING, None),
    # survival, ECOG, KPS
    ({"life_expectancy_months": 6}, "INC_SURVIVAL", MET, None),
    ({"life_expectancy_months": "5.9"}, "INC_SURVIVAL", NOT_MET, None),
    ({"life_expectancy_months": ...}, "INC_SURVIVAL", MISSING, None),
    ({"ecog": 2}, "INC_ECOG", MET, None),
    ({"ecog": 3}, "INC_ECOG", NOT_MET, None),
    ({"ecog": None}, "INC_ECOG", MISSING, None),
    ({"ecog": 2, "kps": 70}, "EXC_POOR_HEALTH", MET, None),
    ({"ecog": 3}, "EXC_POOR_HEALTH", NOT_MET, "ECOG > 2"),
    ({"kps": 60}, "EXC_POOR_HEALTH", NOT_MET, "KPS < 70"),
    ({"kps": 60, "ecog": 3}, "EXC_POOR_HEALTH", NOT_MET, "ECOG > 2; KPS < 70"),
    ({"kps": ...}, "EXC_POOR_HEALTH", MISSING, None),
    ({"kps": ..., "ecog": 4}, "EXC_POOR_HEALTH", NOT_MET, "ECOG > 2"),
    # comorbidities named in the inclusion criterion
    ({"peripheral_vascular_disease": True}, "INC_NO_SEVERE_COMORBIDITY", NOT_MET,
     "present: peripheral_vascular_disease"),
    ({"other_comorbidity_impacting_rt": ...}, "INC_NO_SEVERE_COMORBIDITY", MISSING,
     "not recorded: other_comorbidity_impacting_rt"),
    # hemoglobin and its exception
    ({"hgb_g_l": D("100")}, "INC_HB", MET, None),
    ({"hgb_g_l": D("99.9"), "ecog": 2, "chronic_anemia_history": True}, "INC_HB", NOT_MET,
     "exception not available: ECOG 2 (requires ECOG 0-1 with documented history of chronic anemia "
     "(Hb 80-100 g/L))"),
    ({"hgb_g_l": D("99.9")}, "INC_HB", NOT_MET,
     "exception not available: no documented history of chronic anemia"),
    ({"hgb_g_l": D("99.9"), "ecog": 1, "chronic_anemia_history": True}, "INC_HB", MET,
     "exception applied: ECOG 0-1 with documented history of chronic anemia (Hb 80-100 g/L)"),
    ({"hgb_g_l": D("80"), "ecog": 0, "chronic_anemia_history": "Y"}, "INC_HB", MET,
     "exception applied: ECOG 0-1 with documented history of chronic anemia (Hb 80-100 g/L)"),
    ({"hgb_g_l": D("79.9"), "ecog": 0, "chronic_anemia_history": True}, "INC_HB", NOT_MET,
     "below the exception range 80-100 g/L"),
    ({"hgb_g_l": D("90"), "chronic_anemia_history": ...}, "INC_HB", MISSING,
     "exception (ECOG 0-1 with documented history of chronic anemia (Hb 80-100 g/L)) cannot be assessed"),
    ({"hgb_g_l": D("90"), "ecog": ..., "chronic_anemia_history": True}, "INC_HB", MISSING,
     "exception (ECOG 0-1 with documented history of chronic anemia (Hb 80-100 g/L)) cannot be assessed"),
    ({"hgb_g_l": D("90"), "ecog": ..., "chronic_anemia_history": False}, "INC_HB", NOT_MET,
     "exception not available: no documented history of chronic anemia"),
    ({"hgb_g_l": ...}, "INC_HB", MISSING, None),
    # platelets and their exception
    ({"plt_10e9_l": D("90")}, "INC_PLT", MET, None),
    ({"plt_10e9_l": D("89.9")}, "INC_PLT", NOT_MET,
     "exception not available: no documented history of reduced platelets"),
    ({"plt_10e9_l": D("80"), "prior_low_platelets_history": True}, "INC_PLT", MET,
     "exception applied: ECOG 0-1 with documented history of reduced platelets (PLT 80-90 x 10^9/L)"),
    ({"plt_10e9_l": D("85"), "prior_low_platelets_history": True, "ecog": 2}, "INC_PLT", NOT_MET,
     "exception not available: ECOG 2 (requires ECOG 0-1 with documented history of reduced "
     "platelets (PLT 80-90 x 10^9/L))"),
    ({"plt_10e9_l": D("79.9"), "prior_low_platelets_history": True}, "INC_PLT", NOT_MET,
     "below the exception range 80-90 x 10^9/L"),
    ({"plt_10e9_l": ...}, "INC_PLT", MISSING, None),
    # white blood cells and their exception
    ({"wbc_10e9_l": D("4")}, "INC_WBC", MET, None),
    ({"wbc_10e9_l": D("3.99")}, "INC_WBC", NOT_MET,
     "exception not available: no documented history of low white blood cells"),
    ({"wbc_10e9_l": D("3"), "prior_low_wbc_history": True, "ecog": 0}, "INC_WBC", MET,
     "exception applied: ECOG 0-1 with documented history of low white blood cells "
     "(WBC 3-4 x 10^9/L)"),
    ({"wbc_10e9_l": D("2.99"), "prior_low_wbc_history": True}, "INC_WBC", NOT_MET,
     "below the exception range 3-4 x 10^9/L"),
    ({"wbc_10e9_l": ...}, "INC_WBC", MISSING, None),
    # liver and kidney: strict < 1.5 x ULN, creatinine <= 140
    ({"alt_u_l": D("59.9")}, "INC_ALT", MET, "limit 60.0 (<, 1.5 x ULN)"),
    ({"alt_u_l": D("60")}, "INC_ALT", NOT_MET, "limit 60.0 (<, 1.5 x ULN)"),
    ({"alt_uln_u_l": ...}, "INC_ALT", MISSING, None),
    ({"ast_u_l": D("59.9")}, "INC_AST", MET, "limit 60.0 (<, 1.5 x ULN)"),
    ({"ast_u_l": D("60")}, "INC_AST", NOT_MET, "limit 60.0 (<, 1.5 x ULN)"),
    ({"ast_u_l": ...}, "INC_AST", MISSING, None),
    ({"bilirubin_umol_l": D("25.64")}, "INC_BILIRUBIN", MET, "limit 25.65 (<, 1.5 x ULN)"),
    ({"bilirubin_umol_l": D("25.65")}, "INC_BILIRUBIN", NOT_MET, "limit 25.65 (<, 1.5 x ULN)"),
    ({"bilirubin_uln_umol_l": ...}, "INC_BILIRUBIN", MISSING, None),
    ({"creatinine_umol_l": D("140")}, "INC_CREATININE", MET, None),
    ({"creatinine_umol_l": D("140.1")}, "INC_CREATININE", NOT_MET, None),
    ({"creatinine_umol_l": ...}, "INC_CREATININE", MISSING, None),
    # consent, comprehension, legal capacity
    ({"informed_consent": False}, "INC_CONSENT", NOT_MET, None),
    ({"informed_consent": ...}, "INC_CONSENT", MISSING, None),
    ({"informed_consent": False}, "EXC_COMPREHENSION", NOT_MET, None),
    ({"comprehends_treatment_purpose": "N"}, "EXC_COMPREHENSION", NOT_MET, None),
    ({"comprehends_treatment_purpose": ...}, "EXC_COMPREHENSION", MISSING, None),
    ({"full_legal_capacity": False}, "EXC_LEGAL_CAPACITY", NOT_MET, None),
    ({"full_legal_capacity": ...}, "EXC_LEGAL_CAPACITY", MISSING, None),
    # cardiac: three conditions in one criterion
    ({"mi_within_6_months": True}, "EXC_CARDIAC", NOT_MET, "present: mi_within_6_months"),
    ({"unstable_angina": "yes", "congestive_heart_failure": True}, "EXC_CARDIAC", NOT_MET,
     "present: unstable_angina, congestive_heart_failure"),
    ({"congestive_heart_failure": None}, "EXC_CARDIAC", MISSING,
     "not recorded: congestive_heart_failure"),
])
def test_000_criterion(changes, cid, status, note):
    criterion = _criterion(_eval("ESCC-N3", ELIGIBLE_000, **changes), cid)
    assert (criterion.status, criterion.note) == (status, note)


@pytest.mark.parametrize("key,cid", [
    ("other_malignancy_uncontrolled", "EXC_OTHER_MALIGNANCY"),
    ("prior_chest_rt", "EXC_PRIOR_CHEST_RT"),
    ("immune_deficiency", "EXC_IMMUNE_DEFICIENCY"),
    ("pregnant_or_lactating", "EXC_PREGNANCY"),
    ("drug_or_alcohol_dependence", "EXC_DRUG_ALCOHOL"),
    ("hiv_positive", "EXC_HIV"),
    ("hbv_replication", "EXC_HBV"),
    ("hcv_active", "EXC_HCV"),
    ("syphilis_active", "EXC_SYPHILIS"),
    ("mental_illness_hindering_treatment", "EXC_MENTAL_ILLNESS"),
    ("unstable_angina", "EXC_CARDIAC"),
    ("congestive_heart_failure", "EXC_CARDIAC"),
    ("acute_bacterial_or_fungal_infection", "EXC_INFECTION"),
    ("respiratory_exacerbation_hospitalization", "EXC_RESPIRATORY"),
    ("hepatic_or_renal_insufficiency", "EXC_HEPATIC_RENAL"),
    ("immunosuppressed", "EXC_IMMUNOSUPPRESSED"),
    ("active_connective_tissue_disease", "EXC_CONNECTIVE_TISSUE"),
    ("severe_pulmonary_hypertension", "INC_NO_SEVERE_COMORBIDITY"),
    ("severe_cardiovascular_disease", "INC_NO_SEVERE_COMORBIDITY"),
    ("severe_chronic_heart_disease", "INC_NO_SEVERE_COMORBIDITY"),
])
def test_000_condition_flags(key, cid):
    present = _eval("ESCC-N3", ELIGIBLE_000, **{key: True})
    assert _criterion(present, cid).status == NOT_MET
    assert present.eligible is False
    assert [c.id for c in present.failed] == [cid]
    absent = _eval("ESCC-N3", ELIGIBLE_000, **{key: "N"})
    assert _criterion(absent, cid).status == MET
    assert absent.eligible is True
    unknown = _eval("ESCC-N3", ELIGIBLE_000, **{key: ...})
    assert _criterion(unknown, cid).status == MISSING
    assert unknown.eligible is None
    assert [c.id for c in unknown.missing] == [cid]


def test_000_values_used_and_failed_list():
    result = _eval("ESCC-N3", ELIGIBLE_000, hgb_g_l="95", ecog=2, chronic_anemia_history=True,
                   creatinine_umol_l=D("150"), kps=...)
    assert result.eligible is False
    assert [c.id for c in result.failed] == ["INC_HB", "INC_CREATININE"]
    assert [c.id for c in result.missing] == ["EXC_POOR_HEALTH"]
    assert _criterion(result, "INC_HB").values_used == {
        "hgb_g_l": D("95"), "ecog": 2, "chronic_anemia_history": True}
    assert _criterion(result, "INC_ALT").values_used == {"alt_u_l": D("25"), "alt_uln_u_l": D("40")}


def test_000_missing_without_failure_gives_none():
    result = _eval("ESCC-N3", ELIGIBLE_000, hgb_g_l="", prior_chest_rt=None)
    assert result.eligible is None
    assert [c.id for c in result.missing] == ["INC_HB", "EXC_PRIOR_CHEST_RT"]
    assert evaluate_eligibility("ESCC-N3", {}).eligible is None


@pytest.mark.parametrize("changes,message", [
    ({"ecog": 6}, "ecog: expected an integer 0-5"),
    ({"ecog": "1.5"}, "ecog: expected an integer 0-5"),
    ({"kps": 110}, "kps: expected an integer 0-100"),
    ({"prior_chest_rt": "maybe"}, "prior_chest_rt: expected yes/no"),
    ({"hgb_g_l": "low"}, "hgb_g_l: not a number"),
    ({"ajcc_n": "N4"}, "invalid AJCC 8th N code 'N4'"),
    ({"alt_uln_u_l": 0}, "alt_uln_u_l: must be positive"),
    ({"histology": 5}, "histology: expected text"),
])
def test_malformed_values_raise(changes, message):
    with pytest.raises(ValueError, match=message):
        _eval("ESCC-N3", ELIGIBLE_000, **changes)


def test_unknown_study():
    with pytest.raises(UnknownStudyError, match="no eligibility rules for study 'ESCC-X'"):
        evaluate_eligibility("ESCC-X", {})
    assert issubclass(UnknownStudyError, ValueError)


# ------------------------------------------------------------------------------ protocol 004
ELIGIBLE_004 = {
    "histology": "ESCC", "pathology_method": "cytology",
    "ajcc_t": "T3", "ajcc_n": "N1", "ajcc_m": "M0",
    "surgery_unsuitable_or_declined": True, "informed_consent": True,
}


def test_004_fully_eligible_subject():
    result = evaluate_eligibility("ESCC-LDRT", ELIGIBLE_004)
    assert result.eligible is True
    assert [(c.id, c.kind, c.status) for c in result.criteria] == [
        ("INC_HISTOLOGY", "inclusion", MET), ("INC_CT1_4A", "inclusion", MET),
        ("INC_CN_POSITIVE", "inclusion", MET), ("INC_CM0", "inclusion", MET),
        ("INC_SURGERY", "inclusion", MET), ("INC_CONSENT", "inclusion", MET)]


def test_004_does_not_use_thresholds_the_record_does_not_state():
    poor_labs = dict(ELIGIBLE_004, hgb_g_l=D("70"), ecog=3, creatinine_umol_l=D("300"),
                     prior_chest_rt=True)
    assert evaluate_eligibility("ESCC-LDRT", poor_labs).eligible is True


@pytest.mark.parametrize("changes,cid,status,note", [
    ({"pathology_method": "histology"}, "INC_HISTOLOGY", MET, None),
    ({"pathology_method": "none"}, "INC_HISTOLOGY", NOT_MET,
     "requires ESCC confirmed by histology or cytology"),
    ({"histology": "adenocarcinoma"}, "INC_HISTOLOGY", NOT_MET,
     "requires ESCC confirmed by histology or cytology"),
    ({"pathology_method": ...}, "INC_HISTOLOGY", MISSING, None),
    ({"ajcc_t": "T1"}, "INC_CT1_4A", MET, None),
    ({"ajcc_t": "T1a"}, "INC_CT1_4A", MET, None),
    ({"ajcc_t": "T1b"}, "INC_CT1_4A", MET, None),
    ({"ajcc_t": "T2"}, "INC_CT1_4A", MET, None),
    ({"ajcc_t": "cT4a"}, "INC_CT1_4A", MET, None),
    ({"ajcc_t": "T4b"}, "INC_CT1_4A", NOT_MET, None),
    ({"ajcc_t": "Tis"}, "INC_CT1_4A", NOT_MET, None),
    ({"ajcc_t": "T0"}, "INC_CT1_4A", NOT_MET, None),
    ({"ajcc_t": "T4"}, "INC_CT1_4A", MISSING, "T4 must be subclassified as T4a or T4b"),
    ({"ajcc_t": "TX"}, "INC_CT1_4A", MISSING,
     "TX: primary tumor not assessed, cT1-4a cannot be confirmed"),
    ({"ajcc_t": ...}, "INC_CT1_4A", MISSING, None),
    ({"ajcc_n": "N2"}, "INC_CN_POSITIVE", MET, None),
    ({"ajcc_n": "N3"}, "INC_CN_POSITIVE", MET, None),
    ({"ajcc_n": "N0"}, "INC_CN_POSITIVE", NOT_MET, None),
    ({"ajcc_n": "NX"}, "INC_CN_POSITIVE", MISSING, "NX: regional nodes not assessed"),
    ({"ajcc_n": ...}, "INC_CN_POSITIVE", MISSING, None),
    ({"ajcc_m": "M1"}, "INC_CM0", NOT_MET, None),
    ({"ajcc_m": ...}, "INC_CM0", MISSING, None),
    ({"surgery_unsuitable_or_declined": False}, "INC_SURGERY", NOT_MET, None),
    ({"surgery_unsuitable_or_declined": ...}, "INC_SURGERY", MISSING, None),
    ({"informed_consent": "N"}, "INC_CONSENT", NOT_MET, None),
    ({"informed_consent": ...}, "INC_CONSENT", MISSING, None),
])
def test_004_criterion(changes, cid, status, note):
    result = _eval("ESCC-LDRT", ELIGIBLE_004, **changes)
    criterion = _criterion(result, cid)
    assert (criterion.status, criterion.note) == (status, note)
    assert result.eligible is {MET: True, NOT_MET: False, MISSING: None}[status]


# ------------------------------------------------------------------------ AJCC 8th stage groups
@pytest.mark.parametrize("t,n,m,group", [
    ("Tis", "N0", "M0", "0"),
    ("T1", "N0", "M0", "I"), ("T1a", "N1", "M0", "I"), ("T1b", "N0", "M0", "I"),
    ("T2", "N0", "M0", "II"), ("T2", "N1", "M0", "II"), ("T3", "N0", "M0", "II"),
    ("T3", "N1", "M0", "III"), ("T1", "N2", "M0", "III"), ("T2", "N2", "M0", "III"),
    ("T3", "N2", "M0", "III"), ("T1a", "N2", "M0", "III"),
    ("T4", "N0", "M0", "IVA"), ("T4a", "N1", "M0", "IVA"), ("T4b", "N2", "M0", "IVA"),
    ("T4a", "NX", "M0", "IVA"), ("T1", "N3", "M0", "IVA"), ("TX", "N3", "M0", "IVA"),
    ("T0", "N3", "M0", "IVA"), ("Tis", "N3", "M0", "IVA"),
    ("T2", "N0", "M1", "IVB"), ("TX", "NX", "M1", "IVB"), ("T4b", "N3", "M1", "IVB"),
    ("TX", "N0", "M0", None), ("T2", "NX", "M0", None), ("T0", "N1", "M0", None),
    ("Tis", "N1", "M0", None),
    ("cT3", "cN1", "cM0", "III"), ("t4A", "n0", "m0", "IVA"),
])
def test_stage_group_escc(t, n, m, group):
    assert stage_group_escc(t, n, m) == group


def test_stage_group_ignores_grade_and_location_for_clinical_stage():
    assert stage_group_escc("T3", "N1", "M0", grade="G3", location="upper") == "III"
    assert stage_group_escc("T2", "N0", "M0", grade="G1", location="lower") == "II"


@pytest.mark.parametrize("args,message", [
    (("T5", "N0", "M0"), "invalid AJCC 8th T code 'T5'"),
    (("T1", "N4", "M0"), "invalid AJCC 8th N code 'N4'"),
    (("T1", "N0", "MX"), "invalid AJCC 8th M code 'MX'"),
    (("T1", "N0", None), "invalid AJCC 8th M code None"),
])
def test_stage_group_invalid_codes(args, message):
    with pytest.raises(ValueError, match=message):
        stage_group_escc(*args)
    with pytest.raises(ValueError, match="invalid AJCC 8th grade code 'G4'"):
        stage_group_escc("T1", "N0", "M0", grade="G4")
    with pytest.raises(ValueError, match="invalid AJCC 8th location code 'cardia'"):
        stage_group_escc("T1", "N0", "M0", location="cardia")
