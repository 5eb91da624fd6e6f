"""Hash chain: do writers of one study wait for each other?

Each subject has its own audit chain; a write locks only its subject's chain head. N writers each
change their own F_LB record (``PATCH /records/{id}``, one value, If-Match; one audit entry and
the CTCAE grades re-derived), first with every record on a different subject, then with every
record on the same subject (different visits). Every subject holds N lab records in both cases,
because a lab change re-grades all of the subject's lab records: the data is the same, only the
spread over subjects differs. Writers on one subject queue on its chain head; writers on different
subjects should not queue at all. On PostgreSQL the backends waiting on a lock are sampled from
``pg_stat_activity`` during the window.
"""

from __future__ import annotations

import json
import threading
import time

from bench import loadgen

API = "/api/v1"
SAME_SUBJECT_VISITS = [("SCR", 1)] + [("CYCLE", n) for n in range(1, 5)] + [("MAINT", n) for n in range(1, 18)]


def patch_worker(record_ids: list[int], etags: dict[int, str]):
    def make(i: int, client: loadgen.Client):
        record_id = record_ids[i]
        state = {"etag": etags.get(record_id), "n": 0}

        def step() -> bool:
            if state["etag"] is None:
                _, headers, _ = client.call("GET", f"{API}/records/{record_id}", tag="read", expect=(200,))
                state["etag"] = headers["ETag"]
            state["n"] += 1
            body = json.dumps({"data": {"LBHGB": str(120 + state["n"] % 30)}}).encode()
            _, headers, _ = client.call("PATCH", f"{API}/records/{record_id}", body, tag="write",
                                        headers={"If-Match": state["etag"]}, expect=(200,))
            state["etag"] = headers["ETag"]
            return True

        return step

    return make


class LockWaitSampler(threading.Thread):
    """Counts PostgreSQL backends running a query and those waiting on a heavyweight lock."""

    def __init__(self, url: str, database: str, interval: float = 0.05):
        super().__init__(daemon=True)
        self.url, self.database, self.interval = url, database, interval
        self.samples = self.active = self.waiting = 0
        self.running = True

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as c:
            while self.running:
                row = c.execute(
                    "SELECT count(*) FILTER (WHERE state = 'active'), "
                    "count(*) FILTER (WHERE wait_event_type = 'Lock'), "
                    "count(*) FILTER (WHERE wait_event_type = 'LWLock') "
                    "FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (self.database,)).fetchone()
                self.samples += 1
                self.active += row[0]
                self.waiting += row[1]
                self.lwlock += row[2]
                time.sleep(self.interval)

    lwlock = 0

    def result(self) -> dict:
        n = max(1, self.samples)
        return {"samples": self.samples, "mean_active_backends": round(self.active / n, 2),
                "mean_lock_waiting_backends": round(self.waiting / n, 2),
                "mean_lwlock_waiting_backends": round(self.lwlock / n, 2)}
