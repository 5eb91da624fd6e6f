"""``GET /studies/{study}/reports/endpoints``: PFS, OS, KM curves, 1-year PFS, ORR and AEs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from ecrf.auth.principal import Principal
from ecrf.auth.roles import Action
from ecrf.db import utcnow
from ecrf.oncology.endpoints import OsRule, PfsRule
from ecrf.oncology.recist import ENGINE_VERSION
from ecrf.oncology.reports.sources import collect
from ecrf.oncology.reports.subjects import ANALYSIS_RULE, SubjectOutcome, analyse
from ecrf.oncology.reports.summary import ae_summary, orr_summary, os_summary, pfs_summary
from ecrf.oncology.recist_wiring.service import parameters as recist_parameters
from ecrf.studies.models import Study
from ecrf.studies.services import current_definition

REPORT_VERSION = "endpoints-report/1"
PFS_RULES = {
    PfsRule.EVENT_PD: "Event: first RECIST 1.1 progression (derived overall response PD; backdated to the "
                      "first equivocal observation of a confirmed new lesion), also when death is the same day.",
    PfsRule.EVENT_DEATH: "Event: death from any cause (F_DD) without earlier documented progression.",
    PfsRule.CENSORED_LAST_ASSESSMENT: "Censored at the last adequate RECIST assessment (overall response not NE).",
    PfsRule.CENSORED_NO_ASSESSMENT: "Censored at C1D1 (day 1): no adequate post-baseline assessment, no death.",
    PfsRule.CENSORED_NEW_THERAPY: "Censored at the last adequate assessment on or before the start of new "
                                  "anticancer therapy (F_FU STHSTDAT) that began before progression or death.",
    PfsRule.CENSORED_MISSED_ASSESSMENTS: "Not applied by this report (needs the SAP's assessment interval).",
    PfsRule.CENSORED_CUTOFF: "Progression/death only after the data cut-off: censored at the last adequate "
                             "assessment on or before the cut-off.",
    PfsRule.CENSORED_WITHDRAWAL: "Progression/death only after withdrawal (subject status withdrawn, its date): "
                                 "censored at the last adequate assessment before it.",
}
OS_RULES = {
    OsRule.EVENT_DEATH: "Event: death from any cause (F_DD DTHDAT) on or before the cut-off.",
    OsRule.CENSORED_LAST_KNOWN_ALIVE: "Censored at the last date known alive: latest of F_FU LKADAT, a contact "
                                      "with status alive, dated visits, tumour assessments, start of new "
                                      "therapy and C1D1.",
    OsRule.CENSORED_CUTOFF: "Known alive after the cut-off, or died after it: censored at the cut-off.",
}
IMPUTATION_RULES = {
    "DEATH_DATE_IMPUTED": "A partial date of death is the first day it can be, but not before the last date "
                          "known alive within that month/year.",
    "NEW_THERAPY_DATE_IMPUTED": "A partial start of new therapy is the first day it can be, but not before the "
                                "day after C1D1.",
}


def _tte(result) -> dict | None:
    if result is None:
        return None
    return {"time_days": result.time_days, "event": result.event, "rule": result.rule,
            "rule_text": result.rule_text, "date": result.event_or_censor_date.isoformat()}


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def _subject_row(outcome: SubjectOutcome) -> dict:
    source, data = outcome.source, outcome.data
    return {
        "subject": source.code, "site": source.site, "status": source.status,
        "reference_date": _iso(source.reference_date), "analysed": outcome.analysed,
        "excluded_reason": outcome.excluded_reason,
        "recist_status": (source.recist or {}).get("status", "no_data"),
        "recist_engine_version": source.recist_engine_version,
        "measurable_disease": data.measurable_disease_at_baseline if data else None,
        "first_pd_date": _iso(data.first_pd_date) if data else None,
        "death_date": _iso(data.death_date) if data else None,
        "last_known_alive_date": _iso(data.last_known_alive_date) if data else None,
        "withdrawal_date": _iso(data.withdrawal_date) if data else None,
        "new_therapy_date": _iso(data.new_anticancer_therapy_date) if data else None,
        "pfs": _tte(outcome.pfs), "os": _tte(outcome.os),
        "bor_confirmed": outcome.bor_confirmed, "bor_unconfirmed": outcome.bor_unconfirmed,
        "notes": list(outcome.notes),
    }


def build(db: Session, principal: Principal, study: Study, cutoff: dt.date, ci_method: str = "log-log") -> dict:
    """The report over the caller's visible sites at the data cut-off (roles with clinical read)."""
    principal.require(Action.READ_CLINICAL, study.id)
    definition = current_definition(db, study).content
    params = definition.get("parameters") or {}
    sd_min, confirm_min = recist_parameters(definition)
    sources = collect(db, principal, study)
    outcomes = [analyse(source, cutoff, sd_min, confirm_min) for source in sources]
    analysed = [o for o in outcomes if o.analysed]
    return {
        "study": study.oid, "study_version": study.current_version, "data_cutoff": cutoff.isoformat(),
        "generated_at": utcnow(), "report_version": REPORT_VERSION, "recist_engine_version": ENGINE_VERSION,
        "sites": sorted({s.site for s in sources}),
        "parameters": {"sd_min_days": sd_min, "confirm_min_days": confirm_min,
                       "historical_pfs_1y": params.get("historical_pfs_1y"),
                       "hypothesised_pfs_1y": params.get("hypothesised_pfs_1y")},
        "analysis_population": {"rule": ANALYSIS_RULE, "n": len(analysed), "screened": len(outcomes),
                                "excluded": [{"subject": o.source.code, "reason": o.excluded_reason}
                                             for o in outcomes if not o.analysed]},
        "subjects": [_subject_row(o) for o in outcomes],
        "pfs": pfs_summary(analysed, params, ci_method),
        "os": os_summary(analysed, ci_method),
        "orr": orr_summary(analysed, cutoff, sd_min, confirm_min),
        "adverse_events": ae_summary(outcomes, cutoff),
        "rules": {"pfs": {str(k): v for k, v in PFS_RULES.items()}, "os": {str(k): v for k, v in OS_RULES.items()},
                  "imputation": IMPUTATION_RULES,
                  "time": "Study day = date - C1D1 + 1 (C1D1 is day 1); data after the cut-off are ignored; "
                          "only complete records are used."},
    }
