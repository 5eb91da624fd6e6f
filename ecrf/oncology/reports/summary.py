"""Study-level endpoint summaries from per-subject outcomes (pure): Kaplan-Meier curves, landmark
rates against the protocol's reference rates, ORR and the AE worst-grade table."""

from __future__ import annotations

import datetime as dt

from ecrf.oncology import ctcae
from ecrf.oncology.endpoints import (
    DAYS_PER_YEAR, AdverseEvent, Population, ae_worst_grade_table, km_for, objective_response_rate, pfs_rate_at,
    rate_at_months,
)
from ecrf.oncology.reports.subjects import SubjectOutcome, ae_exclusion, treatment_related
from ecrf.oncology.stats import median_survival, survival_rate_test

UNCODED_SOC = "Not coded (term not in the CTCAE v5.0 list)"
COMPARISON_NOTE = ("Descriptive comparison with fixed reference rates (two-sided Wald z test on S(t) with "
                   "the Greenwood standard error): not a controlled comparison and not the protocol's "
                   "decision rule.")
ORR_RULES = {
    "evaluable": "Measurable disease at baseline (F_RECIST_BL TUMEASYN = Y) and at least one dose (C1D1).",
    "treated": "At least one dose (C1D1), whatever the baseline disease.",
}
ORR_NUMERATOR = {
    "confirmed": "Best overall response CR or PR confirmed by a CR/PR time point >= confirm_min_days later "
                 "(RECIST 1.1, at most one NE in between), assessments up to the cut-off, withdrawal, "
                 "start of new anticancer therapy and first PD.",
    "unconfirmed": "Any CR or PR time point in the same window (or a confirmed responder).",
}


def _km(outcomes: list[SubjectOutcome], endpoint: str, ci_method: str) -> dict | None:
    results = [getattr(o, endpoint) for o in outcomes if getattr(o, endpoint) is not None]
    if not results:
        return None
    km = km_for(results, ci_method=ci_method)
    steps = [{"time_days": row.time, "at_risk": row.at_risk, "events": row.events, "censored": row.censored,
              "survival": row.survival, "std_err": row.std_err, "ci_lower": row.ci_lower,
              "ci_upper": row.ci_upper} for row in km.rows]
    return {"km": km, "summary": {"n": km.n, "events": km.n_events, "censored": km.n_censored,
                                  "ci_method": km.ci_method, "confidence_level": 1.0 - km.alpha,
                                  "steps": steps, "median": median_survival(km).to_dict()}}


def _rate(estimate) -> dict:
    data = estimate.to_dict()
    return {"time_days": data["time"], "estimate": data["survival"], "std_err": data["std_err"],
            "ci_lower": data["ci_lower"], "ci_upper": data["ci_upper"], "ci_method": data["ci_method"],
            "confidence_level": data["confidence_level"], "at_risk": data["at_risk"],
            "beyond_follow_up": data["beyond_follow_up"]}


def pfs_summary(outcomes: list[SubjectOutcome], parameters: dict, ci_method: str) -> dict | None:
    built = _km(outcomes, "pfs", ci_method)
    if built is None:
        return None
    km, out = built["km"], built["summary"]
    rate = _rate(pfs_rate_at(km))
    comparisons = []
    for label, key in (("historical", "historical_pfs_1y"), ("hypothesised", "hypothesised_pfs_1y")):
        p0 = parameters.get(key)
        if p0 is None:
            continue
        test = survival_rate_test(km, DAYS_PER_YEAR, float(p0)).to_dict()
        comparisons.append({"label": label, "parameter": key, "p0": float(p0),
                            "difference": rate["estimate"] - float(p0), "z": test["z"], "p_value": test["p_value"],
                            "ci_excludes_p0": not (rate["ci_lower"] <= float(p0) <= rate["ci_upper"])})
    out["rate_1y"] = {**rate, "comparisons": comparisons, "note": COMPARISON_NOTE,
                      "landmark": "S(365.25 days) = S(day 365) on integer study days"}
    return out


def os_summary(outcomes: list[SubjectOutcome], ci_method: str) -> dict | None:
    built = _km(outcomes, "os", ci_method)
    if built is None:
        return None
    out = built["summary"]
    out["rate_24m"] = {**_rate(rate_at_months(built["km"], 24)), "landmark": "S(730.5 days), 24 x 30.4375"}
    return out


def _rate_block(rate) -> dict:
    data = rate.to_dict()
    data.pop("test", None)
    return data


def orr_summary(outcomes: list[SubjectOutcome], cutoff: dt.date, sd_min: int, confirm_min: int) -> dict:
    subjects = [o.data for o in outcomes if o.data is not None]
    out = {}
    for population in (Population.EVALUABLE, Population.TREATED):
        key = str(population)
        try:
            result = objective_response_rate(subjects, population=population, data_cutoff=cutoff,
                                             confirmation_min_days=confirm_min, sd_min_days=sd_min)
        except ValueError:
            out[key] = {"population_rule": ORR_RULES[key], "denominator": 0, "confirmed": None,
                        "unconfirmed": None, "best_response_counts": {}, "excluded": []}
            continue
        out[key] = {"population_rule": ORR_RULES[key], "denominator": result.confirmed.denominator,
                    "confirmed": {**_rate_block(result.confirmed), "numerator_rule": ORR_NUMERATOR["confirmed"]},
                    "unconfirmed": {**_rate_block(result.unconfirmed),
                                    "numerator_rule": ORR_NUMERATOR["unconfirmed"]},
                    "best_response_counts": result.best_response_counts,
                    "excluded": list(result.excluded_ids)}
    return out


def _coded(term_text: str) -> tuple[str, str, bool]:
    try:
        term = ctcae.term(term_text)
    except ctcae.UnknownTermError:
        return term_text.strip(), UNCODED_SOC, False
    return term.term, term.soc, True


def ae_summary(outcomes: list[SubjectOutcome], cutoff: dt.date) -> dict:
    """Treatment-emergent AEs of the safety population by worst grade (all, and related)."""
    population = [o for o in outcomes if o.source.reference_date is not None
                  and o.source.reference_date <= cutoff]
    events, uncoded, skipped = [], set(), {}
    for outcome in population:
        for ae in outcome.source.adverse_events:
            why = ae_exclusion(ae, outcome.source.reference_date, cutoff)
            if why is not None:
                skipped[why] = skipped.get(why, 0) + 1
                continue
            term, soc, coded = _coded(ae["AEDECOD"])
            if not coded:
                uncoded.add(term)
            events.append(AdverseEvent(outcome.source.code, term, soc, int(ae["AETOXGR"]), treatment_related(ae)))
    out = {"population_rule": "Safety population: treated subjects (C1D1 on or before the cut-off).",
           "n": len(population),
           "treatment_emergent_rule": "AE start date (any day a partial date stands for) on or after C1D1 and "
                                      "on or before the cut-off.",
           "related_rule": "Related: any AEREL_* answer POSSIBLE, PROBABLE or DEFINITE.",
           "soc_source": "CTCAE v5.0 term list (ecrf/oncology/data/ctcae_v5_terms.yaml)",
           "uncoded_terms": sorted(uncoded), "not_counted": skipped, "all": None, "related": None}
    if population:
        ids = [o.source.code for o in population]
        out["all"] = ae_worst_grade_table(events, ids).to_dict()["rows"]
        out["related"] = ae_worst_grade_table(events, ids, treatment_related_only=True).to_dict()["rows"]
    return out

