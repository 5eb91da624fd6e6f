"""Survival and binomial statistics for single-arm oncology trials, in pure Python.

No numpy/scipy/pandas/lifelines at run time: only :mod:`math`. The formulas, their sources and
the edge-case behaviour are documented in ``docs/endpoints.md``; the unit tests check them against
lifelines and scipy.

Contents
--------
* Normal distribution: :func:`normal_cdf`, :func:`normal_sf`, :func:`normal_ppf` (Acklam's
  rational approximation refined with one Halley step on ``math.erfc``: ~1e-15).
* Kaplan-Meier with Greenwood variance and "log-log" (exponential Greenwood, lifelines' default)
  or "linear" (plain Greenwood, clipped to [0, 1]) pointwise confidence intervals:
  :func:`kaplan_meier`, :func:`survival_at`, :func:`median_survival`,
  :func:`survival_rate_test` (descriptive z test of S(t) against a fixed rate).
* Binomial: :func:`regularized_incomplete_beta`, :func:`beta_ppf`, :func:`clopper_pearson`,
  :func:`exact_binomial_test`.

Every result is a frozen dataclass with ``to_dict()`` giving JSON-ready values: full-precision
floats, and ``None`` for a value that is infinite (median not reached) or undefined (NaN).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real
from typing import Any, Iterable, Sequence

__all__ = [
    "CI_METHODS", "normal_cdf", "normal_sf", "normal_ppf",
    "KMRow", "KMResult", "SurvivalEstimate", "MedianSurvival", "SurvivalRateTest",
    "kaplan_meier", "survival_at", "median_survival", "survival_rate_test",
    "regularized_incomplete_beta", "beta_ppf", "clopper_pearson",
    "BinomialTestResult", "exact_binomial_test",
]

#: Pointwise confidence-interval methods of :func:`kaplan_meier`.
CI_METHODS = ("log-log", "linear")
ALTERNATIVES = ("two-sided", "greater", "less")

_SQRT2 = math.sqrt(2.0)
_SQRT2PI = math.sqrt(2.0 * math.pi)

#: Tolerance used when comparing S(t) with 1/2 for the median: S is a product of ratios computed
#: in floating point, so an S that is exactly 1/2 in exact arithmetic may come out 1 ulp above.
_MEDIAN_TOL = 1e-12


def _json(value: Any) -> Any:
    """A float that JSON can carry: ``None`` for inf/NaN, else unchanged."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _check_alpha(alpha: float) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, Real) or not 0.0 < float(alpha) < 1.0:
        raise ValueError(f"alpha must be a number strictly between 0 and 1, got {alpha!r}")
    return float(alpha)


def _check_alternative(alternative: str) -> str:
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative must be one of {ALTERNATIVES}, got {alternative!r}")
    return alternative


# --------------------------------------------------------------------------------------------
# Normal distribution
# --------------------------------------------------------------------------------------------

def normal_cdf(x: float) -> float:
    """Standard normal distribution function Phi(x) = erfc(-x/sqrt 2) / 2."""
    return 0.5 * math.erfc(-x / _SQRT2)


def normal_sf(x: float) -> float:
    """Standard normal upper tail 1 - Phi(x) = erfc(x/sqrt 2) / 2 (accurate in the tail)."""
    return 0.5 * math.erfc(x / _SQRT2)


# Acklam's coefficients (P. J. Acklam, "An algorithm for computing the inverse normal cumulative
# distribution function", 2003): relative error < 1.15e-9 before refinement.
_A = (-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
      1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00)
_B = (-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
      6.680131188771972e+01, -1.328068155288572e+01)
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
      -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
      3.754408661907416e+00)
_P_LOW = 0.02425


def _ppf_lower(p: float) -> float:
    """Quantile for 0 < p <= 0.5 (so that the tail probability p is carried exactly)."""
    if p < _P_LOW:
        q = math.sqrt(-2.0 * math.log(p))
        x = ((((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5])
             / ((((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1.0))
    else:
        q = p - 0.5
        r = q * q
        x = ((((((_A[0] * r + _A[1]) * r + _A[2]) * r + _A[3]) * r + _A[4]) * r + _A[5]) * q
             / (((((_B[0] * r + _B[1]) * r + _B[2]) * r + _B[3]) * r + _B[4]) * r + 1.0))
    # One Halley step on Phi(x) - p (Acklam's refinement); Phi via erfc keeps the lower tail's
    # relative accuracy.
    e = normal_cdf(x) - p
    u = e * _SQRT2PI * math.exp(0.5 * x * x)
    return x - u / (1.0 + 0.5 * x * u)


def normal_ppf(p: float) -> float:
    """Standard normal quantile Phi^-1(p) for 0 < p < 1 (``-inf``/``inf`` at 0/1).

    ``normal_ppf(0.975) == 1.959963984540054``. For p > 1/2 the symmetric identity
    Phi^-1(p) = -Phi^-1(1 - p) is used; ``1 - p`` is exact in binary floating point there.
    """
    if isinstance(p, bool) or not isinstance(p, Real) or math.isnan(p) or not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be a probability in [0, 1], got {p!r}")
    p = float(p)
    if p == 0.0:
        return -math.inf
    if p == 1.0:
        return math.inf
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return _ppf_lower(p)
    return -_ppf_lower(1.0 - p)


def _z_for(alpha: float) -> float:
    """Two-sided critical value z_{1 - alpha/2}."""
    return -_ppf_lower(alpha / 2.0)


# --------------------------------------------------------------------------------------------
# Kaplan-Meier
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class KMRow:
    """One distinct observed time of the Kaplan-Meier step table (values hold from ``time`` on).

    ``greenwood_sum`` is sum over event times u <= time of d/(n(n-d)); a term with d == n (the
    curve drops to 0) is undefined and left out, as lifelines does. ``variance`` is Greenwood's
    S(t)^2 * greenwood_sum and ``std_err`` its square root.
    """

    time: float
    at_risk: int
    events: int
    censored: int
    survival: float
    greenwood_sum: float
    variance: float
    std_err: float
    ci_lower: float
    ci_upper: float

    def to_dict(self) -> dict[str, Any]:
        return {"time": self.time, "at_risk": self.at_risk, "events": self.events,
                "censored": self.censored, "survival": self.survival,
                "greenwood_sum": self.greenwood_sum, "variance": self.variance,
                "std_err": self.std_err, "ci_lower": _json(self.ci_lower),
                "ci_upper": _json(self.ci_upper)}


@dataclass(frozen=True)
class KMResult:
    """Kaplan-Meier estimate: a step table over the distinct observed times (events and
    censorings), sorted ascending. Before the first row S = 1."""

    rows: tuple[KMRow, ...]
    n: int
    n_events: int
    n_censored: int
    alpha: float
    ci_method: str
    z: float

    @property
    def max_time(self) -> float:
        return self.rows[-1].time

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "n_events": self.n_events, "n_censored": self.n_censored,
                "alpha": self.alpha, "confidence_level": 1.0 - self.alpha,
                "ci_method": self.ci_method, "z": self.z,
                "rows": [row.to_dict() for row in self.rows]}


@dataclass(frozen=True)
class SurvivalEstimate:
    """S(t) with its Greenwood standard error and confidence interval.

    ``at_risk`` is the number of subjects still under observation at t (observed time >= t).
    ``beyond_follow_up`` is True when t is after the largest observed time: the last value is
    carried forward (as lifelines does) but is not supported by data.
    """

    time: float
    survival: float
    std_err: float
    ci_lower: float
    ci_upper: float
    ci_method: str
    alpha: float
    at_risk: int
    beyond_follow_up: bool

    def to_dict(self) -> dict[str, Any]:
        return {"time": self.time, "survival": self.survival, "std_err": self.std_err,
                "ci_lower": _json(self.ci_lower), "ci_upper": _json(self.ci_upper),
                "ci_method": self.ci_method, "confidence_level": 1.0 - self.alpha,
                "at_risk": self.at_risk, "beyond_follow_up": self.beyond_follow_up}


@dataclass(frozen=True)
class MedianSurvival:
    """Median survival time and its confidence interval; ``math.inf`` means "not reached"
    (``None`` in :meth:`to_dict`, with the ``*_reached`` flags)."""

    median: float
    ci_lower: float
    ci_upper: float
    ci_method: str
    alpha: float

    def to_dict(self) -> dict[str, Any]:
        return {"median": _json(self.median), "median_reached": math.isfinite(self.median),
                "ci_lower": _json(self.ci_lower), "ci_lower_reached": math.isfinite(self.ci_lower),
                "ci_upper": _json(self.ci_upper), "ci_upper_reached": math.isfinite(self.ci_upper),
                "ci_method": self.ci_method, "confidence_level": 1.0 - self.alpha}


def _as_time(value: Any, index: int) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"times[{index}] must be a number, got {value!r}")
    t = float(value)
    if not math.isfinite(t) or t < 0.0:
        raise ValueError(f"times[{index}] must be finite and non-negative, got {value!r}")
    return t


def _as_event(value: Any, index: int) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise ValueError(f"events[{index}] must be a bool (True = event, False = censored), "
                     f"got {value!r}")


def _ci(survival: float, log_survival: float, greenwood_sum: float, z: float,
        method: str) -> tuple[float, float]:
    if method == "linear":
        half = z * survival * math.sqrt(greenwood_sum)
        return max(0.0, survival - half), min(1.0, survival + half)
    # log-log (exponential Greenwood), written exactly as lifelines' KaplanMeierFitter._bounds:
    #   exp(-exp(log(-log S) -/+ z * sqrt(sum) / log S))
    if log_survival == 0.0:        # S = 1: no event yet; the formula is 0/0 -> degenerate [1, 1]
        return 1.0, 1.0
    if survival == 0.0:            # S = 0: log S = -inf -> degenerate [0, 0]
        return 0.0, 0.0
    w = z * math.sqrt(greenwood_sum) / log_survival
    base = math.log(-log_survival)
    return math.exp(-math.exp(base - w)), math.exp(-math.exp(base + w))


def kaplan_meier(times: Iterable[Real], events: Iterable[bool], *, alpha: float = 0.05,
                 ci_method: str = "log-log") -> KMResult:
    """Kaplan-Meier product-limit estimate with Greenwood variance and pointwise CIs.

    ``times`` are non-negative numbers (days); ``events`` True for an event, False for a
    censored observation. At a tied time the events are counted before the censorings (the
    censored subjects are still at risk at that time). ``ci_method`` is ``"log-log"``
    (default; lifelines' exponential Greenwood interval) or ``"linear"``.
    """
    times = list(times)
    events = list(events)
    if not times:
        raise ValueError("kaplan_meier needs at least one observation (times is empty)")
    if len(times) != len(events):
        raise ValueError(f"times and events differ in length ({len(times)} != {len(events)})")
    if ci_method not in CI_METHODS:
        raise ValueError(f"ci_method must be one of {CI_METHODS}, got {ci_method!r}")
    alpha = _check_alpha(alpha)
    z = _z_for(alpha)

    table: dict[float, list[int]] = {}
    for i, (t, e) in enumerate(zip(times, events)):
        counts = table.setdefault(_as_time(t, i), [0, 0])
        counts[0 if _as_event(e, i) else 1] += 1

    n_total = len(times)
    at_risk = n_total
    survival = 1.0
    log_survival = 0.0
    greenwood_sum = 0.0
    rows = []
    for t in sorted(table):
        d, c = table[t]
        if d:
            if d < at_risk:
                survival *= (at_risk - d) / at_risk
                log_survival += math.log(at_risk - d) - math.log(at_risk)
                greenwood_sum += d / (at_risk * (at_risk - d))
            else:
                survival = 0.0
                log_survival = -math.inf
        variance = survival * survival * greenwood_sum
        lower, upper = _ci(survival, log_survival, greenwood_sum, z, ci_method)
        rows.append(KMRow(time=t, at_risk=at_risk, events=d, censored=c, survival=survival,
                          greenwood_sum=greenwood_sum, variance=variance,
                          std_err=math.sqrt(variance), ci_lower=lower, ci_upper=upper))
        at_risk -= d + c
    n_events = sum(r.events for r in rows)
    return KMResult(rows=tuple(rows), n=n_total, n_events=n_events,
                    n_censored=n_total - n_events, alpha=alpha, ci_method=ci_method, z=z)


def _row_at(km: KMResult, t: float) -> KMRow | None:
    """Last row with time <= t (right-continuous step function), None before the first row."""
    lo, hi = 0, len(km.rows)
    while lo < hi:
        mid = (lo + hi) // 2
        if km.rows[mid].time <= t:
            lo = mid + 1
        else:
            hi = mid
    return km.rows[lo - 1] if lo else None


def survival_at(km: KMResult, t: float) -> SurvivalEstimate:
    """S(t) of the step function (right-continuous: events at t are included) with its
    standard error and the CI of ``km.ci_method``. Before the first observed time S = 1 with a
    degenerate [1, 1] interval; after the last observed time the last value is carried forward
    and ``beyond_follow_up`` is set."""
    if isinstance(t, bool) or not isinstance(t, Real) or math.isnan(t) or t < 0:
        raise ValueError(f"t must be a non-negative number, got {t!r}")
    t = float(t)
    row = _row_at(km, t)
    at_risk = next((r.at_risk for r in km.rows if r.time >= t), 0)
    if row is None:
        return SurvivalEstimate(time=t, survival=1.0, std_err=0.0, ci_lower=1.0, ci_upper=1.0,
                                ci_method=km.ci_method, alpha=km.alpha, at_risk=at_risk,
                                beyond_follow_up=False)
    return SurvivalEstimate(time=t, survival=row.survival, std_err=row.std_err,
                            ci_lower=row.ci_lower, ci_upper=row.ci_upper,
                            ci_method=km.ci_method, alpha=km.alpha, at_risk=at_risk,
                            beyond_follow_up=t > km.max_time)


def _first_time_at_or_below(km: KMResult, values: Sequence[float], q: float) -> float:
    for row, value in zip(km.rows, values):
        if value <= q + _MEDIAN_TOL:
            return row.time
    return math.inf


def median_survival(km: KMResult) -> MedianSurvival:
    """Median survival: the smallest observed time t with S(t) <= 0.5 (lifelines' definition;
    ``inf`` if S stays above 0.5). CI by inverting the pointwise band of ``km.ci_method``
    (as ``lifelines.utils.median_survival_times(kmf.confidence_interval_)``): lower limit =
    smallest t where the lower band is <= 0.5, upper limit = smallest t where the upper band is
    <= 0.5; ``inf`` when the band never gets there (upper limit "not reached")."""
    median = _first_time_at_or_below(km, [r.survival for r in km.rows], 0.5)
    lower = _first_time_at_or_below(km, [r.ci_lower for r in km.rows], 0.5)
    upper = _first_time_at_or_below(km, [r.ci_upper for r in km.rows], 0.5)
    return MedianSurvival(median=median, ci_lower=lower, ci_upper=upper,
                          ci_method=km.ci_method, alpha=km.alpha)


@dataclass(frozen=True)
class SurvivalRateTest:
    """Descriptive one-sample comparison of S(t) with a fixed rate ``p0`` (e.g. a historical
    1-year PFS rate): z = (S(t) - p0) / SE_Greenwood(S(t)), p-value from the normal
    distribution. ``z`` and ``p_value`` are NaN (``None`` in ``to_dict``) when the standard
    error is 0 (no event before t, or S(t) = 0)."""

    time: float
    estimate: float
    std_err: float
    ci_lower: float
    ci_upper: float
    ci_method: str
    alpha: float
    p0: float
    alternative: str
    z: float
    p_value: float
    at_risk: int
    beyond_follow_up: bool

    def to_dict(self) -> dict[str, Any]:
        return {"time": self.time, "estimate": self.estimate, "std_err": self.std_err,
                "ci_lower": _json(self.ci_lower), "ci_upper": _json(self.ci_upper),
                "ci_method": self.ci_method, "confidence_level": 1.0 - self.alpha,
                "p0": self.p0, "alternative": self.alternative, "z": _json(self.z),
                "p_value": _json(self.p_value), "at_risk": self.at_risk,
                "beyond_follow_up": self.beyond_follow_up}


def _z_p_value(z: float, alternative: str) -> float:
    if alternative == "greater":
        return normal_sf(z)
    if alternative == "less":
        return normal_cdf(z)
    return math.erfc(abs(z) / _SQRT2)      # = 2 * (1 - Phi(|z|))


def survival_rate_test(km: KMResult, t: float, p0: float, *,
                       alternative: str = "two-sided") -> SurvivalRateTest:
    """Compare the Kaplan-Meier S(t) with a fixed rate ``p0`` by a Wald z test on the natural
    scale using the Greenwood standard error. ``alternative``: ``"two-sided"``, ``"greater"``
    (H1: S(t) > p0) or ``"less"``. This is a descriptive comparison with a historical rate,
    not a controlled comparison (see docs/endpoints.md)."""
    if isinstance(p0, bool) or not isinstance(p0, Real) or not 0.0 < p0 < 1.0:
        raise ValueError(f"p0 must be strictly between 0 and 1, got {p0!r}")
    _check_alternative(alternative)
    est = survival_at(km, t)
    if est.std_err > 0.0:
        z = (est.survival - p0) / est.std_err
        p_value = _z_p_value(z, alternative)
    else:
        z = p_value = math.nan
    return SurvivalRateTest(time=est.time, estimate=est.survival, std_err=est.std_err,
                            ci_lower=est.ci_lower, ci_upper=est.ci_upper,
                            ci_method=est.ci_method, alpha=est.alpha, p0=float(p0),
                            alternative=alternative, z=z, p_value=p_value,
                            at_risk=est.at_risk, beyond_follow_up=est.beyond_follow_up)


# --------------------------------------------------------------------------------------------
# Beta and binomial
# --------------------------------------------------------------------------------------------

_FPMIN = 1e-300
_CF_EPS = 1e-16
_CF_MAXIT = 10_000


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function, modified Lentz method
    (Numerical Recipes, 3rd ed., section 6.4, ``betacf``)."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    if abs(d) < _FPMIN:
        d = _FPMIN
    d = 1.0 / d
    h = d
    for m in range(1, _CF_MAXIT + 1):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        if abs(d) < _FPMIN:
            d = _FPMIN
        c = 1.0 + aa / c
        if abs(c) < _FPMIN:
            c = _FPMIN
        d = 1.0 / d
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        if abs(d) < _FPMIN:
            d = _FPMIN
        c = 1.0 + aa / c
        if abs(c) < _FPMIN:
            c = _FPMIN
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) <= _CF_EPS:
            return h
    raise ArithmeticError(f"incomplete beta continued fraction did not converge (a={a}, b={b}, "
                          f"x={x})")


def _log_beta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def _ibeta_pair(x: float, a: float, b: float) -> tuple[float, float]:
    """(I_x(a, b), 1 - I_x(a, b)), the smaller of the two computed directly (no cancellation)."""
    if x <= 0.0:
        return 0.0, 1.0
    if x >= 1.0:
        return 1.0, 0.0
    front = math.exp(a * math.log(x) + b * math.log1p(-x) - _log_beta(a, b))
    if x < (a + 1.0) / (a + b + 2.0):
        lower = front * _betacf(a, b, x) / a
        return lower, 1.0 - lower
    upper = front * _betacf(b, a, 1.0 - x) / b
    return 1.0 - upper, upper


def _check_shape(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not (
            math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def regularized_incomplete_beta(x: float, a: float, b: float) -> float:
    """I_x(a, b), the Beta(a, b) distribution function at x (0 <= x <= 1; a, b > 0)."""
    a, b = _check_shape("a", a), _check_shape("b", b)
    if isinstance(x, bool) or not isinstance(x, Real) or math.isnan(x) or not 0.0 <= x <= 1.0:
        raise ValueError(f"x must be in [0, 1], got {x!r}")
    return _ibeta_pair(float(x), a, b)[0]


def _beta_initial_guess(p: float, a: float, b: float) -> float:
    """Starting value of Numerical Recipes' ``invbetai`` (3rd ed., section 6.4)."""
    if a >= 1.0 and b >= 1.0:
        pp = p if p < 0.5 else 1.0 - p
        t = math.sqrt(-2.0 * math.log(pp))
        x = (2.30753 + t * 0.27061) / (1.0 + t * (0.99229 + t * 0.04481)) - t
        if p < 0.5:
            x = -x
        al = (x * x - 3.0) / 6.0
        h = 2.0 / (1.0 / (2.0 * a - 1.0) + 1.0 / (2.0 * b - 1.0))
        w = (x * math.sqrt(al + h) / h
             - (1.0 / (2.0 * b - 1.0) - 1.0 / (2.0 * a - 1.0)) * (al + 5.0 / 6.0 - 2.0 / (3.0 * h)))
        return a / (a + b * math.exp(2.0 * w)) if w < 350 else 0.0
    lna, lnb = math.log(a / (a + b)), math.log(b / (a + b))
    t, u = math.exp(a * lna) / a, math.exp(b * lnb) / b
    w = t + u
    if p < t / w:
        return (a * w * p) ** (1.0 / a)
    return 1.0 - (b * w * (1.0 - p)) ** (1.0 / b)


def _beta_quantile(a: float, b: float, *, lower_tail: float | None = None,
                   upper_tail: float | None = None) -> float:
    """x with I_x(a, b) = lower_tail, or with 1 - I_x(a, b) = upper_tail (exactly one given).

    Newton's method safeguarded by bisection on a shrinking bracket; the target is matched on
    whichever tail is given so small upper-tail probabilities keep their relative accuracy.
    """
    use_upper = upper_tail is not None
    target = upper_tail if use_upper else lower_tail
    p = 1.0 - target if use_upper else target
    if target == 0.0:
        return 1.0 if use_upper else 0.0
    if target == 1.0:
        return 0.0 if use_upper else 1.0
    log_beta = _log_beta(a, b)
    lo, hi = 0.0, 1.0
    x = _beta_initial_guess(p, a, b)
    if not lo < x < hi:
        x = 0.5
    for _ in range(1000):
        below, above = _ibeta_pair(x, a, b)
        # f(x) increasing in x in both formulations
        f = (target - above) if use_upper else (below - target)
        if f == 0.0:
            return x
        if f < 0.0:
            lo = x
        else:
            hi = x
        density = math.exp((a - 1.0) * math.log(x) + (b - 1.0) * math.log1p(-x) - log_beta)
        x_new = x - f / density if density > 0.0 and math.isfinite(density) else math.nan
        if not lo < x_new < hi:
            x_new = 0.5 * (lo + hi)
        if abs(x_new - x) <= 4e-16 * x_new or hi - lo <= 4e-16 * hi:
            return x_new
        x = x_new
    return x


def beta_ppf(p: float, a: float, b: float) -> float:
    """Quantile of the Beta(a, b) distribution: x with I_x(a, b) = p (0 <= p <= 1)."""
    a, b = _check_shape("a", a), _check_shape("b", b)
    if isinstance(p, bool) or not isinstance(p, Real) or math.isnan(p) or not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be a probability in [0, 1], got {p!r}")
    p = float(p)
    if p <= 0.5:
        return _beta_quantile(a, b, lower_tail=p)
    return _beta_quantile(a, b, upper_tail=1.0 - p)      # 1 - p is exact for p >= 1/2


def _check_counts(k: int, n: int) -> tuple[int, int]:
    for name, v in (("k", k), ("n", n)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise ValueError(f"{name} must be an int, got {v!r}")
    if n < 1 or not 0 <= k <= n:
        raise ValueError(f"need n >= 1 and 0 <= k <= n, got k={k}, n={n}")
    return k, n


def clopper_pearson(k: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact (Clopper-Pearson) two-sided 1 - alpha confidence interval of a binomial rate k/n:
    lower = Beta^-1(alpha/2; k, n-k+1) (0 if k = 0), upper = Beta^-1(1-alpha/2; k+1, n-k)
    (1 if k = n)."""
    k, n = _check_counts(k, n)
    alpha = _check_alpha(alpha)
    lower = 0.0 if k == 0 else _beta_quantile(k, n - k + 1, lower_tail=alpha / 2.0)
    upper = 1.0 if k == n else _beta_quantile(k + 1, n - k, upper_tail=alpha / 2.0)
    return lower, upper


def _binom_logpmf(i: int, n: int, p: float) -> float:
    return (math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
            + i * math.log(p) + (n - i) * math.log1p(-p))


@dataclass(frozen=True)
class BinomialTestResult:
    """Exact binomial test of H0: rate = p0, with the Clopper-Pearson interval of k/n."""

    k: int
    n: int
    p0: float
    alternative: str
    estimate: float
    p_value: float
    ci_lower: float
    ci_upper: float
    alpha: float

    def to_dict(self) -> dict[str, Any]:
        return {"k": self.k, "n": self.n, "p0": self.p0, "alternative": self.alternative,
                "estimate": self.estimate, "p_value": self.p_value, "ci_lower": self.ci_lower,
                "ci_upper": self.ci_upper, "ci_method": "clopper-pearson",
                "confidence_level": 1.0 - self.alpha}


def exact_binomial_test(k: int, n: int, p0: float, *, alternative: str = "two-sided",
                        alpha: float = 0.05) -> BinomialTestResult:
    """Exact binomial test of H0: rate = p0.

    Two-sided p-value by the method of small p-values (as ``scipy.stats.binomtest``): the sum of
    P(X = i) over all i with P(X = i) <= P(X = k) * (1 + 1e-7). ``"greater"``: P(X >= k);
    ``"less"``: P(X <= k).
    """
    k, n = _check_counts(k, n)
    if isinstance(p0, bool) or not isinstance(p0, Real) or not 0.0 < p0 < 1.0:
        raise ValueError(f"p0 must be strictly between 0 and 1, got {p0!r}")
    _check_alternative(alternative)
    alpha = _check_alpha(alpha)
    p0 = float(p0)
    pmf = [math.exp(_binom_logpmf(i, n, p0)) for i in range(n + 1)]
    if alternative == "greater":
        p_value = 1.0 if k == 0 else math.fsum(pmf[k:])
    elif alternative == "less":
        p_value = 1.0 if k == n else math.fsum(pmf[:k + 1])
    elif k == p0 * n:
        p_value = 1.0
    else:
        threshold = pmf[k] * (1.0 + 1e-7)
        p_value = math.fsum(q for q in pmf if q <= threshold)
    lower, upper = clopper_pearson(k, n, alpha)
    return BinomialTestResult(k=k, n=n, p0=p0, alternative=alternative, estimate=k / n,
                              p_value=min(1.0, p_value), ci_lower=lower, ci_upper=upper,
                              alpha=alpha)
