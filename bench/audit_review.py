"""Audit review: the same two pages read from a database with 10 thousand and with 1 million entries.

* subject history: ``GET /audit?subject=<probe>`` as the site's monitor (scope: their sites), the
  newest 100 of the probe subject's 420 entries;
* filtered page: ``GET /audit?study=ESCC-N3&item=LBHGB&since=<start>&limit=100`` as the data manager.

Both return full pages of 100 in either database, so the ratio of the timings shows how the cost
grows with the size of the trail (keyset pagination over indexes keeps it flat). Each page is
fetched alternately from the two servers, sequentially, after a warm-up; medians are reported.
"""

from __future__ import annotations

import http.client
import json
import statistics
import time
import urllib.parse

from bench.dataset import PERIOD


def probes(probe_subject_id: int) -> dict[str, tuple[str, str]]:
    since = urllib.parse.quote(PERIOD[0].isoformat())
    return {
        "subject_history": ("monitor_a", f"/api/v1/audit?subject={probe_subject_id}"),
        "filtered_page": ("dm", f"/api/v1/audit?study=ESCC-N3&item=LBHGB&since={since}&limit=100"),
    }


def fetch(connection: http.client.HTTPConnection, path: str, token: str) -> tuple[float, int]:
    start = time.perf_counter()
    connection.request("GET", path, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
    response = connection.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - start) * 1000
    if response.status != 200:
        raise RuntimeError(f"GET {path} -> {response.status}: {body[:300]!r}")
    return elapsed, len(json.loads(body)["items"])


def measure(servers: dict[str, tuple[int, dict, int]], repeats: int, warmup: int = 5) -> dict:
    """``servers``: label -> (port, tokens, probe subject id). Returns per probe and label the
    median, p90 and item count, fetched alternately from each server."""
    connections = {label: http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                   for label, (port, _t, _p) in servers.items()}
    timings: dict[str, dict[str, list[float]]] = {}
    items: dict[str, dict[str, int]] = {}
    try:
        for n in range(warmup + repeats):
            for label, (_port, tokens, probe_id) in servers.items():
                for probe, (user, path) in probes(probe_id).items():
                    elapsed, count = fetch(connections[label], path, tokens[user])
                    if n >= warmup:
                        timings.setdefault(probe, {}).setdefault(label, []).append(elapsed)
                        items.setdefault(probe, {})[label] = count
    finally:
        for connection in connections.values():
            connection.close()
    out = {}
    for probe, per_label in timings.items():
        out[probe] = {}
        for label, values in per_label.items():
            values.sort()
            out[probe][label] = {"median_ms": round(statistics.median(values), 2),
                                 "p90_ms": round(values[int(0.9 * (len(values) - 1))], 2),
                                 "items": items[probe][label], "samples": len(values)}
    return out
