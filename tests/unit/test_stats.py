"""ecrf.oncology.stats against lifelines (Kaplan-Meier) and scipy (normal, beta, binomial).

lifelines and scipy are test oracles only; the module under test uses nothing but ``math``.
"""

import json
import math
import random
import warnings

import pytest

from ecrf.oncology import stats
from ecrf.oncology.stats import (
    beta_ppf, clopper_pearson, exact_binomial_test, kaplan_meier, median_survival, normal_cdf,
    normal_ppf, normal_sf, regularized_incomplete_beta, survival_at, survival_rate_test,
)

lifelines = pytest.importorskip("lifelines")
scipy_stats = pytest.importorskip("scipy.stats")
scipy_special = pytest.importorskip("scipy.special")

TOL = 1e-9
Z975 = 1.959963984540054


def fit_lifelines(times, events, alpha=0.05):
    """KaplanMeierFitter fit; numpy's divide/invalid RuntimeWarnings (S = 0 or 1) are silenced
    for the oracle only."""
    from lifelines import KaplanMeierFitter
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return KaplanMeierFitter(alpha=alpha).fit(times, events)


def lifelines_median_ci(kmf):
    from lifelines.utils import median_survival_times
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ci = median_survival_times(kmf.confidence_interval_)
    return float(ci.iloc[0, 0]), float(ci.iloc[0, 1])


def generate(n, seed, *, tie_days=None, scale=300.0, censor_scale=500.0):
    """Exponential event times with independent exponential censoring; rounded up to multiples
    of ``tie_days`` to create ties (events and censorings at the same time)."""
    rng = random.Random(seed)
    times, events = [], []
    for _ in range(n):
        t, c = rng.expovariate(1 / scale), rng.expovariate(1 / censor_scale)
        if tie_days:
            t, c = math.ceil(t / tie_days) * tie_days, math.ceil(c / tie_days) * tie_days
        times.append(min(t, c))
        events.append(t <= c)
    return times, events


DATASETS = [
    pytest.param(*generate(10, 1), id="n10-continuous"),
    pytest.param(*generate(10, 2, tie_days=30), id="n10-ties"),
    pytest.param(*generate(50, 3), id="n50-continuous"),
    pytest.param(*generate(50, 4, tie_days=7), id="n50-ties"),
    pytest.param(*generate(300, 5), id="n300-continuous"),
    pytest.param(*generate(300, 6, tie_days=7), id="n300-ties"),
    pytest.param(*generate(300, 7, tie_days=1, scale=200, censor_scale=2000), id="n300-days"),
    pytest.param(*generate(40, 8, tie_days=10, censor_scale=1e9), id="n40-all-events-S0"),
    pytest.param([0, 0, 1, 2, 2, 3], [True, False, True, True, False, False], id="time-zero"),
]


# ---------------------------------------------------------------- normal distribution

def test_normal_ppf_975_is_exact_constant():
    assert normal_ppf(0.975) == pytest.approx(Z975, abs=1e-15)
    assert normal_ppf(0.025) == pytest.approx(-Z975, abs=1e-15)
    assert normal_ppf(0.5) == 0.0


def test_normal_ppf_matches_scipy_on_grid():
    grid = [i / 1000 for i in range(1, 1000)] + [1e-12, 1e-8, 1e-5, 0.001, 0.02425, 0.97575,
                                                   0.999, 1 - 1e-5, 1 - 1e-8]
    for p in grid:
        assert normal_ppf(p) == pytest.approx(scipy_stats.norm.ppf(p), abs=1e-12), p
    for p in (1e-300, 1e-100, 1e-30):     # far tail: relative accuracy
        assert normal_ppf(p) == pytest.approx(scipy_stats.norm.ppf(p), rel=1e-13), p


def test_normal_ppf_random_points_and_round_trip():
    rng = random.Random(11)
    for _ in range(2000):
        p = rng.random()
        if p == 0.0:
            continue
        x = normal_ppf(p)
        assert x == pytest.approx(scipy_stats.norm.ppf(p), abs=1e-12)
        assert normal_cdf(x) == pytest.approx(p, abs=1e-15)


def test_normal_ppf_bounds_and_invalid():
    assert normal_ppf(0.0) == -math.inf and normal_ppf(1.0) == math.inf
    for bad in (-0.1, 1.1, math.nan, True, "0.5"):
        with pytest.raises(ValueError):
            normal_ppf(bad)


def test_normal_cdf_and_sf_match_scipy():
    for x in (-30, -8.5, -3, -1.96, -0.3, 0, 0.7, 1.959963984540054, 4, 9, 30):
        assert normal_cdf(x) == pytest.approx(scipy_stats.norm.cdf(x), rel=1e-12, abs=1e-300)
        assert normal_sf(x) == pytest.approx(scipy_stats.norm.sf(x), rel=1e-12, abs=1e-300)


# ---------------------------------------------------------------- Kaplan-Meier vs lifelines

@pytest.mark.parametrize("times, events", DATASETS)
def test_km_log_log_matches_lifelines_at_every_time(times, events):
    kmf = fit_lifelines(times, events)
    km = kaplan_meier(times, events)
    assert km.ci_method == "log-log" and km.z == pytest.approx(Z975, abs=1e-15)
    sf = kmf.survival_function_.iloc[:, 0]
    ci = kmf.confidence_interval_
    assert len(sf.index) >= len(km.rows)
    for i, t in enumerate(sf.index):
        est = survival_at(km, float(t))
        assert est.survival == pytest.approx(sf.iloc[i], abs=TOL), t
        assert est.ci_lower == pytest.approx(ci.iloc[i, 0], abs=TOL), t
        assert est.ci_upper == pytest.approx(ci.iloc[i, 1], abs=TOL), t


@pytest.mark.parametrize("times, events", DATASETS)
def test_km_event_table_matches_lifelines(times, events):
    kmf = fit_lifelines(times, events)
    table = kmf.event_table
    km = kaplan_meier(times, events)
    assert km.n == len(times) and km.n_events == sum(events)
    for row in km.rows:
        expected = table.loc[row.time]
        assert row.at_risk == expected["at_risk"]
        assert row.events == expected["observed"]
        assert row.censored == expected["censored"]


@pytest.mark.parametrize("times, events", DATASETS)
def test_km_linear_greenwood_matches_lifelines_variance(times, events):
    """Plain Greenwood CI S +/- z S sqrt(sum d/(n(n-d))), built from lifelines' own survival and
    cumulative Greenwood sum (``_cumulative_sq_``, the term under the square root of its
    exponential Greenwood formula)."""
    kmf = fit_lifelines(times, events)
    cum_sq = getattr(kmf, "_cumulative_sq_", None)
    if cum_sq is None:  # pragma: no cover - depends on the lifelines version
        pytest.skip("this lifelines version does not expose the Greenwood sum")
    km = kaplan_meier(times, events, ci_method="linear")
    sf = kmf.survival_function_.iloc[:, 0]
    for i, t in enumerate(sf.index):
        s, v = float(sf.iloc[i]), float(cum_sq.iloc[i])
        est = survival_at(km, float(t))
        assert est.std_err == pytest.approx(s * math.sqrt(v), abs=TOL)
        assert est.ci_lower == pytest.approx(max(0.0, s - Z975 * s * math.sqrt(v)), abs=TOL)
        assert est.ci_upper == pytest.approx(min(1.0, s + Z975 * s * math.sqrt(v)), abs=TOL)


@pytest.mark.parametrize("times, events", DATASETS)
def test_median_and_its_ci_match_lifelines(times, events):
    kmf = fit_lifelines(times, events)
    med = median_survival(kaplan_meier(times, events))
    assert med.median == kmf.median_survival_time_
    assert (med.ci_lower, med.ci_upper) == lifelines_median_ci(kmf)


@pytest.mark.parametrize("alpha", [0.1, 0.01])
def test_km_other_alpha_matches_lifelines(alpha):
    times, events = generate(60, 21, tie_days=14)
    kmf = fit_lifelines(times, events, alpha=alpha)
    km = kaplan_meier(times, events, alpha=alpha)
    assert km.z == pytest.approx(scipy_stats.norm.ppf(1 - alpha / 2), abs=1e-12)
    ci = kmf.confidence_interval_
    for i, t in enumerate(ci.index):
        est = survival_at(km, float(t))
        assert (est.ci_lower, est.ci_upper) == pytest.approx((ci.iloc[i, 0], ci.iloc[i, 1]),
                                                             abs=TOL)


def test_many_random_datasets_match_lifelines():
    for seed in range(30):
        n = random.Random(seed).choice([5, 12, 25, 80])
        times, events = generate(n, 100 + seed, tie_days=random.Random(seed).choice([None, 5]))
        kmf = fit_lifelines(times, events)
        km = kaplan_meier(times, events)
        sf, ci = kmf.survival_function_.iloc[:, 0], kmf.confidence_interval_
        for i, t in enumerate(sf.index):
            est = survival_at(km, float(t))
            assert abs(est.survival - sf.iloc[i]) <= TOL
            assert abs(est.ci_lower - ci.iloc[i, 0]) <= TOL
            assert abs(est.ci_upper - ci.iloc[i, 1]) <= TOL
        med = median_survival(km)
        assert med.median == kmf.median_survival_time_
        assert (med.ci_lower, med.ci_upper) == lifelines_median_ci(kmf)


# ---------------------------------------------------------------- hand-checked example

# Freireich et al. (1963) 6-MP arm, remission duration in weeks (+ = censored): the standard
# textbook example (e.g. Klein & Moeschberger, Survival Analysis, 2nd ed., section 4.2;
# Kleinbaum & Klein, Survival Analysis, chapter 2).
FREIREICH_TIMES = [6, 6, 6, 7, 10, 13, 16, 22, 23, 6, 9, 10, 11, 17, 19, 20, 25, 32, 32, 34, 35]
FREIREICH_EVENTS = [True] * 9 + [False] * 12
FREIREICH_S = {6: 0.857, 7: 0.807, 10: 0.753, 13: 0.690, 16: 0.627, 22: 0.538, 23: 0.448}
# Greenwood standard errors of the same product-limit table, to 3 decimals.
FREIREICH_SE = {6: 0.076, 7: 0.087, 10: 0.096, 13: 0.107, 16: 0.114, 22: 0.128, 23: 0.135}


def test_freireich_6mp_textbook_values():
    km = kaplan_meier(FREIREICH_TIMES, FREIREICH_EVENTS)
    for t, s in FREIREICH_S.items():
        est = survival_at(km, t)
        assert round(est.survival, 3) == s, t
        assert round(est.std_err, 3) == FREIREICH_SE[t], t
    assert survival_at(km, 6).survival == pytest.approx(18 / 21, abs=1e-15)
    assert survival_at(km, 7).survival == pytest.approx(18 / 21 * 16 / 17, abs=1e-15)
    # step function: constant between event times, right-continuous at them
    assert survival_at(km, 5.999).survival == 1.0
    assert survival_at(km, 9).survival == survival_at(km, 7).survival
    assert survival_at(km, 22.5).survival == survival_at(km, 22).survival
    assert median_survival(km).median == 23


def test_freireich_rows_and_linear_ci_by_hand():
    km = kaplan_meier(FREIREICH_TIMES, FREIREICH_EVENTS, ci_method="linear")
    first = km.rows[0]
    assert (first.time, first.at_risk, first.events, first.censored) == (6, 21, 3, 1)
    assert first.greenwood_sum == pytest.approx(3 / (21 * 18), abs=1e-15)
    s = 18 / 21
    se = s * math.sqrt(3 / (21 * 18))
    assert first.variance == pytest.approx(se * se, abs=1e-15)
    assert s + Z975 * se > 1.0          # the plain Greenwood upper limit is clipped to 1
    assert (first.ci_lower, first.ci_upper) == pytest.approx((s - Z975 * se, 1.0), abs=1e-12)
    row7 = km.rows[1]
    assert (row7.time, row7.at_risk, row7.events, row7.censored) == (7, 17, 1, 0)
    assert row7.greenwood_sum == pytest.approx(3 / (21 * 18) + 1 / (17 * 16), abs=1e-15)
    assert [r.time for r in km.rows] == sorted(set(FREIREICH_TIMES))


def test_freireich_log_log_ci_by_hand():
    km = kaplan_meier(FREIREICH_TIMES, FREIREICH_EVENTS)
    s = 18 / 21
    v = 3 / (21 * 18)
    lo = math.exp(-math.exp(math.log(-math.log(s)) - Z975 * math.sqrt(v) / math.log(s)))
    hi = math.exp(-math.exp(math.log(-math.log(s)) + Z975 * math.sqrt(v) / math.log(s)))
    est = survival_at(km, 6)
    assert (est.ci_lower, est.ci_upper) == pytest.approx((lo, hi), abs=1e-14)
    assert lo < s < hi


# ---------------------------------------------------------------- edge cases

def test_empty_and_malformed_input_raise():
    with pytest.raises(ValueError, match="empty"):
        kaplan_meier([], [])
    with pytest.raises(ValueError, match="length"):
        kaplan_meier([1, 2], [True])
    for bad in ([-1], [math.nan], [math.inf], ["3"], [True]):
        with pytest.raises(ValueError):
            kaplan_meier(bad, [True])
    for bad in ([2], ["yes"], [None], [0.5]):
        with pytest.raises(ValueError):
            kaplan_meier([1], bad)
    with pytest.raises(ValueError):
        kaplan_meier([1], [True], ci_method="log")
    with pytest.raises(ValueError):
        kaplan_meier([1], [True], alpha=1.5)
    km = kaplan_meier([1], [True])
    for bad in (-1, math.nan):
        with pytest.raises(ValueError):
            survival_at(km, bad)


def test_no_events_gives_degenerate_ci_and_no_median():
    km = kaplan_meier([5, 10, 20], [False, False, False])
    for row in km.rows:
        assert (row.survival, row.std_err, row.ci_lower, row.ci_upper) == (1.0, 0.0, 1.0, 1.0)
    med = median_survival(km)
    assert math.isinf(med.median) and math.isinf(med.ci_lower) and math.isinf(med.ci_upper)
    assert med.to_dict()["median"] is None and med.to_dict()["median_reached"] is False
    kmf = fit_lifelines([5, 10, 20], [False, False, False])
    assert kmf.confidence_interval_.to_numpy().tolist() == [[1.0, 1.0]] * 4


def test_survival_reaching_zero_has_zero_ci_like_lifelines():
    times, events = [1, 2, 2, 3, 5], [True, True, True, True, True]
    for method in stats.CI_METHODS:
        km = kaplan_meier(times, events, ci_method=method)
        last = km.rows[-1]
        assert (last.survival, last.variance, last.ci_lower, last.ci_upper) == (0, 0, 0, 0)
        # the d == n term is undefined and left out of the Greenwood sum
        assert last.greenwood_sum == km.rows[-2].greenwood_sum
    kmf = fit_lifelines(times, events)
    assert kmf.confidence_interval_.iloc[-1].tolist() == [0.0, 0.0]


def test_survival_at_before_first_and_beyond_last_time():
    km = kaplan_meier([3, 4, 8], [True, False, False])
    before = survival_at(km, 0)
    assert (before.survival, before.ci_lower, before.ci_upper, before.at_risk) == (1, 1, 1, 3)
    assert not before.beyond_follow_up
    at4 = survival_at(km, 4)
    assert at4.at_risk == 2 and at4.survival == pytest.approx(2 / 3)
    beyond = survival_at(km, 100)
    assert beyond.beyond_follow_up and beyond.survival == pytest.approx(2 / 3)
    assert beyond.at_risk == 0


def test_median_with_survival_exactly_one_half():
    """S = 0.5 exactly on a flat stretch: lifelines' definition takes the first time (R would
    average with the next event time)."""
    km = kaplan_meier([1, 2, 3, 4], [True, True, False, True])
    assert survival_at(km, 2).survival == 0.5
    assert median_survival(km).median == 2


def test_km_to_dict_is_json_ready():
    km = kaplan_meier(*generate(20, 3, tie_days=5))
    doc = json.loads(json.dumps(km.to_dict(), allow_nan=False))
    assert doc["n"] == 20 and len(doc["rows"]) == len(km.rows)
    assert doc["rows"][0]["survival"] == km.rows[0].survival
    json.dumps(median_survival(km).to_dict(), allow_nan=False)
    json.dumps(survival_at(km, 50).to_dict(), allow_nan=False)


# ---------------------------------------------------------------- rate vs a historical value

def test_survival_rate_test_z_and_p_values():
    times, events = generate(41, 5, tie_days=7, scale=500)
    km = kaplan_meier(times, events)
    est = survival_at(km, 365.25)
    for alternative, expected in (
            ("two-sided", 2 * scipy_stats.norm.sf(abs((est.survival - 0.34) / est.std_err))),
            ("greater", scipy_stats.norm.sf((est.survival - 0.34) / est.std_err)),
            ("less", scipy_stats.norm.cdf((est.survival - 0.34) / est.std_err))):
        res = survival_rate_test(km, 365.25, 0.34, alternative=alternative)
        assert res.estimate == est.survival and res.std_err == est.std_err
        assert (res.ci_lower, res.ci_upper) == (est.ci_lower, est.ci_upper)
        assert res.z == pytest.approx((est.survival - 0.34) / est.std_err, abs=1e-15)
        assert res.p_value == pytest.approx(expected, rel=1e-12, abs=1e-300)
    json.dumps(res.to_dict(), allow_nan=False)


def test_survival_rate_test_hand_example_and_degenerate_se():
    km = kaplan_meier(FREIREICH_TIMES, FREIREICH_EVENTS)
    res = survival_rate_test(km, 10, 0.5, alternative="greater")
    s = 18 / 21 * 16 / 17 * 14 / 15
    se = s * math.sqrt(3 / (21 * 18) + 1 / (17 * 16) + 1 / (15 * 14))
    assert res.z == pytest.approx((s - 0.5) / se, abs=1e-12)
    assert res.p_value == pytest.approx(0.5 * math.erfc((s - 0.5) / se / math.sqrt(2)),
                                        abs=1e-15)
    flat = survival_rate_test(kaplan_meier([5, 9], [False, False]), 7, 0.34)
    assert math.isnan(flat.z) and math.isnan(flat.p_value)
    assert flat.to_dict()["z"] is None and flat.to_dict()["p_value"] is None
    for bad in (0, 1, -0.2):
        with pytest.raises(ValueError):
            survival_rate_test(km, 10, bad)
    with pytest.raises(ValueError):
        survival_rate_test(km, 10, 0.3, alternative="bigger")


# ---------------------------------------------------------------- beta and Clopper-Pearson

def test_incomplete_beta_matches_scipy():
    for a in (0.3, 0.5, 1, 2.5, 7, 40, 201):
        for b in (0.4, 1, 3, 12.5, 150):
            for x in (0.0, 1e-6, 0.01, 0.1, 0.3, 0.5, 0.77, 0.95, 0.999, 1.0):
                assert regularized_incomplete_beta(x, a, b) == pytest.approx(
                    scipy_special.betainc(a, b, x), abs=1e-13), (x, a, b)


def test_beta_ppf_matches_scipy_for_non_integer_shapes():
    for a in (0.2, 0.5, 1, 3.3, 25, 180.5):
        for b in (0.3, 1, 2.2, 40, 199):
            for p in (1e-6, 0.005, 0.025, 0.3, 0.5, 0.8, 0.975, 0.999999):
                assert beta_ppf(p, a, b) == pytest.approx(scipy_stats.beta.ppf(p, a, b),
                                                          abs=1e-10), (p, a, b)
    assert beta_ppf(0.0, 2, 3) == 0.0 and beta_ppf(1.0, 2, 3) == 1.0


def _scipy_cp(k, n, alpha):
    lower = 0.0 if k == 0 else scipy_stats.beta.ppf(alpha / 2, k, n - k + 1)
    upper = 1.0 if k == n else scipy_stats.beta.ppf(1 - alpha / 2, k + 1, n - k)
    return lower, upper


@pytest.mark.parametrize("ns", [range(1, 61), (75, 100, 137, 150, 199, 200)],
                         ids=["n1-60", "n75-200"])
def test_clopper_pearson_matches_scipy_grid(ns):
    for n in ns:
        for k in range(n + 1):
            lower, upper = clopper_pearson(k, n)
            exp_lower, exp_upper = _scipy_cp(k, n, 0.05)
            assert abs(lower - exp_lower) <= TOL and abs(upper - exp_upper) <= TOL, (k, n)
            assert 0.0 <= lower <= k / n <= upper <= 1.0


@pytest.mark.parametrize("alpha", [0.1, 0.01, 0.2])
def test_clopper_pearson_other_alphas(alpha):
    for n in (1, 2, 7, 37, 41, 120, 200):
        for k in sorted({0, 1, n // 3, n // 2, n - 1, n}):
            assert clopper_pearson(k, n, alpha) == pytest.approx(_scipy_cp(k, n, alpha),
                                                                 abs=TOL), (k, n)


def test_clopper_pearson_edges_and_invalid():
    assert clopper_pearson(0, 10)[0] == 0.0
    assert clopper_pearson(10, 10)[1] == 1.0
    assert clopper_pearson(0, 10)[1] == pytest.approx(1 - 0.025 ** (1 / 10), abs=1e-14)
    assert clopper_pearson(10, 10)[0] == pytest.approx(0.025 ** (1 / 10), abs=1e-14)
    assert clopper_pearson(3, 8) == pytest.approx((0.08523341413725354, 0.7551367836334484),
                                                  abs=1e-12)
    for k, n in ((-1, 5), (6, 5), (1, 0), (1.0, 5), (True, 5)):
        with pytest.raises(ValueError):
            clopper_pearson(k, n)
    with pytest.raises(ValueError):
        clopper_pearson(1, 5, alpha=0)


# ---------------------------------------------------------------- exact binomial test

def test_exact_binomial_test_matches_scipy_binomtest():
    for n in (1, 5, 10, 37, 41, 100):
        for p0 in (0.05, 0.1, 0.2, 0.34, 0.5, 0.52, 0.9):
            for k in sorted({0, 1, n // 4, n // 2, int(p0 * n), n - 1, n}):
                for alternative in ("two-sided", "greater", "less"):
                    ours = exact_binomial_test(k, n, p0, alternative=alternative)
                    ref = scipy_stats.binomtest(k, n, p0, alternative=alternative)
                    assert ours.p_value == pytest.approx(ref.pvalue, rel=1e-10, abs=1e-14), \
                        (k, n, p0, alternative)


def test_exact_binomial_test_result_fields():
    res = exact_binomial_test(15, 37, 0.34)
    assert res.estimate == 15 / 37
    assert (res.ci_lower, res.ci_upper) == clopper_pearson(15, 37)
    assert (res.ci_lower, res.ci_upper) == pytest.approx((0.24754237647667376,
                                                          0.5790027506268804), abs=1e-12)
    assert exact_binomial_test(5, 10, 0.5).p_value == 1.0
    doc = json.loads(json.dumps(res.to_dict(), allow_nan=False))
    assert doc["ci_method"] == "clopper-pearson" and doc["k"] == 15
    for bad in (0.0, 1.0):
        with pytest.raises(ValueError):
            exact_binomial_test(3, 10, bad)
    with pytest.raises(ValueError):
        exact_binomial_test(3, 10, 0.3, alternative="one-sided")
