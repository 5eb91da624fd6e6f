"""Signature meanings, read from data (``meanings.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from ecrf.errors import RuleViolation


@dataclass(frozen=True)
class Meaning:
    code: str
    label: str
    statement: str


@lru_cache(maxsize=1)
def all_meanings() -> tuple[Meaning, ...]:
    text = resources.files("ecrf.review").joinpath("meanings.yaml").read_text("utf-8")
    return tuple(Meaning(m["code"], m["label"], m["statement"].strip()) for m in yaml.safe_load(text))


def meaning_for(given: str) -> Meaning:
    """The meaning named by its code or its exact label; 422 for anything else."""
    wanted = (given or "").strip()
    for meaning in all_meanings():
        if wanted in (meaning.code, meaning.label):
            return meaning
    allowed = [m.label for m in all_meanings()]
    raise RuleViolation("unknown signature meaning", errors={"meaning": [f"one of: {', '.join(allowed)}"]})
