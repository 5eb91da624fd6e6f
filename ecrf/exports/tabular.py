"""Tables for statisticians: one row per record, or per repeating-group row, of one form.

Columns: the record's context, then per item its value (as stored: exact decimals, ISO dates,
partial dates with UN) and, for coded items, a ``<ITEM>_label`` column with the decode. Items of
every version of the form are columns (in version order); a record fills those of its version.
Multiple-choice codes are joined with ";" (labels with "; ").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.entry.models import Record, Subject, Visit
from ecrf.exports.source import ExportScope
from ecrf.studies.models import Site

CONTEXT = ["study", "site", "subject", "visit_key", "visit_repeat", "form_oid", "form_version", "record_id",
           "record_status", "item_group", "row"]
BATCH = 500


@dataclass(frozen=True)
class Column:
    item: str
    coded: bool


@dataclass(frozen=True)
class FormTable:
    form_oid: str
    versions: dict[int, dict]      # version -> form content
    columns: tuple[Column, ...]

    @property
    def header(self) -> list[str]:
        names = list(CONTEXT)
        for column in self.columns:
            names.append(column.item)
            if column.coded:
                names.append(f"{column.item}_label")
        return names


def form_table(form_oid: str, versions: dict[int, dict]) -> FormTable:
    columns: dict[str, Column] = {}
    for version in sorted(versions):
        for group in versions[version]["groups"]:
            for item in group["items"]:
                coded = item["type"] in ("choice", "multichoice")
                if item["oid"] not in columns or (coded and not columns[item["oid"]].coded):
                    columns[item["oid"]] = Column(item["oid"], coded)
    return FormTable(form_oid, dict(versions), tuple(columns.values()))


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return str(value)


def _labels(content: dict) -> dict[str, dict]:
    lists = content.get("codelists", {})
    out = {}
    for group in content["groups"]:
        for item in group["items"]:
            if item.get("codelist"):
                out[item["oid"]] = {c["code"]: c["label"] for c in lists[item["codelist"]]["items"]}
    return out


def label(decodes: dict | None, value: Any) -> str:
    if value is None or decodes is None:
        return ""
    if isinstance(value, list):
        return "; ".join(str(decodes.get(v, v)) for v in value)
    return str(decodes.get(value, value))


def record_rows(table: FormTable, context: list, version: int, data: dict, group: str | None = None) -> list[list]:
    """The table rows of one record: ``context`` is the record's first nine columns."""
    content = table.versions[version]
    labels = _labels(content)
    flat = {k: v for k, v in data.items() if not isinstance(v, list) or not v or not isinstance(v[0], dict)}
    repeating = [g["oid"] for g in content["groups"] if g.get("repeating") and (group is None or g["oid"] == group)]
    rows = []
    for group_oid in repeating:
        for row in data.get(group_oid, []):
            rows.append(_row(table, context + [group_oid, row["_row"]], {**flat, **row}, labels))
    if not rows and group is None:
        rows.append(_row(table, context + ["", ""], flat, labels))
    return rows


def _row(table: FormTable, prefix: list, values: dict, labels: dict) -> list:
    out = list(prefix)
    for column in table.columns:
        value = values.get(column.item)
        out.append(text(value))
        if column.coded:
            out.append(label(labels.get(column.item), value))
    return out


def form_rows(db: Session, scope: ExportScope, table: FormTable, group: str | None = None,
              batch: int = BATCH) -> Iterator[list]:
    """Every row of the form in scope, reading records by keyset in batches."""
    last_id = 0
    while True:
        statement = (select(Record, Subject.code, Site.code, Visit.key, Visit.repeat)
                     .join(Subject, Subject.id == Record.subject_id).join(Site, Site.id == Subject.site_id)
                     .join(Visit, Visit.id == Record.visit_id)
                     .where(Subject.study_id == scope.study_id, Subject.site_id.in_(scope.site_ids or (-1,)),
                            Record.form_oid == table.form_oid, Record.id > last_id)
                     .order_by(Record.id).limit(batch))
        if scope.subject_code:
            statement = statement.where(Subject.code == scope.subject_code)
        if scope.since is not None:
            statement = statement.where(Record.updated_at >= scope.since)
        rows = db.execute(statement).all()
        if not rows:
            return
        for record, subject_code, site_code, visit_key, visit_repeat in rows:
            if record.form_version not in table.versions:
                continue
            context = [scope.study_oid, site_code, subject_code, visit_key, visit_repeat, record.form_oid,
                       record.form_version, record.id, record.status]
            yield from record_rows(table, context, record.form_version, record.data, group)
        last_id = rows[-1][0].id
        db.expunge_all()


def dictionary_rows(forms: Iterable[dict]) -> Iterator[list]:
    """The data dictionary: one row per item of every form version."""
    yield ["form", "version", "form_title", "item_group", "repeating", "item", "label", "type", "unit", "codelist",
           "codes", "required", "hard_min", "hard_max", "soft_min", "soft_max", "show_if", "required_if"]
    for content in sorted(forms, key=lambda c: (c["oid"], c["version"])):
        lists = content.get("codelists", {})
        for group in content["groups"]:
            for item in group["items"]:
                codes = lists.get(item.get("codelist"), {}).get("items", [])
                hard, soft = item.get("hard", {}), item.get("soft", {})
                yield [content["oid"], content["version"], content["title"], group["oid"],
                       "yes" if group.get("repeating") else "no", item["oid"], item["label"], item["type"],
                       item.get("unit", ""), item.get("codelist", ""),
                       " | ".join(f"{c['code']}={c['label']}" for c in codes),
                       "yes" if item.get("required") else "no",
                       text(hard.get("min")), text(hard.get("max")), text(soft.get("min")), text(soft.get("max")),
                       item.get("show_if", "") or group.get("show_if", ""), item.get("required_if", "")]
