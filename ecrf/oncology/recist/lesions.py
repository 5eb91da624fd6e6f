"""Data types of the RECIST 1.1 engine: enumerations, input records and findings.

Every type is a frozen dataclass or a :class:`enum.StrEnum`, so values compare equal to their
plain string spelling (``Response.PR == "PR"``) and can be stored as text by the caller.

Measurements are :class:`decimal.Decimal` millimetres. ``int`` and ``str`` are converted exactly;
``float`` is refused with :class:`TypeError` (``Decimal(25.2)`` is not 25.2), as are booleans and
non-finite decimals. Sequences are stored as tuples. Malformed *types* raise at construction;
clinically invalid *content* (too many targets, a missing measurement, ...) is reported as
:class:`Finding` objects by :func:`~ecrf.oncology.recist.check_baseline` and
:func:`~ecrf.oncology.recist.check_followup`, never raised.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

__all__ = [
    "ENGINE_VERSION", "Method", "MeasurementFlag", "NonTargetState", "NewLesionStatus", "Response",
    "Severity", "Finding", "BaselineTarget", "BaselineNonTarget", "Baseline", "TargetMeasurement",
    "NonTargetStatus", "NewLesion", "Assessment", "to_mm", "TOO_SMALL_MM", "NODE_ORGAN",
]

#: Stored with every derived result so a later change of the rules is traceable.
ENGINE_VERSION = "recist-1.1/1"

#: Value used for a lesion recorded as "too small to measure" (RECIST 1.1 section 4.3.2).
TOO_SMALL_MM = Decimal(5)

#: Organ group of every lymph node, whatever its station: all nodes are ONE organ.
NODE_ORGAN = "lymph node"


class Method(StrEnum):
    """Imaging method of a baseline target measurement."""

    CT = "CT"            # slice thickness <= 5 mm assumed: measurable if LD >= 10 mm
    MRI = "MRI"          # as CT
    XRAY = "XRAY"        # chest X-ray, clearly defined lesion surrounded by aerated lung: LD >= 20 mm
    CALIPER = "CALIPER"  # clinical (superficial) lesion measured by caliper: LD >= 10 mm


class MeasurementFlag(StrEnum):
    """How a target lesion was recorded at a follow-up assessment."""

    MEASURED = "MEASURED"              # value_mm is the LD (non-nodal) or SA (node), > 0
    TOO_SMALL = "TOO_SMALL"            # present but too small to measure: the engine uses 5 mm
    DISAPPEARED = "DISAPPEARED"        # the engine uses 0 mm
    NOT_EVALUATED = "NOT_EVALUATED"    # not assessed / not assessable (NE)


class NonTargetState(StrEnum):
    """Qualitative state of one non-target lesion at a follow-up assessment."""

    PRESENT = "PRESENT"                                    # still present (for a node: SA >= 10 mm)
    ABSENT = "ABSENT"                                      # disappeared (for a node: SA < 10 mm)
    UNEQUIVOCAL_PROGRESSION = "UNEQUIVOCAL_PROGRESSION"    # unequivocal progression of this lesion
    NOT_EVALUATED = "NOT_EVALUATED"


class NewLesionStatus(StrEnum):
    YES = "YES"
    NO = "NO"
    EQUIVOCAL = "EQUIVOCAL"


class Response(StrEnum):
    """Target, non-target, overall and best responses.

    ``NA`` (not applicable) is only used for the target response of a subject without target
    lesions and the non-target response of a subject without non-target lesions.
    """

    CR = "CR"
    PR = "PR"
    SD = "SD"
    NON_CR_NON_PD = "NON_CR_NON_PD"
    PD = "PD"
    NE = "NE"
    NA = "NA"


class Severity(StrEnum):
    ERROR = "ERROR"      # the data cannot be evaluated as entered
    WARNING = "WARNING"  # evaluable, but worth a look


@dataclass(frozen=True)
class Finding:
    """One problem in the entered data, keyed so the caller can attach it to a form row."""

    code: str
    lesion_id: str | None
    message: str
    severity: Severity = Severity.ERROR
    assessment_date: _dt.date | None = None


def to_mm(value: Any, name: str = "value") -> Decimal | None:
    """Convert a millimetre value exactly to :class:`Decimal` (``None`` stays ``None``).

    Accepts ``Decimal``, ``int`` and numeric ``str``; refuses ``float`` and ``bool`` (TypeError)
    and non-numeric or non-finite values (ValueError).
    """
    if value is None:
        return None
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"{name}: {type(value).__name__} is not accepted, use Decimal, int or str "
                        f"(got {value!r})")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except ArithmeticError:
            raise ValueError(f"{name}: not a number: {value!r}") from None
    else:
        raise TypeError(f"{name}: expected Decimal, int or str, got {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"{name}: not a finite number: {value!r}")
    return result


def _check_date(value: Any, name: str) -> None:
    if not isinstance(value, _dt.date) or isinstance(value, _dt.datetime):
        raise TypeError(f"{name}: expected datetime.date, got {type(value).__name__}")


def _set(obj: object, name: str, value: Any) -> None:
    object.__setattr__(obj, name, value)


def _tuple_of(obj: object, name: str, kind: type) -> None:
    items = tuple(getattr(obj, name))
    for item in items:
        if not isinstance(item, kind):
            raise TypeError(f"{name}: expected {kind.__name__} items, got {type(item).__name__}")
    _set(obj, name, items)


def _lesion_id(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"lesion_id: expected str, got {type(value).__name__}")
    return value


@dataclass(frozen=True)
class BaselineTarget:
    """A target lesion selected at baseline.

    Non-nodal lesions are measured by their longest diameter (``ld_mm``), lymph nodes by their
    short axis (``sa_mm``); the other axis may be recorded but is not used. ``organ`` is free
    text compared case-insensitively after stripping; for nodes it is informational (the
    station) because all nodes form the single organ :data:`NODE_ORGAN`.
    """

    lesion_id: str
    organ: str
    is_node: bool = False
    ld_mm: Decimal | None = None
    sa_mm: Decimal | None = None
    method: Method = Method.CT

    def __post_init__(self) -> None:
        _set(self, "lesion_id", _lesion_id(self.lesion_id))
        _set(self, "is_node", bool(self.is_node))
        _set(self, "ld_mm", to_mm(self.ld_mm, "ld_mm"))
        _set(self, "sa_mm", to_mm(self.sa_mm, "sa_mm"))
        _set(self, "method", Method(self.method))

    @property
    def diameter_mm(self) -> Decimal | None:
        """The diameter that enters the sum: SA for a node, LD otherwise."""
        return self.sa_mm if self.is_node else self.ld_mm

    @property
    def organ_group(self) -> str:
        return NODE_ORGAN if self.is_node else (self.organ or "").strip().casefold()


@dataclass(frozen=True)
class BaselineNonTarget:
    """A non-target lesion recorded at baseline (``sa_mm`` optional, nodes only)."""

    lesion_id: str
    organ: str
    is_node: bool = False
    sa_mm: Decimal | None = None

    def __post_init__(self) -> None:
        _set(self, "lesion_id", _lesion_id(self.lesion_id))
        _set(self, "is_node", bool(self.is_node))
        _set(self, "sa_mm", to_mm(self.sa_mm, "sa_mm"))


@dataclass(frozen=True)
class Baseline:
    date: _dt.date
    targets: tuple[BaselineTarget, ...] = ()
    non_targets: tuple[BaselineNonTarget, ...] = ()

    def __post_init__(self) -> None:
        _check_date(self.date, "date")
        _tuple_of(self, "targets", BaselineTarget)
        _tuple_of(self, "non_targets", BaselineNonTarget)


@dataclass(frozen=True)
class TargetMeasurement:
    """A baseline target lesion at a follow-up assessment.

    ``value_mm`` is the LD (non-nodal) or SA (node) for ``MEASURED``. For ``TOO_SMALL`` it may be
    omitted or 5; for ``DISAPPEARED`` omitted or 0; for ``NOT_EVALUATED`` it must be omitted
    (:func:`check_followup` reports other combinations).
    """

    lesion_id: str
    flag: MeasurementFlag = MeasurementFlag.MEASURED
    value_mm: Decimal | None = None

    def __post_init__(self) -> None:
        _set(self, "lesion_id", _lesion_id(self.lesion_id))
        _set(self, "flag", MeasurementFlag(self.flag))
        _set(self, "value_mm", to_mm(self.value_mm, "value_mm"))

    @property
    def effective_mm(self) -> Decimal | None:
        """The value the engine uses: measured value, 5 (too small), 0 (disappeared), None (NE)."""
        if self.flag is MeasurementFlag.MEASURED:
            return self.value_mm
        if self.flag is MeasurementFlag.TOO_SMALL:
            return TOO_SMALL_MM
        if self.flag is MeasurementFlag.DISAPPEARED:
            return Decimal(0)
        return None


@dataclass(frozen=True)
class NonTargetStatus:
    lesion_id: str
    status: NonTargetState

    def __post_init__(self) -> None:
        _set(self, "lesion_id", _lesion_id(self.lesion_id))
        _set(self, "status", NonTargetState(self.status))


@dataclass(frozen=True)
class NewLesion:
    """A new lesion seen at an assessment: ``YES`` (unequivocal) or ``EQUIVOCAL``.

    No rows means no new lesion. Use the same ``lesion_id`` at later assessments for the same
    lesion: a ``YES`` row whose id was ``EQUIVOCAL`` at an earlier assessment backdates the
    progression to the first equivocal observation (RECIST 1.1 section 4.3.5).
    """

    lesion_id: str
    status: NewLesionStatus = NewLesionStatus.YES
    location: str = ""

    def __post_init__(self) -> None:
        _set(self, "lesion_id", _lesion_id(self.lesion_id))
        status = NewLesionStatus(self.status)
        if status is NewLesionStatus.NO:
            raise ValueError("a NewLesion row is YES or EQUIVOCAL; record no row for 'no new lesion'")
        _set(self, "status", status)


@dataclass(frozen=True)
class Assessment:
    """One follow-up tumour assessment (all imaging of one time point, dated by its scan date)."""

    date: _dt.date
    targets: tuple[TargetMeasurement, ...] = ()
    non_targets: tuple[NonTargetStatus, ...] = ()
    new_lesions: tuple[NewLesion, ...] = ()
    investigator_response: Response | None = field(default=None)

    def __post_init__(self) -> None:
        _check_date(self.date, "date")
        _tuple_of(self, "targets", TargetMeasurement)
        _tuple_of(self, "non_targets", NonTargetStatus)
        _tuple_of(self, "new_lesions", NewLesion)
        if self.investigator_response is not None:
            _set(self, "investigator_response", Response(self.investigator_response))
