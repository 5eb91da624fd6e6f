"""API fuzzing against the OpenAPI document (schemathesis, through the WSGI app).

One pass per caller (anonymous and a user of each role) over every operation of
/api/v1/openapi.json, on a fresh database holding a small world of site A data (a subject, records,
a query; a spare user, site and token to change). Two phases per operation:

- coverage: schemathesis' deterministic boundary and invalid values for every parameter and
  body field (valid and invalid), every other case pointed at real objects;
- fuzzing: Hypothesis-generated valid and invalid requests, bounded and derandomized, with path
  parameters (and, half of the time, ids and codes in bodies and query strings) naming real
  objects so that the handlers run rather than answer 404; reads also get generated ids.

Every response must not be a server error, must have a status code the operation documents (there
is no catch-all "default" response), and must match the documented content type and schema (errors
included: the shared Error shape). Failures are collected per operation and reported together.
No shrinking, fixed examples: a run is reproducible and bounded for CI (ECRF_FUZZ_EXAMPLES raises
the number of generated examples for a longer local run).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from tests.support.matrix_world import CONSENT, SITE_A_CODE, STUDY, World
from tests.support.seed import PASSWORD

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
CALLERS = ("anonymous", "admin", "coord_a", "inv_a", "monitor_a", "dm")
POSITIVE = int(os.environ.get("ECRF_FUZZ_EXAMPLES", "10"))  # generated examples per operation
NEGATIVE = max(POSITIVE // 2, 1)
SAFE = {"GET", "HEAD", "OPTIONS"}


@dataclass
class Findings:
    by_operation: dict[str, dict[str, str]] = field(default_factory=dict)

    def add(self, label: str, kind: str, detail: str) -> None:
        self.by_operation.setdefault(label, {}).setdefault(kind, detail)

    def report(self) -> str:
        return "\n".join(f"{label}: {kind}\n    {detail}"
                         for label, kinds in sorted(self.by_operation.items()) for kind, detail in kinds.items())


@dataclass
class Pass:
    """One caller's run: its world, credentials and findings."""

    world: World
    caller: str
    findings: Findings = field(default_factory=Findings)

    @property
    def auth(self) -> dict:
        return {} if self.caller == "anonymous" else {"Authorization": f"Bearer {self.world.tokens[self.caller]}"}

    def known_ids(self) -> dict[str, object]:
        """Path parameter values naming real objects; spares where an action could end the
        caller's own access (its token, an account)."""
        ids, spare = self.world.ids, self.world.spare
        return {"study": STUDY, "subject_id": ids["subject"], "record_id": ids["record"], "query_id": ids["query"],
                "visit_key": "SCR", "form_oid": "F_AE", "version": 1, "code": spare["site"],
                "user_id": spare["user"], "assignment_id": spare["assignment"], "membership_id": spare["membership"],
                "token_id": self.world.spare_tokens.get(self.caller, 1)}

    def steer(self, case) -> None:
        """Point references in query strings and bodies at real objects, and a login's or a
        signature's credentials at the caller (never a password change's: it would end the token
        this pass runs on)."""
        ids = self.world.ids
        known = {"study": STUDY, "subject": ids["subject"], "record": ids["record"], "record_id": ids["record"],
                 "subject_id": ids["subject"], "site": SITE_A_CODE, "meaning": self.world.meaning,
                 "consent_date": CONSENT}
        for values in (case.query, case.body):
            if isinstance(values, dict):
                values.update({key: value for key, value in known.items() if key in values})
        if isinstance(case.body, dict) and "username" in case.body and "password" in case.body:
            case.body.update(username=self.caller if self.caller != "anonymous" else "coord_a", password=PASSWORD)

    def point_at_real_objects(self, case) -> None:
        known = self.known_ids()
        case.path_parameters = {name: known.get(name, value) for name, value in (case.path_parameters or {}).items()}
        self.steer(case)

    def headers_for(self, case, fresh_etag: bool) -> dict:
        headers = dict(self.auth)
        if fresh_etag and any(p.name == "If-Match" for p in case.operation.headers):
            response = self.world.client("dm").get(f"/records/{(case.path_parameters or {}).get('record_id')}")
            if response.status_code == 200:
                headers["If-Match"] = response.headers["ETag"]
        return headers

    def check(self, case, phase: str, fresh_etag: bool = False) -> None:
        try:
            case.call_and_validate(headers=self.headers_for(case, fresh_etag), checks=CHECKS)
        except (Exception, FailureGroup) as exc:  # noqa: BLE001 - collected and reported together
            for failure in exc.exceptions if isinstance(exc, FailureGroup) else (exc,):
                self.findings.add(case.operation.label, f"{phase}: {type(failure).__name__}",
                                  f"{str(failure).strip()[:500]}\n    {case.as_curl_command()[:500]}")

    # ------------------------------------------------------------ the two phases

    def coverage(self, schema, operation) -> None:
        config = schema.config.generation_for(operation=operation)
        cases = schema.iter_coverage_cases(operation, generation_modes=list(GenerationMode), generation_config=config)
        for index, case in enumerate(cases):
            if index % 2 == 0:
                self.point_at_real_objects(case)
            self.check(case, "coverage", fresh_etag=index % 4 == 0)

    def strategy(self, operation, mode):
        names = [p.name for p in operation.path_parameters]
        values = {name: self.known_ids()[name] for name in names}
        variants = [operation.as_strategy(generation_mode=mode, path_parameters=values)]
        if "record_id" in names:  # the draft F_ECOG and F_AE records too, not only the complete F_DM
            variants += [operation.as_strategy(generation_mode=mode, path_parameters={**values, "record_id": other})
                         for other in (self.world.ids["draft"], self.world.ids["ae_record"])]
        if operation.method.upper() in SAFE and names:
            variants.append(operation.as_strategy(generation_mode=mode))  # generated ids too
        return st.one_of(variants)

    def fuzz(self, operation, mode, examples: int) -> None:
        @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck), print_blob=False)
        @given(case=self.strategy(operation, mode), steered=st.booleans(), fresh_etag=st.booleans())
        def run(case, steered, fresh_etag):
            if steered:
                self.steer(case)
            self.check(case, f"fuzzing {mode.value}", fresh_etag)

        run()


@pytest.mark.parametrize("caller", CALLERS)
def test_fuzz_every_operation(app, seeded, caller):
    world = World(app, seeded).build().add_spares()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    run = Pass(world, caller)
    for result in schema.get_all_operations():
        operation = result.ok()
        if caller == "anonymous" and operation.definition.raw.get("security") != []:  # 401 before any parsing
            run.fuzz(operation, GenerationMode.POSITIVE, 3)
            continue
        run.coverage(schema, operation)
        run.fuzz(operation, GenerationMode.POSITIVE, POSITIVE)
        if operation.body or operation.query:
            run.fuzz(operation, GenerationMode.NEGATIVE, NEGATIVE)
    assert not run.findings.by_operation, f"as {caller}:\n{run.findings.report()}"


# ---------------------------------------------------------------- what the fuzzer found, pinned

def test_the_document_lists_every_error_status_an_operation_answers(anonymous):
    spec = anonymous.get("/openapi.json").json
    operations = {(method.upper(), path): op for path, item in spec["paths"].items()
                  for method, op in item.items() if method != "parameters"}
    assert all("default" not in op["responses"] for op in operations.values()), "no catch-all response"
    error = {"$ref": "#/components/schemas/Error"}
    assert set(spec["components"]["schemas"]["Error"]["required"]) == {"code", "status", "message"}
    subject = operations[("GET", "/api/v1/subjects/{subject_id}")]["responses"]
    assert {"200", "401", "403", "404", "500", "503"} <= set(subject) and "409" not in subject
    unauthorized = subject["401"]
    if "$ref" in unauthorized:
        unauthorized = spec["components"]["responses"][unauthorized["$ref"].rsplit("/", 1)[-1]]
    assert unauthorized["content"]["application/json"]["schema"] == error
    for path in ("/api/v1/records/{record_id}", "/api/v1/records/{record_id}/lock",
                 "/api/v1/queries/{query_id}/responses"):
        op = operations[("PATCH" if path.endswith("}") else "POST", path)]
        assert {"409", "412", "415", "428"} <= set(op["responses"]), path
        assert op["responses"]["428"]["content"]["application/json"]["schema"] == error
        assert any(p["in"] == "header" and p["name"] == "If-Match" for p in op["parameters"]), path
    health = operations[("GET", "/api/v1/health")]
    assert health["security"] == [] and "401" not in health["responses"]
    assert "400" in operations[("GET", "/api/v1/audit")]["responses"]  # control characters in a query string
    report = operations[("GET", "/api/v1/studies/{study}/reports/endpoints")]["responses"]["200"]["content"]
    assert {"application/json", "text/csv"} <= set(report)
    odm_import = operations[("POST", "/api/v1/studies/{study}/import/odm")]
    assert "application/xml" in odm_import["requestBody"]["content"]


@pytest.mark.parametrize("method, path, body", [
    ("post", "/queries", {"record_id": 2**40, "text": "Please check."}),
    ("post", "/queries", {"subject_id": 2**40, "visit_key": "SCR", "text": "Please check."}),
    ("post", "/queries", {"record_id": 1, "item": "AGE", "group": "G", "row": 2**40, "text": "Please check."}),
    ("get", "/queries?subject=1099511627776", None),
    ("get", "/queries?min_age_days=99999999999", None),
    ("get", "/audit?subject=1099511627776", None),
    ("get", "/audit?record=1099511627776", None),
    ("post", "/records/1/migrate", {"target_version": 2**40}),
])
def test_ids_beyond_32_bits_are_a_422_not_a_server_error(as_user, method, path, body):
    dm = as_user("dm")
    response = dm.get(path) if method == "get" else dm.post(path, json=body)
    assert response.status_code == 422, response.json
    assert response.json["code"] == 422 and response.json["errors"]


def test_control_characters_are_refused_in_bodies_query_strings_and_paths(app, seeded):
    world = World(app, seeded).build()
    monitor, coord = world.client("monitor_a"), world.client("coord_a")
    refused = monitor.post("/queries", json={"record_id": world.ids["record"], "text": "form\x0cfeed"})
    assert refused.status_code == 400 and "U+000C" in refused.json["message"]
    assert "body.text" in refused.json["message"]
    nul_key = coord.patch(f"/records/{world.ids['draft']}", json={"data": {"ECOG\x00": 1}})
    assert nul_key.status_code == 400 and "U+0000" in nul_key.json["message"]
    assert coord.get(f"/studies/{STUDY}/subjects?q=RJH%00").status_code == 400
    assert coord.get("/audit?action=%1b").status_code == 400
    assert coord.get("/studies/ESCC%00/schedule").status_code == 404
    assert coord.get("/forms/F_DM%07/versions").status_code == 404
    # what text may hold still goes through: tabs, line breaks, any script, emoji
    fine = monitor.post("/queries", json={"record_id": world.ids["record"],
                                          "text": "Line one\n\tline two: 年龄 \u00e9 \U0001F600"})
    assert fine.status_code == 201, fine.json
    export = world.client("dm").get(f"/studies/{STUDY}/export/odm?type=transactional")
    assert export.status_code == 200 and export.get_data().rstrip().endswith(b"</ODM>")
