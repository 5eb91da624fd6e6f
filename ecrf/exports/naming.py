"""The OIDs an ODM file uses for our definitions (pure; docs/exports.md has the table).

Every definition below the form is qualified by the form version it belongs to, because the same
group, item or code list OID appears in several forms (``IG_TL`` in F_RECIST_BL and F_RECIST) and
may change between versions of one form: OIDs must be unique within a MetaDataVersion.
"""

from __future__ import annotations

import re

NS = "http://www.cdisc.org/ns/odm/v1.3"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
LANG = "en"

VISIT_FORM = "VISIT"             # the pseudo-form that carries a visit's date
VISIT_GROUP = "VISIT.IG"
VISIT_DATE = "VISIT.DATE"        # also the item OID of visit.date_set audit entries
CENTRAL_LOCATION = "LOC.CENTRAL"  # actions not tied to a site
SYSTEM_USER = "USR.system"       # automatic actions (checks, derivations)

_FORM_DEF = re.compile(r"^(F_[A-Z0-9_]+)\.v([0-9]+)$")
_UNSAFE = re.compile(r"[^A-Za-z0-9_]+")
_SAS_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,7}$")


def tag(name: str) -> str:
    return f"{{{NS}}}{name}"


def mdv_oid(study_oid: str, version: int) -> str:
    return f"MDV.{study_oid}.v{version}"


def event_oid(visit_key: str) -> str:
    return f"SE.{visit_key}"


def form_def_oid(form_oid: str, version: int) -> str:
    return f"{form_oid}.v{version}"


def parse_form_def_oid(oid: str) -> tuple[str, int | None]:
    """``F_AE.v1`` -> (F_AE, 1); a bare ``F_AE`` -> (F_AE, None): the version the visit uses."""
    match = _FORM_DEF.match(oid)
    return (match.group(1), int(match.group(2))) if match else (oid, None)


def group_oid(form_oid: str, version: int, group: str) -> str:
    return f"{form_def_oid(form_oid, version)}.{group}"


def item_oid(form_oid: str, version: int, item: str) -> str:
    return f"{form_def_oid(form_oid, version)}.{item}"


def codelist_oid(form_oid: str, version: int, codelist: str) -> str:
    return f"{form_def_oid(form_oid, version)}.{codelist}"


def condition_oid(form_oid: str, version: int, target: str) -> str:
    """The ConditionDef of an item's or a group's show_if (``COND.F_AE.v1.AEENDAT``)."""
    return f"COND.{form_def_oid(form_oid, version)}.{target}"


def schedule_condition_oid(visit_key: str, form_oid: str) -> str:
    return f"COND.{visit_key}.{form_oid}"


def unit_oid(unit: str) -> str:
    return "MU." + (_UNSAFE.sub("_", unit).strip("_") or "unit")


def user_oid(username: str | None) -> str:
    return f"USR.{username}" if username and username != "system" else SYSTEM_USER


def location_oid(site_code: str | None) -> str:
    return f"LOC.{site_code}" if site_code else CENTRAL_LOCATION


def signature_def_oid(meaning_code: str) -> str:
    return f"SD.{meaning_code}"


def sas_name(name: str) -> str | None:
    """SASFieldName when the OID is a valid SAS name of at most 8 characters."""
    return name if _SAS_NAME.match(name) else None


def local_name(oid: str, prefix: str) -> str | None:
    """``F_AE.v1.AETERM`` with prefix ``F_AE.v1.`` -> ``AETERM``; a bare OID is returned as is."""
    if oid.startswith(prefix):
        return oid[len(prefix):]
    return None if "." in oid else oid
