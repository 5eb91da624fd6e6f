"""Streaming bodies of the tabular exports: CSV of one form, and the Excel workbook of all forms.

Like the ODM export, each opens its own read session. The workbook is written by openpyxl's
write-only mode (rows go to temporary files, not memory) into a temporary file, then streamed.
"""

from __future__ import annotations

import csv
import io
import tempfile
from typing import Iterator

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from sqlalchemy.orm import sessionmaker

from ecrf.db import sqlite_write_intent
from ecrf.exports.catalog import Catalog, load_catalog
from ecrf.exports.odm import read_session
from ecrf.exports.service import ExportPlan
from ecrf.exports.tabular import FormTable, dictionary_rows, form_rows, form_table
from ecrf.studies.models import Study

CHUNK = 64 * 1024
SHEET_NAME_MAX = 31


def versions_of(catalog: Catalog, form_oid: str) -> dict[int, dict]:
    return {version: content for (oid, version), content in catalog.forms.items() if oid == form_oid}


def _session(maker: sessionmaker):
    token = sqlite_write_intent.set(False)
    return read_session(maker), token


def csv_chunks(maker: sessionmaker, plan: ExportPlan, table: FormTable) -> Iterator[bytes]:
    db, token = _session(maker)
    try:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(table.header)
        for count, row in enumerate(form_rows(db, plan.scope, table, plan.options.get("group")), start=1):
            writer.writerow(row)
            if count % 200 == 0:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode("utf-8")
    finally:
        db.rollback()
        db.close()
        sqlite_write_intent.reset(token)


def _cells(sheet, row: list) -> list:
    """Cells typed as data: text that starts with '=' stays text, never becomes a formula."""
    cells = []
    for value in row:
        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str) and value.startswith("="):
            cell.data_type = "s"
        cells.append(cell)
    return cells


def sheet_names(form_oids: list[str]) -> dict[str, str]:
    names, taken = {}, {"Dictionary"}
    for oid in form_oids:
        name, k = oid[:SHEET_NAME_MAX], 2
        while name in taken:
            suffix = f"~{k}"
            name, k = oid[:SHEET_NAME_MAX - len(suffix)] + suffix, k + 1
        names[oid] = name
        taken.add(name)
    return names


def xlsx_chunks(maker: sessionmaker, plan: ExportPlan) -> Iterator[bytes]:
    db, token = _session(maker)
    try:
        catalog = load_catalog(db, db.get(Study, plan.scope.study_id))
        workbook = Workbook(write_only=True)
        dictionary = workbook.create_sheet("Dictionary")
        for row in dictionary_rows(catalog.forms.values()):
            dictionary.append(_cells(dictionary, row))
        form_oids = sorted({oid for oid, _version in catalog.forms})
        for oid, name in sheet_names(form_oids).items():
            table = form_table(oid, versions_of(catalog, oid))
            sheet = workbook.create_sheet(name)
            sheet.append(_cells(sheet, table.header))
            for row in form_rows(db, plan.scope, table):
                sheet.append(_cells(sheet, row))
        with tempfile.TemporaryFile() as handle:
            workbook.save(handle)
            handle.seek(0)
            while chunk := handle.read(CHUNK):
                yield chunk
    finally:
        db.rollback()
        db.close()
        sqlite_write_intent.reset(token)
