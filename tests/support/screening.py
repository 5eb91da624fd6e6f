"""Screening data of an eligible ESCC-N3 subject, entered through the API (for eligibility tests)."""

from __future__ import annotations

CONSENT = "2026-01-05"

DM = {"RFICDTC": CONSENT, "RFICVER": "2.0, 2025-10-01", "BRTHDAT": "1963-04-12", "AGE": 62, "SEX": "M",
      "ETHNIC": "NOT_HISPANIC", "RACE": "ASIAN", "HEIGHT": "170.0", "WEIGHT": "64.0"}
NO = "N"
BASELINE = {
    "DIAGDAT": "2025-12-20", "HISTOL": "ESCC", "DIAGMETH": "HISTOLOGY", "PRIMLOC": "MIDDLE_THORACIC",
    "DMEXCL": "Y", "DMEXCLM": ["PET_CT"], "SURGSTAT": "UNSUITABLE", "CCRTCAND": "N", "LIFEEXP6": "Y",
    "PRCHRT": NO, "OMALYN": NO, "ANEMHX": NO, "LWBCHX": NO, "LPLTHX": NO, "IMMDEF": NO, "IMMSUPP": NO,
    "DRUGALC": NO, "HIVPOS": NO, "HBVREP": NO, "HCVACT": NO, "SYPHACT": NO, "MENTILL": NO, "CVDSEV": NO,
    "UANGINA": NO, "CHF": NO, "MI6M": NO, "ACUTEINF": NO, "COPDEXAC": NO, "HEPRENIN": NO, "CTDACT": NO,
    "COMPREH": "Y", "LEGCAP": "Y",
}
ECOG = {"ECOGDAT": "2026-01-06", "ECOG": 1, "KPS": 80}
TNM = {"TNMDAT": "2026-01-06", "TNMCT": "T3", "TNMCN": "N3", "TNMCM": "M0", "TNMSTG": "IVA", "TNMMETH": ["CT", "PET_CT"]}


def analyte(stem: str, value, unit: str, low, high) -> dict:
    return {f"LB{stem}": str(value), f"LB{stem}U": unit, f"LB{stem}LO": str(low), f"LB{stem}HI": str(high)}


def labs(date: str = "2026-01-06", hgb="132", wbc="6.2", anc="3.9", plt="210", alt="22", ast="25", bili="11",
         creat="78", **overrides) -> dict:
    data = {"LBPERF": "Y", "LBDAT": date, "LBNAM": "Central laboratory", "LBHCG": "NA"}
    data |= analyte("HGB", hgb, "G_L", "130", "175")
    data |= analyte("WBC", wbc, "E9_L", "3.5", "9.5")
    data |= analyte("ANC", anc, "E9_L", "1.8", "6.3")
    data |= analyte("PLT", plt, "E9_L", "125", "350")
    data |= analyte("ALT", alt, "U_L", "9", "50")
    data |= analyte("AST", ast, "U_L", "15", "40")
    data |= analyte("BILI", bili, "UMOL_L", "0", "21")
    data |= analyte("CREAT", creat, "UMOL_L", "57", "111")
    data |= analyte("ALB", "41", "G_L", "40", "55")
    data.update(overrides)
    return data


def enter(client, subject_id: int, form_oid: str, data: dict, complete: bool = True, visit: str = "SCR") -> dict:
    created = client.post(f"/subjects/{subject_id}/visits/{visit}/forms/{form_oid}", json={"data": data})
    assert created.status_code == 201, (form_oid, created.json)
    if not complete:
        return created.json
    done = client.post(f"/records/{created.json['id']}/complete", json={}, headers={"If-Match": created.headers["ETag"]})
    assert done.status_code == 200, (form_oid, done.json)
    return done.json


def screen_n3_subject(client, site: str = "RJH", **lab_overrides) -> tuple[dict, dict[str, dict]]:
    """Enrol an ESCC-N3 subject in screening and complete its screening forms."""
    subject = client.post("/studies/ESCC-N3/subjects", json={"site": site, "consent_date": CONSENT}).json
    records = {oid: enter(client, subject["id"], oid, data) for oid, data in
               (("F_DM", DM), ("F_BASELINE", BASELINE), ("F_ECOG", ECOG), ("F_TNM", TNM),
                ("F_LB", labs(**lab_overrides)))}
    return subject, records
