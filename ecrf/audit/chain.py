"""Hash chaining of audit entries (pure functions, no database)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any, Mapping

GENESIS_HASH = "0" * 64

# The fields an entry's hash covers, in a fixed order. Changing this list breaks every chain.
HASHED_FIELDS = (
    "chain_key", "chain_seq", "occurred_at", "request_id", "action",
    "user_id", "username", "user_name", "user_role",
    "study_id", "study_oid", "site_id", "site_code", "subject_id", "subject_code",
    "visit_key", "visit_repeat", "form_oid", "form_version", "record_id",
    "item_oid", "group_oid", "group_row",
    "old_value", "new_value", "reason", "details",
)


def format_timestamp(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(fields: Mapping[str, Any]) -> str:
    normalised = {}
    for name in HASHED_FIELDS:
        value = fields.get(name)
        if isinstance(value, dt.datetime):
            value = format_timestamp(value)
        normalised[name] = value
    return json.dumps(normalised, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    digest = hashlib.sha256()
    digest.update(prev_hash.encode("ascii"))
    digest.update(b"\n")
    digest.update(canonical(fields).encode("utf-8"))
    return digest.hexdigest()


def chains_digest(heads: list[tuple[str, int, str]]) -> str:
    """One digest over the heads of several chains, for exports ("the chain head")."""
    digest = hashlib.sha256()
    for key, seq, head in sorted(heads):
        digest.update(f"{key}\t{seq}\t{head}\n".encode("utf-8"))
    return digest.hexdigest()
