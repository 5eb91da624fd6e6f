"""Treatment checks: BSA (Mosteller), dose per m2, flat doses, q3w cycle windows, radiotherapy.

Pure functions over plain values; every quantity is a Decimal, every date a ``datetime.date``.
Problems are returned as :class:`Finding` objects (severity ``'deviation'`` for protocol
deviations, ``'warning'`` for inconsistent or noteworthy data); interpretations are documented in
docs/oncology-rules.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Mapping, Sequence

from .units import to_decimal

__all__ = ["Finding", "DoseReduction", "CycleTiming", "RTPlan", "RTCourse", "RTSummary",
           "RT_PLAN_ESCC_LDRT", "CAMRELIZUMAB_DOSE_MG", "bsa_mosteller", "round_bsa",
           "expected_dose", "dose_deviation_pct", "check_bsa_dose", "check_flat_dose",
           "cycle_timings", "check_cycles", "rt_total_dose", "rt_summary", "check_radiotherapy"]

DEVIATION, WARNING = "deviation", "warning"
HEIGHT_CM = (Decimal(100), Decimal(250))
WEIGHT_KG = (Decimal(25), Decimal(250))
CAMRELIZUMAB_DOSE_MG = Decimal(200)


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str                  # 'deviation' | 'warning'
    message: str
    details: dict = field(default_factory=dict)


# ------------------------------------------------------------------------------------ BSA, dose
def bsa_mosteller(height_cm, weight_kg) -> Decimal:
    """sqrt(height_cm x weight_kg / 3600) in m2, unrounded (34 significant digits)."""
    h, w = to_decimal(height_cm, "height_cm"), to_decimal(weight_kg, "weight_kg")
    if not HEIGHT_CM[0] <= h <= HEIGHT_CM[1]:
        raise ValueError(f"height_cm {h} outside the plausible range {HEIGHT_CM[0]}-{HEIGHT_CM[1]} cm")
    if not WEIGHT_KG[0] <= w <= WEIGHT_KG[1]:
        raise ValueError(f"weight_kg {w} outside the plausible range {WEIGHT_KG[0]}-{WEIGHT_KG[1]} kg")
    with localcontext() as ctx:
        ctx.prec = 34
        return (h * w / 3600).sqrt()


def round_bsa(bsa) -> Decimal:
    """BSA for display: 2 decimals, half-up."""
    return to_decimal(bsa, "bsa").quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def expected_dose(dose_per_m2, bsa) -> Decimal:
    """Planned dose in mg for ``dose_per_m2`` mg/m2 and ``bsa`` m2 (exact product)."""
    return to_decimal(dose_per_m2, "dose_per_m2") * to_decimal(bsa, "bsa")


def dose_deviation_pct(actual, expected) -> Decimal:
    """(actual - expected) / expected x 100; negative when under-dosed."""
    a, e = to_decimal(actual, "actual"), to_decimal(expected, "expected")
    if e <= 0:
        raise ValueError(f"expected dose must be positive, got {e}")
    with localcontext() as ctx:
        ctx.prec = 28
        return (a - e) / e * 100


@dataclass(frozen=True)
class DoseReduction:
    level: int                     # protocol dose level, e.g. -1
    reason: str
    dose_per_m2: Decimal | None = None   # reduced dose, if the level defines one

    @property
    def documented(self) -> bool:
        return bool(self.reason and self.reason.strip())


def _pct(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


def check_bsa_dose(drug: str, actual_mg, dose_per_m2, bsa, *, tolerance_pct=Decimal(10),
                   reduction: DoseReduction | None = None) -> list[Finding]:
    """Deviation when |actual - expected| / expected > tolerance, unless a documented reduction
    explains an under-dose (checked against the reduced dose when the reduction states one)."""
    tolerance = to_decimal(tolerance_pct, "tolerance_pct")
    actual = to_decimal(actual_mg, "actual_mg")
    expected = expected_dose(dose_per_m2, bsa)
    findings: list[Finding] = []
    if reduction is not None and not reduction.documented:
        findings.append(Finding("DOSE_REDUCTION_NO_REASON", WARNING,
                                f"{drug}: dose reduction level {reduction.level} has no reason",
                                {"drug": drug, "level": reduction.level}))
        reduction = None
    reference, basis = expected, "planned"
    if reduction is not None and reduction.dose_per_m2 is not None:
        reference, basis = expected_dose(reduction.dose_per_m2, bsa), f"reduced (level {reduction.level})"
    deviation = dose_deviation_pct(actual, reference)
    explained = reduction is not None and reduction.dose_per_m2 is None and deviation < 0
    if abs(deviation) > tolerance and not explained:
        findings.append(Finding(
            "DOSE_DEVIATION", DEVIATION,
            f"{drug}: {actual} mg given, {basis} dose {reference.quantize(Decimal('0.01'))} mg "
            f"({_pct(deviation)}, tolerance {tolerance}%)",
            {"drug": drug, "actual_mg": actual, "expected_mg": reference, "deviation_pct": deviation,
             "tolerance_pct": tolerance, "reduction_level": reduction.level if reduction else None}))
    return findings


def check_flat_dose(drug: str, actual_mg, planned_mg=CAMRELIZUMAB_DOSE_MG, *,
                    reduction: DoseReduction | None = None,
                    withheld_reason: str | None = None) -> list[Finding]:
    """Flat (not BSA-based) dose, e.g. camrelizumab 200 mg: any other dose is a deviation unless
    a documented reduction (lower dose) or a documented withholding (no dose) explains it."""
    planned = to_decimal(planned_mg, "planned_mg")
    actual = None if actual_mg is None else to_decimal(actual_mg, "actual_mg")
    details = {"drug": drug, "actual_mg": actual, "planned_mg": planned}
    if actual is None or actual == 0:
        if withheld_reason and withheld_reason.strip():
            return []
        return [Finding("DOSE_WITHHELD_NO_REASON", DEVIATION,
                        f"{drug}: dose not given and no reason for withholding recorded", details)]
    if actual == planned:
        return []
    if reduction is not None and reduction.documented and actual < planned:
        return []
    return [Finding("FLAT_DOSE_DEVIATION", DEVIATION,
                    f"{drug}: {actual} mg given, planned flat dose {planned} mg", details)]


# ----------------------------------------------------------------------------------- q3w cycles
@dataclass(frozen=True)
class CycleTiming:
    cycle: int
    actual: date
    expected: date | None          # None for cycle 1 (the anchor)
    window_start: date | None
    window_end: date | None
    delay_days: int                # actual - expected (0 for cycle 1)
    in_window: bool


def cycle_timings(starts: Sequence[date], *, interval_days: int = 21, window_before: int = 2,
                  window_after: int = 3, anchor: str = "previous") -> tuple[CycleTiming, ...]:
    """Day 1 of cycle n is due ``interval_days`` after the previous cycle's actual day 1
    (``anchor='previous'``, delays propagate) or at C1D1 + interval x (n - 1) (``anchor='c1d1'``);
    the window is [due - before, due + after]."""
    if anchor not in ("previous", "c1d1"):
        raise ValueError(f"anchor must be 'previous' or 'c1d1', got {anchor!r}")
    timings = []
    for i, actual in enumerate(starts):
        if i == 0:
            timings.append(CycleTiming(1, actual, None, None, None, 0, True))
            continue
        base = starts[i - 1] if anchor == "previous" else starts[0]
        due = base + timedelta(days=interval_days * (1 if anchor == "previous" else i))
        delay = (actual - due).days
        timings.append(CycleTiming(i + 1, actual, due, due - timedelta(days=window_before),
                                   due + timedelta(days=window_after), delay,
                                   -window_before <= delay <= window_after))
    return tuple(timings)


def check_cycles(starts: Sequence[date], *, interval_days: int = 21, window_before: int = 2,
                 window_after: int = 3, anchor: str = "previous",
                 delay_reasons: Mapping[int, str] | None = None) -> list[Finding]:
    """Out-of-window cycle starts. Early -> deviation; late with a recorded reason (keyed by
    cycle number) -> warning; late without reason -> deviation; not after the previous -> deviation."""
    reasons = delay_reasons or {}
    findings: list[Finding] = []
    timings = cycle_timings(starts, interval_days=interval_days, window_before=window_before,
                            window_after=window_after, anchor=anchor)
    for t in timings[1:]:
        details = {"cycle": t.cycle, "actual": t.actual, "expected": t.expected,
                   "delay_days": t.delay_days, "window": (-window_before, window_after)}
        if t.actual <= starts[t.cycle - 2]:
            findings.append(Finding("CYCLE_ORDER", DEVIATION,
                                    f"cycle {t.cycle} day 1 is not after cycle {t.cycle - 1} day 1",
                                    details))
        elif t.delay_days < -window_before:
            findings.append(Finding("CYCLE_EARLY", DEVIATION,
                                    f"cycle {t.cycle} started {-t.delay_days} days early", details))
        elif t.delay_days > window_after:
            reason = (reasons.get(t.cycle) or "").strip()
            if reason:
                findings.append(Finding("CYCLE_DELAY", WARNING, f"cycle {t.cycle} delayed "
                                        f"{t.delay_days} days ({reason})", {**details, "reason": reason}))
            else:
                findings.append(Finding("CYCLE_DELAY_NO_REASON", DEVIATION, f"cycle {t.cycle} "
                                        f"delayed {t.delay_days} days without a recorded reason", details))
    return findings


# ---------------------------------------------------------------------------------- radiotherapy
@dataclass(frozen=True)
class RTPlan:
    total_dose_gy: Decimal
    fractions: int
    dose_per_fraction_gy: Decimal
    fractions_per_week: int = 5

    def __post_init__(self):
        if self.fractions * self.dose_per_fraction_gy != self.total_dose_gy:
            raise ValueError(f"RT plan inconsistent: {self.fractions} x {self.dose_per_fraction_gy} "
                             f"Gy != {self.total_dose_gy} Gy")


RT_PLAN_ESCC_LDRT = RTPlan(Decimal("45.0"), 25, Decimal("1.8"))   # protocol 004, from C2D1


@dataclass(frozen=True)
class RTCourse:
    start: date | None
    end: date | None
    fractions_delivered: int | None
    dose_per_fraction_gy: Decimal | None
    total_dose_gy: Decimal | None
    interruptions: tuple[tuple[date, date], ...] = ()   # first and last day without RT, inclusive


@dataclass(frozen=True)
class RTSummary:
    computed_total_gy: Decimal | None
    interruption_days: tuple[int, ...]
    total_interruption_days: int
    overall_treatment_days: int | None     # start to end, both days counted
    expected_treatment_days: int | None    # same span without any interruption or holiday
    prolongation_days: int | None


def rt_total_dose(fractions: int, dose_per_fraction_gy) -> Decimal:
    """Exact total dose: 25 x 1.8 = 45.0 Gy."""
    return fractions * to_decimal(dose_per_fraction_gy, "dose_per_fraction_gy")


def _expected_span(start: date, fractions: int, per_week: int) -> int:
    """Days from the first to the last fraction, both counted, treating on the first ``per_week``
    weekdays (Mon-Fri for 5) and counting the start day as a fraction day."""
    day, given = start, 1
    while given < fractions:
        day += timedelta(days=1)
        if day.weekday() < per_week:
            given += 1
    return (day - start).days + 1


def rt_summary(course: RTCourse, fractions_per_week: int = 5) -> RTSummary:
    for first, last in course.interruptions:
        if last < first:
            raise ValueError(f"RT interruption ends ({last}) before it starts ({first})")
    lengths = tuple((last - first).days + 1 for first, last in course.interruptions)
    total = None
    if course.fractions_delivered is not None and course.dose_per_fraction_gy is not None:
        total = rt_total_dose(course.fractions_delivered, course.dose_per_fraction_gy)
    ott = expected = prolongation = None
    if course.start and course.end:
        if course.end < course.start:
            raise ValueError(f"RT end ({course.end}) is before RT start ({course.start})")
        ott = (course.end - course.start).days + 1
        if course.fractions_delivered:
            expected = _expected_span(course.start, course.fractions_delivered, fractions_per_week)
            prolongation = ott - expected
    return RTSummary(total, lengths, sum(lengths), ott, expected, prolongation)


def check_radiotherapy(course: RTCourse, plan: RTPlan | None = None, *, c2d1: date | None = None,
                       start_window_before: int = 0, start_window_after: int = 0,
                       max_prolongation_days: int = 5) -> list[Finding]:
    """Arithmetic consistency always; plan, start-on-C2D1 and overall-time checks when given."""
    per_week = plan.fractions_per_week if plan else 5
    summary = rt_summary(course, per_week)
    findings: list[Finding] = []
    # delivered dose = fractions x dose per fraction; the recorded total only when those are absent
    total = summary.computed_total_gy if summary.computed_total_gy is not None else course.total_dose_gy
    if course.total_dose_gy is not None and summary.computed_total_gy is not None \
            and course.total_dose_gy != summary.computed_total_gy:
        findings.append(Finding("RT_TOTAL_INCONSISTENT", WARNING,
                                f"recorded total {course.total_dose_gy} Gy != {course.fractions_delivered}"
                                f" x {course.dose_per_fraction_gy} Gy = {summary.computed_total_gy} Gy",
                                {"recorded_gy": course.total_dose_gy,
                                 "computed_gy": summary.computed_total_gy}))
    if plan is not None:
        for code, label, got, want in (
                ("RT_FRACTIONS_PLAN", "fractions", course.fractions_delivered, plan.fractions),
                ("RT_DOSE_PER_FRACTION_PLAN", "dose per fraction (Gy)", course.dose_per_fraction_gy,
                 plan.dose_per_fraction_gy),
                ("RT_TOTAL_PLAN", "total dose (Gy)", total, plan.total_dose_gy)):
            if got is not None and got != want:
                findings.append(Finding(code, DEVIATION, f"RT {label}: {got}, planned {want}",
                                        {"actual": got, "planned": want}))
    if c2d1 is not None and course.start is not None:
        offset = (course.start - c2d1).days
        if not -start_window_before <= offset <= start_window_after:
            findings.append(Finding("RT_START_WINDOW", DEVIATION,
                                    f"RT started {course.start.isoformat()}, {offset:+d} days from C2D1 "
                                    f"{c2d1.isoformat()} (allowed -{start_window_before}/+{start_window_after})",
                                    {"start": course.start, "c2d1": c2d1, "offset_days": offset}))
    if summary.interruption_days:
        findings.append(Finding("RT_INTERRUPTED", WARNING,
                                f"RT interrupted {len(summary.interruption_days)} time(s), "
                                f"{summary.total_interruption_days} days in total",
                                {"interruption_days": summary.interruption_days,
                                 "total_interruption_days": summary.total_interruption_days}))
    outside = [(a, b) for a, b in course.interruptions
               if (course.start and a < course.start) or (course.end and b > course.end)]
    if outside:
        findings.append(Finding("RT_INTERRUPTION_OUTSIDE_COURSE", WARNING,
                                "RT interruption outside the course start/end dates",
                                {"interruptions": tuple(outside)}))
    if summary.prolongation_days is not None and summary.prolongation_days > max_prolongation_days:
        findings.append(Finding("RT_OTT_PROLONGED", DEVIATION,
                                f"overall treatment time {summary.overall_treatment_days} days, expected "
                                f"{summary.expected_treatment_days} (+{summary.prolongation_days}, "
                                f"allowed +{max_prolongation_days})",
                                {"overall_days": summary.overall_treatment_days,
                                 "expected_days": summary.expected_treatment_days,
                                 "prolongation_days": summary.prolongation_days}))
    return findings
