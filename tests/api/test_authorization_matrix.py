"""Who may do what, where: every route x every caller, one expected status per cell (DESIGN.md §1).

The cells are generated from the app's URL map: a route with no entry in MATRIX fails
``test_every_route_has_a_matrix_entry`` and each of its cells, so a new endpoint cannot ship
without a decision about who may call it. Each request is valid (a body that passes validation,
a current If-Match), so the status is the authorization decision and not a 422. Objects are at
site A; coord_b and inv_b are site B staff, for whom site A data does not exist (404). A caller
whose role may not take an action on data it can see gets 403. The rules are written down in
docs/security.md.

Actions that consume state (closing a query, locking a record, deactivating a user...) get fresh
objects per cell, so cells are independent and share one seeded database per module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import pytest

from tests.conftest import make_settings
from tests.support.matrix_world import CALLERS, CONSENT, SITE_A_CODE, SITE_B_CODE, STUDY, World, ok
from tests.support.seed import PASSWORD

API_PREFIX = "/api/v1"
OTHER_STUDY = "ESCC-LDRT"  # freeze/unfreeze: a study without active queries


@dataclass(frozen=True)
class Case:
    """How to call a route, and what each caller gets.

    ``path`` and ``body`` are formatted with the world's ids and what ``fresh`` returns (fresh
    objects for this cell; a ``client`` key replaces the caller's client); ``expect`` lists nine
    statuses in CALLERS order.
    """

    path: str
    expect: str
    body: Any = None
    fresh: Callable[[World, str], dict] | None = None
    headers: Callable[[dict], dict] | None = None
    data: Callable[[World], bytes] | None = None      # a raw (XML) body instead of JSON
    cleanup: Callable[[World], None] | None = None
    listing: bool = False  # a list or report: must show no data of sites the caller cannot see

    def expected(self) -> dict[str, int]:
        statuses = [int(s) for s in self.expect.split()]
        assert len(statuses) == len(CALLERS), f"{self.path}: {len(statuses)} statuses for {len(CALLERS)} callers"
        return dict(zip(CALLERS, statuses))


def if_match(ctx: dict) -> dict:
    return {"If-Match": ctx["etag"]}


def fresh_record(complete: bool = True):
    def make(world: World, _caller: str) -> dict:
        record = world.record(complete=complete)
        return {"record": record["id"], "etag": record["etag"]}
    return make


def fresh_locked_record(world: World, _caller: str) -> dict:
    record = world.locked_record()
    return {"record": record["id"], "etag": record["etag"]}


def fresh_query(status: str):
    return lambda world, _caller: {"query": world.query(status=status)["id"]}


def fresh_subject(with_record: bool = False):
    def make(world: World, _caller: str) -> dict:
        subject = world.subject()
        if with_record:
            world.record(subject)
        return {"subject": subject["id"]}
    return make


def fresh_locked_subject(world: World, _caller: str) -> dict:
    return {"subject": world.locked_subject()["id"]}


def fresh_user(world: World, _caller: str) -> dict:
    user = world.user()
    return {"user": user["id"], "assignment": user["assignment"], "membership": user["membership"]}


def stand_in(world: World, caller: str) -> dict:
    client, _username = world.stand_in(caller)
    return {"client": client}


def frozen_study(world: World, _caller: str) -> dict:
    ok(world.client("dm").post(f"/studies/{OTHER_STUDY}/freeze", json={}), 200, "freeze")
    return {}


def unfreeze(world: World) -> None:
    dm = world.client("dm")
    if dm.get(f"/studies/{OTHER_STUDY}").get_json()["frozen"]:
        ok(dm.post(f"/studies/{OTHER_STUDY}/unfreeze", json={"reason": "matrix clean-up"}), 200, "unfreeze")


def own_login(ctx: dict) -> dict:
    return {"username": ctx["username"], "password": PASSWORD}


def signature(ctx: dict) -> dict:
    return {"username": ctx["username"], "password": PASSWORD, "meaning": ctx["meaning"]}


def new_definition(world: World, _caller: str) -> dict:
    document = world.client("admin").get("/forms/F_ECOG/versions/1").get_json()["definition"]
    return {"document": {**document, "oid": world.unique("F_MATRIX")}}


# ---------------------------------------------------------------- the rows
#                  anonymous nobody admin coord_a inv_a coord_b inv_b monitor_a dm
PUBLIC           = "200       200    200   200     200   200     200   200       200"
SIGNED_IN        = "401       200    200   200     200   200     200   200       200"
SIGNED_IN_204    = "401       204    204   204     204   204     204   204       204"
SIGNED_IN_201    = "401       201    201   201     201   201     201   201       201"
STUDY_READ       = "401       404    200   200     200   200     200   200       200"
STUDY_CLINICAL   = "401       404    403   200     200   200     200   200       200"
CLINICAL_READ    = "401       404    404   200     200   404     404   200       200"
DATA_ENTRY       = "401       404    404   200     200   404     404   403       403"
DATA_ENTRY_201   = "401       404    404   201     201   404     404   403       403"
ENROL            = "401       404    403   201     201   422     422   403       403"
ODM_IMPORT       = "401       404    403   200     200   422     422   403       403"
SIGN             = "401       404    404   403     200   404     404   403       403"
SDV              = "401       404    404   403     403   404     404   200       403"
RAISE_QUERY      = "401       404    404   403     403   404     404   201       201"
OVERSIGHT        = "401       404    404   403     403   404     404   200       200"
RAISER_ONLY      = "401       404    404   403     403   404     404   200       403"
DATA_MANAGER     = "401       404    404   403     403   404     404   403       200"
DATA_MANAGER_201 = "401       404    404   403     403   404     404   403       201"
STUDY_DM         = "401       404    403   403     403   403     403   403       200"
STUDY_ADMIN      = "401       404    200   403     403   403     403   403       403"
STUDY_ADMIN_201  = "401       404    201   403     403   403     403   403       403"
ADMIN            = "401       403    200   403     403   403     403   403       403"
ADMIN_201        = "401       403    201   403     403   403     403   403       403"
ADMIN_204        = "401       403    204   403     403   403     403   403       403"
OWN_TOKEN        = "401       404    204   204     404   404     404   404       404"

REASON = {"reason": "Correction after source review."}

MATRIX: dict[tuple[str, str], Case] = {
    # health and sessions
    ("GET", "/health"): Case("/health", PUBLIC),
    ("GET", "/health/ready"): Case("/health/ready", PUBLIC),
    ("POST", "/auth/login"): Case("/auth/login", PUBLIC, body=own_login),
    ("POST", "/auth/logout"): Case("/auth/logout", SIGNED_IN_204),
    ("GET", "/auth/me"): Case("/auth/me", SIGNED_IN),
    ("POST", "/auth/password"): Case("/auth/password", SIGNED_IN_204, fresh=stand_in,
                                     body={"current_password": PASSWORD, "new_password": "Changed-password-456"}),
    ("GET", "/auth/tokens"): Case("/auth/tokens", SIGNED_IN),
    ("POST", "/auth/tokens"): Case("/auth/tokens", SIGNED_IN_201, body={"name": "matrix"}),
    ("DELETE", "/auth/tokens/<int:token_id>"): Case("/auth/tokens/{token}", OWN_TOKEN,
                                                    fresh=lambda w, _c: {"token": w.token_of("coord_a")}),
    # users (administrators)
    ("GET", "/users"): Case("/users", ADMIN),
    ("POST", "/users"): Case("/users", ADMIN_201, fresh=lambda w, _c: {"name": w.unique("matrix.user")},
                             body={"username": "{name}", "full_name": "Matrix User",
                                   "password": "Matrix-password-789"}),
    ("GET", "/users/<int:user_id>"): Case("/users/{user}", ADMIN, fresh=fresh_user),
    ("PATCH", "/users/<int:user_id>"): Case("/users/{user}", ADMIN, fresh=fresh_user,
                                            body={"full_name": "Renamed User"}),
    ("POST", "/users/<int:user_id>/roles"): Case("/users/{user}/roles", ADMIN_201, fresh=fresh_user,
                                                 body={"study": STUDY, "role": "investigator"}),
    ("DELETE", "/users/<int:user_id>/roles/<int:assignment_id>"): Case("/users/{user}/roles/{assignment}", ADMIN_204,
                                                                       fresh=fresh_user),
    ("POST", "/users/<int:user_id>/sites"): Case("/users/{user}/sites", ADMIN_201, fresh=fresh_user,
                                                 body={"study": STUDY, "site": SITE_B_CODE}),
    ("DELETE", "/users/<int:user_id>/sites/<int:membership_id>"): Case("/users/{user}/sites/{membership}", ADMIN_204,
                                                                       fresh=fresh_user),
    # studies, sites, definitions
    ("GET", "/studies"): Case("/studies", SIGNED_IN),
    ("GET", "/studies/<string:study>"): Case("/studies/{study}", STUDY_READ),
    ("GET", "/studies/<string:study>/schedule"): Case("/studies/{study}/schedule", STUDY_READ),
    ("POST", "/studies/<string:study>/sites"): Case("/studies/{study}/sites", STUDY_ADMIN_201,
                                                    fresh=lambda w, _c: {"code": w.unique("M")},
                                                    body={"code": "{code}", "name": "Matrix site", "country": "CN"}),
    ("PATCH", "/studies/<string:study>/sites/<string:code>"): Case("/studies/{study}/sites/{code}", STUDY_ADMIN,
                                                                   fresh=lambda w, _c: {"code": w.site()},
                                                                   body={"name": "Renamed site"}),
    ("GET", "/forms"): Case("/forms", SIGNED_IN),
    ("GET", "/forms/<string:form_oid>/versions"): Case("/forms/F_DM/versions", SIGNED_IN),
    ("GET", "/forms/<string:form_oid>/versions/<int:version>"): Case("/forms/F_DM/versions/1", SIGNED_IN),
    ("POST", "/definitions"): Case("/definitions", ADMIN_201, fresh=new_definition,
                                   body=lambda ctx: {"documents": [ctx["document"]]}),
    ("GET", "/signature-meanings"): Case("/signature-meanings", SIGNED_IN),
    # subjects and visits
    ("GET", "/studies/<string:study>/subjects"): Case("/studies/{study}/subjects", STUDY_CLINICAL, listing=True),
    ("POST", "/studies/<string:study>/subjects"): Case("/studies/{study}/subjects", ENROL,
                                                       body={"site": SITE_A_CODE, "consent_date": CONSENT}),
    ("GET", "/subjects/<int:subject_id>"): Case("/subjects/{subject}", CLINICAL_READ),
    ("POST", "/subjects/<int:subject_id>/status"): Case(
        "/subjects/{subject}/status", DATA_ENTRY, fresh=fresh_subject(),
        body={"status": "withdrawn", "reason": "Consent withdrawn.", "date": "2026-01-06"}),
    ("GET", "/subjects/<int:subject_id>/visits"): Case("/subjects/{subject}/visits", CLINICAL_READ),
    ("POST", "/subjects/<int:subject_id>/visits"): Case("/subjects/{subject}/visits", DATA_ENTRY_201,
                                                        body={"visit_date": "2026-01-10", "reason": "Extra check."}),
    ("PATCH", "/subjects/<int:subject_id>/visits/<string:visit_key>"): Case(
        "/subjects/{subject}/visits/SCR", DATA_ENTRY, fresh=fresh_subject(), body={"visit_date": "2026-01-07"}),
    ("POST", "/subjects/<int:subject_id>/visits/<string:visit_key>/forms/<string:form_oid>"): Case(
        "/subjects/{subject}/visits/SCR/forms/F_DM", DATA_ENTRY_201, fresh=fresh_subject(),
        body={"data": {"RFICDTC": CONSENT}}),
    # records
    ("GET", "/records/<int:record_id>"): Case("/records/{record}", CLINICAL_READ),
    ("PATCH", "/records/<int:record_id>"): Case("/records/{record}", DATA_ENTRY, fresh=fresh_record(complete=False),
                                                headers=if_match, body={"data": {"RFICVER": "2.1, 2025-11-01"}}),
    ("POST", "/records/<int:record_id>/complete"): Case("/records/{record}/complete", DATA_ENTRY,
                                                        fresh=fresh_record(complete=False), headers=if_match, body={}),
    # review
    ("POST", "/records/<int:record_id>/sdv"): Case("/records/{record}/sdv", SDV, fresh=fresh_record(),
                                                   headers=if_match, body={}),
    ("POST", "/records/<int:record_id>/sign"): Case("/records/{record}/sign", SIGN, fresh=fresh_record(),
                                                    headers=if_match, body=signature),
    ("POST", "/records/<int:record_id>/lock"): Case("/records/{record}/lock", DATA_MANAGER, fresh=fresh_record(),
                                                    headers=if_match, body={}),
    ("POST", "/records/<int:record_id>/unlock"): Case("/records/{record}/unlock", DATA_MANAGER,
                                                      fresh=fresh_locked_record, headers=if_match, body=REASON),
    ("POST", "/records/<int:record_id>/migrate"): Case("/records/{ae_record}/migrate", DATA_MANAGER, body={}),
    ("GET", "/subjects/<int:subject_id>/review"): Case("/subjects/{subject}/review", CLINICAL_READ),
    ("POST", "/subjects/<int:subject_id>/sign"): Case("/subjects/{subject}/sign", SIGN,
                                                      fresh=fresh_subject(with_record=True), body=signature),
    ("POST", "/subjects/<int:subject_id>/visits/<string:visit_key>/sign"): Case(
        "/subjects/{subject}/visits/SCR/sign", SIGN, fresh=fresh_subject(with_record=True), body=signature),
    ("POST", "/subjects/<int:subject_id>/lock"): Case("/subjects/{subject}/lock", DATA_MANAGER,
                                                      fresh=fresh_subject(with_record=True), body={}),
    ("POST", "/subjects/<int:subject_id>/unlock"): Case("/subjects/{subject}/unlock", DATA_MANAGER,
                                                        fresh=fresh_locked_subject, body=REASON),
    ("POST", "/studies/<string:study>/freeze"): Case(f"/studies/{OTHER_STUDY}/freeze", STUDY_DM, body={},
                                                     cleanup=unfreeze),
    ("POST", "/studies/<string:study>/unfreeze"): Case(f"/studies/{OTHER_STUDY}/unfreeze", STUDY_DM,
                                                       fresh=frozen_study, body=REASON, cleanup=unfreeze),
    ("GET", "/studies/<string:study>/sdv"): Case("/studies/{study}/sdv", STUDY_CLINICAL, listing=True),
    ("GET", "/studies/<string:study>/findings"): Case("/studies/{study}/findings", STUDY_CLINICAL, listing=True),
    ("GET", "/studies/<string:study>/findings.csv"): Case("/studies/{study}/findings.csv", STUDY_CLINICAL,
                                                          listing=True),
    ("GET", "/subjects/<int:subject_id>/findings"): Case("/subjects/{subject}/findings", CLINICAL_READ),
    ("POST", "/studies/<string:study>/forms/<string:form_oid>/migrate"): Case(
        "/studies/{study}/forms/F_DM/migrate", STUDY_DM, body={}),
    # eligibility and oncology
    ("GET", "/subjects/<int:subject_id>/eligibility"): Case("/subjects/{subject}/eligibility", CLINICAL_READ),
    ("POST", "/subjects/<int:subject_id>/eligibility/override"): Case(
        "/subjects/{subject}/eligibility/override", DATA_MANAGER_201, fresh=fresh_subject(), body=REASON),
    ("GET", "/subjects/<int:subject_id>/recist"): Case("/subjects/{subject}/recist", CLINICAL_READ),
    ("GET", "/studies/<string:study>/reports/endpoints"): Case("/studies/{study}/reports/endpoints",
                                                               STUDY_CLINICAL, listing=True),
    # queries
    ("GET", "/queries"): Case("/queries", SIGNED_IN, listing=True),
    ("POST", "/queries"): Case("/queries", RAISE_QUERY,
                               body={"record_id": "{record}", "item": "AGE", "text": "Age differs from the source."}),
    ("GET", "/queries/summary"): Case(f"/queries/summary?study={STUDY}", STUDY_CLINICAL, listing=True),
    ("GET", "/queries/<int:query_id>"): Case("/queries/{query}", CLINICAL_READ),
    ("POST", "/queries/<int:query_id>/responses"): Case("/queries/{query}/responses", DATA_ENTRY,
                                                        fresh=fresh_query("open"), body={"text": "Source checked."}),
    ("POST", "/queries/<int:query_id>/close"): Case("/queries/{query}/close", OVERSIGHT, fresh=fresh_query("answered"),
                                                    body={}),
    ("POST", "/queries/<int:query_id>/reopen"): Case("/queries/{query}/reopen", OVERSIGHT,
                                                     fresh=fresh_query("closed"), body={"text": "Still unclear."}),
    ("POST", "/queries/<int:query_id>/cancel"): Case("/queries/{query}/cancel", RAISER_ONLY,
                                                     fresh=fresh_query("open"), body={}),
    # audit
    ("GET", "/audit"): Case("/audit", SIGNED_IN, listing=True),
    ("GET", "/audit/verify"): Case("/audit/verify", ADMIN),
    # exports and import
    ("GET", "/studies/<string:study>/export/odm"): Case("/studies/{study}/export/odm", STUDY_DM),
    ("GET", "/studies/<string:study>/export/<string:form_oid>.csv"): Case("/studies/{study}/export/F_DM.csv", STUDY_DM),
    ("GET", "/studies/<string:study>/export.xlsx"): Case("/studies/{study}/export.xlsx", STUDY_DM),
    ("POST", "/studies/<string:study>/import/odm"): Case(
        "/studies/{study}/import/odm?dry_run=true&reason=Source+upload", ODM_IMPORT, data=lambda w: w.odm_upsert),
}


# ---------------------------------------------------------------- routes from the URL map

def api_routes(app) -> list[tuple[str, str]]:
    """(method, rule) of every API route, without the prefix; the OpenAPI document and the docs
    page are public by design and not part of the matrix."""
    from ecrf.auth.loading import PUBLIC_ENDPOINT_PREFIXES

    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API_PREFIX + "/") or rule.endpoint.startswith(PUBLIC_ENDPOINT_PREFIXES):
            continue
        routes.update((method, rule.rule.removeprefix(API_PREFIX)) for method in rule.methods - {"HEAD", "OPTIONS"})
    return sorted(routes, key=lambda r: (r[1], r[0]))


def _routes_without_database() -> list[tuple[str, str]]:
    from ecrf.app import create_app

    app = create_app(make_settings("sqlite:///:memory:"), testing=True)
    try:
        return api_routes(app)
    finally:
        app.extensions["ecrf.engine"].dispose()


def pytest_generate_tests(metafunc):
    if "route" in metafunc.fixturenames:
        routes = _routes_without_database()
        metafunc.parametrize("route", routes, ids=[f"{m} {r}" for m, r in routes])


@pytest.fixture(scope="module")
def world(backend, seeded):
    from ecrf.app import create_app

    url, handle = backend.new_database()
    app = create_app(make_settings(url), testing=True)
    yield World(app, seeded).build()
    app.extensions["ecrf.engine"].dispose()
    backend.drop(handle)


def fill(value, ctx: dict):
    """Format strings in a body template; "{record}" alone becomes the id itself."""
    if callable(value):
        return value(ctx)
    if isinstance(value, dict):
        return {k: fill(v, ctx) for k, v in value.items()}
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in ctx:
        return ctx[value[1:-1]]
    if isinstance(value, str):
        return value.format(**ctx)
    return value


def test_every_route_has_a_matrix_entry():
    missing = [f"{m} {r}" for m, r in _routes_without_database() if (m, r) not in MATRIX]
    assert not missing, ("routes with no entry in the authorization matrix; add one to MATRIX in "
                         f"{__name__} deciding who may call them: {missing}")


def test_the_matrix_names_no_route_that_does_not_exist():
    stale = sorted(f"{m} {r}" for m, r in set(MATRIX) - set(_routes_without_database()))
    assert not stale, f"MATRIX entries for routes that no longer exist: {stale}"


@pytest.mark.parametrize("caller", CALLERS)
def test_authorization(world, route, caller):
    method, rule = route
    case = MATRIX.get(route)
    assert case is not None, f"no entry in MATRIX for {method} {rule}: decide who may call it and add one"
    expected = case.expected()[caller]
    ctx: dict[str, Any] = {**world.ids, "study": STUDY, "meaning": world.meaning,
                           "username": "coord_a" if caller == "anonymous" else caller}
    try:
        if case.fresh:
            ctx.update(case.fresh(world, caller))
        client = ctx.pop("client", None) or world.client(caller)
        path = case.path.format(**ctx)
        headers = case.headers(ctx) if case.headers else {}
        if case.data:
            response = client.post(path, data=case.data(world), content_type="application/xml", headers=headers)
        elif case.body is None:
            response = getattr(client, method.lower())(path, headers=headers)
        else:
            response = getattr(client, method.lower())(path, json=fill(case.body, ctx), headers=headers)
    finally:
        if case.cleanup:
            case.cleanup(world)
    body = response.get_json(silent=True)
    assert response.status_code == expected, (
        f"{method} {rule} as {caller}: expected {expected}, got {response.status_code}: {body}")
    if response.status_code >= 400:
        assert body and body["code"] == response.status_code and body["message"], "the shared error shape"
    if case.listing:
        text = response.get_data(as_text=True)
        for site, outsiders in HIDDEN_FROM.items():
            if caller in outsiders:
                compact = text.replace('": ', '":')
                leaked = [marker for marker in (f"{site}-0", f'"{site}":', f'"site_code":"{site}"')
                          if marker in compact]  # subject codes, counts by site, audit rows of the site
                assert not leaked, f"{method} {rule} shows {caller} data of site {site}: {leaked}"
        if caller in ("coord_a", "dm") and rule in ("/studies/<string:study>/subjects", "/queries", "/audit"):
            assert f"{SITE_A_CODE}-0" in text, f"{method} {rule}: {caller} should see site {SITE_A_CODE} data"


# who must not see a site's clinical data in lists, reports and the audit trail
HIDDEN_FROM = {SITE_A_CODE: ("nobody", "admin", "coord_b", "inv_b"),
               SITE_B_CODE: ("nobody", "admin", "coord_a", "inv_a", "monitor_a")}
