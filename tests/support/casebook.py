"""A realistic case book: complete, valid data for every form of both studies, and a helper that
walks one subject through the API.

The patient is a 64-year-old man with locally advanced oesophageal squamous cell carcinoma of the
mid-thoracic oesophagus (cT3, regional nodes involved, M0), ECOG 1, normal organ function:

    2026-01-05  informed consent (SCR, day 0)
    2026-01-07  screening examinations (labs, ECOG, CT staging, baseline RECIST)
    2026-01-19  cycle 1 day 1: paclitaxel 135 mg/m2 x BSA, carboplatin AUC 5, camrelizumab 200 mg
                (ESCC-N3, whose protocol names no agent: tislelizumab 200 mg, recorded as IO_OTHER)
    2026-02-09  cycle 2 day 1 (C1D1 + 21)
    ESCC-LDRT:  radiotherapy 45 Gy / 25 x 1.8 Gy from C2D1, 2026-02-09 .. 2026-03-13
    ESCC-N3:    camrelizumab maintenance from 2026-03-02 (cycle 3), radiotherapy during maintenance
                50.4 Gy / 28 x 1.8 Gy, 2026-03-02 .. 2026-04-08
    2026-03-03  first tumour assessment (TA 1: C1D1 + 42 .. + 49): partial response
    grade 3 radiation oesophagitis needing hospitalisation; treatment ended for the adverse event;
    survival follow-up 90 days after the end of treatment: alive, no progression.

Every builder is a plain function returning the ``data`` object of a record (item OID -> value;
repeating group OID -> list of rows). Keyword overrides replace items (``None`` leaves an item
out); dates may be given as ``datetime.date`` or ISO text. All dates are before 2026-11-24, so
"not in the future" checks pass. Decimals are sent as text, as a browser form would.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Iterable, Mapping

DateLike = dt.date | str

CONSENT = dt.date(2026, 1, 5)
SCREENING = dt.date(2026, 1, 7)
C1D1 = dt.date(2026, 1, 19)
C2D1 = C1D1 + dt.timedelta(days=21)          # 2026-02-09
BIRTH_DATE = "1961-08-14"                    # 64 on the consent date
AGE = 64
HEIGHT = "170.0"
WEIGHT = "62.5"
PACLITAXEL_MG_M2 = Decimal("135")
CARBOPLATIN_AUC = Decimal("5")
CAMRELIZUMAB_MG = Decimal("200")


# ---------------------------------------------------------------- small helpers

def iso(value: DateLike | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.isoformat()


def day(value: DateLike) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def plus(value: DateLike, days: int) -> dt.date:
    return day(value) + dt.timedelta(days=days)


def _merge(data: dict, overrides: Mapping[str, Any]) -> dict:
    out = dict(data)
    for key, value in overrides.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def mosteller_bsa(height_cm: str | Decimal, weight_kg: str | Decimal) -> Decimal:
    """Body surface area, Mosteller: sqrt(height x weight / 3600), to 2 decimals."""
    product = Decimal(str(height_cm)) * Decimal(str(weight_kg)) / Decimal(3600)
    return product.sqrt().quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _text(number: Decimal, places: int = 2) -> str:
    return str(number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def rt_last_fraction(start: DateLike, fractions: int) -> dt.date:
    """Date of the last of ``fractions`` daily fractions given Monday to Friday from ``start``
    (the start itself when none was given)."""
    current, given = day(start), 0
    if fractions <= 0:
        return current
    while True:
        if current.weekday() < 5:
            given += 1
            if given == fractions:
                return current
        current += dt.timedelta(days=1)


def rows_of(data: Mapping, group: str) -> list[dict]:
    return [dict(row) for row in data.get(group, [])]


def with_row(data: Mapping, group: str, index: int, **changes) -> dict:
    """A copy of ``data`` with row ``index`` (0-based) of a repeating group changed."""
    out = dict(data)
    rows = rows_of(data, group)
    rows[index] = _merge(rows[index], changes)
    out[group] = rows
    return out


# ---------------------------------------------------------------- screening

def demographics(consent: DateLike = CONSENT, **overrides) -> dict:
    """F_DM."""
    return _merge({
        "RFICDTC": iso(consent), "RFICVER": "2.0, 2025-10-15", "BRTHDAT": BIRTH_DATE, "AGE": AGE,
        "SEX": "M", "ETHNIC": "NOT_HISPANIC", "RACE": "ASIAN", "HEIGHT": HEIGHT, "WEIGHT": WEIGHT,
    }, overrides)


def baseline(study_oid: str = "ESCC-N3", diagnosis: DateLike = "2025-12-22", **overrides) -> dict:
    """F_BASELINE: biopsy-proven ESCC of the mid-thoracic oesophagus, no relevant history."""
    data = {
        "DIAGDAT": iso(diagnosis), "HISTOL": "ESCC", "DIAGMETH": "HISTOLOGY", "PRIMLOC": "MIDDLE_THORACIC",
        "DMEXCL": "Y", "DMEXCLM": ["CT", "PET_CT"], "SURGSTAT": "UNSUITABLE", "LIFEEXP6": "Y",
        "PRCHRT": "N", "OMALYN": "N", "ANEMHX": "N", "LWBCHX": "N", "LPLTHX": "N",
        "IMMDEF": "N", "IMMSUPP": "N", "DRUGALC": "N", "HIVPOS": "N", "HBVREP": "N", "HCVACT": "N",
        "SYPHACT": "N", "MENTILL": "N", "CVDSEV": "N", "UANGINA": "N", "CHF": "N", "MI6M": "N",
        "ACUTEINF": "N", "COPDEXAC": "N", "HEPRENIN": "N", "CTDACT": "N", "COMPREH": "Y", "LEGCAP": "Y",
    }
    if study_oid == "ESCC-N3":
        data["CCRTCAND"] = "N"  # ESCC-N3 only: not a candidate for concurrent CRT + immunotherapy
    return _merge(data, overrides)


def performance(date: DateLike, ecog: int = 1, kps: int | None = 80, **overrides) -> dict:
    """F_ECOG (ECOG 1 = KPS 70-80)."""
    return _merge({"ECOGDAT": iso(date), "ECOG": ecog, "KPS": kps}, overrides)


def staging(date: DateLike, t: str = "T3", n: str = "N3", m: str = "M0", stage: str | None = None,
            methods: Iterable[str] = ("CT", "PET_CT", "EUS", "ENDOSCOPY"), **overrides) -> dict:
    """F_TNM; the stage group follows AJCC 8th (clinical, squamous cell carcinoma) unless given."""
    if stage is None:
        if m == "M1":
            stage = "IVB"
        elif n == "N3" or t in ("T4", "T4A", "T4B"):
            stage = "IVA"
        elif n == "N2" or (t == "T3" and n == "N1"):
            stage = "III"
        elif t in ("T2", "T3"):
            stage = "II"
        else:
            stage = "I"
    return _merge({"TNMDAT": iso(date), "TNMCT": t, "TNMCN": n, "TNMCM": m, "TNMSTG": stage,
                   "TNMMETH": list(methods)}, overrides)


def labs(date: DateLike, hgb: str = "132", wbc: str = "6.20", anc: str = "3.90", plt: str = "215.0",
         alt: str = "22", ast: str = "25", bili: str = "11.20", creat: str = "72.00", alb: str = "41.0",
         hcg: str | None = "NA", lab: str = "Central laboratory", **overrides) -> dict:
    """F_LB with SI units and the laboratory's reference limits (male adult)."""
    return _merge({
        "LBPERF": "Y", "LBDAT": iso(date), "LBNAM": lab,
        "LBHGB": hgb, "LBHGBU": "G_L", "LBHGBLO": "130", "LBHGBHI": "175",
        "LBWBC": wbc, "LBWBCU": "E9_L", "LBWBCLO": "3.50", "LBWBCHI": "9.50",
        "LBANC": anc, "LBANCU": "E9_L", "LBANCLO": "1.80", "LBANCHI": "6.30",
        "LBPLT": plt, "LBPLTU": "E9_L", "LBPLTLO": "125.0", "LBPLTHI": "350.0",
        "LBALT": alt, "LBALTU": "U_L", "LBALTLO": "9", "LBALTHI": "50",
        "LBAST": ast, "LBASTU": "U_L", "LBASTLO": "15", "LBASTHI": "40",
        "LBBILI": bili, "LBBILIU": "UMOL_L", "LBBILILO": "3.40", "LBBILIHI": "20.50",
        "LBCREAT": creat, "LBCREATU": "UMOL_L", "LBCREATLO": "57.00", "LBCREATHI": "111.00",
        "LBALB": alb, "LBALBU": "G_L", "LBALBLO": "40.0", "LBALBHI": "55.0",
        "LBHCG": hcg,
    }, overrides)


def eligibility_n3(date: DateLike, eligible: bool = True, **overrides) -> dict:
    """F_IE_N3: every inclusion criterion met, no exclusion criterion, eligible."""
    data = {f"IN{n:02d}": "Y" for n in range(1, 12)}
    data.update({f"EX{n:02d}": "N" for n in range(1, 21)})
    data.update({"IEDAT": iso(date), "IEYN": "Y" if eligible else "N"})
    return _merge(data, overrides)


def eligibility_ldrt(date: DateLike, eligible: bool = True, **overrides) -> dict:
    """F_IE_LDRT: every inclusion criterion met, no exclusion criterion, eligible."""
    data = {f"IN{n:02d}": "Y" for n in range(1, 7)}
    data.update({"EX01": "N", "IEDAT": iso(date), "IEYN": "Y" if eligible else "N"})
    return _merge(data, overrides)


def eligibility(study_oid: str, date: DateLike, **overrides) -> dict:
    return (eligibility_n3 if study_oid == "ESCC-N3" else eligibility_ldrt)(date, **overrides)


def eligibility_form(study_oid: str) -> str:
    return "F_IE_N3" if study_oid == "ESCC-N3" else "F_IE_LDRT"


# ---------------------------------------------------------------- RECIST 1.1

def target(lesion_id: str, organ: str, detail: str, diameter: str, method: str = "CT") -> dict:
    return {"TRLNKID": lesion_id, "TULOC": organ, "TULOCDTL": detail, "TRMETHOD": method, "TRORRES": diameter}


def non_target(lesion_id: str, organ: str, detail: str, method: str = "CT") -> dict:
    return {"NTLNKID": lesion_id, "NTLOC": organ, "NTLOCDTL": detail, "NTMETHOD": method, "NTSTAT": "PRESENT"}


BASELINE_TARGETS = (
    target("T01", "ESOPHAGUS", "mid-thoracic oesophagus, 28-34 cm from the incisors", "38.0"),
    target("T02", "LYMPH_NODE", "right paratracheal node, station 2R (short axis)", "18.0"),
)
BASELINE_NON_TARGETS = (
    non_target("NT01", "LYMPH_NODE", "subcarinal node, station 7 (short axis 12 mm)"),
    non_target("NT02", "LYMPH_NODE", "paraoesophageal node, station 8 (short axis 11 mm)"),
)


def _sum(values: Iterable[str]) -> str:
    return str(sum((Decimal(v) for v in values), Decimal("0.0")))


def recist_baseline(date: DateLike, targets: Iterable[Mapping] = BASELINE_TARGETS,
                    non_targets: Iterable[Mapping] = BASELINE_NON_TARGETS, methods: Iterable[str] = ("CT",),
                    **overrides) -> dict:
    """F_RECIST_BL; the site's sum of diameters is the sum of the target rows."""
    targets, non_targets = [dict(t) for t in targets], [dict(n) for n in non_targets]
    return _merge({
        "TRDAT": iso(date), "TAMETH": list(methods), "TUMEASYN": "Y" if targets else "N",
        "TRSUM": _sum(t["TRORRES"] for t in targets) if targets else None,
        "IG_TL": targets, "IG_NTL": non_targets,
    }, overrides)


def recist_followup(date: DateLike, targets: Mapping[str, str] | None = None,
                    non_targets: Mapping[str, str] | None = None, new_lesions: Iterable[Mapping] = (),
                    target_response: str = "PR", non_target_response: str = "NON_CR_NON_PD",
                    new_lesion_answer: str | None = None, overall: str = "PR", methods: Iterable[str] = ("CT",),
                    **overrides) -> dict:
    """F_RECIST with the investigator's responses.

    ``targets`` maps baseline lesion IDs to a diameter (text) or a status (TOO_SMALL,
    DISAPPEARED, NOT_EVALUATED); ``non_targets`` maps IDs to a status. The default is a partial
    response: 38 + 18 = 56 mm at baseline, 24 + 11 = 35 mm now (-37.5 %).
    """
    targets = {"T01": "24.0", "T02": "11.0"} if targets is None else dict(targets)
    non_targets = {"NT01": "PRESENT", "NT02": "PRESENT"} if non_targets is None else dict(non_targets)
    target_rows, measured = [], []
    for lesion_id, value in targets.items():
        row = {"TRLNKID": lesion_id, "TRMETHOD": "CT"}
        if value in ("TOO_SMALL", "DISAPPEARED", "NOT_EVALUATED"):
            row["TRSTAT"] = value
            measured.append({"TOO_SMALL": "5.0", "DISAPPEARED": "0.0"}.get(value, "0.0"))
        else:
            row.update({"TRSTAT": "MEASURED", "TRORRES": value})
            measured.append(value)
        target_rows.append(row)
    new_rows = [dict(n) for n in new_lesions]
    return _merge({
        "TRDAT": iso(date), "TAMETH": list(methods), "TRSUM": _sum(measured) if target_rows else None,
        "IG_TL": target_rows,
        "IG_NTL": [{"NTLNKID": k, "NTSTAT": v} for k, v in non_targets.items()],
        "IG_NL": new_rows,
        "TRGRESP": target_response if target_rows else "NA",
        "NTRGRESP": non_target_response if non_targets else "NA",
        "NEWLIND": new_lesion_answer or ("Y" if new_rows else "N"),
        "RSORRES": overall,
    }, overrides)


def new_lesion(lesion_id: str = "NL01", organ: str = "LIVER", detail: str = "segment VI, 14 mm",
               method: str = "CT", status: str = "YES") -> dict:
    return {"NLLNKID": lesion_id, "NLLOC": organ, "NLLOCDTL": detail, "NLMETHOD": method, "NLSTAT": status}


# ---------------------------------------------------------------- treatment

def drug(name: str, unit: str, planned: Decimal | str, given_on: DateLike | None, given: Decimal | str | None = None,
         adjusted: bool = False, **overrides) -> dict:
    """One IG_EX row; ``given_on=None`` records the drug as not given (reason NOT_PLANNED)."""
    planned_text = planned if isinstance(planned, str) else _text(Decimal(planned))
    if given_on is None:
        row = {"EXTRT": name, "EXOCCUR": "N", "EXREASND": "NOT_PLANNED", "EXDOSU": unit, "EXPLDOS": planned_text}
    else:
        given_text = planned_text if given is None else (given if isinstance(given, str) else _text(Decimal(given)))
        row = {"EXTRT": name, "EXOCCUR": "Y", "EXDOSU": unit, "EXPLDOS": planned_text, "EXDOSE": given_text,
               "EXROUTE": "IV", "EXSTDAT": iso(given_on), "EXDOSADJ": "Y" if adjusted else "N"}
    return _merge(row, overrides)


def chemo_cycle(cycle: int, day1: DateLike, *, weight: str = WEIGHT, height: str = HEIGHT,
                taxane: str = "PACLITAXEL", taxane_mg_m2: Decimal = PACLITAXEL_MG_M2,
                carboplatin_auc: Decimal = CARBOPLATIN_AUC, camrelizumab_mg: Decimal = CAMRELIZUMAB_MG,
                immunotherapy: str | None = None, delay_days: int | None = None, delay_reason: str = "LOGISTIC",
                drugs: list[dict] | None = None, **overrides) -> dict:
    """F_EX for a chemo-immunotherapy cycle: taxane in mg (mg/m2 x BSA), carboplatin as AUC,
    camrelizumab 200 mg flat (or, with ``immunotherapy="Tislelizumab"``, another checkpoint
    inhibitor recorded as IO_OTHER with its name), all on day 1."""
    bsa = mosteller_bsa(height, weight)
    if drugs is None:
        drugs = [
            drug(taxane, "MG", taxane_mg_m2 * bsa, day1),
            drug("CARBOPLATIN", "AUC", carboplatin_auc, day1),
            immunotherapy_row(day1, camrelizumab_mg, immunotherapy),
        ]
    data = {"EXCYCLE": cycle, "CYCDAT": iso(day1), "WEIGHT": weight, "HEIGHT": height, "BSA": str(bsa),
            "IG_EX": drugs}
    if cycle > 1:
        data["CYCDLY"] = "N" if delay_days is None else "Y"
        if delay_days is not None:
            data.update({"CYCDLYD": delay_days, "CYCDLYR": delay_reason})
    return _merge(data, overrides)


def immunotherapy_row(day1: DateLike | None, dose_mg: Decimal = CAMRELIZUMAB_MG, name: str | None = None,
                      **overrides) -> dict:
    """The checkpoint inhibitor's IG_EX row: camrelizumab, or IO_OTHER with ``name``."""
    if name is None:
        return drug("CAMRELIZUMAB", "MG", dose_mg, day1, **overrides)
    return drug("IO_OTHER", "MG", dose_mg, day1, EXTRTSP=name, **overrides)


def maintenance_cycle(cycle: int, day1: DateLike, *, weight: str = WEIGHT, height: str = HEIGHT,
                      camrelizumab_mg: Decimal = CAMRELIZUMAB_MG, immunotherapy: str | None = None,
                      **overrides) -> dict:
    """F_EX at a maintenance visit: the checkpoint inhibitor only."""
    return chemo_cycle(cycle, day1, weight=weight, height=height,
                       drugs=[immunotherapy_row(day1, camrelizumab_mg, immunotherapy)], **overrides)


def radiotherapy(start: DateLike, end: DateLike | None = None, fractions: int = 25, dose_per_fraction: str = "1.8",
                 *, planned_fractions: int | None = None, technique: str = "IMRT", completed: bool | None = True,
                 interruptions: Iterable[Mapping] = (), margins: bool = True, **overrides) -> dict:
    """F_RT: an involved-field course, daily fractions Monday to Friday."""
    planned_fractions = fractions if planned_fractions is None else planned_fractions
    per_fraction = Decimal(dose_per_fraction)
    end = rt_last_fraction(start, fractions) if end is None else end
    interruptions = [dict(i) for i in interruptions]
    data = {
        "RTSTDAT": iso(start), "RTTECH": technique,
        "RTPLDOS": _text(per_fraction * planned_fractions), "RTPLFX": planned_fractions,
        "RTPLDPF": _text(per_fraction),
    }
    if margins:
        data.update({"RTCTVSI": "3.0", "RTCTVRAD": "0.5", "RTGTVNM": "0.5"})
    if completed is not None:
        data.update({"RTENDAT": iso(end), "RTFX": fractions, "RTDPF": _text(per_fraction),
                     "RTDOSE": _text(per_fraction * fractions), "RTINTYN": "Y" if interruptions else "N",
                     "RTCOMPL": "Y" if completed else "N"})
        if not completed:
            data["RTNCREAS"] = "AE"
    if interruptions:
        data["IG_RTINT"] = interruptions
    return _merge(data, overrides)


def interruption(first: DateLike, last: DateLike, reason: str = "MACHINE", **overrides) -> dict:
    return _merge({"RTINTST": iso(first), "RTINTEN": iso(last), "RTINTRS": reason}, overrides)


# ---------------------------------------------------------------- safety, end of treatment, follow-up

RELATION = {"PAC": "POSSIBLE", "CARBO": "POSSIBLE", "CAM": "UNLIKELY", "RT": "PROBABLE"}
ACTION = {"PAC": "DRUG_WITHDRAWN", "CARBO": "DRUG_WITHDRAWN", "CAM": "DRUG_WITHDRAWN", "RT": "DOSE_NOT_CHANGED"}
SERIOUSNESS = ("AESDTH", "AESLIFE", "AESHOSP", "AESDISAB", "AESCONG", "AESMIE")


def adverse_event(term: str = "Radiation oesophagitis with odynophagia", decod: str = "Esophagitis",
                  start: DateLike = "2026-02-26", grade: int = 3, end: DateLike | None = "2026-03-27",
                  *, serious: Iterable[str] = ("AESHOSP",), irae: bool = False,
                  relation: Mapping[str, str] | None = None, action: Mapping[str, str] | None = None,
                  outcome: str | None = None, **overrides) -> dict:
    """F_AE. ``serious`` lists the seriousness criteria that apply (empty: not serious);
    ``end=None`` means ongoing. The outcome follows from the end date unless given."""
    relation = {**RELATION, **(relation or {})}
    action = {**ACTION, **(action or {})}
    serious = tuple(serious)
    data = {"AETERM": term, "AEDECOD": decod, "AESTDAT": iso(start), "AEONGO": "N" if end else "Y",
            "AETOXGR": grade, "AEIRAE": "Y" if irae else "N", "AESER": "Y" if serious else "N",
            "AEOUT": outcome or ("RECOVERED" if end else "RECOVERING")}
    if end:
        data["AEENDAT"] = iso(end)
    if serious:
        data.update({criterion: "Y" if criterion in serious else "N" for criterion in SERIOUSNESS})
    data.update({f"AEREL_{k}": v for k, v in relation.items()})
    data.update({f"AEACN_{k}": v for k, v in action.items()})
    return _merge(data, overrides)


def end_of_treatment(date: DateLike, reason: str = "AE", *, last_chemo: DateLike | None = None,
                     last_immuno: DateLike | None = None, last_rt: DateLike | None = None, **overrides) -> dict:
    """F_EOT: last dose dates per treatment (blank for a treatment never given)."""
    return _merge({"EOTDAT": iso(date), "EOTREAS": reason, "LDDAT_PAC": iso(last_chemo),
                   "LDDAT_CARBO": iso(last_chemo), "LDDAT_CAM": iso(last_immuno), "LDDAT_RT": iso(last_rt)},
                  overrides)


def follow_up(contact: DateLike, status: str = "ALIVE", method: str = "PHONE", *,
              last_known_alive: DateLike | None = None, progression: DateLike | None = None,
              progression_method: str = "RECIST", therapy: DateLike | None = None,
              therapy_types: Iterable[str] = ("CHEMO",), therapy_text: str | None = "docetaxel",
              **overrides) -> dict:
    """F_FU: one survival contact; progression and new therapy only when their dates are given."""
    data = {"SSDAT": iso(contact), "FUMETH": method, "SSORRES": status,
            "PDYN": "Y" if progression else "N", "STHYN": "Y" if therapy else "N"}
    if status in ("ALIVE", "LOST"):
        data["LKADAT"] = iso(last_known_alive or contact)
    if progression:
        data.update({"PDDAT": iso(progression), "PDMETH": progression_method})
    if therapy:
        data.update({"STHTYP": list(therapy_types), "STHSTDAT": iso(therapy)})
        if therapy_text:
            data["STHSP"] = therapy_text
    return _merge(data, overrides)


def death(date: DateLike, cause: str = "DISEASE_PROGRESSION", autopsy: str = "N", **overrides) -> dict:
    """F_DD."""
    data = {"DTHDAT": iso(date), "DDORRES": cause, "AUTOPSYN": autopsy}
    if cause == "ADVERSE_EVENT":
        data["DDAETERM"] = "Pneumonitis"
    if cause == "OTHER":
        data["DDSPEC"] = "Sudden cardiac death"
    return _merge(data, overrides)


# ---------------------------------------------------------------- one subject's course per study

@dataclass(frozen=True)
class Course:
    """The dates of one subject's course; the defaults are the patient described above."""

    study_oid: str
    consent: dt.date = CONSENT
    screening: dt.date = SCREENING
    c1d1: dt.date = C1D1
    c2d1: dt.date = C2D1
    maint_start: dt.date | None = None          # ESCC-N3: first maintenance dose (cycle 3)
    rt_start: dt.date = C2D1
    rt_fractions: int = 25
    rt_dose_per_fraction: str = "1.8"
    first_assessment: dt.date = C1D1 + dt.timedelta(days=43)   # TA 1 window C1D1 + 42 .. + 49
    ae_start: dt.date = dt.date(2026, 2, 26)
    ae_end: dt.date = dt.date(2026, 3, 27)
    eot: dt.date = dt.date(2026, 3, 30)
    immunotherapy: str | None = None            # None: camrelizumab; else IO_OTHER with this name

    @property
    def rt_end(self) -> dt.date:
        return rt_last_fraction(self.rt_start, self.rt_fractions)

    @property
    def last_immuno(self) -> dt.date:
        return self.maint_start or self.c2d1

    @property
    def follow_up_contact(self) -> dt.date:
        return self.eot + dt.timedelta(days=91)   # FU 1 due EOT + 90 (-14/+14)


def course_for(study_oid: str) -> Course:
    """ESCC-LDRT: RT from C2D1 (45 Gy / 25 fractions), camrelizumab. ESCC-N3: RT during immune
    maintenance, which starts with cycle 3 on C1D1 + 42 (50.4 Gy / 28 fractions); its protocol
    names no checkpoint inhibitor, so it is recorded as "other" (tislelizumab 200 mg q3w)."""
    if study_oid == "ESCC-N3":
        maint = C1D1 + dt.timedelta(days=42)
        return Course(study_oid, maint_start=maint, rt_start=maint, rt_fractions=28,
                      ae_start=dt.date(2026, 3, 20), ae_end=dt.date(2026, 4, 24), eot=dt.date(2026, 4, 13),
                      immunotherapy="Tislelizumab")
    return Course(study_oid)


# ---------------------------------------------------------------- driving the API

class WalkError(AssertionError):
    pass


def _ok(response, status: int, what: str):
    if response.status_code != status:
        raise WalkError(f"{what}: expected {status}, got {response.status_code}: {response.get_json()}")
    return response


@dataclass
class Walk:
    """What :func:`walk_subject` did: the subject and every record it entered (final state)."""

    study_oid: str
    course: Course
    subject: dict
    records: dict[tuple[str, int, str], dict] = field(default_factory=dict)
    entered_by: dict[int, str] = field(default_factory=dict)    # record id -> "coordinator"/"investigator"
    visit_dates: dict[tuple[str, int], dt.date] = field(default_factory=dict)

    @property
    def subject_id(self) -> int:
        return self.subject["id"]

    @property
    def record_ids(self) -> dict[tuple[str, int, str], int]:
        """{(visit key, visit repeat, form OID): record id}."""
        return {key: record["id"] for key, record in self.records.items()}

    def record(self, visit: str, form: str, repeat: int = 1) -> dict:
        return self.records[(visit, repeat, form)]


def enter_record(client, subject_id: int, visit: str, form: str, data: dict, *, repeat: int = 1,
                 complete: bool = True) -> dict:
    """Create a record (a draft) and, by default, mark it complete; returns the final record with
    its ``etag``."""
    created = _ok(client.post(f"/subjects/{subject_id}/visits/{visit}/forms/{form}?repeat={repeat}",
                              json={"data": data}), 201, f"create {form} at {visit} {repeat}")
    record, etag = created.get_json(), created.headers["ETag"]
    if complete:
        done = _ok(client.post(f"/records/{record['id']}/complete", json={}, headers={"If-Match": etag}), 200,
                   f"complete {form} at {visit} {repeat}")
        record, etag = done.get_json(), done.headers["ETag"]
    record["etag"] = etag
    return record


def set_visit_date(client, subject_id: int, visit: str, date: DateLike, repeat: int = 1) -> dict:
    return _ok(client.patch(f"/subjects/{subject_id}/visits/{visit}?repeat={repeat}",
                            json={"visit_date": iso(date)}), 200, f"date of {visit} {repeat}").get_json()


def enrol(client, study_oid: str, site_code: str, consent: DateLike = CONSENT, code: str | None = None) -> dict:
    body = {"site": site_code, "consent_date": iso(consent)}
    if code:
        body["subject_code"] = code
    return _ok(client.post(f"/studies/{study_oid}/subjects", json=body), 201, "enrol").get_json()


def change_status(client, subject_id: int, status: str, date: DateLike | None = None, reason: str | None = None):
    body = {"status": status}
    if date is not None:
        body["date"] = iso(date)
    if reason is not None:
        body["reason"] = reason
    return _ok(client.post(f"/subjects/{subject_id}/status", json=body), 200, f"status {status}").get_json()


def walk_subject(client, study_oid: str, site_code: str, *, investigator=None, course: Course | None = None) -> Walk:
    """Enrol a subject and drive it through the schedule of its study, as the site would.

    Screening (every SCR form), cycles 1 and 2 (F_EX, F_LB, F_ECOG), for ESCC-N3 the first
    maintenance cycle (F_EX, F_LB; it fixes maint_start), the radiotherapy course (F_RT), the first
    tumour assessment (F_RECIST at TA 1), one adverse event (F_AE in the AELOG log), the end of
    treatment (F_EOT) and the first survival follow-up (F_FU at FU 1). Visit dates are set, every
    record is completed, and the subject moves screening -> enrolled -> on_treatment -> follow_up.

    ``client`` (the coordinator) enters everything except the eligibility checklist and the
    tumour assessment, which ``investigator`` enters when given; ``Walk.entered_by`` says who
    entered each record ("coordinator" or "investigator").
    """
    course = course or course_for(study_oid)
    investigator = investigator or client
    subject = enrol(client, study_oid, site_code, course.consent)
    walk = Walk(study_oid, course, subject)
    sid = subject["id"]

    def visit_on(visit: str, date: dt.date, repeat: int = 1) -> None:
        set_visit_date(client, sid, visit, date, repeat)
        walk.visit_dates[(visit, repeat)] = date

    def enter(visit: str, form: str, data: dict, repeat: int = 1, by=None) -> dict:
        who = by or client
        record = enter_record(who, sid, visit, form, data, repeat=repeat)
        walk.records[(visit, repeat, form)] = record
        walk.entered_by[record["id"]] = "coordinator" if who is client else "investigator"
        return record

    # Screening and baseline.
    visit_on("SCR", course.screening)
    enter("SCR", "F_DM", demographics(course.consent))
    enter("SCR", "F_BASELINE", baseline(study_oid))
    enter("SCR", "F_ECOG", performance(course.screening))
    enter("SCR", "F_TNM", staging(course.screening, n="N3" if study_oid == "ESCC-N3" else "N1"))
    enter("SCR", "F_LB", labs(course.screening))
    enter("SCR", "F_RECIST_BL", recist_baseline(plus(course.screening, 2)))
    enter("SCR", eligibility_form(study_oid), eligibility(study_oid, plus(course.screening, 3)), by=investigator)
    change_status(client, sid, "enrolled", plus(course.screening, 3))

    # Two chemo-immunotherapy cycles.
    for cycle, day1, lab in ((1, course.c1d1, labs(plus(course.c1d1, -2))),
                             (2, course.c2d1, labs(plus(course.c2d1, -1), hgb="118", wbc="4.10", anc="2.30",
                                                   plt="162.0", alb="38.5"))):
        visit_on("CYCLE", day1, cycle)
        enter("CYCLE", "F_EX", chemo_cycle(cycle, day1, immunotherapy=course.immunotherapy), repeat=cycle)
        enter("CYCLE", "F_LB", lab, repeat=cycle)
        enter("CYCLE", "F_ECOG", performance(plus(day1, -1)), repeat=cycle)
        if cycle == 1:
            change_status(client, sid, "on_treatment", day1)

    # ESCC-N3: radiotherapy comes with immune maintenance, so maintenance cycle 1 (study cycle 3).
    if course.maint_start is not None:
        visit_on("MAINT", course.maint_start)
        enter("MAINT", "F_EX", maintenance_cycle(3, course.maint_start, immunotherapy=course.immunotherapy))
        enter("MAINT", "F_LB", labs(plus(course.maint_start, -1), hgb="121", wbc="4.60", anc="2.80",
                                    plt="188.0", alb="39.0"))

    # Radiotherapy course.
    visit_on("RT", course.rt_start)
    enter("RT", "F_RT", radiotherapy(course.rt_start, fractions=course.rt_fractions,
                                     dose_per_fraction=course.rt_dose_per_fraction))

    # First tumour assessment: partial response.
    visit_on("TA", course.first_assessment)
    enter("TA", "F_RECIST", recist_followup(course.first_assessment), by=investigator)

    # The adverse event (log: no visit date).
    enter("AELOG", "F_AE", adverse_event(start=course.ae_start, end=course.ae_end))

    # End of treatment for the adverse event, then survival follow-up.
    visit_on("EOT", course.eot)
    enter("EOT", "F_EOT", end_of_treatment(course.eot, "AE", last_chemo=course.c2d1,
                                           last_immuno=course.last_immuno, last_rt=course.rt_end))
    change_status(client, sid, "follow_up", course.eot)
    visit_on("FU", course.follow_up_contact)
    enter("FU", "F_FU", follow_up(course.follow_up_contact))

    walk.subject = _ok(client.get(f"/subjects/{sid}"), 200, "subject").get_json()
    return walk


def flatten(data: Mapping) -> dict[tuple[str, str | None, int | None], Any]:
    """Record data as {(item OID, group OID or None, row or None): value} (blank values left out)."""
    out: dict[tuple[str, str | None, int | None], Any] = {}
    for key, value in data.items():
        if isinstance(value, list) and value and isinstance(value[0], Mapping):
            for row in value:
                for item, item_value in row.items():
                    if item != "_row" and item_value is not None:
                        out[(item, key, row["_row"])] = item_value
        elif isinstance(value, list) and not value:
            continue  # an empty repeating group (multiple-choice values are never empty lists)
        elif value is not None:
            out[(key, None, None)] = value
    return out
