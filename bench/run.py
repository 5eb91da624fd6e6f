"""Run every benchmark on SQLite and on PostgreSQL and print each figure beside its floor and goal.

    python -m bench [--quick] [--backends sqlite postgresql] [--only form_save chain audit export]

Everything runs on 127.0.0.1 in a temporary directory (PostgreSQL: a throwaway server, as for the
tests) and stops by itself; raw results go to bench/results/<time>.json. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench import audit_review, chain, dataset, export, floor_app, form_save, loadgen
from bench.servers import GUNICORN_THREADS, GUNICORN_WORKERS, PROJECT_ROOT, Postgres, Server, tree_cpu_seconds

RESULTS = Path(__file__).resolve().parent / "results"
CLIENTS = 16
POOL = {"ECRF_DB_POOL_SIZE": "5", "ECRF_DB_MAX_OVERFLOW": "5"}  # per worker: 10 >= 8 threads


@dataclass(frozen=True)
class Plan:
    rounds: int = 2           # floor/app alternations for form save
    warmup: float = 5.0
    window: float = 20.0
    chain_window: float = 10.0
    audit_small: int = 10_000
    audit_large: int = 1_000_000
    audit_repeats: int = 25
    export_subjects: int = 1000
    export_types: tuple[str, ...] = ("snapshot", "transactional")


FULL = Plan()
QUICK = Plan(rounds=1, warmup=3.0, window=8.0, chain_window=5.0, audit_large=100_000, audit_repeats=10,
             export_subjects=200, export_types=("snapshot",))


class SQLite:
    name = "sqlite"

    def __init__(self, root: Path):
        self.root = root

    def url(self, name: str) -> str:
        return f"sqlite:///{self.root / (name + '.db')}"

    def cpu(self) -> dict:
        return {}

    def close(self) -> None:
        pass


class PostgreSQL:
    name = "postgresql"

    def __init__(self, root: Path):
        self.server = Postgres()

    def url(self, name: str) -> str:
        return self.server.create_database(name)

    def cpu(self) -> dict:
        return {"database_cpu_s": self.server.cpu_seconds()}

    def close(self) -> None:
        self.server.stop()


def log(message: str) -> None:
    print(f"[bench {dt.datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def app_server(url: str, root: Path, name: str) -> Server:
    env = {"ECRF_DATABASE_URL": url, "ECRF_SECRET_KEY": dataset.BENCH_SECRET, "ECRF_LOG_LEVEL": "INFO", **POOL}
    return Server(name, "wsgi:app", env, root / f"{name}.log").start("/api/v1/health")


def floor_server(url: str, root: Path) -> Server:
    floor_app.create_tables(url)
    env = {"BENCH_FLOOR_DATABASE_URL": url, **POOL}
    return Server("floor", "bench.floor_app:create_app()", env, root / "floor.log").start("/health")


def counters_for(server: Server, backend):
    return lambda: {"server_cpu_s": tree_cpu_seconds(server.process.pid), **backend.cpu()}


# ---------------------------------------------------------------- form save and hash chain

def run_form_save(backend, root: Path, plan: Plan) -> dict:
    url = backend.url("app")
    log(f"{backend.name}: preparing the app database")
    tokens = dataset.prepare(url)
    per_round_guess = 120 * (plan.warmup + plan.window)  # completed forms/s the fastest machine might reach
    subjects = int(per_round_guess * plan.rounds) + 2 * CLIENTS
    log(f"{backend.name}: enrolling {subjects} subjects")
    ids = dataset.enrol_subjects(url, subjects)
    spare, ids = ids[:CLIENTS + 2], ids[CLIENTS + 2:]
    rounds = [ids[i::plan.rounds] for i in range(plan.rounds)]
    day = dt.date.today() - dt.timedelta(days=1)
    floor_runs, app_runs = [], []
    with app_server(url, root, f"app-{backend.name}") as app, floor_server(backend.url("floor"), root) as floor:
        for n in range(plan.rounds):
            log(f"{backend.name}: form save round {n + 1}/{plan.rounds}: floor")
            floor_runs.append(loadgen.run(floor.port, CLIENTS, plan.warmup, plan.window, form_save.floor_worker(day),
                                          [None], counters_for(floor, backend)))
            log(f"{backend.name}: form save round {n + 1}/{plan.rounds}: app")
            app_runs.append(loadgen.run(app.port, CLIENTS, plan.warmup, plan.window,
                                        form_save.app_worker(rounds[n], day),
                                        [tokens["coord_a"]], counters_for(app, backend)))
        chain_result = run_chain(backend, url, app, tokens, spare, plan)
        serving = serving_checks(app, tokens, spare[-1], day)
    requests = loadgen.summary(app_runs, ["create", "complete"])
    floor_requests = loadgen.summary(floor_runs, ["save"])
    return {
        "floor": floor_requests,
        "floor_cpu_ms_per_request": loadgen.counters_per(floor_runs, floor_requests["count"]),
        "requests": requests,
        "create": loadgen.summary(app_runs, ["create"]),
        "complete": loadgen.summary(app_runs, ["complete"]),
        "forms": loadgen.summary(app_runs, ["form"]),
        "app_cpu_ms_per_request": loadgen.counters_per(app_runs, requests["count"]),
        "errors": sum(r.errors for r in app_runs), "floor_errors": sum(r.errors for r in floor_runs),
        "first_error": next((r.first_error for r in app_runs + floor_runs if r.first_error), None),
        "exhausted": any(r.exhausted for r in app_runs),
        "chain": chain_result,
        "serving": serving,
    }


def serving_checks(app: Server, tokens: dict, subject_id: int, day: dt.date) -> dict:
    """Liveness, readiness, and one save traced by its request id: in the JSON log and the audit trail."""
    import http.client
    import uuid

    request_id = f"bench-{uuid.uuid4().hex}"
    connection = http.client.HTTPConnection("127.0.0.1", app.port, timeout=60)
    auth = {"Authorization": f"Bearer {tokens['coord_a']}", "Content-Type": "application/json"}

    def call(method, path, body=None, headers=None):
        connection.request(method, path, body=json.dumps(body).encode() if body is not None else None,
                           headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read(), response.getheader("X-Request-ID")

    try:
        health, _, _ = call("GET", "/api/v1/health")
        ready, _, _ = call("GET", "/api/v1/health/ready")
        status, body, echoed = call("POST", f"/api/v1/subjects/{subject_id}/visits/SCR/forms/F_LB",
                                    {"data": dataset.lab_data(day)}, auth | {"X-Request-ID": request_id})
        record_id = json.loads(body)["id"] if status == 201 else None
        _, body, _ = call("GET", f"/api/v1/audit?record={record_id}&limit=1000",
                          headers={"Authorization": f"Bearer {tokens['dm']}"})
        audit_ids = {e["request_id"] for e in json.loads(body)["items"]}
    finally:
        connection.close()
    time.sleep(0.5)  # let the worker write its log line
    lines = app.log_path.read_text(errors="replace").splitlines()
    logged, json_lines = set(), 0
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        json_lines += 1
        if entry.get("logger") == "ecrf.access":
            logged.add(entry.get("request_id"))
    return {"health": health, "ready": ready, "save_status": status, "request_id_echoed": echoed == request_id,
            "request_id_in_audit": audit_ids == {request_id}, "request_id_in_access_log": request_id in logged,
            "log_lines": len(lines), "json_log_lines": json_lines}


def run_chain(backend, url: str, app: Server, tokens: dict, spare: list[int], plan: Plan) -> dict:
    log(f"{backend.name}: hash chain: records for {CLIENTS} writers")
    visits = chain.SAME_SUBJECT_VISITS[:CLIENTS]
    # every subject gets as many lab records as the shared one, so that only the spread over subjects differs
    per_subject = dataset.draft_records(url, [(sid, key, rep) for sid in spare[:CLIENTS] for key, rep in visits])
    different = per_subject[::len(visits)]
    same = dataset.draft_records(url, [(spare[CLIENTS], key, rep) for key, rep in visits])
    out = {}
    for label, records in (("different_subjects", different), ("same_subject", same)):
        log(f"{backend.name}: hash chain: {CLIENTS} writers on {label.replace('_', ' ')}")
        sampler = None
        if backend.name == "postgresql":
            database = url.rsplit("/", 1)[1]
            sampler = chain.LockWaitSampler(backend.server.server.url("postgres"), database)
            sampler.start()
        result = loadgen.run(app.port, CLIENTS, 2.0, plan.chain_window, chain.patch_worker(records, {}),
                             [tokens["coord_a"]])
        if sampler:
            sampler.running = False
            sampler.join()
        out[label] = loadgen.summary([result], ["write"]) | {"errors": result.errors,
                                                             "first_error": result.first_error}
        if sampler:
            out[label]["locks"] = sampler.result()
    return out


# ---------------------------------------------------------------- audit review

def run_audit(backend, root: Path, plan: Plan) -> dict:
    info = {}
    for label, total in (("small", plan.audit_small), ("large", plan.audit_large)):
        url = backend.url(f"audit_{label}")
        log(f"{backend.name}: audit review: generating {total:,} entries")
        started = time.perf_counter()
        tokens = dataset.prepare(url)
        generated = dataset.synthetic_audit(url, total)
        info[label] = (url, tokens, generated, round(time.perf_counter() - started, 1))
    small_url, small_tokens, small_gen, _ = info["small"]
    large_url, large_tokens, large_gen, _ = info["large"]
    with app_server(small_url, root, f"audit-small-{backend.name}") as small, \
            app_server(large_url, root, f"audit-large-{backend.name}") as large:
        log(f"{backend.name}: audit review: timing pages")
        timings = audit_review.measure({
            "small": (small.port, small_tokens, small_gen["probe_subject_id"]),
            "large": (large.port, large_tokens, large_gen["probe_subject_id"]),
        }, plan.audit_repeats)
    return {"entries": {"small": small_gen["entries"], "large": large_gen["entries"]},
            "generation_s": {"small": info["small"][3], "large": info["large"][3]},
            "probes": {name: user_path[1] for name, user_path in audit_review.probes(large_gen["probe_subject_id"]).items()},
            "timings": timings}


# ---------------------------------------------------------------- export

def run_export(backend, root: Path, plan: Plan) -> dict:
    missing = export.available()
    if missing:
        return {"skipped": missing}
    url = backend.url("export")
    log(f"{backend.name}: export: building {plan.export_subjects} subjects (bench/export_memory.py)")
    started = time.perf_counter()
    token = export.build(url, plan.export_subjects)
    built = round(time.perf_counter() - started, 1)
    out = {"build_s": built, "runs": []}
    with app_server(url, root, f"export-{backend.name}") as server:
        for kind in plan.export_types:
            log(f"{backend.name}: export: ODM {kind}")
            out["runs"].append(export.measure(server, token, kind, plan.export_subjects))
    return out


# ---------------------------------------------------------------- table

def _fmt(value, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        value = f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{value}{unit}"


def rows_for(name: str, result: dict) -> list[tuple]:
    """(figure, measured, floor, ratio, goal, met) rows of one backend."""
    rows = [(f"{part}: FAILED", value["failed"][:80], "", "", "", "no")
            for part, value in result.items() if isinstance(value, dict) and "failed" in value]
    result = {part: value for part, value in result.items() if not (isinstance(value, dict) and "failed" in value)}
    fs = result.get("form_save")
    if fs:
        floor, req, forms = fs["floor"], fs["requests"], fs["forms"]
        ratio = req["per_s"] / floor["per_s"] if floor["per_s"] else None
        form_ratio = forms["per_s"] / floor["per_s"] if floor["per_s"] else None
        rows += [
            ("form save: requests/s (create or complete)", _fmt(req["per_s"]), _fmt(floor["per_s"]), _fmt(ratio),
             ">= 0.70", "yes" if ratio and ratio >= 0.70 else "no"),
            ("form save: completed forms/s (2 requests)", _fmt(forms["per_s"]), _fmt(floor["per_s"]), _fmt(form_ratio),
             ">= 0.70", "yes" if form_ratio and form_ratio >= 0.70 else "no"),
            ("form save: p50 per request", _fmt(req["p50_ms"], " ms"), _fmt(floor["p50_ms"], " ms"), "", "", ""),
            ("form save: p99 per request", _fmt(req["p99_ms"], " ms"), _fmt(floor["p99_ms"], " ms"), "", "<= 100 ms",
             "yes" if req["p99_ms"] is not None and req["p99_ms"] <= 100 else "no"),
            ("form save: p50 / p99 per form", f"{_fmt(forms['p50_ms'])} / {_fmt(forms['p99_ms'], ' ms')}", "", "", "", ""),
            ("form save: server CPU per request", _fmt(fs["app_cpu_ms_per_request"].get("server_cpu_s"), " ms"),
             _fmt(fs["floor_cpu_ms_per_request"].get("server_cpu_s"), " ms"), "", "", ""),
        ]
        if fs.get("errors") or fs.get("exhausted"):
            rows.append(("form save: errors / ran out of subjects", f"{fs['errors']} / {fs['exhausted']}", "", "", "0", "no"))
        ch = fs.get("chain")
        if ch:
            diff, same = ch["different_subjects"], ch["same_subject"]
            ratio = diff["per_s"] / same["per_s"] if same["per_s"] else None
            sqlite = name == "sqlite"
            rows.append((f"hash chain: {CLIENTS} writers, different subjects", _fmt(diff["per_s"], "/s"),
                         _fmt(same["per_s"], "/s same subj."), _fmt(ratio),
                         "n/a (one writer at a time)" if sqlite else "shown (CPU-bound: see lock waits)", "-"))
            if "locks" in diff:
                waits = diff["locks"]["mean_lock_waiting_backends"]
                rows.append(("hash chain: backends waiting on a row lock (mean)", _fmt(waits),
                             _fmt(same["locks"]["mean_lock_waiting_backends"]) + " same subj.", "", "~0",
                             "yes" if waits < 0.5 else "no"))
    sv = (fs or {}).get("serving")
    if sv:
        ok = (sv["health"] == 200 and sv["ready"] == 200 and sv["request_id_in_audit"]
              and sv["request_id_in_access_log"])
        rows.append(("serving: health, ready, request id in log & audit",
                     f"{sv['health']}, {sv['ready']}, {sv['request_id_in_access_log']} & {sv['request_id_in_audit']}",
                     "", "", "200, 200, True & True", "yes" if ok else "no"))
    au = result.get("audit")
    if au:
        small, large = au["entries"]["small"], au["entries"]["large"]
        for probe, label in (("subject_history", "subject's history"), ("filtered_page", "filtered page")):
            t = au["timings"][probe]
            ratio = t["large"]["median_ms"] / t["small"]["median_ms"]
            rows.append((f"audit: {label}, {large:,} vs {small:,} entries", _fmt(t["large"]["median_ms"], " ms"),
                         _fmt(t["small"]["median_ms"], " ms"), _fmt(ratio), "<= 1.5", "yes" if ratio <= 1.5 else "no"))
    ex = result.get("export")
    if ex:
        if "skipped" in ex:
            rows.append(("export", "not measured: " + ex["skipped"], "", "", "", ""))
        for run in ex.get("runs", []):
            rows.append((f"export ODM {run['type']}, {run['subjects']} subjects: time", _fmt(run["seconds"], " s"),
                         "", "", "", ""))
            rows.append((f"export ODM {run['type']}: throughput", f"{_fmt(run['subjects_per_s'])} subj/s, "
                         f"{_fmt(run['mib_per_s'])} MiB/s", "", "", "", ""))
            rows.append((f"export ODM {run['type']}: peak RSS growth", _fmt(run["rss_growth_mib"], " MiB"),
                         _fmt(run["idle_rss_mib"], " MiB idle"), "", "<= 100 MB",
                         "yes" if run["rss_growth_mib"] * 1.048576 <= 100 else "no"))
    return rows


def print_table(results: dict) -> None:
    header = ("figure", "measured", "floor / base", "ratio", "goal", "met?")
    for name in ("sqlite", "postgresql"):
        if name not in results["backends"]:
            continue
        rows = rows_for(name, results["backends"][name])
        widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(6)]
        print(f"\n{name}")
        print(" | ".join(h.ljust(w) for h, w in zip(header, widths)))
        print("-+-".join("-" * w for w in widths))
        for row in rows:
            print(" | ".join(str(c).ljust(w) for c, w in zip(row, widths)))
    print()


# ---------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter windows, 100k instead of 1M audit entries")
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--only", nargs="+", default=["form_save", "audit", "export"],
                        choices=["form_save", "audit", "export"], help="form_save includes the hash chain")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (databases, server logs)")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    os.environ.setdefault("ECRF_LOG_LEVEL", "WARNING")  # the in-process set-up; servers log at INFO
    root = Path(tempfile.mkdtemp(prefix="ecrf-bench-"))
    started = time.perf_counter()
    results = {"meta": meta(plan, args.quick), "backends": {}}
    try:
        for name in args.backends:
            backend = (SQLite if name == "sqlite" else PostgreSQL)(root)
            try:
                out = results["backends"].setdefault(name, {})
                for part, runner in (("form_save", run_form_save), ("audit", run_audit), ("export", run_export)):
                    if part in args.only:
                        try:
                            out[part] = runner(backend, root, plan)
                        except Exception as exc:  # one broken part must not lose the others' figures
                            log(f"{name}: {part} failed: {exc!r}")
                            out[part] = {"failed": repr(exc)[:500]}
            finally:
                backend.close()
    finally:
        results["meta"]["elapsed_s"] = round(time.perf_counter() - started, 1)
        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / f"{dt.datetime.now():%Y%m%d-%H%M%S}{'-quick' if args.quick else ''}.json"
        path.write_text(json.dumps(results, indent=2, default=str))
        if args.keep:
            log(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    print_table(results)
    print(f"raw results: {path.relative_to(PROJECT_ROOT)}; {results['meta']['elapsed_s']:.0f} s")
    return 0


def meta(plan: Plan, quick: bool) -> dict:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                                text=True, check=False).stdout.strip() or None
    except OSError:
        commit = None
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    return {"started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "commit": commit,
            "quick": quick, "plan": plan.__dict__, "python": platform.python_version(), "cpus": os.cpu_count(),
            "load_average_at_start": load, "clients": CLIENTS,
            "gunicorn": {"worker_class": "gthread", "workers": GUNICORN_WORKERS, "threads": GUNICORN_THREADS, **POOL},
            "load_generator": "bench/loadgen.py: Python threads, one persistent HTTP/1.1 connection each (http.client)",
            "postgresql_settings": Postgres.SETTINGS}


if __name__ == "__main__":
    sys.exit(main())
