"""Verifying hash chains: recompute every link, report the first one that does not hold."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ecrf.audit.chain import GENESIS_HASH, HASHED_FIELDS, chains_digest, entry_hash
from ecrf.audit.models import AuditChainHead, AuditEntry


@dataclass
class BrokenLink:
    chain_key: str
    chain_seq: int | None
    entry_id: int | None
    reason: str


@dataclass
class VerifyResult:
    ok: bool = True
    entries_checked: int = 0
    chains_checked: int = 0
    first_break: BrokenLink | None = None
    head_digest: str | None = None
    heads: list[tuple[str, int, str]] = field(default_factory=list)


def study_chain_filter(study_id: int):
    """The chains that belong to a study: its subjects' chains and the study chain."""
    return or_(AuditEntry.chain_key == f"study:{study_id}",
               and_(AuditEntry.chain_key.like("subject:%"), AuditEntry.study_id == study_id))


def verify_chains(db: Session, where=None, batch: int = 5000) -> VerifyResult:
    result = VerifyResult()
    statement = select(AuditEntry).order_by(AuditEntry.chain_key, AuditEntry.chain_seq)
    if where is not None:
        statement = statement.where(where)
    current_key, expected_seq, prev = None, 1, GENESIS_HASH
    last_seen: dict[str, tuple[int, str]] = {}
    for entry in db.execute(statement.execution_options(yield_per=batch)).scalars():
        if entry.chain_key != current_key:
            current_key, expected_seq, prev = entry.chain_key, 1, GENESIS_HASH
            result.chains_checked += 1
        result.entries_checked += 1
        fields = {name: getattr(entry, name) for name in HASHED_FIELDS}
        reason = None
        if entry.chain_seq != expected_seq:
            reason = f"sequence jumps from {expected_seq - 1} to {entry.chain_seq} (entries missing)"
        elif entry.prev_hash != prev:
            reason = "previous-hash link does not match the entry before it"
        elif entry_hash(prev, fields) != entry.entry_hash:
            reason = "entry content does not match its hash (altered after writing)"
        if reason and result.ok:
            result.ok = False
            result.first_break = BrokenLink(entry.chain_key, entry.chain_seq, entry.id, reason)
        prev, expected_seq = entry.entry_hash, entry.chain_seq + 1
        last_seen[entry.chain_key] = (entry.chain_seq, entry.entry_hash)
        db.expunge(entry)
    if where is None:
        heads = list(db.execute(select(AuditChainHead).where(AuditChainHead.seq > 0)).scalars())
    else:
        heads = list(db.execute(select(AuditChainHead).where(
            AuditChainHead.chain_key.in_(list(last_seen)))).scalars()) if last_seen else []
    for head in heads:
        seq, digest = last_seen.get(head.chain_key, (0, GENESIS_HASH))
        result.heads.append((head.chain_key, head.seq, head.head_hash))
        if (head.seq, head.head_hash) != (seq, digest) and result.ok:
            result.ok = False
            result.first_break = BrokenLink(head.chain_key, head.seq, None,
                                            f"chain head says entry {head.seq} but the trail ends at {seq} "
                                            "(entries removed from the end)")
    result.head_digest = chains_digest(result.heads)
    return result
