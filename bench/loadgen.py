"""A closed-loop HTTP load generator in Python: one thread per client, each with one persistent
HTTP/1.1 connection (``http.client``), a warm-up, then a fixed measuring window.

Each client runs its own sequence of operations back to back (no think time). Every request is
timed; a request counts when it ends inside the window. The generator's own CPU time is reported
beside the figures: it shares the machine with the server, equally for the floor and the app.
"""

from __future__ import annotations

import http.client
import json
import resource
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Callable


class UnexpectedStatus(RuntimeError):
    pass


@dataclass
class Sample:
    tag: str
    start: float
    end: float
    status: int


class Client:
    """One connection; ``call`` times a request and records it under ``tag``."""

    def __init__(self, port: int, token: str | None, samples: list):
        self.port, self.token, self.samples = port, token, samples
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def call(self, method: str, path: str, body: object = None, tag: str | None = None,
             headers: dict | None = None, expect: tuple[int, ...] = (200, 201)) -> tuple[int, dict, bytes]:
        sent = {"Accept": "application/json"}
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        payload = None
        if body is not None:
            payload = body if isinstance(body, bytes) else json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        sent.update(headers or {})
        start = time.perf_counter()
        try:
            self.connection.request(method, path, body=payload, headers=sent)
            response = self.connection.getresponse()
            data = response.read()
        except (http.client.HTTPException, OSError):
            self.connection.close()  # reconnect on the next call
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            raise
        end = time.perf_counter()
        self.samples.append(Sample(tag or f"{method} {path}", start, end, response.status))
        if response.status not in expect:
            raise UnexpectedStatus(f"{method} {path} -> {response.status}: {data[:300]!r}")
        return response.status, dict(response.getheaders()), data

    def close(self) -> None:
        self.connection.close()


@dataclass
class LoadResult:
    """What one run measured inside its window: latencies of successful requests per tag (ms),
    error count, and the deltas of the ``counters`` callable (CPU seconds of processes...)."""

    duration: float
    clients: int
    latencies: dict = field(default_factory=dict)
    errors: int = 0
    first_error: str | None = None
    exhausted: bool = False
    counters: dict = field(default_factory=dict)


def percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def summary(results: list[LoadResult], tags: list[str] | None = None) -> dict:
    """Throughput and percentiles over several runs (rounds) pooled; ``tags`` pooled into one."""
    duration = sum(r.duration for r in results)
    values = sorted(v for r in results for tag, lat in r.latencies.items() if tags is None or tag in tags
                    for v in lat)
    if not values:
        return {"count": 0, "per_s": 0.0, "p50_ms": None, "p90_ms": None, "p99_ms": None, "max_ms": None}
    return {"count": len(values), "per_s": round(len(values) / duration, 2),
            "p50_ms": round(percentile(values, 0.50), 2), "p90_ms": round(percentile(values, 0.90), 2),
            "p99_ms": round(percentile(values, 0.99), 2), "max_ms": round(values[-1], 2)}


def counters_per(results: list[LoadResult], per: int) -> dict:
    """Summed counter deltas divided by ``per`` (e.g. CPU ms per request)."""
    totals: dict[str, float] = {}
    for r in results:
        for key, value in r.counters.items():
            totals[key] = totals.get(key, 0.0) + value
    return {key: round(value * 1000 / max(1, per), 3) for key, value in totals.items()}


def run(port: int, clients: int, warmup: float, duration: float, make_worker: Callable[[int, Client], Callable[[], bool]],
        tokens: list[str | None], counters: Callable[[], dict] | None = None) -> LoadResult:
    """Run ``clients`` threads; ``make_worker(i, client)`` returns a step function that does one
    operation and returns False when it has no more work. Stops by itself after warm-up + duration.
    ``counters()`` is read at the start and the end of the window."""
    sys.setswitchinterval(0.0005)  # let a thread whose response arrived run promptly
    samples_per_client: list[list[Sample]] = [[] for _ in range(clients)]
    errors: list[str] = []
    exhausted = threading.Event()
    t0 = time.perf_counter() + 0.2
    window_start, window_end = t0 + warmup, t0 + warmup + duration
    barrier = threading.Barrier(clients + 1)

    def body(i: int) -> None:
        client = Client(port, tokens[i % len(tokens)], samples_per_client[i])
        step = make_worker(i, client)
        barrier.wait()
        while time.perf_counter() < t0:
            time.sleep(0.001)
        try:
            while time.perf_counter() < window_end:
                try:
                    if not step():
                        exhausted.set()
                        break
                except (UnexpectedStatus, http.client.HTTPException, OSError) as exc:
                    errors.append(str(exc))
                    time.sleep(0.01)
        finally:
            client.close()

    threads = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    read = counters or (lambda: {})
    time.sleep(max(0.0, window_start - time.perf_counter()))
    at_start = dict(read(), loadgen_cpu_s=_own_cpu())
    time.sleep(max(0.0, window_end - time.perf_counter()))
    at_end = dict(read(), loadgen_cpu_s=_own_cpu())
    for t in threads:
        t.join(timeout=180)
    latencies: dict[str, list[float]] = {}
    failed = 0
    for per in samples_per_client:
        for s in per:
            if window_start <= s.end <= window_end:
                if s.status < 400:
                    latencies.setdefault(s.tag, []).append((s.end - s.start) * 1000)
                else:
                    failed += 1
    return LoadResult(duration=duration, clients=clients, latencies=latencies, errors=max(len(errors), failed),
                      first_error=errors[0] if errors else None, exhausted=exhausted.is_set(),
                      counters={k: at_end[k] - at_start.get(k, 0.0) for k in at_end})


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
