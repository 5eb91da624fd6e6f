"""Statuses, queries and signatures as ODM Annotations, Flags and Signatures.

A status is an Annotation with one Flag (FlagType from CL.FLAG_TYPE, FlagValue from the status's
code list). A query is an Annotation whose Comment holds its thread and whose Flags give its status
and kind; it hangs on the ItemData of the item it is about, or on the FormData of a record query.
"""

from __future__ import annotations

from lxml import etree

from ecrf.audit.chain import format_timestamp
from ecrf.exports import naming as n
from ecrf.exports.metadata import FLAG_TYPE_LIST, FLAG_TYPES
from ecrf.exports.xml import sub


def flag(annotation: etree._Element, flag_type: str, value: str) -> None:
    node = sub(annotation, "Flag")
    sub(node, "FlagValue", {"CodeListOID": FLAG_TYPES[flag_type]}, value)
    sub(node, "FlagType", {"CodeListOID": FLAG_TYPE_LIST}, flag_type)


def status_annotation(parent: etree._Element, seq: int, flag_type: str, value: str,
                      transaction: str | None = None) -> etree._Element:
    node = sub(parent, "Annotation", {"SeqNum": seq, "TransactionType": transaction})
    flag(node, flag_type, value)
    return node


def query_comment(query) -> str:
    lines = [f"Query {query.id} ({query.kind}, {query.status})"
             + (f", rule {query.rule_id} {query.rule_version}" if query.rule_id else "")]
    for message in query.messages:
        text = f": {message.text}" if message.text else ""
        lines.append(f"{format_timestamp(message.created_at)} {message.action} by {message.author_name}{text}")
    return "\n".join(lines)


def query_annotation(parent: etree._Element, seq: int, query, transaction: str | None = None) -> etree._Element:
    node = sub(parent, "Annotation", {"SeqNum": seq, "TransactionType": transaction})
    sub(node, "Comment", {"SponsorOrSite": "Sponsor"}, query_comment(query))
    flag(node, "QUERY_STATUS", query.status)
    flag(node, "QUERY_KIND", query.kind)
    return node


def signature_element(parent: etree._Element, signature, site_code: str) -> etree._Element:
    node = sub(parent, "Signature")
    sub(node, "UserRef", {"UserOID": n.user_oid(signature.signer_username)})
    sub(node, "LocationRef", {"LocationOID": n.location_oid(site_code)})
    sub(node, "SignatureRef", {"SignatureOID": n.signature_def_oid(signature.meaning_code)})
    sub(node, "DateTimeStamp", text=format_timestamp(signature.signed_at))
    sub(node, "CryptoBindingManifest", text=signature.content_hash)
    return node


def latest_signatures(signatures: list) -> dict[tuple[str, int | None], object]:
    """The latest valid signature per signed thing: ("record", id), ("visit", id), ("subject", None)."""
    out: dict[tuple[str, int | None], object] = {}
    for signature in sorted(signatures, key=lambda s: (s.signed_at, s.id)):
        key = {"record": ("record", signature.record_id), "visit": ("visit", signature.visit_id)}.get(
            signature.scope, ("subject", None))
        out[key] = signature
    return out


def audit_record(parent: etree._Element, entry) -> etree._Element:
    """An AuditRecord from an audit trail row (user, site, server time, reason, entry id)."""
    node = sub(parent, "AuditRecord")
    sub(node, "UserRef", {"UserOID": n.user_oid(entry.username)})
    sub(node, "LocationRef", {"LocationOID": n.location_oid(entry.site_code)})
    sub(node, "DateTimeStamp", text=format_timestamp(entry.occurred_at))
    if entry.reason:
        sub(node, "ReasonForChange", text=entry.reason)
    sub(node, "SourceID", text=f"audit:{entry.id}")
    return node
