"""Adverse event checks against CTCAE v5.0: the term list, allowed grades per term, grade 5 and death."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.entry.compiled import CompiledForm
from ecrf.entry.models import Record, Subject
from ecrf.entry.validation import Issue
from ecrf.oncology import ctcae

RULE_VERSION = "CTCAE v5.0"


def has_death_record(db: Session, subject: Subject) -> bool:
    return db.execute(select(Record.id).where(Record.subject_id == subject.id, Record.form_oid == "F_DD")
                      .limit(1)).first() is not None


def check_adverse_event(db: Session, form: CompiledForm, subject: Subject, data: dict) -> list[Issue]:
    term_name, grade = data.get("AEDECOD"), data.get("AETOXGR")
    issues: list[Issue] = []
    if term_name is None:
        return issues
    try:
        term = ctcae.term(term_name)
    except ctcae.UnknownTermError:
        term = None
    if term is None:
        issues.append(Issue("AEDECOD", f"'{term_name}' is not a CTCAE v5.0 term of this study's list; "
                                       "check the spelling or use the matching CTCAE term",
                            "CTCAE_UNKNOWN_TERM", "soft", "AEDECOD", value=term_name))
    elif grade is not None and grade not in term.grades:
        allowed = ", ".join(str(g) for g in term.grades)
        issues.append(Issue("AETOXGR", f"CTCAE v5.0 defines grades {allowed} for {term.term}; grade {grade} "
                                       "does not exist for this term", "CTCAE_GRADE_NOT_DEFINED", "hard",
                            "AETOXGR", value=grade))
    if grade == 5 and not has_death_record(db, subject):
        issues.append(Issue("AETOXGR", "Grade 5 (death) needs the subject's death record (form F_DD) "
                                       "to be entered first", "CTCAE_GRADE5_NEEDS_DEATH", "hard", "AETOXGR",
                            value=grade))
    return issues
