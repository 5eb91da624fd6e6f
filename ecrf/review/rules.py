"""Pure review rules: which values a record holds, SDV status, signed content and its hash.

No app and no database here; the services feed plain data in.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from ecrf.definitions.files import canonical_json
from ecrf.entry.compiled import CompiledForm
from ecrf.entry.validation import ROW_KEY, issue_key

VERIFIED, PARTIAL, NOT_VERIFIED = "verified", "partially_verified", "not_verified"


@dataclass(frozen=True)
class ItemValue:
    key: str
    item_oid: str
    group_oid: str | None
    row: int | None
    value: Any


def item_values(form: CompiledForm, data: Mapping) -> dict[str, ItemValue]:
    """Every item of the record that has a value, keyed like validation issues (``G[row].ITEM``)."""
    out: dict[str, ItemValue] = {}
    for key, value in data.items():
        group = form.groups.get(key)
        if group is not None and group.repeating:
            for row in value or []:
                for item_oid, item_value in row.items():
                    if item_oid != ROW_KEY and item_value is not None:
                        k = issue_key(item_oid, key, row[ROW_KEY])
                        out[k] = ItemValue(k, item_oid, key, row[ROW_KEY], item_value)
        elif value is not None:
            out[key] = ItemValue(key, key, None, None, value)
    return out


def sdv_status(value_keys: Iterable[str], verified_keys: Iterable[str]) -> str:
    """verified / partially_verified / not_verified, over the items that have values."""
    values, verified = set(value_keys), set(verified_keys)
    done = values & verified
    if values and done == values:
        return VERIFIED
    return PARTIAL if done else NOT_VERIFIED


def change_keys(changes: Iterable) -> list[str]:
    """The item keys of validation ``Change`` objects, in order, without repeats."""
    seen: dict[str, None] = {}
    for change in changes:
        seen.setdefault(issue_key(change.item_oid, change.group_oid, change.row), None)
    return list(seen)


def record_content(*, record_id: int, form_oid: str, form_version: int, status: str, data: Mapping,
                   visit_key: str, visit_repeat: int, repeat: int) -> dict:
    """What a signature over one record attests to."""
    return {"record_id": record_id, "form_oid": form_oid, "form_version": form_version, "status": status,
            "visit": visit_key, "visit_repeat": visit_repeat, "repeat": repeat, "data": dict(data)}


def content_hash(content: Any) -> str:
    """SHA-256 of the canonical JSON (sorted keys, no whitespace, UTF-8) of the signed content."""
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def changed_definitions(source: Mapping, target: Mapping) -> set[str]:
    """Item OIDs present in both form versions whose definition differs (item or its code list)."""

    def definitions(content: Mapping) -> dict[str, str]:
        codelists = content.get("codelists", {})
        out = {}
        for group in content["groups"]:
            for item in group["items"]:
                out[item["oid"]] = canonical_json({
                    "item": item, "group": group["oid"], "repeating": bool(group.get("repeating")),
                    "codelist": codelists.get(item.get("codelist")) if item.get("codelist") else None})
        return out

    old, new = definitions(source), definitions(target)
    return {oid for oid in old.keys() & new.keys() if old[oid] != new[oid]}
