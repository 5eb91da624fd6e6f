"""Protocol 004 (West China Hospital, study OID ``ESCC-LDRT``): low-dose involved-field RT plus
immunochemotherapy in locally advanced unresectable ESCC.

The registry record (shared/protocols/004_*.txt) states only: pathologically confirmed ESCC
(histology or cytology), clinical stage cT1-4a N+ M0, unsuitable for or declining surgery, and
(implicitly, as for every trial) informed consent. It gives no lab thresholds, no performance
status limit and no exclusion list, so none are invented here.
"""

from __future__ import annotations

from ._base import (INCLUSION, MET, MISSING, NOT_MET, CriterionResult, Data, histology_escc,
                    metastasis_m0, required_flag)

STUDY_OID = "ESCC-LDRT"

_T_ALLOWED = ("T1", "T1a", "T1b", "T2", "T3", "T4a")


def _t1_4a(d: Data) -> CriterionResult:
    t = d.t()
    text = "Clinical T1-T4a (T4b excluded)"
    note = None
    if t is None:
        status = MISSING
    elif t == "TX":
        status, note = MISSING, "TX: primary tumor not assessed, cT1-4a cannot be confirmed"
    elif t == "T4":
        status, note = MISSING, "T4 must be subclassified as T4a or T4b"
    else:
        status = MET if t in _T_ALLOWED else NOT_MET
    return CriterionResult("INC_CT1_4A", INCLUSION, text, status, {"ajcc_t": t}, note)


def _n_positive(d: Data) -> CriterionResult:
    n = d.n()
    note = "NX: regional nodes not assessed" if n == "NX" else None
    status = MISSING if n in (None, "NX") else (NOT_MET if n == "N0" else MET)
    return CriterionResult("INC_CN_POSITIVE", INCLUSION, "Clinically node positive (cN1-N3)",
                           status, {"ajcc_n": n}, note)


def criteria(data) -> tuple[CriterionResult, ...]:
    d = Data(data)
    return (
        histology_escc(d, "INC_HISTOLOGY", "Pathologically confirmed ESCC (histology or cytology)",
                       ("histology", "cytology")),
        _t1_4a(d),
        _n_positive(d),
        metastasis_m0(d, "INC_CM0", "cM0"),
        required_flag(d, "INC_SURGERY", "Unsuitable for surgery (investigator) or declined surgery",
                      "surgery_unsuitable_or_declined"),
        required_flag(d, "INC_CONSENT", "Informed consent", "informed_consent"),
    )
