"""ODM AdminData: the users named by audit records and signatures, the sites, the signature meanings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lxml import etree

from ecrf.exports import naming as n
from ecrf.exports.xml import element, sub


@dataclass(frozen=True)
class UserInfo:
    username: str | None
    full_name: str | None
    role: str | None = None


@dataclass(frozen=True)
class SiteInfo:
    code: str
    name: str


@dataclass(frozen=True)
class MeaningInfo:
    code: str
    label: str
    statement: str


SITE_USER_ROLES = ("coordinator", "investigator")


def admin_element(study_oid: str, mdv_oid: str, effective: dt.date, users: list[UserInfo], sites: list[SiteInfo],
                  meanings: list[MeaningInfo]) -> etree._Element:
    admin = element("AdminData", {"StudyOID": study_oid})
    seen: set[str] = set()
    for user in [UserInfo("system", "eCRF system (automatic actions)", "system"), *users]:
        oid = n.user_oid(user.username)
        if oid in seen:
            continue
        seen.add(oid)
        user_type = "Investigator" if user.role and any(r in user.role for r in SITE_USER_ROLES) else (
            "Other" if oid == n.SYSTEM_USER else "Sponsor")
        node = sub(admin, "User", {"OID": oid, "UserType": user_type})
        sub(node, "LoginName", text=user.username or "system")
        if user.full_name:
            sub(node, "DisplayName", text=user.full_name)
            sub(node, "FullName", text=user.full_name)
    for site in [SiteInfo("", "Central (actions not tied to a site)"), *sites]:
        node = sub(admin, "Location", {"OID": n.location_oid(site.code or None), "Name": site.name,
                                       "LocationType": "Site" if site.code else "Sponsor"})
        sub(node, "MetaDataVersionRef", {"StudyOID": study_oid, "MetaDataVersionOID": mdv_oid,
                                         "EffectiveDate": effective.isoformat()})
    for meaning in meanings:
        node = sub(admin, "SignatureDef", {"OID": n.signature_def_oid(meaning.code), "Methodology": "Electronic"})
        sub(node, "Meaning", text=meaning.label)
        sub(node, "LegalReason", text=meaning.statement)
    return admin
