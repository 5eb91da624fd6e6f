"""Treatment records as a site enters them (ESCC-LDRT cycles)."""

from __future__ import annotations


def cycle(n: int, day1: str, paclitaxel_mg="245", height="170.0", weight="70.0", bsa="1.82", **extra) -> dict:
    rows = [
        {"EXTRT": "PACLITAXEL", "EXOCCUR": "Y", "EXDOSU": "MG", "EXPLDOS": "246", "EXDOSE": paclitaxel_mg,
         "EXROUTE": "IV", "EXSTDAT": day1, "EXDOSADJ": "N"},
        {"EXTRT": "CARBOPLATIN", "EXOCCUR": "Y", "EXDOSU": "AUC", "EXPLDOS": "5", "EXDOSE": "5",
         "EXROUTE": "IV", "EXSTDAT": day1, "EXDOSADJ": "N"},
        {"EXTRT": "CAMRELIZUMAB", "EXOCCUR": "Y", "EXDOSU": "MG", "EXPLDOS": "200", "EXDOSE": "200",
         "EXROUTE": "IV", "EXSTDAT": day1, "EXDOSADJ": "N"},
    ]
    data = {"EXCYCLE": n, "CYCDAT": day1, "HEIGHT": height, "WEIGHT": weight, "BSA": bsa, "IG_EX": rows}
    if n > 1:
        data["CYCDLY"] = "N"
    data.update(extra)
    return data
