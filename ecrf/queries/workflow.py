"""The query state machine (pure): which action moves which state, and who may take it.

    open --respond (site)--> answered --close (monitor/DM)--> closed
    answered --reopen (monitor/DM: re-query)--> open
    closed --reopen (monitor/DM, with a reason)--> open
    open|answered --cancel (whoever raised it)--> cancelled
    open|answered --auto_close (system: data corrected)--> closed --auto_reopen (system)--> open
"""

from __future__ import annotations

from dataclasses import dataclass

SITE, OVERSIGHT, RAISER, SYSTEM = "site", "oversight", "raiser", "system"

TRANSITIONS: dict[tuple[str, str], tuple[str, str]] = {
    ("open", "respond"): ("answered", SITE),
    ("answered", "close"): ("closed", OVERSIGHT),
    ("answered", "reopen"): ("open", OVERSIGHT),
    ("closed", "reopen"): ("open", OVERSIGHT),
    ("open", "cancel"): ("cancelled", RAISER),
    ("answered", "cancel"): ("cancelled", RAISER),
    ("open", "auto_close"): ("closed", SYSTEM),
    ("answered", "auto_close"): ("closed", SYSTEM),
    ("closed", "auto_reopen"): ("open", SYSTEM),
}


@dataclass(frozen=True)
class TransitionRefused(Exception):
    current: str
    action: str

    def __str__(self) -> str:
        allowed = sorted(a for (s, a) in TRANSITIONS if s == self.current and not a.startswith("auto"))
        return (f"a query that is {self.current} cannot be {PAST.get(self.action, self.action)}; "
                f"allowed: {', '.join(allowed) or 'nothing (final state)'}")


PAST = {"respond": "answered", "close": "closed", "reopen": "reopened", "cancel": "cancelled",
        "auto_close": "closed", "auto_reopen": "reopened"}


def transition(current: str, action: str) -> tuple[str, str]:
    """(next status, who may act) or TransitionRefused."""
    try:
        return TRANSITIONS[(current, action)]
    except KeyError:
        raise TransitionRefused(current, action) from None


def actor_class(action: str) -> str | None:
    return next((who for (_s, a), (_n, who) in TRANSITIONS.items() if a == action), None)
