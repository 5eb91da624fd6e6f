"""The visit schedule of a study version, expanded into planned visits with dates and windows.

Pure functions over the study definition; dates follow from the subject's anchor dates
(consent, C1D1, RT start, end of treatment). Day 0 is the anchor date itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Mapping


@dataclass(frozen=True)
class PlannedVisit:
    key: str
    repeat: int
    name: str
    kind: str  # "scheduled" or "log"
    anchor: str | None
    day: int | None
    window_before: int
    window_after: int
    forms: tuple[Mapping, ...]

    def target_date(self, anchors: Mapping[str, dt.date]) -> dt.date | None:
        if self.anchor is None or self.day is None or self.anchor not in anchors:
            return None
        return anchors[self.anchor] + dt.timedelta(days=self.day)

    def window(self, anchors: Mapping[str, dt.date]) -> tuple[dt.date, dt.date] | None:
        target = self.target_date(anchors)
        if target is None:
            return None
        return target - dt.timedelta(days=self.window_before), target + dt.timedelta(days=self.window_after)


def occurrences(visit: Mapping) -> int:
    repeat = visit.get("repeat")
    if not repeat:
        return 1
    if "count" in repeat:
        return repeat["count"]
    return (repeat["until_day"] - visit["day"]) // repeat["every"] + 1


def expand(definition: Mapping) -> list[PlannedVisit]:
    planned = []
    for visit in definition["schedule"]:
        every = visit.get("repeat", {}).get("every", 0)
        for n in range(1, occurrences(visit) + 1):
            planned.append(PlannedVisit(
                key=visit["key"], repeat=n,
                name=visit["name"] + (f" {n}" if "repeat" in visit else ""),
                kind="scheduled", anchor=visit["anchor"], day=visit["day"] + (n - 1) * every,
                window_before=visit["window"]["before"], window_after=visit["window"]["after"],
                forms=tuple(visit["forms"])))
    for log in definition.get("logs", []):
        planned.append(PlannedVisit(key=log["key"], repeat=1, name=log["name"], kind="log", anchor=None,
                                    day=None, window_before=0, window_after=0, forms=tuple(log["forms"])))
    return planned


def window_deviation(visit_date: dt.date, window: tuple[dt.date, dt.date] | None) -> int:
    """Days outside the window: negative early, positive late, 0 inside (or no window yet)."""
    if window is None:
        return 0
    start, end = window
    if visit_date < start:
        return (visit_date - start).days
    if visit_date > end:
        return (visit_date - end).days
    return 0


def forms_for(definition: Mapping, visit_key: str) -> tuple[Mapping, ...]:
    """The form references allowed at a visit key (scheduled, log or unscheduled)."""
    for visit in definition["schedule"]:
        if visit["key"] == visit_key:
            return tuple(visit["forms"])
    for log in definition.get("logs", []):
        if log["key"] == visit_key:
            return tuple(log["forms"])
    if visit_key == UNSCHEDULED and "unscheduled" in definition:
        return tuple(definition["unscheduled"]["forms"])
    return ()


UNSCHEDULED = "UNS"
