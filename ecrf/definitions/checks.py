"""Semantic checks of definitions beyond the JSON Schema.

Each returns a list of :class:`Problem`; an empty list means the definition may be published.
Expressions are parsed here, so a definition whose logic does not parse, or names an item that
does not exist, never reaches a site.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable, Iterator, Mapping

from ecrf.definitions.files import DefinitionFile, Problem
from ecrf.rules import ExpressionSyntaxError, compile_expression

VISIT_FIELDS = frozenset({"DATE"})
BUILTIN_ANCHORS = frozenset({"enrolled"})


@dataclass(frozen=True)
class ItemInfo:
    oid: str
    type: str
    group_oid: str
    group_repeating: bool


def form_items(content: Mapping) -> dict[str, ItemInfo]:
    items = {}
    for group in content["groups"]:
        for item in group["items"]:
            items.setdefault(item["oid"], ItemInfo(item["oid"], item["type"], group["oid"],
                                                   bool(group.get("repeating"))))
    return items


def _expressions(content: Mapping) -> Iterator[tuple[str, str, str | None]]:
    """(json path, expression text, group OID of the context or None) for every expression."""
    for gi, group in enumerate(content["groups"]):
        context = group["oid"] if group.get("repeating") else None
        if "show_if" in group:
            yield f"groups[{gi}].show_if", group["show_if"], None
        for ii, item in enumerate(group["items"]):
            for key in ("show_if", "required_if"):
                if key in item:
                    yield f"groups[{gi}].items[{ii}].{key}", item[key], context
    for ci, check in enumerate(content.get("checks", [])):
        for key in ("assert", "when"):
            if key in check:
                yield f"checks[{ci}].{key}", check[key], _check_context(content, check)


def _check_context(content: Mapping, check: Mapping) -> str | None:
    """A check runs once per row when the items it reports on are in one repeating group."""
    items = form_items(content)
    groups = {items[oid].group_oid for oid in check.get("items", []) if oid in items and items[oid].group_repeating}
    return groups.pop() if len(groups) == 1 else None


class Library:
    """What expressions may refer to: the items of every form version, and the anchors."""

    def __init__(self, forms: Iterable[Mapping], anchors: Iterable[str]):
        self.items_by_form: dict[str, set[str]] = {}
        for content in forms:
            self.items_by_form.setdefault(content["oid"], set()).update(form_items(content))
        self.anchors = set(anchors) | BUILTIN_ANCHORS


def check_form(source: str, content: Mapping, library: Library) -> list[Problem]:
    problems: list[Problem] = []
    add = lambda path, reason: problems.append(Problem(source, path, reason))  # noqa: E731
    seen: dict[str, str] = {}
    groups_seen: set[str] = set()
    codelists = content.get("codelists", {})
    for gi, group in enumerate(content["groups"]):
        gpath = f"groups[{gi}]"
        if group["oid"] in groups_seen:
            add(f"{gpath}.oid", f"group {group['oid']} is defined twice")
        groups_seen.add(group["oid"])
        oids = {i["oid"] for i in group["items"]}
        if "row_key" in group and group["row_key"] not in oids:
            add(f"{gpath}.row_key", f"{group['row_key']} is not an item of group {group['oid']}")
        if not group.get("repeating") and any(k in group for k in ("row_key", "min_rows", "max_rows")):
            add(gpath, "row_key, min_rows and max_rows apply to repeating groups only")
        if group.get("min_rows", 0) > group.get("max_rows", 10**6):
            add(gpath, "min_rows is greater than max_rows")
        for ii, item in enumerate(group["items"]):
            path = f"{gpath}.items[{ii}]"
            if item["oid"] in seen:
                add(f"{path}.oid", f"item {item['oid']} is already defined in {seen[item['oid']]}")
            seen[item["oid"]] = group["oid"]
            if item["oid"] in groups_seen:
                add(f"{path}.oid", f"item {item['oid']} has the OID of a group")
            problems.extend(_item_problems(source, path, item, codelists))
    for name, codelist in codelists.items():
        codes = [c["code"] for c in codelist["items"]]
        if len(codes) != len(set(map(str, codes))):
            add(f"codelists.{name}", "codes must be unique")
        kind = codelist.get("data_type", "text")
        if any(isinstance(c, int) != (kind == "integer") for c in codes):
            add(f"codelists.{name}", f"every code must be {'an integer' if kind == 'integer' else 'a string'}")
    check_ids = [c["id"] for c in content.get("checks", [])]
    for duplicate in {i for i in check_ids if check_ids.count(i) > 1}:
        add("checks", f"check id {duplicate} is used twice")
    for ci, check in enumerate(content.get("checks", [])):
        for oid in check.get("items", []):
            if oid not in seen:
                add(f"checks[{ci}].items", f"{oid} is not an item of this form")
    problems.extend(_expression_problems(source, content, library))
    return problems


def _item_problems(source: str, path: str, item: Mapping, codelists: Mapping) -> list[Problem]:
    problems = []
    if "codelist" in item and item["codelist"] not in codelists:
        problems.append(Problem(source, f"{path}.codelist", f"code list {item['codelist']} is not defined in this form"))
    hard, soft = item.get("hard", {}), item.get("soft", {})
    for name, bound in (("hard", hard), ("soft", soft)):
        if "min" in bound and "max" in bound and Decimal(str(bound["min"])) > Decimal(str(bound["max"])):
            problems.append(Problem(source, f"{path}.{name}", "min is greater than max"))
    if "min" in soft and "min" in hard and Decimal(str(soft["min"])) < Decimal(str(hard["min"])):
        problems.append(Problem(source, f"{path}.soft.min", "soft minimum lies below the hard minimum"))
    if "max" in soft and "max" in hard and Decimal(str(soft["max"])) > Decimal(str(hard["max"])):
        problems.append(Problem(source, f"{path}.soft.max", "soft maximum lies above the hard maximum"))
    if item["type"] == "integer":
        for name, bound in (("hard", hard), ("soft", soft)):
            for key in ("min", "max"):
                if key in bound and Decimal(str(bound[key])) != Decimal(str(bound[key])).to_integral_value():
                    problems.append(Problem(source, f"{path}.{name}.{key}", "an integer item needs whole-number bounds"))
    if "pattern" in item:
        import re

        try:
            re.compile(item["pattern"])
        except re.error as exc:
            problems.append(Problem(source, f"{path}.pattern", f"not a valid regular expression: {exc}"))
    if "when_hidden" in item and "show_if" not in item:
        problems.append(Problem(source, f"{path}.when_hidden", "applies only to an item with show_if"))
    return problems


def _expression_problems(source: str, content: Mapping, library: Library) -> list[Problem]:
    problems = []
    own = form_items(content)
    for path, text, context_group in _expressions(content):
        try:
            expr = compile_expression(text)
        except ExpressionSyntaxError as exc:
            problems.append(Problem(source, path, f"expression does not parse: {exc}"))
            continue
        for ref in sorted(expr.references, key=lambda r: (r.scope or "", r.name)):
            reason = _reference_problem(ref, own, library, context_group,
                                        ref in expr.aggregate_references)
            if reason:
                problems.append(Problem(source, path, reason))
    return problems


def _reference_problem(ref, own: Mapping[str, ItemInfo], library: Library, context_group: str | None,
                       aggregated: bool) -> str | None:
    label = f"[{ref.scope + '.' if ref.scope else ''}{ref.name}]"
    if ref.scope is None:
        info = own.get(ref.name)
        if info is None:
            return f"{label} is not an item of this form"
        if aggregated and not info.group_repeating:
            return f"{label} is not in a repeating group, so it cannot be counted or summed"
        if (not aggregated and info.group_repeating and info.group_oid != context_group):
            return (f"{label} is in repeating group {info.group_oid}; outside that group use "
                    "count(), sum(), minof() or maxof()")
        return None
    if ref.scope == "VISIT":
        return None if ref.name in VISIT_FIELDS else f"{label}: a visit only offers [VISIT.DATE]"
    if ref.scope == "SUBJECT":
        return None if ref.name in library.anchors else f"{label}: no study defines the anchor {ref.name!r}"
    items = library.items_by_form.get(ref.scope)
    if items is None:
        return f"{label}: form {ref.scope} is not defined"
    if ref.name not in items:
        return f"{label}: form {ref.scope} has no item {ref.name}"
    return None


def check_study(source: str, content: Mapping, forms: Mapping[tuple[str, int], Mapping]) -> list[Problem]:
    problems: list[Problem] = []
    add = lambda path, reason: problems.append(Problem(source, path, reason))  # noqa: E731
    anchors = {a["key"] for a in content["anchors"]}
    visit_keys = [v["key"] for v in content["schedule"]] + [log["key"] for log in content.get("logs", [])]
    for duplicate in {k for k in visit_keys if visit_keys.count(k) > 1}:
        add("schedule", f"visit key {duplicate} is used twice")
    site_codes = [s["code"] for s in content["sites"]]
    for duplicate in {c for c in site_codes if site_codes.count(c) > 1}:
        add("sites", f"site code {duplicate} is used twice")
    if "subject_id_pattern" in content:
        import re

        try:
            re.compile(content["subject_id_pattern"])
        except re.error as exc:
            add("subject_id_pattern", f"not a valid regular expression: {exc}")

    def check_refs(path: str, refs: list[Mapping]) -> None:
        seen = set()
        for fi, ref in enumerate(refs):
            key = (ref["form"], ref["version"])
            if key not in forms:
                add(f"{path}[{fi}]", f"form {ref['form']} version {ref['version']} is not defined")
            if ref["form"] in seen:
                add(f"{path}[{fi}]", f"form {ref['form']} is listed twice")
            seen.add(ref["form"])
            if "show_if" in ref:
                try:
                    expr = compile_expression(ref["show_if"])
                except ExpressionSyntaxError as exc:
                    add(f"{path}[{fi}].show_if", f"expression does not parse: {exc}")
                    continue
                for r in expr.references:
                    if r.scope is None:
                        add(f"{path}[{fi}].show_if", f"[{r.name}] needs a form: write [F_FORM.{r.name}]")
                    elif r.scope == "SUBJECT" and r.name not in anchors | BUILTIN_ANCHORS:
                        add(f"{path}[{fi}].show_if", f"[SUBJECT.{r.name}] is not an anchor of this study")
                    elif r.scope not in ("SUBJECT", "VISIT") and not any(
                            r.name in form_items(c) for (oid, _), c in forms.items() if oid == r.scope):
                        add(f"{path}[{fi}].show_if", f"[{r.scope}.{r.name}] does not exist")

    for vi, visit in enumerate(content["schedule"]):
        if visit["anchor"] not in anchors:
            add(f"schedule[{vi}].anchor", f"{visit['anchor']!r} is not one of the anchors {sorted(anchors)}")
        repeat = visit.get("repeat")
        if repeat and "count" not in repeat and "until_day" not in repeat:
            add(f"schedule[{vi}].repeat", "a repeating visit needs count or until_day")
        if repeat and repeat.get("until_day", visit["day"]) < visit["day"]:
            add(f"schedule[{vi}].repeat.until_day", "lies before the first occurrence")
        check_refs(f"schedule[{vi}].forms", visit["forms"])
    for li, log in enumerate(content.get("logs", [])):
        check_refs(f"logs[{li}].forms", log["forms"])
    if "unscheduled" in content:
        check_refs("unscheduled.forms", content["unscheduled"]["forms"])
    by_key = {v["key"]: v for v in content["schedule"]} | {log["key"]: log for log in content.get("logs", [])}
    for ai, anchor in enumerate(content["anchors"]):
        src = anchor.get("source")
        if not src:
            continue
        visit = by_key.get(src["visit"])
        if visit is None:
            add(f"anchors[{ai}].source.visit", f"visit {src['visit']} is not in the schedule")
            continue
        ref = next((f for f in visit["forms"] if f["form"] == src["form"]), None)
        if ref is None:
            add(f"anchors[{ai}].source.form", f"visit {src['visit']} has no form {src['form']}")
            continue
        form = forms.get((ref["form"], ref["version"]))
        if form is not None:
            info = form_items(form).get(src["item"])
            if info is None:
                add(f"anchors[{ai}].source.item", f"form {src['form']} has no item {src['item']}")
            elif info.type != "date" or info.group_repeating:
                add(f"anchors[{ai}].source.item", f"{src['item']} must be a non-repeating date item")
    return problems


def check_set(files: list[DefinitionFile], stored_forms: Mapping[tuple[str, int], Mapping],
              stored_anchors: Iterable[str] = ()) -> list[Problem]:
    """Check a set of files together with what is already published."""
    problems: list[Problem] = []
    forms = dict(stored_forms)
    keys_seen: dict[tuple[str, str, int], str] = {}
    for f in files:
        key = (f.kind, f.oid, f.version)
        if key in keys_seen:
            problems.append(Problem(f.source, "version", f"{f.oid} version {f.version} is also defined in {keys_seen[key]}"))
        keys_seen[key] = f.source
        if f.kind == "form":
            forms[(f.oid, f.version)] = f.content
    anchors = {a["key"] for f in files if f.kind == "study" for a in f.content["anchors"]}
    library = Library(forms.values(), anchors | set(stored_anchors))
    for f in files:
        if f.kind == "form":
            problems.extend(check_form(f.source, f.content, library))
        else:
            problems.extend(check_study(f.source, f.content, forms))
    return problems
