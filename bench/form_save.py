"""Form save: completing a lab record (F_LB, 40 items, 38 edit checks, per-item audit) per subject.

One completed form is two requests, as a client does it: ``POST .../visits/SCR/forms/F_LB`` with
all the data (validated, 42 audit entries, CTCAE grades derived) then ``POST /records/{id}/complete``
with its ETag (every check again, completion audited). Each request is compared with one floor
request (one JSON row + one audit row); the completed form with one floor request too, which is
the stricter reading.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import time

from bench import loadgen
from bench.dataset import lab_data
from bench.loadgen import Sample

API = "/api/v1"


def app_worker(subject_ids: list[int], day: dt.date):
    queue = collections.deque(subject_ids)  # shared: a client served often must not run dry first

    def make(i: int, client: loadgen.Client):
        def step() -> bool:
            try:
                subject_id = queue.popleft()
            except IndexError:
                return False
            start = time.perf_counter()
            body = json.dumps({"data": lab_data(day, subject_id)}).encode()
            _, headers, data = client.call("POST", f"{API}/subjects/{subject_id}/visits/SCR/forms/F_LB", body,
                                           tag="create", expect=(201,))
            record_id = json.loads(data)["id"]
            client.call("POST", f"{API}/records/{record_id}/complete", b"{}", tag="complete",
                        headers={"If-Match": headers["ETag"]}, expect=(200,))
            client.samples.append(Sample("form", start, time.perf_counter(), 200))
            return True

        return step

    return make


def floor_worker(day: dt.date):
    def make(i: int, client: loadgen.Client):
        counter = iter(range(10**9))

        def step() -> bool:
            body = json.dumps({"data": lab_data(day, next(counter))}).encode()
            client.call("POST", "/records", body, tag="save", expect=(201,))
            return True

        return step

    return make


