"""Export: the ODM export of a generated 1,000-subject study, measured on the running server.

The study is built by ``bench/export_memory.py`` (the exports' own benchmark; its ``build``): one
complete ESCC-N3 subject entered through the API (about 20 complete records and 600 audit
entries) cloned in bulk. The export is fetched as the data manager from the gunicorn server
(streamed, read to the end); the resident memory of the worker that serves it is sampled from
/proc every 10 ms, its peak (VmHWM, reset after the warm-up) is read at the end, and the growth
over its idle size after a warm-up export of one subject is reported.
"""

from __future__ import annotations

import http.client
import threading
import time
from pathlib import Path

from bench.servers import Server, proc_memory_kib

EXPORT_PATH = "/api/v1/studies/ESCC-N3/export/odm"


def available() -> str | None:
    """Why the export cannot be measured, or None when it can."""
    try:
        from bench import export_memory  # noqa: F401
    except ImportError as exc:
        return f"bench/export_memory.py not importable ({exc})"
    try:
        from ecrf.exports import views  # noqa: F401
    except ImportError as exc:
        return f"no export endpoint ({exc})"
    return None


def build(url: str, subjects: int) -> str:
    """The exports engineer's generator; returns the data manager's API token."""
    from bench import export_memory

    return export_memory.build(url, subjects)


def _reset_peak(pid: int) -> None:
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    except OSError:
        pass


def _get(port: int, path: str, token: str) -> tuple[int, float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)  # a new connection: any worker
    try:
        start = time.perf_counter()
        connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        size = 0
        while chunk := response.read(1 << 16):
            size += len(chunk)
        if response.status != 200:
            raise RuntimeError(f"GET {path} -> {response.status}")
        return size, time.perf_counter() - start
    finally:
        connection.close()


def measure(server: Server, token: str, kind: str, subjects: int) -> dict:
    workers = server.worker_pids()
    for _ in range(2 * len(workers)):  # warm every worker: imports, caches, connections
        _get(server.port, f"{EXPORT_PATH}?type={kind}&subject=RJH-001", token)
    idle = {pid: proc_memory_kib(pid).get("VmRSS", 0) for pid in workers}
    for pid in workers:
        _reset_peak(pid)
    peak = dict(idle)
    running = True

    def sample() -> None:
        while running:
            for pid in workers:
                peak[pid] = max(peak[pid], proc_memory_kib(pid).get("VmRSS", 0))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        size, seconds = _get(server.port, f"{EXPORT_PATH}?type={kind}", token)
    finally:
        running = False
        sampler.join()
    for pid in workers:
        peak[pid] = max(peak[pid], proc_memory_kib(pid).get("VmHWM", 0))
    growth = {pid: peak[pid] - idle[pid] for pid in workers}
    busiest = max(growth, key=growth.get)
    return {"type": kind, "subjects": subjects, "seconds": round(seconds, 2), "mib": round(size / 2**20, 1),
            "subjects_per_s": round(subjects / seconds, 1), "mib_per_s": round(size / 2**20 / seconds, 2),
            "idle_rss_mib": round(idle[busiest] / 1024, 1), "peak_rss_mib": round(peak[busiest] / 1024, 1),
            "rss_growth_mib": round(growth[busiest] / 1024, 1)}
