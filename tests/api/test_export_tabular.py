"""CSV per form and the Excel workbook: columns, coded values with labels, one row per record or
repeating-group row, the data dictionary, scope and the export's audit event."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from tests.support.odm_data import build_casebook


def read_csv(response) -> list[dict]:
    assert response.status_code == 200, response.get_data()[:300]
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_csv_of_a_form_has_context_values_and_labels(as_user):
    book = build_casebook(as_user, "ESCC-N3")
    dm = as_user("dm")
    rows = read_csv(dm.get("/studies/ESCC-N3/export/F_ECOG.csv"))
    assert list(rows[0])[:11] == ["study", "site", "subject", "visit_key", "visit_repeat", "form_oid", "form_version",
                                  "record_id", "record_status", "item_group", "row"]
    assert [(r["visit_key"], r["visit_repeat"]) for r in rows] == [("SCR", "1"), ("CYCLE", "1"), ("CYCLE", "2")]
    screening = rows[0]
    assert (screening["study"], screening["site"], screening["subject"]) == ("ESCC-N3", "RJH", "RJH-001")
    assert (screening["record_id"], screening["record_status"]) == (str(book.corrected_record), "complete")
    assert screening["ECOG"] == "0" and screening["ECOG_label"].startswith("0 - Fully active")
    assert screening["ECOGDAT"] == "2026-01-07"


def test_csv_has_one_row_per_repeating_group_row(as_user):
    build_casebook(as_user, "ESCC-N3")
    rows = read_csv(as_user("dm").get("/studies/ESCC-N3/export/F_RECIST_BL.csv"))
    assert [(r["item_group"], r["row"], r.get("TRLNKID") or r.get("NTLNKID")) for r in rows] == [
        ("IG_TL", "1", "T01"), ("IG_TL", "2", "T02"), ("IG_NTL", "1", "NT01"), ("IG_NTL", "2", "NT02")]
    assert {r["TRDAT"] for r in rows} == {"2026-01-09"}            # record-level values on every row
    assert rows[0]["TAMETH"] == "CT" and rows[0]["TULOC_label"]
    only_targets = read_csv(as_user("dm").get("/studies/ESCC-N3/export/F_RECIST_BL.csv?group=IG_TL"))
    assert [r["row"] for r in only_targets] == ["1", "2"]


def test_csv_follows_scope_and_is_audited(as_user):
    build_casebook(as_user, "ESCC-N3")
    dm = as_user("dm")
    assert read_csv(dm.get("/studies/ESCC-N3/export/F_DM.csv?site=N3-B")) == []
    assert as_user("coord_a").get("/studies/ESCC-N3/export/F_DM.csv").status_code == 403
    assert dm.get("/studies/ESCC-N3/export/F_NOPE.csv").status_code == 404
    event = dm.get("/audit?study=ESCC-N3&action=export.csv").get_json()["items"][0]
    assert event["details"]["form"] == "F_DM" and event["details"]["site"] == "N3-B"


def test_workbook_has_a_dictionary_and_a_sheet_per_form(as_user):
    build_casebook(as_user, "ESCC-LDRT")
    dm = as_user("dm")
    response = dm.get("/studies/ESCC-LDRT/export.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    assert workbook.sheetnames[0] == "Dictionary"
    assert {"F_DM", "F_AE", "F_RECIST_BL", "F_IE_LDRT"} <= set(workbook.sheetnames)
    dictionary = list(workbook["Dictionary"].iter_rows(values_only=True))
    header = dictionary[0]
    ecog = next(dict(zip(header, r)) for r in dictionary if r[0] == "F_ECOG" and r[5] == "ECOG")
    assert ecog["type"] == "choice" and "1=1 - Restricted" in ecog["codes"]
    trsum = next(dict(zip(header, r)) for r in dictionary if r[0] == "F_RECIST" and r[5] == "TRSUM")
    assert (trsum["unit"], trsum["hard_min"], trsum["hard_max"]) == ("mm", "0", "2500")
    aeendat = next(dict(zip(header, r)) for r in dictionary if r[0] == "F_AE" and r[5] == "AEENDAT")
    assert aeendat["show_if"] == "[AEONGO] = 'N'"
    dm_rows = list(workbook["F_DM"].iter_rows(values_only=True))
    assert dm_rows[0][:3] == ("study", "site", "subject") and len(dm_rows) == 2
    assert dict(zip(dm_rows[0], dm_rows[1]))["SEX_label"] == "Male"
    workbook.close()
    assert dm.get("/audit?study=ESCC-LDRT&action=export.xlsx").get_json()["items"]
