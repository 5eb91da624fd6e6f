"""ODM Study metadata: GlobalVariables, BasicDefinitions and one MetaDataVersion per study version.

``show_if`` becomes a ConditionDef referenced by CollectionExceptionConditionOID. In ODM that
condition says when the item is *not* collected, so it is the negation of our show_if under our
three-valued logic (a blank show_if hides the item): ``not coalesce((<show_if>), false)``.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from ecrf.exports import naming as n
from ecrf.exports.catalog import Catalog, referenced_forms
from ecrf.exports.values import odm_data_type
from ecrf.exports.xml import element, sub, translated

EXPRESSION_CONTEXT = "ecrf-expression"
MULTICHOICE_CONTEXT = "ecrf-multichoice"
MAX_TEXT = 4000
DEFAULT_DIGITS = 18

# Code lists of the Flags that carry statuses (record, subject, query) in clinical data.
FLAG_TYPES = {"RECORD_STATUS": "CL.RECORD_STATUS", "SUBJECT_STATUS": "CL.SUBJECT_STATUS",
              "QUERY_STATUS": "CL.QUERY_STATUS", "QUERY_KIND": "CL.QUERY_KIND"}
FLAG_TYPE_LIST = "CL.FLAG_TYPE"
FLAG_VALUES = {
    "CL.RECORD_STATUS": ("draft", "complete"),
    "CL.SUBJECT_STATUS": ("screening", "enrolled", "on_treatment", "follow_up", "completed", "withdrawn",
                          "screen_failed"),
    "CL.QUERY_STATUS": ("open", "answered", "closed", "cancelled"),
    "CL.QUERY_KIND": ("manual", "automatic"),
}


def negated(expression: str) -> str:
    return f"not coalesce(({expression}), false)"


def measurement_units(catalog: Catalog) -> dict[str, str]:
    """Unit text -> MeasurementUnit OID, unique even when two units sanitise alike."""
    units: dict[str, str] = {}
    taken: set[str] = set()
    for content in sorted(catalog.forms.values(), key=lambda c: (c["oid"], c["version"])):
        for group in content["groups"]:
            for item in group["items"]:
                unit = item.get("unit")
                if unit and unit not in units:
                    oid, k = n.unit_oid(unit), 2
                    while oid in taken:
                        oid, k = f"{n.unit_oid(unit)}_{k}", k + 1
                    units[unit] = oid
                    taken.add(oid)
    return units


def study_element(catalog: Catalog) -> etree._Element:
    study = element("Study", {"OID": catalog.study_oid})
    current = catalog.current.content
    globals_ = sub(study, "GlobalVariables")
    sub(globals_, "StudyName", text=current.get("short_title") or catalog.title)
    sub(globals_, "StudyDescription", text=catalog.title)
    sub(globals_, "ProtocolName", text=current["protocol"]["registry_record"])
    units = measurement_units(catalog)
    basic = sub(study, "BasicDefinitions")
    for unit, oid in units.items():
        unit_el = sub(basic, "MeasurementUnit", {"OID": oid, "Name": unit})
        translated(unit_el, "Symbol", unit)
    for version in catalog.versions:
        study.append(metadata_version(catalog, version.version, version.content, units))
    return study


def metadata_version(catalog: Catalog, version: int, content: dict, units: dict[str, str]) -> etree._Element:
    is_current = version == catalog.current_version
    mdv = element("MetaDataVersion", {"OID": n.mdv_oid(catalog.study_oid, version),
                                      "Name": f"{catalog.study_oid} version {version}",
                                      "Description": content["title"]})
    parts: dict[str, list] = {k: [] for k in ("event", "form", "group", "item", "codelist", "condition")}
    protocol = sub(mdv, "Protocol")
    translated(protocol, "Description", content["protocol"].get("design") or content["title"])
    forms = set(referenced_forms(content))
    for order, event in enumerate(catalog.events(content), start=1):
        sub(protocol, "StudyEventRef", {"StudyEventOID": n.event_oid(event["key"]), "OrderNumber": order,
                                        "Mandatory": "Yes" if event["kind"] == "scheduled" else "No"})
        extra = sorted(catalog.extra_refs.get(event["key"], ())) if is_current else []
        forms |= set(extra)
        parts["event"].append(_event_def(event, extra, parts["condition"]))
    parts["form"].append(_visit_form())
    parts["group"].append(_visit_group())
    parts["item"].append(_visit_item())
    for form_oid, form_version in sorted(forms):
        _form_defs(catalog.form_content(form_oid, form_version), units, parts)
    parts["codelist"] += _flag_codelists()
    for key in ("event", "form", "group", "item", "codelist", "condition"):
        for node in parts[key]:
            mdv.append(node)
    return mdv


def _event_def(event: dict, extra: list[tuple[str, int]], conditions: list) -> etree._Element:
    kind = {"scheduled": "Scheduled", "log": "Common", "unscheduled": "Unscheduled"}[event["kind"]]
    node = element("StudyEventDef", {"OID": n.event_oid(event["key"]), "Name": event["name"],
                                     "Repeating": "Yes" if event["repeating"] else "No", "Type": kind})
    order = 0
    for order, ref in enumerate(event["forms"], start=1):
        condition = None
        if ref.get("show_if"):
            condition = n.schedule_condition_oid(event["key"], ref["form"])
            conditions.append(_condition(condition, f"{ref['form']} at {event['key']}", ref["show_if"]))
        sub(node, "FormRef", {"FormOID": n.form_def_oid(ref["form"], ref["version"]), "OrderNumber": order,
                              "Mandatory": "Yes" if ref.get("required", True) else "No",
                              "CollectionExceptionConditionOID": condition})
    for order, (form_oid, version) in enumerate(extra, start=order + 1):
        sub(node, "FormRef", {"FormOID": n.form_def_oid(form_oid, version), "OrderNumber": order,
                              "Mandatory": "No"})
    if event["kind"] != "log":
        sub(node, "FormRef", {"FormOID": n.VISIT_FORM, "OrderNumber": order + len(extra) + 1, "Mandatory": "No"})
    return node


def _visit_form() -> etree._Element:
    node = element("FormDef", {"OID": n.VISIT_FORM, "Name": "Visit", "Repeating": "No"})
    translated(node, "Description", "The visit itself: its date (not a CRF of the study).")
    sub(node, "ItemGroupRef", {"ItemGroupOID": n.VISIT_GROUP, "Mandatory": "No"})
    return node


def _visit_group() -> etree._Element:
    node = element("ItemGroupDef", {"OID": n.VISIT_GROUP, "Name": "Visit", "Repeating": "No"})
    sub(node, "ItemRef", {"ItemOID": n.VISIT_DATE, "Mandatory": "No"})
    return node


def _visit_item() -> etree._Element:
    node = element("ItemDef", {"OID": n.VISIT_DATE, "Name": "VISITDAT", "DataType": "date", "SASFieldName": "VISITDAT"})
    translated(node, "Question", "Visit date")
    return node


def _form_defs(content: dict, units: dict[str, str], parts: dict[str, list]) -> None:
    oid, version = content["oid"], content["version"]
    form = element("FormDef", {"OID": n.form_def_oid(oid, version), "Name": content["title"],
                               "Repeating": "Yes" if content.get("repeating") else "No"})
    if content.get("description"):
        translated(form, "Description", content["description"])
    for order, group in enumerate(content["groups"], start=1):
        condition = None
        if group.get("show_if"):
            condition = n.condition_oid(oid, version, group["oid"])
            parts["condition"].append(_condition(condition, f"{group['oid']} of {oid} v{version}", group["show_if"]))
        sub(form, "ItemGroupRef", {"ItemGroupOID": n.group_oid(oid, version, group["oid"]), "OrderNumber": order,
                                   "Mandatory": "Yes" if group.get("min_rows", 0) > 0 else "No",
                                   "CollectionExceptionConditionOID": condition})
        parts["group"].append(_group_def(content, group, parts))
        for item in group["items"]:
            parts["item"].append(_item_def(content, item, units))
    parts["form"].append(form)
    for name, codelist in content.get("codelists", {}).items():
        parts["codelist"].append(_codelist(n.codelist_oid(oid, version, name), codelist.get("label", name),
                                           codelist.get("data_type", "text"),
                                           [(c["code"], c["label"]) for c in codelist["items"]]))


def _group_def(content: dict, group: dict, parts: dict[str, list]) -> etree._Element:
    oid, version = content["oid"], content["version"]
    node = element("ItemGroupDef", {"OID": n.group_oid(oid, version, group["oid"]),
                                    "Name": group.get("label", group["oid"]),
                                    "Repeating": "Yes" if group.get("repeating") else "No",
                                    "Domain": content.get("domain")})
    for order, item in enumerate(group["items"], start=1):
        condition = None
        if item.get("show_if"):
            condition = n.condition_oid(oid, version, item["oid"])
            parts["condition"].append(_condition(condition, f"{item['oid']} of {oid} v{version}", item["show_if"]))
        sub(node, "ItemRef", {"ItemOID": n.item_oid(oid, version, item["oid"]), "OrderNumber": order,
                              "Mandatory": "Yes" if item.get("required") else "No",
                              "CollectionExceptionConditionOID": condition})
    return node


def _item_def(content: dict, item: dict, units: dict[str, str]) -> etree._Element:
    oid, version = content["oid"], content["version"]
    codelist = content.get("codelists", {}).get(item.get("codelist"))
    length, digits = _length(item)
    node = element("ItemDef", {"OID": n.item_oid(oid, version, item["oid"]), "Name": item["oid"],
                               "DataType": odm_data_type(item, codelist), "Length": length,
                               "SignificantDigits": digits, "SASFieldName": n.sas_name(item["oid"])})
    if item.get("help"):
        translated(node, "Description", item["help"])
    translated(node, "Question", item["label"])
    if item.get("unit"):
        sub(node, "MeasurementUnitRef", {"MeasurementUnitOID": units[item["unit"]]})
    for strength in ("hard", "soft"):
        bound = item.get(strength) or {}
        for key, comparator in (("min", "GE"), ("max", "LE")):
            if key in bound:
                check = sub(node, "RangeCheck", {"Comparator": comparator, "SoftHard": strength.title()})
                sub(check, "CheckValue", text=str(Decimal(str(bound[key]))))
                if bound.get("message"):
                    translated(check, "ErrorMessage", bound["message"])
    if item.get("codelist"):
        sub(node, "CodeListRef", {"CodeListOID": n.codelist_oid(oid, version, item["codelist"])})
    if item.get("cdash"):
        sub(node, "Alias", {"Context": "CDASH", "Name": item["cdash"]})
    if item["type"] == "multichoice":
        sub(node, "Alias", {"Context": MULTICHOICE_CONTEXT, "Name": "codes of the code list joined by ','"})
    return node


def _length(item: dict) -> tuple[int | None, int | None]:
    kind = item["type"]
    if kind == "text":
        return item.get("max_length", MAX_TEXT), None
    if kind not in ("integer", "decimal"):
        return None, None
    bound = item.get("hard") or {}
    if "min" in bound and "max" in bound:
        whole = max(len(str(abs(int(Decimal(str(bound[k])))))) for k in ("min", "max"))
    else:
        whole = DEFAULT_DIGITS
    if kind == "integer":
        return whole, None
    digits = item.get("digits")
    return whole + (digits if digits is not None else DEFAULT_DIGITS), digits


def _codelist(oid: str, name: str, data_type: str, entries: list[tuple[object, str]]) -> etree._Element:
    node = element("CodeList", {"OID": oid, "Name": name, "DataType": data_type})
    for order, (code, label) in enumerate(entries, start=1):
        entry = sub(node, "CodeListItem", {"CodedValue": str(code), "OrderNumber": order})
        translated(entry, "Decode", label)
    return node


def _flag_codelists() -> list[etree._Element]:
    lists = [_codelist(FLAG_TYPE_LIST, "Flag types", "text", [(k, k.replace("_", " ").lower()) for k in FLAG_TYPES])]
    for oid, values in FLAG_VALUES.items():
        lists.append(_codelist(oid, oid.removeprefix("CL.").replace("_", " ").lower(), "text",
                               [(v, v.replace("_", " ")) for v in values]))
    return lists


def _condition(oid: str, what: str, show_if: str) -> etree._Element:
    node = element("ConditionDef", {"OID": oid, "Name": f"Not collected: {what}"})
    translated(node, "Description", f"{what} is not collected unless this holds: {show_if}")
    sub(node, "FormalExpression", {"Context": EXPRESSION_CONTEXT}, negated(show_if))
    return node
