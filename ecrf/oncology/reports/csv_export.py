"""The endpoints report's per-subject table as CSV (one row per subject at the caller's sites)."""

from __future__ import annotations

import csv
import io

COLUMNS = ["subject", "site", "status", "reference_date", "analysed", "excluded_reason",
           "pfs_days", "pfs_event", "pfs_date", "pfs_rule", "os_days", "os_event", "os_date", "os_rule",
           "measurable_disease", "bor_confirmed", "bor_unconfirmed", "first_pd_date", "death_date",
           "last_known_alive_date", "withdrawal_date", "new_therapy_date", "recist_status",
           "recist_engine_version", "data_cutoff", "notes"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    text = str(value)
    # a spreadsheet must never run text from the database as a formula
    return "'" + text if text.startswith(_FORMULA_START) else text


def _flat(row: dict, cutoff: str) -> dict:
    out = {k: row.get(k) for k in COLUMNS}
    for endpoint in ("pfs", "os"):
        tte = row.get(endpoint) or {}
        out.update({f"{endpoint}_days": tte.get("time_days"), f"{endpoint}_event": tte.get("event"),
                    f"{endpoint}_date": tte.get("date"), f"{endpoint}_rule": tte.get("rule")})
    out["data_cutoff"] = cutoff
    out["notes"] = "; ".join(row.get("notes") or [])
    return out


def to_csv(report: dict) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in report["subjects"]:
        writer.writerow({k: _cell(v) for k, v in _flat(row, report["data_cutoff"]).items()})
    return buffer.getvalue()
