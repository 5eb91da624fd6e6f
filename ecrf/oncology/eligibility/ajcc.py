"""AJCC 8th edition clinical stage groups (cTNM) for esophageal squamous cell carcinoma.

AJCC Cancer Staging Manual, 8th ed. (2017), chapter 16, clinical stage groups for squamous cell
carcinoma: 0 Tis N0 M0; I T1 N0-1 M0; II T2 N0-1 M0, T3 N0 M0; III T3 N1 M0, T1-3 N2 M0;
IVA T4 N0-2 M0, any T N3 M0; IVB any T any N M1. Grade and location only enter the
*pathological* stage groups, so they are validated here but do not change the clinical group.
"""

from __future__ import annotations

__all__ = ["T_CODES", "N_CODES", "M_CODES", "normalize_t", "normalize_n", "normalize_m",
           "stage_group_escc"]

T_CODES = ("TX", "T0", "Tis", "T1", "T1a", "T1b", "T2", "T3", "T4", "T4a", "T4b")
N_CODES = ("NX", "N0", "N1", "N2", "N3")
M_CODES = ("M0", "M1")
GRADES = ("GX", "G1", "G2", "G3")
LOCATIONS = ("X", "upper", "middle", "lower")

_T_BASE = {"T1a": "T1", "T1b": "T1", "T4a": "T4", "T4b": "T4"}


def _normalize(code, allowed: tuple[str, ...], what: str) -> str:
    if isinstance(code, str):
        text = code.strip()
        if text[:1] in ("c", "C") and len(text) > 1 and text[1] in "TtNnMm":
            text = text[1:]        # clinical prefix: cT3 -> T3
        for candidate in allowed:
            if candidate.casefold() == text.casefold():
                return candidate
    raise ValueError(f"invalid AJCC 8th {what} code {code!r}; allowed: {', '.join(allowed)}")


def normalize_t(code) -> str:
    return _normalize(code, T_CODES, "T")


def normalize_n(code) -> str:
    return _normalize(code, N_CODES, "N")


def normalize_m(code) -> str:
    return _normalize(code, M_CODES, "M")


def stage_group_escc(t, n, m, grade=None, location=None) -> str | None:
    """Clinical stage group ('0', 'I', 'II', 'III', 'IVA', 'IVB') or None when not determinable.

    None is returned when the codes do not decide the group (TX/T0 or NX where the group depends
    on them, Tis with N1-N2). Invalid codes raise ValueError.
    """
    t, n, m = normalize_t(t), normalize_n(n), normalize_m(m)
    if grade is not None:
        _normalize(grade, GRADES, "grade")
    if location is not None:
        _normalize(location, LOCATIONS, "location")
    if m == "M1":
        return "IVB"
    if n == "N3":
        return "IVA"
    base = _T_BASE.get(t, t)
    if base == "T4":
        return "IVA"                 # T4 N0-2 (and N3 above); NX cannot change that
    if n == "NX" or base in ("TX", "T0"):
        return None
    if base == "Tis":
        return "0" if n == "N0" else None
    if n == "N2":
        return "III"                 # T1-3 N2
    if base == "T1":
        return "I"                   # T1 N0-1
    if base == "T2":
        return "II"                  # T2 N0-1
    return "II" if n == "N0" else "III"   # T3 N0 / T3 N1
