"""The definition files under forms/ are valid: each one against its JSON Schema, and together
against the loader's rules (unique OIDs, existing codelists and items, consistent ranges, every
expression parses and names existing items, every form a study names exists).

Pure file checks: no app, no database.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parents[2]
FORMS_DIR = ROOT / "forms"
SCHEMA_DIR = ROOT / "ecrf" / "definitions" / "schemas"

REF_RE = re.compile(r"\[([A-Z][A-Z0-9_]*\.)?([A-Za-z][A-Za-z0-9_]*)\]")
AGGREGATE_RE = re.compile(r"\b(?:count|sum|minof|maxof)\s*\(\s*\[[^\]]*\]\s*\)", re.IGNORECASE)
STRING_RE = re.compile(r"'[^']*'|\"[^\"]*\"")
COMPARE_CODE_RE = re.compile(r"\[([A-Za-z0-9_.]+)\]\s*(?:=|!=|<>)\s*('[^']*'|\"[^\"]*\"|-?[0-9]+)")
MEMBER_CODE_RE = re.compile(r"\[([A-Za-z0-9_.]+)\]\s+(?:not\s+)?in\s*\(([^)]*)\)", re.IGNORECASE)
TEXT_CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9_]{0,31}$")
FILE_NAME_RE = re.compile(r"^(?P<oid>[A-Z][A-Z0-9_-]*)\.v(?P<version>[1-9][0-9]*)\.yaml$")
SPECIAL_SCOPES = {"VISIT", "SUBJECT"}


# ---------------------------------------------------------------------------------------------
# loading


def _load_yaml(path: Path) -> dict:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@cache
def _schema(name: str) -> dict:
    return json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))


FORM_FILES = sorted((FORMS_DIR / "crfs").glob("*.yaml"))
STUDY_FILES = sorted((FORMS_DIR / "studies").glob("*.yaml"))


@cache
def forms() -> dict[tuple[str, int], dict]:
    return {(doc["oid"], doc["version"]): doc for doc in map(_load_yaml, FORM_FILES)}


@cache
def studies() -> dict[tuple[str, int], dict]:
    return {(doc["oid"], doc["version"]): doc for doc in map(_load_yaml, STUDY_FILES)}


def _latest_forms() -> dict[str, dict]:
    latest: dict[str, dict] = {}
    for (oid, version), doc in sorted(forms().items()):
        latest[oid] = doc
    return latest


def _items(form: dict):
    """(group, item) for every item of the form."""
    for group in form["groups"]:
        for item in group["items"]:
            yield group, item


def _item_index(form: dict) -> dict[str, tuple[dict, dict]]:
    return {item["oid"]: (group, item) for group, item in _items(form)}


def _expressions(form: dict):
    """(where, expression, context group or None) for every expression in a form.

    The context group is the repeating group whose row the expression is evaluated in, if any
    (a group's own show_if is evaluated outside its rows).
    """
    for group in form["groups"]:
        row_group = group if group.get("repeating") else None
        if "show_if" in group:
            yield f"group {group['oid']} show_if", group["show_if"], None
        for item in group["items"]:
            for key in ("show_if", "required_if"):
                if key in item:
                    yield f"item {item['oid']} {key}", item[key], row_group
    index = _item_index(form)
    for check in form.get("checks", []):
        # Like the loader: a check runs once per row when the items it reports on are in one
        # repeating group; otherwise once per record.
        groups = {index[oid][0]["oid"]: index[oid][0] for oid in check.get("items", [])
                  if oid in index and index[oid][0].get("repeating")}
        row_group = next(iter(groups.values())) if len(groups) == 1 else None
        for key in ("assert", "when"):
            if key in check:
                yield f"check {check['id']} {key}", check[key], row_group


def _studies_using(form_oid: str) -> list[dict]:
    found = []
    for study in studies().values():
        refs = [ref for visit in study["schedule"] for ref in visit["forms"]]
        refs += [ref for log in study.get("logs", []) for ref in log["forms"]]
        refs += study.get("unscheduled", {}).get("forms", [])
        if any(ref["form"] == form_oid for ref in refs):
            found.append(study)
    return found


def _form_ids():
    return [path.name for path in FORM_FILES]


def _study_ids():
    return [path.name for path in STUDY_FILES]


# ---------------------------------------------------------------------------------------------
# files and schemas


def test_there_are_definition_files():
    assert FORM_FILES, "no CRF files under forms/crfs"
    assert STUDY_FILES, "no study files under forms/studies"


@pytest.mark.parametrize("schema_name", ["form.schema.json", "study.schema.json"])
def test_schemas_are_valid_draft_2020_12(schema_name):
    Draft202012Validator.check_schema(_schema(schema_name))


@pytest.mark.parametrize("path", FORM_FILES, ids=_form_ids())
def test_form_file_matches_schema_and_name(path):
    doc = _load_yaml(path)
    errors = sorted(Draft202012Validator(_schema("form.schema.json")).iter_errors(doc), key=str)
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)
    match = FILE_NAME_RE.match(path.name)
    assert match, f"{path.name}: name must be <F_OID>.v<N>.yaml"
    assert (match["oid"], int(match["version"])) == (doc["oid"], doc["version"])


@pytest.mark.parametrize("path", STUDY_FILES, ids=_study_ids())
def test_study_file_matches_schema_and_name(path):
    doc = _load_yaml(path)
    errors = sorted(Draft202012Validator(_schema("study.schema.json")).iter_errors(doc), key=str)
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)
    match = FILE_NAME_RE.match(path.name)
    assert match, f"{path.name}: name must be <STUDY-OID>.v<N>.yaml"
    assert (match["oid"], int(match["version"])) == (doc["oid"], doc["version"])


def test_no_absolute_paths_in_definition_files():
    for path in FORM_FILES + STUDY_FILES:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(?m)(^|[\s'\"(])/(work|home|tmp|usr|Users)/", text), path.name


# ---------------------------------------------------------------------------------------------
# forms


@pytest.mark.parametrize("path", FORM_FILES, ids=_form_ids())
def test_form_oids_are_unique(path):
    form = _load_yaml(path)
    item_oids = [item["oid"] for _, item in _items(form)]
    duplicates = sorted({oid for oid in item_oids if item_oids.count(oid) > 1})
    assert not duplicates, f"duplicate item OIDs: {duplicates}"
    group_oids = [group["oid"] for group in form["groups"]]
    assert len(group_oids) == len(set(group_oids)), "duplicate group OIDs"
    check_ids = [check["id"] for check in form.get("checks", [])]
    assert len(check_ids) == len(set(check_ids)), "duplicate check ids"


@pytest.mark.parametrize("path", FORM_FILES, ids=_form_ids())
def test_codelists_exist_are_used_and_well_formed(path):
    form = _load_yaml(path)
    codelists = form.get("codelists", {})
    used = set()
    for _, item in _items(form):
        if "codelist" in item:
            assert item["codelist"] in codelists, f"{item['oid']}: codelist {item['codelist']} is not defined"
            used.add(item["codelist"])
    assert not set(codelists) - used, f"unused codelists: {sorted(set(codelists) - used)}"
    for name, codelist in codelists.items():
        codes = [entry["code"] for entry in codelist["items"]]
        assert len(codes) == len(set(codes)), f"{name}: duplicate codes"
        if codelist.get("data_type", "text") == "integer":
            assert all(isinstance(code, int) and not isinstance(code, bool) for code in codes), name
        else:
            bad = [code for code in codes if not (isinstance(code, str) and TEXT_CODE_RE.match(code))]
            assert not bad, f"{name}: codes must be short upper-case strings: {bad}"


@pytest.mark.parametrize("path", FORM_FILES, ids=_form_ids())
def test_ranges_are_consistent(path):
    form = _load_yaml(path)
    for _, item in _items(form):
        hard, soft = item.get("hard", {}), item.get("soft", {})
        for name, bound in (("hard", hard), ("soft", soft)):
            if "min" in bound and "max" in bound:
                assert bound["min"] <= bound["max"], f"{item['oid']}: {name} min > max"
        if "min" in soft and "min" in hard:
            assert soft["min"] >= hard["min"], f"{item['oid']}: soft min below hard min"
        if "max" in soft and "max" in hard:
            assert soft["max"] <= hard["max"], f"{item['oid']}: soft max above hard max"
        if "min" in soft and "max" in hard:
            assert soft["min"] <= hard["max"], f"{item['oid']}: soft range outside hard range"
        if "max" in soft and "min" in hard:
            assert soft["max"] >= hard["min"], f"{item['oid']}: soft range outside hard range"
        if item["type"] == "integer":
            for bound in (hard, soft):
                assert all(float(bound[k]).is_integer() for k in ("min", "max") if k in bound), item["oid"]


@pytest.mark.parametrize("path", FORM_FILES, ids=_form_ids())
def test_groups_row_keys_and_patterns(path):
    form = _load_yaml(path)
    for group in form["groups"]:
        oids = {item["oid"]: item for item in group["items"]}
        if "row_key" in group:
            assert group.get("repeating"), f"{group['oid']}: row_key on a non-repeating group"
            assert group["row_key"] in oids, f"{group['oid']}: row_key {group['row_key']} is not in the group"
            assert oids[group["row_key"]].get("required"), f"{group['oid']}: the row key must be required"
        if "min_rows" in group and "max_rows" in group:
            assert group["min_rows"] <= group["max_rows"], group["oid"]
        if not group.get("repeating"):
            assert "min_rows" not in group and "max_rows" not in group, group["oid"]
        for item in group["items"]:
            if "pattern" in item:
                re.compile(item["pattern"])
    for check in form.get("checks", []):
        index = _item_index(form)
        for oid in check.get("items", []):
            assert oid in index, f"check {check['id']}: reported item {oid} does not exist"


def _resolve(form: dict, scope: str | None, name: str) -> tuple[dict, dict] | str:
    """(group, item) the reference names, or a reason it is wrong."""
    if scope is None:
        found = _item_index(form).get(name)
        return found or f"[{name}] is not an item of {form['oid']}"
    target = _latest_forms().get(scope)
    if target is None:
        return f"[{scope}.{name}]: form {scope} does not exist"
    if target.get("repeating"):
        return f"[{scope}.{name}]: {scope} is a repeating form, a cross-form reference is undefined"
    found = _item_index(target).get(name)
    if found is None:
        return f"[{scope}.{name}]: {name} is not an item of {scope}"
    if found[0].get("repeating"):
        return f"[{scope}.{name}]: {name} is in a repeating group of {scope}"
    return found


@pytest.mark.parametrize("path", FORM_FILES, ids=_form_ids())
def test_expression_references_exist(path):
    form = _load_yaml(path)
    users = _studies_using(form["oid"])
    problems = []
    for where, source, _ in _expressions(form):
        for match in REF_RE.finditer(STRING_RE.sub("''", source)):
            scope = match.group(1)[:-1] if match.group(1) else None
            name = match.group(2)
            if scope == "VISIT":
                if name != "DATE":
                    problems.append(f"{where}: only [VISIT.DATE] exists, not [VISIT.{name}]")
            elif scope == "SUBJECT":
                for study in users:
                    if name not in {anchor["key"] for anchor in study["anchors"]}:
                        problems.append(f"{where}: anchor '{name}' is not defined in study {study['oid']}")
            else:
                found = _resolve(form, scope, name)
                if isinstance(found, str):
                    problems.append(f"{where}: {found}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", FORM_FILES, ids=_form_ids())
def test_expressions_respect_row_context(path):
    """Outside a row only aggregates may read a repeating group; inside a row only that row's group."""
    form = _load_yaml(path)
    index = _item_index(form)
    problems = []
    for where, source, context in _expressions(form):
        plain = REF_RE.findall(AGGREGATE_RE.sub("0", STRING_RE.sub("''", source)))
        row_groups = {index[name][0]["oid"] for scope, name in plain
                      if not scope and name in index and index[name][0].get("repeating")}
        if context is None:
            if row_groups:
                problems.append(f"{where}: reads repeating group {sorted(row_groups)} outside an aggregate")
        elif row_groups - {context["oid"]}:
            problems.append(f"{where}: reads rows of another repeating group {sorted(row_groups - {context['oid']})}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", FORM_FILES, ids=_form_ids())
def test_codes_in_expressions_exist(path):
    """A code compared with a choice item is one of its codelist's codes (catches typos)."""
    form = _load_yaml(path)
    problems = []
    for where, source, _ in _expressions(form):
        pairs = [(ref, [code]) for ref, code in COMPARE_CODE_RE.findall(source)]
        pairs += [(ref, [part.strip() for part in options.split(",")]) for ref, options in MEMBER_CODE_RE.findall(source)]
        for ref, literals in pairs:
            scope, _, name = ref.rpartition(".")
            if scope in SPECIAL_SCOPES:
                continue
            found = _resolve(form, scope or None, name)
            if isinstance(found, str):
                continue  # reported by test_expression_references_exist
            item = found[1]
            if "codelist" not in item:
                continue
            owner = _latest_forms()[scope] if scope else form
            codes = {entry["code"] for entry in owner["codelists"][item["codelist"]]["items"]}
            for literal in literals:
                if literal.startswith(("'", '"')):
                    code = literal[1:-1]
                elif re.fullmatch(r"-?[0-9]+", literal):
                    code = int(literal)
                else:
                    continue
                if code not in codes:
                    problems.append(f"{where}: {literal} is not a code of {ref} ({item['codelist']})")
    assert not problems, "\n".join(problems)


def _item_types(form: dict) -> dict:
    from ecrf.rules import Reference

    types = {Reference(None, item["oid"]): item["type"] for _, item in _items(form)}
    for oid, other in _latest_forms().items():
        for _, item in _items(other):
            types[Reference(oid, item["oid"])] = item["type"]
    types[Reference("VISIT", "DATE")] = "date"
    for study in studies().values():
        for anchor in study["anchors"]:
            types[Reference("SUBJECT", anchor["key"])] = "date"
    return types


@pytest.mark.parametrize("path", FORM_FILES, ids=_form_ids())
def test_expressions_compile_and_type_check(path):
    rules = pytest.importorskip("ecrf.rules", reason="the expression parser (ecrf.rules) is not there yet")
    form = _load_yaml(path)
    types = _item_types(form)
    problems = []
    for where, source, _ in _expressions(form):
        try:
            expression = rules.compile_expression(source)
        except rules.ExpressionError as exc:
            problems.append(f"{where}: does not parse: {exc}")
            continue
        problems += [f"{where}: {problem}" for problem in rules.static_check(expression, types)]
    assert not problems, "\n".join(problems)


def test_project_loader_accepts_every_file():
    """The definitions loader (ecrf.definitions) refuses nothing, once it exists."""
    files_module = pytest.importorskip("ecrf.definitions.files", reason="the loader is not there yet")
    checks_module = pytest.importorskip("ecrf.definitions.checks", reason="the loader is not there yet")
    files = files_module.read_directory(FORMS_DIR)
    problems = checks_module.check_set(files, {})
    assert not problems, "\n".join(map(str, problems))


# ---------------------------------------------------------------------------------------------
# studies


@pytest.mark.parametrize("path", STUDY_FILES, ids=_study_ids())
def test_study_names_existing_forms(path):
    study = _load_yaml(path)
    refs = [(visit["key"], ref) for visit in study["schedule"] for ref in visit["forms"]]
    refs += [(log["key"], ref) for log in study.get("logs", []) for ref in log["forms"]]
    refs += [("unscheduled", ref) for ref in study.get("unscheduled", {}).get("forms", [])]
    missing = [f"{where}: {ref['form']} v{ref['version']}" for where, ref in refs
               if (ref["form"], ref["version"]) not in forms()]
    assert not missing, f"forms not found under forms/crfs: {missing}"
    for where, ref in refs:
        if "show_if" in ref:
            rules = pytest.importorskip("ecrf.rules")
            rules.compile_expression(ref["show_if"])


@pytest.mark.parametrize("path", STUDY_FILES, ids=_study_ids())
def test_study_schedule_and_anchors(path):
    study = _load_yaml(path)
    keys = [visit["key"] for visit in study["schedule"]] + [log["key"] for log in study.get("logs", [])]
    assert len(keys) == len(set(keys)), "duplicate visit or log keys"
    anchors = {anchor["key"]: anchor for anchor in study["anchors"]}
    assert len(anchors) == len(study["anchors"]), "duplicate anchor keys"
    visits = {visit["key"]: visit for visit in study["schedule"]}
    for visit in study["schedule"]:
        assert visit["anchor"] in anchors, f"{visit['key']}: unknown anchor {visit['anchor']}"
        forms_in_visit = [ref["form"] for ref in visit["forms"]]
        assert len(forms_in_visit) == len(set(forms_in_visit)), f"{visit['key']}: a form is listed twice"
        repeat = visit.get("repeat")
        if repeat and "until_day" in repeat:
            assert repeat["until_day"] >= visit["day"], f"{visit['key']}: until_day before the first occurrence"
    for key, anchor in anchors.items():
        source = anchor.get("source")
        if not source:
            continue
        assert source["visit"] in visits, f"anchor {key}: visit {source['visit']} is not in the schedule"
        listed = {ref["form"]: ref["version"] for ref in visits[source["visit"]]["forms"]}
        assert source["form"] in listed, f"anchor {key}: {source['form']} is not a form of visit {source['visit']}"
        form = forms()[(source["form"], listed[source["form"]])]
        found = _item_index(form).get(source["item"])
        assert found, f"anchor {key}: {source['item']} is not an item of {source['form']}"
        group, item = found
        assert item["type"] == "date" and item.get("required"), f"anchor {key}: source must be a required date"
        assert not group.get("repeating") and not form.get("repeating"), f"anchor {key}: source must be single-valued"


@pytest.mark.parametrize("path", STUDY_FILES, ids=_study_ids())
def test_study_sites_match_subject_id_pattern(path):
    study = _load_yaml(path)
    pattern = re.compile(study["subject_id_pattern"])
    for site in study["sites"]:
        assert pattern.fullmatch(f"{site['code']}-001"), f"{site['code']}-001 does not match the subject ID pattern"


def test_every_form_is_used_by_a_study():
    used = {ref["form"] for study in studies().values()
            for ref in ([r for v in study["schedule"] for r in v["forms"]]
                        + [r for log in study.get("logs", []) for r in log["forms"]]
                        + study.get("unscheduled", {}).get("forms", []))}
    assert not set(_latest_forms()) - used, f"forms no study uses: {sorted(set(_latest_forms()) - used)}"


# ---------------------------------------------------------------------------------------------
# behaviour of the key edit checks (needs the expression language)


def _fails(form_oid: str, check_id: str, values: dict, rows: dict | None = None) -> bool:
    """Whether the check fails (guard holds and assert is false) on these values."""
    import datetime as dt

    rules = pytest.importorskip("ecrf.rules", reason="the expression parser (ecrf.rules) is not there yet")
    check = next(c for c in _latest_forms()[form_oid].get("checks", []) if c["id"] == check_id)

    def typed(value):  # dates are written as text in the tests
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return dt.date.fromisoformat(value)
        if isinstance(value, str) and re.fullmatch(r"\d{4}-(\d{2}|UN)-(\d{2}|UN)", value):
            return rules.PartialDate.parse(value)
        return value

    context = rules.MappingContext({key: typed(value) for key, value in values.items()}, rows=rows,
                                   today=dt.date(2025, 6, 30))
    if "when" in check and not rules.compile_expression(check["when"]).is_true(context):
        return False
    return rules.compile_expression(check["assert"]).is_false(context)


@pytest.mark.parametrize(("t", "n", "m", "stage", "fails"), [
    ("T2", "N3", "M0", "IVA", False),
    ("T2", "N3", "M0", "III", True),
    ("T4A", "N1", "M0", "IVA", False),
    ("T3", "N1", "M0", "III", False),
    ("T3", "N0", "M0", "II", False),
    ("T1B", "N1", "M0", "I", False),
    ("T1", "N2", "M0", "III", False),
    ("T2", "N1", "M1", "IVB", False),
    ("TIS", "N0", "M0", "0", False),
    ("TX", "N3", "M0", "III", False),  # not derivable: no query
])
def test_tnm_stage_group_check(t, n, m, stage, fails):
    values = {"TNMCT": t, "TNMCN": n, "TNMCM": m, "TNMSTG": stage}
    assert _fails("F_TNM", "TNM_STAGE_GROUP_MATCHES", values) is fails


def test_n3_eligibility_exception():
    met = {f"IN{i:02d}": "Y" for i in range(1, 12)} | {f"EX{i:02d}": "N" for i in range(1, 21)}
    check = "IE_NOT_ELIGIBLE_IF_CRITERION_FAILED"
    assert not _fails("F_IE_N3", check, met | {"IEYN": "Y"})
    assert _fails("F_IE_N3", check, met | {"IN07": "N", "IEYN": "Y"})
    assert not _fails("F_IE_N3", check, met | {"IN07": "N", "IEEXCYN": "Y", "IEYN": "Y"})
    assert _fails("F_IE_N3", check, met | {"EX12": "Y", "IEYN": "Y"})
    assert not _fails("F_IE_N3", check, {"IN01": "Y", "IEYN": "Y"})  # undecided, no failure
    assert _fails("F_IE_N3", "IE_ELIGIBLE_IF_ALL_CRITERIA_MET", met | {"IEYN": "N"})
    assert _fails("F_IE_N3", "IE_EXCEPTION_NEEDS_ECOG_0_1", {"IEEXCYN": "Y", "IEEXCECOG": "N"})


def test_ae_grade_outcome_and_seriousness():
    assert _fails("F_AE", "AE_GRADE5_IS_FATAL", {"AETOXGR": 5, "AEOUT": "RECOVERED"})
    assert not _fails("F_AE", "AE_GRADE5_IS_FATAL", {"AETOXGR": 5, "AEOUT": "FATAL"})
    assert _fails("F_AE", "AE_FATAL_IS_GRADE5", {"AETOXGR": 4, "AEOUT": "FATAL"})
    assert _fails("F_AE", "AE_SERIOUS_HAS_CRITERION", {"AESER": "Y", "AESHOSP": "N"})
    assert not _fails("F_AE", "AE_SERIOUS_HAS_CRITERION", {"AESER": "Y", "AESHOSP": "Y"})
    assert _fails("F_AE", "AE_ONGOING_NO_END_DATE", {"AEONGO": "Y", "AEENDAT": "2025-01-UN"})
    assert not _fails("F_AE", "AE_END_NOT_BEFORE_START", {"AESTDAT": "2025-01-UN", "AEENDAT": "2025-01-10"})
    assert _fails("F_AE", "AE_END_NOT_BEFORE_START", {"AESTDAT": "2025-02-UN", "AEENDAT": "2025-01-10"})


def test_lab_unit_checks():
    assert _fails("F_LB", "LB_HGB_POSSIBLE_FOR_UNIT", {"LBHGB": 120, "LBHGBU": "G_DL"})
    assert not _fails("F_LB", "LB_HGB_POSSIBLE_FOR_UNIT", {"LBHGB": 12.1, "LBHGBU": "G_DL"})
    assert _fails("F_LB", "LB_PLT_POSSIBLE_FOR_UNIT", {"LBPLT": 150000, "LBPLTU": "E9_L"})
    assert _fails("F_LB", "LB_HGB_PLAUSIBLE", {"LBHGB": 12.1, "LBHGBU": "G_L"})
    assert not _fails("F_LB", "LB_CREAT_PLAUSIBLE", {"LBCREAT": 0.9, "LBCREATU": "MG_DL"})
    assert _fails("F_LB", "LB_ALT_LLN_BELOW_ULN", {"LBALTLO": 40, "LBALTHI": 9})
    assert _fails("F_LB", "LB_ANC_NOT_ABOVE_WBC", {"LBANC": 5, "LBANCU": "E9_L", "LBWBC": 4, "LBWBCU": "E9_L"})
    assert not _fails("F_LB", "LB_ANC_NOT_ABOVE_WBC", {"LBANC": 5000, "LBANCU": "PER_MM3", "LBWBC": 6, "LBWBCU": "E9_L"})


def test_recist_sum_and_rt_dose_checks():
    rows = {"TRORRES": [25.2, 14.8]}
    assert not _fails("F_RECIST_BL", "RBL_SUM_MATCHES", {"TRSUM": 40.0}, rows)
    assert _fails("F_RECIST_BL", "RBL_SUM_MATCHES", {"TRSUM": 41.0}, rows)
    assert _fails("F_RECIST_BL", "RBL_NODE_SHORT_AXIS_15", {"TULOC": "LYMPH_NODE", "TRORRES": 12})
    assert not _fails("F_RT", "RT_DELIVERED_CONSISTENT", {"RTDOSE": 45.0, "RTFX": 25, "RTDPF": 1.8})
    assert _fails("F_RT", "RT_DELIVERED_CONSISTENT", {"RTDOSE": 45.0, "RTFX": 24, "RTDPF": 1.8})


def test_demographics_age_checks():
    values = {"AGE": 66, "BRTHDAT": "1958-07-01", "RFICDTC": "2025-06-30"}
    assert not _fails("F_DM", "DM_AGE_MATCHES_BIRTH_DATE", values)
    assert _fails("F_DM", "DM_AGE_MATCHES_BIRTH_DATE", values | {"AGE": 67})
    assert not _fails("F_DM", "DM_AGE_MATCHES_BIRTH_DATE", values | {"BRTHDAT": "1958-UN-UN", "AGE": 67})
    assert _fails("F_DM", "DM_CONSENT_NOT_FUTURE", {"RFICDTC": "2025-07-01"})


def test_catalogue_documents_every_form_item_and_check():
    """docs/forms.md names every form, item and check, so the catalogue cannot silently drift."""
    text = (ROOT / "docs" / "forms.md").read_text(encoding="utf-8")
    missing = []
    for oid, form in _latest_forms().items():
        if f"### {oid} v{form['version']}" not in text:
            missing.append(f"form {oid} v{form['version']}")
        missing += [f"{oid}.{item['oid']}" for _, item in _items(form)
                    if not re.search(rf"\|\s*{item['oid']}\s*\|", text)]
        missing += [f"{oid} check {check['id']}" for check in form.get("checks", []) if check["id"] not in text]
    assert not missing, f"not in docs/forms.md: {missing}"
