"""RECIST 1.1 Table 1 (target +/- non-target) and Table 2 (non-target only): every combination."""

import itertools

import pytest

from ecrf.oncology.recist import NewLesionStatus, Response, overall_response

CR, PR, SD, NCNP, PD, NE, NA = (Response.CR, Response.PR, Response.SD, Response.NON_CR_NON_PD,
                                Response.PD, Response.NE, Response.NA)
YES, NO, EQUIVOCAL = NewLesionStatus.YES, NewLesionStatus.NO, NewLesionStatus.EQUIVOCAL

TARGETS = (CR, PR, SD, PD, NE)
NON_TARGETS = (CR, NCNP, PD, NE, NA)

# Table 1, new lesions NO: every target x non-target combination (NA = no non-target disease)
TABLE_1 = [
    # target, non-target, overall
    (CR, CR, CR),      # paper row 1
    (CR, NCNP, PR),    # paper row 2
    (CR, NE, PR),      # paper row 3 ("not evaluated")
    (CR, PD, PD),      # "any / PD"
    (CR, NA, CR),      # no non-target disease: target decides
    (PR, CR, PR),      # "PR / non-PD or not all evaluated"
    (PR, NCNP, PR),
    (PR, NE, PR),
    (PR, PD, PD),
    (PR, NA, PR),
    (SD, CR, SD),      # "SD / non-PD or not all evaluated"
    (SD, NCNP, SD),
    (SD, NE, SD),
    (SD, PD, PD),
    (SD, NA, SD),
    (NE, CR, NE),      # "not all evaluated / non-PD"
    (NE, NCNP, NE),
    (NE, NE, NE),
    (NE, PD, PD),      # "any / PD"
    (NE, NA, NE),
    (PD, CR, PD),      # "PD / any"
    (PD, NCNP, PD),
    (PD, NE, PD),
    (PD, PD, PD),
    (PD, NA, PD),
]

# Table 2 (no target disease, target NA), plus the no-disease-at-all row
TABLE_2 = [
    (CR, CR),
    (NCNP, NCNP),      # non-CR/non-PD, not SD
    (NE, NE),
    (PD, PD),          # unequivocal progression
    (NA, NE),          # no baseline disease at all: nothing to assess
]


def test_table_1_covers_every_combination():
    assert sorted((t, n) for t, n, _ in TABLE_1) == sorted(itertools.product(TARGETS, NON_TARGETS))


@pytest.mark.parametrize("new", [NO, EQUIVOCAL])
@pytest.mark.parametrize("target, non_target, expected", TABLE_1)
def test_table_1_without_new_lesion(target, non_target, expected, new):
    assert overall_response(target, non_target, new) is expected


@pytest.mark.parametrize("target, non_target", list(itertools.product(TARGETS, NON_TARGETS)))
def test_table_1_new_lesion_is_always_pd(target, non_target):
    assert overall_response(target, non_target, YES) is PD


@pytest.mark.parametrize("new", [NO, EQUIVOCAL])
@pytest.mark.parametrize("non_target, expected", TABLE_2)
def test_table_2_without_new_lesion(non_target, expected, new):
    assert overall_response(NA, non_target, new) is expected


@pytest.mark.parametrize("non_target", NON_TARGETS)
def test_table_2_new_lesion_is_always_pd(non_target):
    assert overall_response(NA, non_target, YES) is PD


def test_plain_strings_are_accepted():
    assert overall_response("CR", "NON_CR_NON_PD", "NO") is PR
    assert overall_response("NA", "NA", "YES") is PD


@pytest.mark.parametrize("target, non_target", [(NCNP, CR), (CR, SD), (CR, PR)])
def test_impossible_inputs_raise(target, non_target):
    with pytest.raises(ValueError):
        overall_response(target, non_target, NO)


def test_unknown_values_raise():
    with pytest.raises(ValueError):
        overall_response("GOOD", CR, NO)
    with pytest.raises(ValueError):
        overall_response(CR, CR, "MAYBE")
