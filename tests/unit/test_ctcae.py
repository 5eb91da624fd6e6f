"""CTCAE v5.0 lab grading (every band edge, every unit), unit conversion, AE term list and checks."""

from datetime import date
from decimal import Decimal as D

import pytest

from ecrf.oncology import ctcae, units
from ecrf.oncology.ctcae import (AERecord, LabObservation, MissingReferenceError, UnknownTermError,
                                 check_ae, grade_lab, lab_grade_exceeds_ae)
from ecrf.oncology.units import UnitError, convert


# ------------------------------------------------------------------ decreased terms: every edge
# (term, unit, LLN, value, grade, band)
DECREASED_EDGES = [
    # Neutrophil count decreased, /mm3 (LLN 2000)
    ("Neutrophil count decreased", "/mm3", "2000", "2000", 0, ">=LLN"),
    ("Neutrophil count decreased", "/mm3", "2000", "1999", 1, "<LLN - 1500/mm3"),
    ("Neutrophil count decreased", "/mm3", "2000", "1500", 1, "<LLN - 1500/mm3"),
    ("Neutrophil count decreased", "/mm3", "2000", "1499", 2, "<1500 - 1000/mm3"),
    ("Neutrophil count decreased", "/mm3", "2000", "1000", 2, "<1500 - 1000/mm3"),
    ("Neutrophil count decreased", "/mm3", "2000", "999", 3, "<1000 - 500/mm3"),
    ("Neutrophil count decreased", "/mm3", "2000", "500", 3, "<1000 - 500/mm3"),
    ("Neutrophil count decreased", "/mm3", "2000", "499", 4, "<500/mm3"),
    ("Neutrophil count decreased", "/mm3", "2000", "0", 4, "<500/mm3"),
    # Neutrophil count decreased, 10^9/L (LLN 2.0)
    ("Neutrophil count decreased", "10^9/L", "2.0", "2.0", 0, ">=LLN"),
    ("Neutrophil count decreased", "10^9/L", "2.0", "1.99", 1, "<LLN - 1.5 x 10e9 /L"),
    ("Neutrophil count decreased", "10^9/L", "2.0", "1.5", 1, "<LLN - 1.5 x 10e9 /L"),
    ("Neutrophil count decreased", "10^9/L", "2.0", "1.49", 2, "<1.5 - 1.0 x 10e9 /L"),
    ("Neutrophil count decreased", "10^9/L", "2.0", "1.0", 2, "<1.5 - 1.0 x 10e9 /L"),
    ("Neutrophil count decreased", "10^9/L", "2.0", "0.99", 3, "<1.0 - 0.5 x 10e9 /L"),
    ("Neutrophil count decreased", "10^9/L", "2.0", "0.5", 3, "<1.0 - 0.5 x 10e9 /L"),
    ("Neutrophil count decreased", "10^9/L", "2.0", "0.49", 4, "<0.5 x 10e9 /L"),
    # Platelet count decreased, /mm3 (LLN 150,000)
    ("Platelet count decreased", "/mm3", "150000", "150000", 0, ">=LLN"),
    ("Platelet count decreased", "/mm3", "150000", "149999", 1, "<LLN - 75,000/mm3"),
    ("Platelet count decreased", "/mm3", "150000", "75000", 1, "<LLN - 75,000/mm3"),
    ("Platelet count decreased", "/mm3", "150000", "74999", 2, "<75,000 - 50,000/mm3"),
    ("Platelet count decreased", "/mm3", "150000", "50000", 2, "<75,000 - 50,000/mm3"),
    ("Platelet count decreased", "/mm3", "150000", "49999", 3, "<50,000 - 25,000/mm3"),
    ("Platelet count decreased", "/mm3", "150000", "25000", 3, "<50,000 - 25,000/mm3"),
    ("Platelet count decreased", "/mm3", "150000", "24999", 4, "<25,000/mm3"),
    # Platelet count decreased, 10^9/L (LLN 150)
    ("Platelet count decreased", "10^9/L", "150", "150", 0, ">=LLN"),
    ("Platelet count decreased", "10^9/L", "150", "149.9", 1, "<LLN - 75.0 x 10e9 /L"),
    ("Platelet count decreased", "10^9/L", "150", "75", 1, "<LLN - 75.0 x 10e9 /L"),
    ("Platelet count decreased", "10^9/L", "150", "74.9", 2, "<75.0 - 50.0 x 10e9 /L"),
    ("Platelet count decreased", "10^9/L", "150", "50", 2, "<75.0 - 50.0 x 10e9 /L"),
    ("Platelet count decreased", "10^9/L", "150", "49.9", 3, "<50.0 - 25.0 x 10e9 /L"),
    ("Platelet count decreased", "10^9/L", "150", "25", 3, "<50.0 - 25.0 x 10e9 /L"),
    ("Platelet count decreased", "10^9/L", "150", "24.9", 4, "<25.0 x 10e9 /L"),
    # White blood cell decreased, /mm3 (LLN 4000)
    ("White blood cell decreased", "/mm3", "4000", "4000", 0, ">=LLN"),
    ("White blood cell decreased", "/mm3", "4000", "3999", 1, "<LLN - 3000/mm3"),
    ("White blood cell decreased", "/mm3", "4000", "3000", 1, "<LLN - 3000/mm3"),
    ("White blood cell decreased", "/mm3", "4000", "2999", 2, "<3000 - 2000/mm3"),
    ("White blood cell decreased", "/mm3", "4000", "2000", 2, "<3000 - 2000/mm3"),
    ("White blood cell decreased", "/mm3", "4000", "1999", 3, "<2000 - 1000/mm3"),
    ("White blood cell decreased", "/mm3", "4000", "1000", 3, "<2000 - 1000/mm3"),
    ("White blood cell decreased", "/mm3", "4000", "999", 4, "<1000/mm3"),
    # White blood cell decreased, 10^9/L (LLN 4.0)
    ("White blood cell decreased", "10^9/L", "4.0", "4.0", 0, ">=LLN"),
    ("White blood cell decreased", "10^9/L", "4.0", "3.99", 1, "<LLN - 3.0 x 10e9 /L"),
    ("White blood cell decreased", "10^9/L", "4.0", "3.0", 1, "<LLN - 3.0 x 10e9 /L"),
    ("White blood cell decreased", "10^9/L", "4.0", "2.99", 2, "<3.0 - 2.0 x 10e9 /L"),
    ("White blood cell decreased", "10^9/L", "4.0", "2.0", 2, "<3.0 - 2.0 x 10e9 /L"),
    ("White blood cell decreased", "10^9/L", "4.0", "1.99", 3, "<2.0 - 1.0 x 10e9 /L"),
    ("White blood cell decreased", "10^9/L", "4.0", "1.0", 3, "<2.0 - 1.0 x 10e9 /L"),
    ("White blood cell decreased", "10^9/L", "4.0", "0.99", 4, "<1.0 x 10e9 /L"),
    # Anemia, g/L (LLN 130)
    ("Anemia", "g/L", "130", "130", 0, ">=LLN"),
    ("Anemia", "g/L", "130", "129.9", 1, "<LLN - 100 g/L"),
    ("Anemia", "g/L", "130", "100", 1, "<LLN - 100 g/L"),
    ("Anemia", "g/L", "130", "99.9", 2, "<100 - 80 g/L"),
    ("Anemia", "g/L", "130", "80", 2, "<100 - 80 g/L"),
    ("Anemia", "g/L", "130", "79.9", 3, "<80 g/L"),
    ("Anemia", "g/L", "130", "30", 3, "<80 g/L"),
    # Anemia, g/dL (LLN 13.0)
    ("Anemia", "g/dL", "13.0", "13.0", 0, ">=LLN"),
    ("Anemia", "g/dL", "13.0", "12.99", 1, "<LLN - 10.0 g/dL"),
    ("Anemia", "g/dL", "13.0", "10.0", 1, "<LLN - 10.0 g/dL"),
    ("Anemia", "g/dL", "13.0", "9.99", 2, "<10.0 - 8.0 g/dL"),
    ("Anemia", "g/dL", "13.0", "8.0", 2, "<10.0 - 8.0 g/dL"),
    ("Anemia", "g/dL", "13.0", "7.99", 3, "<8.0 g/dL"),
    # Anemia, mmol/L (LLN 8.1): the document's own mmol/L edges 6.2 and 4.9
    ("Anemia", "mmol/L", "8.1", "8.1", 0, ">=LLN"),
    ("Anemia", "mmol/L", "8.1", "8.09", 1, "<LLN - 6.2 mmol/L"),
    ("Anemia", "mmol/L", "8.1", "6.2", 1, "<LLN - 6.2 mmol/L"),
    ("Anemia", "mmol/L", "8.1", "6.19", 2, "<6.2 - 4.9 mmol/L"),
    ("Anemia", "mmol/L", "8.1", "4.9", 2, "<6.2 - 4.9 mmol/L"),
    ("Anemia", "mmol/L", "8.1", "4.89", 3, "<4.9 mmol/L"),
]


@pytest.mark.parametrize("term,unit,lln,value,grade,band", DECREASED_EDGES)
def test_decreased_term_band_edges(term, unit, lln, value, grade, band):
    result = grade_lab(term, D(value), unit, D(lln), None)
    assert (result.term, result.grade, result.band, result.basis) == (term, grade, band, "LLN")


@pytest.mark.parametrize("unit,value,lln,converted", [
    ("cells/uL", "1000", "2000", D("1.000")),
    ("/uL", "1000", "2000", D("1.000")),
    ("10^3/uL", "1.0", "2.0", D("1.0")),
    ("x10^9/L", "1.0", "2.0", D("1.0")),
    ("10^6/L", "1000", "2000", D("1.000")),
])
def test_cell_count_unit_aliases(unit, value, lln, converted):
    result = grade_lab("ANC", D(value), unit, D(lln))
    assert (result.grade, result.value_converted, result.unit_used) == (2, converted, "10^9/L")


def test_hb_units_converted_or_native():
    assert grade_lab("Hb", D("9.5"), "g/dL", D("12")).value_converted == D("95.0")
    assert grade_lab("Hb", D("9.5"), "g/dL", D("12")).unit_used == "g/L"
    native = grade_lab("hemoglobin", D("6.0"), "mmol/L", D("7.5"))
    assert (native.value_converted, native.unit_used, native.grade) == (D("6.0"), "mmol/L", 2)


def test_decreased_absolute_threshold_applies_before_lln():
    # LLN below the grade 2 edge: 1.45 is >= LLN but < 1.5 -> grade 2 (absolute thresholds first)
    assert grade_lab("ANC", D("1.45"), "10^9/L", D("1.4")).grade == 2


def test_lln_only_needed_to_tell_grade_0_from_1():
    assert grade_lab("ANC", D("0.8"), "10^9/L", None).grade == 3
    assert grade_lab("Hb", D("79"), "g/L", None).grade == 3
    with pytest.raises(MissingReferenceError, match="LLN is required"):
        grade_lab("ANC", D("1.5"), "10^9/L", None)
    with pytest.raises(MissingReferenceError, match="positive"):
        grade_lab("PLT", D("100"), "10^9/L", D("0"))


# ------------------------------------------------------------------ increased terms: every edge
# (term, unit, ULN, baseline, value, grade, band, basis)
INCREASED_EDGES = []
for _term in ("Alanine aminotransferase increased", "Aspartate aminotransferase increased"):
    INCREASED_EDGES += [
        (_term, "U/L", "40", None, "40", 0, "<=ULN", "ULN"),
        (_term, "U/L", "40", None, "40.1", 1, ">ULN - 3.0 x ULN", "ULN"),
        (_term, "U/L", "40", None, "119.9", 1, ">ULN - 3.0 x ULN", "ULN"),
        (_term, "U/L", "40", None, "120", 2, ">3.0 - 5.0 x ULN", "ULN"),
        (_term, "U/L", "40", None, "199.9", 2, ">3.0 - 5.0 x ULN", "ULN"),
        (_term, "U/L", "40", None, "200", 3, ">5.0 - 20.0 x ULN", "ULN"),
        (_term, "U/L", "40", None, "799.9", 3, ">5.0 - 20.0 x ULN", "ULN"),
        (_term, "U/L", "40", None, "800", 4, ">20.0 x ULN", "ULN"),
        (_term, "IU/L", "40", "40", "40.1", 1, ">ULN - 3.0 x ULN", "ULN"),   # baseline == ULN: normal
        # baseline abnormal (60 > ULN 40): relative to baseline
        (_term, "U/L", "40", "60", "50", 0, "<1.5 x baseline (baseline abnormal)", "baseline"),
        (_term, "U/L", "40", "60", "89.9", 0, "<1.5 x baseline (baseline abnormal)", "baseline"),
        (_term, "U/L", "40", "60", "90", 1, "1.5 - 3.0 x baseline", "baseline"),
        (_term, "U/L", "40", "60", "179.9", 1, "1.5 - 3.0 x baseline", "baseline"),
        (_term, "U/L", "40", "60", "180", 2, ">3.0 - 5.0 x baseline", "baseline"),
        (_term, "U/L", "40", "60", "299.9", 2, ">3.0 - 5.0 x baseline", "baseline"),
        (_term, "U/L", "40", "60", "300", 3, ">5.0 - 20.0 x baseline", "baseline"),
        (_term, "U/L", "40", "60", "1199.9", 3, ">5.0 - 20.0 x baseline", "baseline"),
        (_term, "U/L", "40", "60", "1200", 4, ">20.0 x baseline", "baseline"),
    ]
INCREASED_EDGES += [
    # Blood bilirubin increased, umol/L (ULN 17.1)
    ("Blood bilirubin increased", "umol/L", "17.1", None, "17.1", 0, "<=ULN", "ULN"),
    ("Blood bilirubin increased", "umol/L", "17.1", None, "17.11", 1, ">ULN - 1.5 x ULN", "ULN"),
    ("Blood bilirubin increased", "umol/L", "17.1", None, "25.64", 1, ">ULN - 1.5 x ULN", "ULN"),
    ("Blood bilirubin increased", "umol/L", "17.1", None, "25.65", 2, ">1.5 - 3.0 x ULN", "ULN"),
    ("Blood bilirubin increased", "umol/L", "17.1", None, "51.29", 2, ">1.5 - 3.0 x ULN", "ULN"),
    ("Blood bilirubin increased", "umol/L", "17.1", None, "51.3", 3, ">3.0 - 10.0 x ULN", "ULN"),
    ("Blood bilirubin increased", "umol/L", "17.1", None, "170.99", 3, ">3.0 - 10.0 x ULN", "ULN"),
    ("Blood bilirubin increased", "umol/L", "17.1", None, "171", 4, ">10.0 x ULN", "ULN"),
    # Blood bilirubin increased, mg/dL (ULN 1.0)
    ("Blood bilirubin increased", "mg/dL", "1.0", None, "1.0", 0, "<=ULN", "ULN"),
    ("Blood bilirubin increased", "mg/dL", "1.0", None, "1.01", 1, ">ULN - 1.5 x ULN", "ULN"),
    ("Blood bilirubin increased", "mg/dL", "1.0", None, "1.49", 1, ">ULN - 1.5 x ULN", "ULN"),
    ("Blood bilirubin increased", "mg/dL", "1.0", None, "1.5", 2, ">1.5 - 3.0 x ULN", "ULN"),
    ("Blood bilirubin increased", "mg/dL", "1.0", None, "2.99", 2, ">1.5 - 3.0 x ULN", "ULN"),
    ("Blood bilirubin increased", "mg/dL", "1.0", None, "3.0", 3, ">3.0 - 10.0 x ULN", "ULN"),
    ("Blood bilirubin increased", "mg/dL", "1.0", None, "9.99", 3, ">3.0 - 10.0 x ULN", "ULN"),
    ("Blood bilirubin increased", "mg/dL", "1.0", None, "10.0", 4, ">10.0 x ULN", "ULN"),
    # baseline abnormal (30 > 17.1): baseline itself is grade 0
    ("Blood bilirubin increased", "umol/L", "17.1", "30", "30", 0,
     "<=1.0 x baseline (baseline abnormal)", "baseline"),
    ("Blood bilirubin increased", "umol/L", "17.1", "30", "30.1", 1, ">1.0 - 1.5 x baseline", "baseline"),
    ("Blood bilirubin increased", "umol/L", "17.1", "30", "44.9", 1, ">1.0 - 1.5 x baseline", "baseline"),
    ("Blood bilirubin increased", "umol/L", "17.1", "30", "45", 2, ">1.5 - 3.0 x baseline", "baseline"),
    ("Blood bilirubin increased", "umol/L", "17.1", "30", "89.9", 2, ">1.5 - 3.0 x baseline", "baseline"),
    ("Blood bilirubin increased", "umol/L", "17.1", "30", "90", 3, ">3.0 - 10.0 x baseline", "baseline"),
    ("Blood bilirubin increased", "umol/L", "17.1", "30", "299.9", 3, ">3.0 - 10.0 x baseline", "baseline"),
    ("Blood bilirubin increased", "umol/L", "17.1", "30", "300", 4, ">10.0 x baseline", "baseline"),
    # Creatinine increased, umol/L (ULN 100), no baseline
    ("Creatinine increased", "umol/L", "100", None, "100", 0, "<=ULN", "ULN"),
    ("Creatinine increased", "umol/L", "100", None, "100.1", 1, ">ULN - 1.5 x ULN", "ULN"),
    ("Creatinine increased", "umol/L", "100", None, "149.9", 1, ">ULN - 1.5 x ULN", "ULN"),
    ("Creatinine increased", "umol/L", "100", None, "150", 2, ">1.5 - 3.0 x ULN", "ULN"),
    ("Creatinine increased", "umol/L", "100", None, "299.9", 2, ">1.5 - 3.0 x ULN", "ULN"),
    ("Creatinine increased", "umol/L", "100", None, "300", 3, ">3.0 - 6.0 x ULN", "ULN"),
    ("Creatinine increased", "umol/L", "100", None, "599.9", 3, ">3.0 - 6.0 x ULN", "ULN"),
    ("Creatinine increased", "umol/L", "100", None, "600", 4, ">6.0 x ULN", "ULN"),
    # Creatinine increased, mg/dL (ULN 1.0)
    ("Creatinine increased", "mg/dL", "1.0", None, "1.01", 1, ">ULN - 1.5 x ULN", "ULN"),
    ("Creatinine increased", "mg/dL", "1.0", None, "1.5", 2, ">1.5 - 3.0 x ULN", "ULN"),
    ("Creatinine increased", "mg/dL", "1.0", None, "3.0", 3, ">3.0 - 6.0 x ULN", "ULN"),
    ("Creatinine increased", "mg/dL", "1.0", None, "6.0", 4, ">6.0 x ULN", "ULN"),
    # Creatinine with baseline 60 umol/L: the x baseline criteria of grades 2 and 3 also apply
    ("Creatinine increased", "umol/L", "100", "60", "89.9", 0, "<=ULN", "ULN"),
    ("Creatinine increased", "umol/L", "100", "60", "90", 2, ">1.5 - 3.0 x baseline", "baseline"),
    ("Creatinine increased", "umol/L", "100", "60", "150", 2, ">1.5 - 3.0 x ULN", "ULN"),
    ("Creatinine increased", "umol/L", "100", "60", "179.9", 2, ">1.5 - 3.0 x ULN", "ULN"),
    ("Creatinine increased", "umol/L", "100", "60", "180", 3, ">3.0 x baseline", "baseline"),
    ("Creatinine increased", "umol/L", "100", "60", "600", 4, ">6.0 x ULN", "ULN"),
]


@pytest.mark.parametrize("term,unit,uln,baseline,value,grade,band,basis", INCREASED_EDGES)
def test_increased_term_band_edges(term, unit, uln, baseline, value, grade, band, basis):
    result = grade_lab(term, D(value), unit, None, D(uln), None if baseline is None else D(baseline))
    assert (result.grade, result.band, result.basis) == (grade, band, basis)


def test_increased_terms_convert_to_canonical_units():
    bili = grade_lab("BILI", D("1.5"), "mg/dL", None, D("1.0"))
    assert (bili.value_converted, bili.unit_used) == (D("25.65"), "umol/L")
    creat = grade_lab("creatinine", D("1.5"), "mg/dL", None, D("1.2"), D("0.5"))
    assert (creat.value_converted, creat.unit_used, creat.grade, creat.basis) == \
        (D("132.630"), "umol/L", 3, "baseline")
    alt = grade_lab("ALT", D("120"), "IU/L", None, D("40"))
    assert (alt.value_converted, alt.unit_used, alt.term) == \
        (D("120"), "U/L", "Alanine aminotransferase increased")


def test_increased_terms_require_uln():
    with pytest.raises(MissingReferenceError, match="ULN is required"):
        grade_lab("AST", D("50"), "U/L", None, None)
    with pytest.raises(MissingReferenceError, match="baseline must be positive"):
        grade_lab("AST", D("50"), "U/L", None, D("40"), D("-1"))


def test_grade_lab_input_errors():
    with pytest.raises(UnitError, match="does not apply to ANC"):
        grade_lab("ANC", D("1.0"), "g/L", D("2"))
    with pytest.raises(UnitError, match="unknown unit"):
        grade_lab("ANC", D("1.0"), "furlongs", D("2"))
    with pytest.raises(UnknownTermError, match="not a lab-derivable"):
        grade_lab("Fatigue", D("1"), "g/L")
    with pytest.raises(ValueError, match="must not be negative"):
        grade_lab("Hb", D("-1"), "g/L", D("120"))
    with pytest.raises(ValueError, match="a number is required"):
        grade_lab("Hb", None, "g/L", D("120"))
    assert issubclass(UnitError, ValueError)


def test_grade_lab_accepts_str_and_float_through_str():
    assert grade_lab("ANC", "0.5", "10^9/L").grade == 3
    assert grade_lab("ANC", 0.5, "10^9/L").grade == 3


def test_lab_terms_mapping():
    assert ctcae.LAB_TERMS["Hb"] == "Anemia"
    assert ctcae.LAB_TERMS["ANC"] == "Neutrophil count decreased"
    assert ctcae.LAB_TERMS["PLT"] == "Platelet count decreased"
    assert ctcae.LAB_TERMS["WBC"] == "White blood cell decreased"
    assert ctcae.LAB_TERMS["ALT"] == "Alanine aminotransferase increased"
    assert ctcae.LAB_TERMS["AST"] == "Aspartate aminotransferase increased"
    assert ctcae.LAB_TERMS["BILI"] == "Blood bilirubin increased"
    assert ctcae.LAB_TERMS["CREAT"] == "Creatinine increased"


# --------------------------------------------------------------------------------------- units
@pytest.mark.parametrize("value,src,dst,analyte,expected", [
    ("10", "g/dL", "g/L", "Hb", D("100")),
    ("95", "g/L", "g/dL", "Hb", D("9.5")),
    ("100", "g/L", "mmol/L", "Hb", D("6.20600")),
    ("6.206", "mmol/L", "g/L", "Hb", D("100")),
    ("1500", "/mm3", "10^9/L", "ANC", D("1.500")),
    ("1.5", "10^9/L", "/mm3", "ANC", D("1500")),
    ("75", "10^3/uL", "cells/mm3", "PLT", D("75000")),
    ("1", "mg/dL", "umol/L", "BILI", D("17.1")),
    ("171", "umol/L", "mg/dL", "bilirubin", D("10")),
    ("1", "mg/dL", "umol/L", "CREAT", D("88.42")),
    ("88.42", "µmol/L", "mg/dL", "creatinine", D("1")),
    ("40", "IU/L", "U/L", "ALT", D("40")),
])
def test_convert(value, src, dst, analyte, expected):
    assert convert(D(value), src, dst, analyte) == expected


def test_convert_errors():
    with pytest.raises(UnitError, match="unknown analyte"):
        convert(D("1"), "g/L", "g/dL", "ferritin")
    with pytest.raises(UnitError, match="does not apply"):
        convert(D("1"), "mg/dL", "umol/L", "Hb")
    with pytest.raises(UnitError, match="unit is required"):
        convert(D("1"), "", "g/L", "Hb")
    assert units.canonical_unit("plt") == "10^9/L"


# ------------------------------------------------------------------------------ AE term list
def test_term_list_loaded_once_and_large_enough():
    terms = ctcae.load_terms()
    assert ctcae.load_terms() is terms
    assert len(terms) == 159
    for item in terms.values():
        assert item.grades and set(item.grades) <= {1, 2, 3, 4, 5}
        assert list(item.grades) == sorted(item.grades)
        assert item.soc
    codes = [t.meddra_code for t in terms.values() if t.ctcae]
    assert None not in codes and len(codes) == len(set(codes))


@pytest.mark.parametrize("name,grades", [
    ("Fatigue", (1, 2, 3)), ("Alopecia", (1, 2)), ("Anemia", (1, 2, 3, 4, 5)),
    ("Nausea", (1, 2, 3)), ("Vomiting", (1, 2, 3, 4, 5)), ("Death NOS", (5,)),
    ("Sudden death NOS", (5,)), ("Febrile neutropenia", (3, 4, 5)),
    ("Neutrophil count decreased", (1, 2, 3, 4)), ("Alanine aminotransferase increased", (1, 2, 3, 4)),
    ("Esophagitis", (1, 2, 3, 4, 5)), ("Esophageal perforation", (2, 3, 4, 5)),
    ("Pneumonitis", (1, 2, 3, 4, 5)), ("Peripheral sensory neuropathy", (1, 2, 3, 4)),
    ("Rash maculo-papular", (1, 2, 3)), ("Hepatic failure", (3, 4, 5)),
    ("Acute kidney injury", (3, 4, 5)), ("Dysgeusia", (1, 2)), ("Respiratory failure", (4, 5)),
    ("Reactive capillary endothelial proliferation", (1, 2, 3, 4, 5)),
])
def test_allowed_grades(name, grades):
    assert ctcae.allowed_grades(name) == grades


def test_term_lookup_details():
    anemia = ctcae.term("  anemia ")
    assert (anemia.term, anemia.meddra_code, anemia.soc, anemia.ctcae) == \
        ("Anemia", 10002272, "Blood and lymphatic system disorders", True)
    assert ctcae.term("Death NOS").meddra_code == 10011914
    assert ctcae.term("Nausea").meddra_code == 10028813
    rccep = ctcae.term("Reactive capillary endothelial proliferation")
    assert (rccep.ctcae, rccep.meddra_code) == (False, None)
    assert "camrelizumab" in rccep.note
    for lab_term in ctcae.LAB_TERMS.values():
        assert ctcae.term(lab_term).term == lab_term
    with pytest.raises(UnknownTermError, match="unknown AE term"):
        ctcae.term("Hepatitis")


@pytest.mark.parametrize("name,grade,death,problems", [
    ("Fatigue", 2, False, []),
    ("Death NOS", 5, True, []),
    ("Fatigue", 4, False, ["grade 4 is not defined for 'Fatigue' (allowed: 1, 2, 3)"]),
    ("Death NOS", 3, False, ["grade 3 is not defined for 'Death NOS' (allowed: 5)"]),
    ("Anemia", 5, False, ["grade 5 (death related to AE) requires a death record"]),
    ("Fatigue", 5, False, ["grade 5 is not defined for 'Fatigue' (allowed: 1, 2, 3)",
                           "grade 5 (death related to AE) requires a death record"]),
    ("Hepatitis", 2, False, ["unknown AE term 'Hepatitis': not a CTCAE v5.0 term of this study's list"]),
    ("Nausea", 0, False, ["grade must be an integer from 1 to 5, got 0"]),
    ("Nausea", 6, False, ["grade must be an integer from 1 to 5, got 6"]),
    ("Nausea", "2", False, ["grade must be an integer from 1 to 5, got '2'"]),
    ("Nausea", True, False, ["grade must be an integer from 1 to 5, got True"]),
])
def test_check_ae(name, grade, death, problems):
    assert check_ae(name, grade, death) == problems


# ----------------------------------------------------------------- lab grade vs AE discrepancies
ANC = "Neutrophil count decreased"


def test_lab_grade_above_overlapping_ae():
    found = lab_grade_exceeds_ae([LabObservation(ANC, 3, date(2024, 3, 10))],
                                 [AERecord(ANC, 2, date(2024, 3, 1), date(2024, 3, 20))])
    assert [(f.kind, f.severity, f.lab_grade, f.ae_grade) for f in found] == \
        [("lab_grade_above_ae", "discrepancy", 3, 2)]
    assert found[0].message == ("Neutrophil count decreased: lab-derived grade 3 on 2024-03-10 is "
                                "above the recorded AE grade 2")


@pytest.mark.parametrize("lab_day,expected_kind", [
    (date(2024, 3, 1), "lab_grade_above_ae"),     # AE start date is inside the period
    (date(2024, 3, 20), "lab_grade_above_ae"),    # AE end date too
    (date(2024, 2, 29), "no_ae_recorded"),
    (date(2024, 3, 21), "no_ae_recorded"),
])
def test_ae_period_is_inclusive(lab_day, expected_kind):
    found = lab_grade_exceeds_ae([LabObservation(ANC, 3, lab_day)],
                                 [AERecord(ANC, 1, date(2024, 3, 1), date(2024, 3, 20))])
    assert [f.kind for f in found] == [expected_kind]


def test_lab_ae_no_discrepancy_cases():
    aes = [AERecord(ANC, 2, date(2024, 3, 1), None),                       # ongoing
           AERecord(ANC, 3, date(2024, 3, 5), date(2024, 3, 8))]
    labs = [LabObservation(ANC, 2, date(2024, 4, 1)),                      # equal to ongoing AE
            LabObservation(ANC, 3, date(2024, 3, 6)),                      # max overlapping grade 3
            LabObservation("anemia", 1, date(2024, 3, 6)),                 # grade 1, no AE: ignored
            LabObservation("Anemia", 0, date(2024, 3, 6))]
    assert lab_grade_exceeds_ae(labs, aes) == []


def test_unrecorded_lab_grade_is_weaker_warning_and_other_terms_do_not_count():
    found = lab_grade_exceeds_ae(
        [LabObservation("Anemia", 2, date(2024, 3, 6)), LabObservation(ANC, 4, date(2024, 3, 2))],
        [AERecord("Febrile neutropenia", 3, date(2024, 3, 1), date(2024, 3, 9))])
    assert [(f.kind, f.severity, f.term, f.ae_grade) for f in found] == [
        ("no_ae_recorded", "warning", ANC, None), ("no_ae_recorded", "warning", "Anemia", None)]
    assert lab_grade_exceeds_ae([LabObservation("Anemia", 2, date(2024, 3, 6))], [],
                                min_unrecorded_grade=3) == []
