"""Checks that need more than the form definition (term lists, other records), per form OID.

They run inside record validation, after the form's own logic: hard issues refuse completion
(and any save of a complete record), soft issues become warnings and automatic queries.
"""

from __future__ import annotations

from importlib import import_module

from sqlalchemy.orm import Session

from ecrf.entry.compiled import CompiledForm
from ecrf.entry.models import Subject
from ecrf.entry.validation import Issue

FORM_VALIDATORS = {
    "F_AE": "ecrf.oncology.ae_checks:check_adverse_event",
}


def extra_issues(db: Session, form: CompiledForm, subject: Subject, data: dict) -> list[Issue]:
    path = FORM_VALIDATORS.get(form.oid)
    if path is None:
        return []
    module, _, name = path.partition(":")
    return getattr(import_module(module), name)(db, form, subject, data)
