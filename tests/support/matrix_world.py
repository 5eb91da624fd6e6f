"""A small world of clinical data for the authorization matrix and the API fuzz tests.

Site A (RJH, ESCC-N3) holds one subject with a complete F_DM record, draft F_ECOG and F_AE records
and an open query; site B (N3-B) holds a subject of its own. Factories make fresh objects that a
test may consume (a record to lock, an answered query to close, a user to deactivate, a token to
revoke, a stand-in for a seeded user whose password changes), so that tests sharing one database
stay independent of each other and of their order.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from tests.support.casebook import demographics, enter_record, performance
from tests.support.client import ApiClient
from tests.support.seed import PASSWORD, SITE_A, SITE_B, USERS

# the columns of the authorization matrix, in order
CALLERS = ("anonymous", "nobody", "admin", "coord_a", "inv_a", "coord_b", "inv_b", "monitor_a", "dm")
STUDY = "ESCC-N3"
SITE_A_CODE, SITE_B_CODE = SITE_A[STUDY], SITE_B[STUDY]
CONSENT = "2026-01-05"
_SPECS = {u.username: u for u in USERS}


def ok(response, status: int, what: str):
    assert response.status_code == status, f"{what}: {response.status_code} {response.get_json()}"
    return response.get_json()


@dataclass
class World:
    app: object
    tokens: dict[str, str]
    ids: dict[str, int] = field(default_factory=dict)
    _serial: itertools.count = field(default_factory=lambda: itertools.count(1))

    def client(self, caller: str) -> ApiClient:
        return ApiClient(self.app.test_client(), token=None if caller == "anonymous" else self.tokens[caller])

    def unique(self, prefix: str) -> str:
        return f"{prefix}{next(self._serial):03d}"

    # ------------------------------------------------------------ the shared objects

    def build(self) -> World:
        coord_a, coord_b = self.client("coord_a"), self.client("coord_b")
        subject = self.subject()
        complete = self.record(subject)
        draft = enter_record(coord_a, subject["id"], "SCR", "F_ECOG", performance("2026-01-06"), complete=False)
        adverse_event = enter_record(coord_a, subject["id"], "AELOG", "F_AE", {"AETERM": "Nausea"}, complete=False)
        other = self.subject(client=coord_b, site=SITE_B_CODE)
        other_record = enter_record(coord_b, other["id"], "SCR", "F_DM", demographics(CONSENT))
        query = self.query(complete)
        self.ids.update(subject=subject["id"], record=complete["id"], draft=draft["id"], query=query["id"],
                        ae_record=adverse_event["id"],  # F_AE v1: a later version exists to migrate to
                        subject_b=other["id"], record_b=other_record["id"])
        self.meaning = ok(self.client("admin").get("/signature-meanings"), 200, "meanings")["items"][0]["code"]
        self.odm = self.client("dm").get(f"/studies/{STUDY}/export/odm?site={SITE_A_CODE}").get_data()
        self.odm_upsert = self.odm.replace(b'TransactionType="Insert"', b'TransactionType="Upsert"')
        return self

    def add_spares(self) -> World:
        """Objects a fuzzer may change or end without ending its own access: a user with a role and
        a membership, a site, and a spare API token of each seeded user."""
        user = self.user()
        self.spare = {"user": user["id"], "assignment": user["assignment"], "membership": user["membership"],
                      "site": self.site()}
        self.spare_tokens = {name: self.token_of(name) for name in CALLERS if name != "anonymous"}
        return self

    # ------------------------------------------------------------ fresh objects

    def subject(self, client: ApiClient | None = None, site: str = SITE_A_CODE) -> dict:
        client = client or self.client("coord_a")
        return ok(client.post(f"/studies/{STUDY}/subjects", json={"site": site, "consent_date": CONSENT}), 201,
                  "enrol")

    def record(self, subject: dict | None = None, complete: bool = True) -> dict:
        """A F_DM record at screening (complete unless told), with its ``etag``."""
        subject = subject or self.subject()
        return enter_record(self.client("coord_a"), subject["id"], "SCR", "F_DM", demographics(CONSENT),
                            complete=complete)

    def locked_record(self) -> dict:
        record = self.record()
        locked = self.client("dm").post(f"/records/{record['id']}/lock", json={}, headers={"If-Match": record["etag"]})
        ok(locked, 200, "lock")
        return {**locked.get_json(), "etag": locked.headers["ETag"]}

    def locked_subject(self) -> dict:
        subject = self.subject()
        self.record(subject)
        ok(self.client("dm").post(f"/subjects/{subject['id']}/lock", json={}), 200, "lock subject")
        return subject

    def query(self, record: dict | None = None, status: str = "open") -> dict:
        """A query raised by monitor_a on a site A record, then answered (and closed) if told."""
        record = record or {"id": self.ids["record"]}
        monitor = self.client("monitor_a")
        query = ok(monitor.post("/queries", json={"record_id": record["id"], "item": "AGE",
                                                  "text": "Please confirm the age against the source."}),
                   201, "raise query")
        if status in ("answered", "closed"):
            query = ok(self.client("coord_a").post(f"/queries/{query['id']}/responses",
                                                   json={"text": "Checked: as in the source."}), 200, "answer")
        if status == "closed":
            query = ok(monitor.post(f"/queries/{query['id']}/close", json={}), 200, "close")
        return query

    def user(self) -> dict:
        """A coordinator at site A created by the admin: ids of the user, its role and membership."""
        admin = self.client("admin")
        user = ok(admin.post("/users", json={"username": self.unique("fresh.user"), "full_name": "Fresh User",
                                             "password": "Fresh-password-123"}), 201, "create user")
        role = ok(admin.post(f"/users/{user['id']}/roles", json={"study": STUDY, "role": "coordinator"}), 201, "role")
        site = ok(admin.post(f"/users/{user['id']}/sites", json={"study": STUDY, "site": SITE_A_CODE}), 201, "site")
        return {"id": user["id"], "assignment": role["id"], "membership": site["id"]}

    def token_of(self, username: str) -> int:
        """A spare API token of a seeded user (its id)."""
        return ok(self.client(username).post("/auth/tokens", json={"name": self.unique("spare")}), 201, "token")["id"]

    def site(self) -> str:
        code = self.unique("X")
        ok(self.client("admin").post(f"/studies/{STUDY}/sites", json={"code": code, "name": "Spare site"}), 201, "site")
        return code

    def stand_in(self, caller: str) -> tuple[ApiClient, str]:
        """A new user with the roles and sites of a seeded one, and its client: for actions that
        end the caller's credentials (a password change)."""
        if caller == "anonymous":
            return self.client("anonymous"), "nobody"
        from ecrf.auth.loading import principal_for
        from ecrf.auth.principal import SYSTEM
        from ecrf.auth.services import issue_token
        from ecrf.auth.users import add_membership, create_user, grant_role
        from ecrf.cli import unit_of_work

        spec, username = _SPECS[caller], self.unique(f"{caller}.standin")
        settings = self.app.extensions["ecrf.settings"]
        with self.app.app_context(), unit_of_work() as db:
            user = create_user(db, settings, SYSTEM, username, spec.full_name, PASSWORD)
            for role in spec.roles:
                grant_role(db, SYSTEM, user, None if role == "admin" else STUDY, role)
            for letter in spec.sites or "":
                add_membership(db, SYSTEM, user, STUDY, (SITE_A if letter == "A" else SITE_B)[STUDY])
            db.flush()
            _token, secret = issue_token(db, settings, principal_for(user, "system"), "stand-in", 1)
        return ApiClient(self.app.test_client(), token=secret), username
