"""ODM metadata the form definitions decide, checked against the YAML files in forms/: an ItemDef's
Length for text items (the item's max_length, else the limit entry enforces) and its RangeChecks
(comparator, SoftHard, value and message) for every soft and hard range of every item."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from ecrf.entry.values import MAX_TEXT
from tests.support import odm
from tests.support.odm_data import STUDIES, export

Q = odm.Q
FORMS_DIR = Path(__file__).resolve().parents[2] / "forms"


def _load(kind: str) -> list[dict]:
    out = []
    for path in sorted((FORMS_DIR / kind).glob("*.yaml")):
        with path.open(encoding="utf-8") as handle:
            out.append(yaml.safe_load(handle))
    return out


FORMS = {(doc["oid"], doc["version"]): doc for doc in _load("crfs")}
STUDY_DEFS = {doc["oid"]: doc for doc in _load("studies")}


def referenced_forms(study: dict) -> set[tuple[str, int]]:
    refs = [r for visit in study["schedule"] for r in visit["forms"]]
    refs += [r for log in study.get("logs", []) for r in log["forms"]]
    refs += list(study.get("unscheduled", {}).get("forms", []))
    return {(r["form"], r["version"]) for r in refs}


def items_of(form: dict):
    for group in form["groups"]:
        yield from group["items"]


def expected_range_checks(item: dict) -> set[tuple]:
    """(Comparator, SoftHard, CheckValue, message) per bound of the item's hard and soft ranges."""
    out = set()
    for strength in ("hard", "soft"):
        bound = item.get(strength) or {}
        for key, comparator in (("min", "GE"), ("max", "LE")):
            if key in bound:
                out.add((comparator, strength.title(), Decimal(str(bound[key])), bound.get("message")))
    return out


def exported_range_checks(item_def) -> set[tuple]:
    return {(c.get("Comparator"), c.get("SoftHard"), Decimal(c.findtext("o:CheckValue", namespaces=Q)),
             c.findtext("o:ErrorMessage/o:TranslatedText", namespaces=Q))
            for c in item_def.findall("o:RangeCheck", Q)}


def metadata(dm, study_oid: str):
    study = STUDY_DEFS[study_oid]
    root = odm.parse(export(dm, study_oid))
    mdv = root.find(f"o:Study/o:MetaDataVersion[@OID='MDV.{study_oid}.v{study['version']}']", Q)
    assert mdv is not None
    return study, mdv


def item_def(mdv, form_oid: str, version: int, item_oid: str):
    node = mdv.find(f"o:ItemDef[@OID='{form_oid}.v{version}.{item_oid}']", Q)
    assert node is not None, f"no ItemDef for {item_oid} of {form_oid} v{version}"
    return node


def test_ae_term_length_is_the_max_length_of_its_definition(as_user):
    _study, mdv = metadata(as_user("dm"), "ESCC-N3")
    ae = FORMS[("F_AE", 1)]
    for oid in ("AETERM", "AEDECOD"):
        spec = next(i for i in items_of(ae) if i["oid"] == oid)
        node = item_def(mdv, "F_AE", 1, oid)
        assert (node.get("DataType"), node.get("Length")) == ("text", str(spec["max_length"])), oid


@pytest.mark.parametrize("study_oid", STUDIES)
def test_every_text_item_has_its_definitions_length(as_user, study_oid):
    study, mdv = metadata(as_user("dm"), study_oid)
    checked = {}
    for form_oid, version in sorted(referenced_forms(study)):
        for item in items_of(FORMS[(form_oid, version)]):
            if item["type"] != "text":
                continue
            node = item_def(mdv, form_oid, version, item["oid"])
            expected = item.get("max_length", MAX_TEXT)   # no max_length: the limit entry enforces
            assert node.get("DataType") == "text", item["oid"]
            assert node.get("Length") == str(expected), f"{form_oid}.v{version}.{item['oid']}"
            checked[f"{form_oid}.{item['oid']}"] = expected
    # both cases are covered: items with a max_length and items without one
    assert {"F_AE.AETERM", "F_DM.RFICVER"} <= set(checked)
    assert MAX_TEXT in checked.values() and len(set(checked.values())) > 2


@pytest.mark.parametrize("study_oid", STUDIES)
def test_range_checks_are_the_soft_and_hard_ranges_of_the_definitions(as_user, study_oid):
    study, mdv = metadata(as_user("dm"), study_oid)
    soft = hard = 0
    for form_oid, version in sorted(referenced_forms(study)):
        for item in items_of(FORMS[(form_oid, version)]):
            node = item_def(mdv, form_oid, version, item["oid"])
            expected = expected_range_checks(item)
            assert exported_range_checks(node) == expected, f"{form_oid}.v{version}.{item['oid']}"
            soft += sum(1 for c in expected if c[1] == "Soft")
            hard += sum(1 for c in expected if c[1] == "Hard")
    assert soft > 0 and hard > 0
    every = [c.get("SoftHard") for c in mdv.iter(f"{{{odm.NS}}}RangeCheck")]
    assert (every.count("Soft"), every.count("Hard")) == (soft, hard)


def test_a_soft_range_is_soft_and_its_hard_range_hard(as_user):
    """F_DM HEIGHT has both: the soft range is narrower than the hard one, each with its own message."""
    _study, mdv = metadata(as_user("dm"), "ESCC-N3")
    height = next(i for i in items_of(FORMS[("F_DM", 1)]) if i["oid"] == "HEIGHT")
    assert height.get("soft") and height.get("hard")
    checks = {(c.get("SoftHard"), c.get("Comparator")): c for c in item_def(mdv, "F_DM", 1, "HEIGHT").findall(
        "o:RangeCheck", Q)}
    assert set(checks) == {("Soft", "GE"), ("Soft", "LE"), ("Hard", "GE"), ("Hard", "LE")}
    for strength in ("soft", "hard"):
        for key, comparator in (("min", "GE"), ("max", "LE")):
            check = checks[(strength.title(), comparator)]
            assert Decimal(check.findtext("o:CheckValue", namespaces=Q)) == Decimal(str(height[strength][key]))
            assert check.findtext("o:ErrorMessage/o:TranslatedText", namespaces=Q) == height[strength]["message"]
