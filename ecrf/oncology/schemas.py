"""Schemas of the RECIST and endpoints-report responses (decimals travel as strings)."""

from __future__ import annotations

from marshmallow import fields, validate

from ecrf.schemas import StrictSchema

def _text(description: str | None = None):
    return fields.String(allow_none=True, metadata={"description": description} if description else {})


class FindingOut(StrictSchema):
    code = fields.String()
    lesion_id = _text()
    severity = fields.String()
    message = fields.String()
    item = _text()
    group = _text()
    row = fields.Integer(allow_none=True)
    record_id = fields.Integer()


class ChangeOut(StrictSchema):
    mm = _text("exact change in mm")
    pct = _text("exact percent change: a terminating decimal, or n/d when it does not terminate")
    pct_display = _text("percent change rounded to 0.1 (half away from zero), for display only")


class InvestigatorOut(StrictSchema):
    item = fields.String()
    investigator = _text()
    derived = _text()
    agrees = fields.Boolean(allow_none=True)


class AssessmentOut(StrictSchema):
    record_id = fields.Integer()
    visit_key = fields.String()
    visit_repeat = fields.Integer()
    date = _text()
    evaluated = fields.Boolean()
    days_from_reference = fields.Integer(allow_none=True)
    sum_mm = _text("sum of diameters; null when a target was not evaluated")
    measured_sum_mm = _text()
    nadir_mm = _text("the nadir this assessment was compared with")
    change_from_baseline = fields.Nested(ChangeOut, allow_none=True)
    change_from_nadir = fields.Nested(ChangeOut, allow_none=True)
    target_response = _text()
    target_basis = _text()
    non_target_response = _text()
    new_lesions = _text()
    overall_response = _text()
    confirms_equivocal_from = _text()
    investigator_response = _text()
    agrees = fields.Boolean(allow_none=True, metadata={"description": "investigator overall response = derived"})
    investigator = fields.List(fields.Nested(InvestigatorOut))
    findings = fields.List(fields.Nested(FindingOut))


class BaselineOut(StrictSchema):
    record_id = fields.Integer()
    date = _text()
    measurable_disease = fields.Boolean()
    targets = fields.Integer(allow_none=True)
    non_targets = fields.Integer(allow_none=True)
    sum_mm = _text()


class BestResponseOut(StrictSchema):
    response = _text()
    date = _text()
    confirmation_date = _text()


class QueryRefOut(StrictSchema):
    id = fields.Integer()
    record_id = fields.Integer(allow_none=True)
    rule = _text()
    item = _text()
    group = _text()
    row = fields.Integer(allow_none=True)
    status = fields.String()


class RecistOut(StrictSchema):
    subject_id = fields.Integer()
    subject = fields.String()
    study = fields.String()
    status = fields.String(metadata={"description": "evaluated, not_evaluated (findings), no_baseline or no_data"})
    engine_version = fields.String()
    current_engine_version = fields.String()
    stale = fields.Boolean(metadata={"description": "derived by an older engine version"})
    computed_at = fields.DateTime(allow_none=True)
    inputs = fields.Dict(allow_none=True)
    reference_date = _text()
    reference_source = _text("c1d1, or baseline_assessment when C1D1 is not recorded")
    sd_min_days = fields.Integer(allow_none=True)
    confirm_min_days = fields.Integer(allow_none=True)
    baseline = fields.Nested(BaselineOut, allow_none=True)
    baseline_sum_mm = _text()
    nadir_mm = _text()
    nadir_date = _text()
    first_pd_date = _text()
    first_pd_backdated = fields.Boolean(allow_none=True)
    bor_unconfirmed = fields.Nested(BestResponseOut, allow_none=True)
    bor_confirmed = fields.Nested(BestResponseOut, allow_none=True)
    assessments = fields.List(fields.Nested(AssessmentOut))
    findings = fields.List(fields.Nested(FindingOut))
    open_queries = fields.List(fields.Nested(QueryRefOut))


# --------------------------------------------------------------------------- endpoints report

class EndpointsArgs(StrictSchema):
    cutoff = fields.Date(metadata={"description": "data cut-off (default: today, UTC); the day is included"})
    format = fields.String(validate=validate.OneOf(["json", "csv"]),
                           metadata={"description": "csv = the per-subject table (also with Accept: text/csv)"})
    ci_method = fields.String(load_default="log-log", validate=validate.OneOf(["log-log", "linear"]),
                              metadata={"description": "Greenwood CI: log-log (exponential) or linear"})


class TimeToEventOut(StrictSchema):
    time_days = fields.Integer()
    event = fields.Boolean()
    rule = fields.String()
    rule_text = fields.String()
    date = fields.String()


class ReportSubjectOut(StrictSchema):
    subject = fields.String()
    site = fields.String()
    status = fields.String()
    reference_date = _text()
    analysed = fields.Boolean()
    excluded_reason = _text()
    recist_status = fields.String()
    recist_engine_version = _text()
    measurable_disease = fields.Boolean(allow_none=True)
    first_pd_date = _text()
    death_date = _text()
    last_known_alive_date = _text()
    withdrawal_date = _text()
    new_therapy_date = _text()
    pfs = fields.Nested(TimeToEventOut, allow_none=True)
    os = fields.Nested(TimeToEventOut, allow_none=True)
    bor_confirmed = _text()
    bor_unconfirmed = _text()
    notes = fields.List(fields.String())


class KmStepOut(StrictSchema):
    time_days = fields.Float()
    at_risk = fields.Integer()
    events = fields.Integer()
    censored = fields.Integer()
    survival = fields.Float()
    std_err = fields.Float()
    ci_lower = fields.Float(allow_none=True)
    ci_upper = fields.Float(allow_none=True)


class MedianOut(StrictSchema):
    median = fields.Float(allow_none=True)
    median_reached = fields.Boolean()
    ci_lower = fields.Float(allow_none=True)
    ci_lower_reached = fields.Boolean()
    ci_upper = fields.Float(allow_none=True)
    ci_upper_reached = fields.Boolean()
    ci_method = fields.String()
    confidence_level = fields.Float()


class ComparisonOut(StrictSchema):
    label = fields.String()
    parameter = fields.String()
    p0 = fields.Float()
    difference = fields.Float()
    z = fields.Float(allow_none=True)
    p_value = fields.Float(allow_none=True)
    ci_excludes_p0 = fields.Boolean()


class RateOut(StrictSchema):
    time_days = fields.Float()
    landmark = fields.String()
    estimate = fields.Float()
    std_err = fields.Float()
    ci_lower = fields.Float(allow_none=True)
    ci_upper = fields.Float(allow_none=True)
    ci_method = fields.String()
    confidence_level = fields.Float()
    at_risk = fields.Integer()
    beyond_follow_up = fields.Boolean()
    comparisons = fields.List(fields.Nested(ComparisonOut))
    note = fields.String()


class CurveOut(StrictSchema):
    n = fields.Integer()
    events = fields.Integer()
    censored = fields.Integer()
    ci_method = fields.String()
    confidence_level = fields.Float()
    steps = fields.List(fields.Nested(KmStepOut))
    median = fields.Nested(MedianOut)
    rate_1y = fields.Nested(RateOut)
    rate_24m = fields.Nested(RateOut)


class ResponseRateOut(StrictSchema):
    numerator = fields.Integer()
    denominator = fields.Integer()
    rate = fields.Float()
    ci_lower = fields.Float()
    ci_upper = fields.Float()
    ci_method = fields.String()
    confidence_level = fields.Float()
    responder_ids = fields.List(fields.String())
    numerator_rule = fields.String()


class OrrPopulationOut(StrictSchema):
    population_rule = fields.String()
    denominator = fields.Integer()
    confirmed = fields.Nested(ResponseRateOut, allow_none=True)
    unconfirmed = fields.Nested(ResponseRateOut, allow_none=True)
    best_response_counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    excluded = fields.List(fields.String())


class OrrOut(StrictSchema):
    evaluable = fields.Nested(OrrPopulationOut)
    treated = fields.Nested(OrrPopulationOut)


class AeRowOut(StrictSchema):
    level = fields.String()
    soc = _text()
    term = _text()
    by_grade = fields.Dict(keys=fields.String(), values=fields.Integer())
    any_grade = fields.Integer()
    grade_3_plus = fields.Integer()
    pct_by_grade = fields.Dict(keys=fields.String(), values=fields.Float())
    pct_any_grade = fields.Float()
    pct_grade_3_plus = fields.Float()


class AeOut(StrictSchema):
    population_rule = fields.String()
    n = fields.Integer()
    treatment_emergent_rule = fields.String()
    related_rule = fields.String()
    soc_source = fields.String()
    uncoded_terms = fields.List(fields.String())
    not_counted = fields.Dict(keys=fields.String(), values=fields.Integer())
    all = fields.List(fields.Nested(AeRowOut), allow_none=True)
    related = fields.List(fields.Nested(AeRowOut), allow_none=True)


class ExcludedOut(StrictSchema):
    subject = fields.String()
    reason = fields.String()


class PopulationOut(StrictSchema):
    rule = fields.String()
    n = fields.Integer()
    screened = fields.Integer()
    excluded = fields.List(fields.Nested(ExcludedOut))


class EndpointsReportOut(StrictSchema):
    study = fields.String()
    study_version = fields.Integer()
    data_cutoff = fields.String()
    generated_at = fields.DateTime()
    report_version = fields.String()
    recist_engine_version = fields.String()
    sites = fields.List(fields.String())
    parameters = fields.Dict()
    analysis_population = fields.Nested(PopulationOut)
    subjects = fields.List(fields.Nested(ReportSubjectOut))
    pfs = fields.Nested(CurveOut, allow_none=True)
    os = fields.Nested(CurveOut, allow_none=True)
    orr = fields.Nested(OrrOut)
    adverse_events = fields.Nested(AeOut)
    rules = fields.Dict()
