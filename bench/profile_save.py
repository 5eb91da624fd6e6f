"""Profile the form save path in-process (no HTTP server): create + complete of F_LB records.

    python -m bench.profile_save [--forms 200] [--postgresql | --database-url URL] [--sort tottime] [--top 40]

Uses Flask's test client with a bearer token, so everything from routing to commit is included
(everything but gunicorn and the socket). Prints wall and CPU milliseconds per form (CPU time of this process: with SQLite that includes the
database; the machine is shared, so compare CPU figures) and the cProfile table.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import pstats
import shutil
import tempfile
import time
from pathlib import Path

from bench import dataset


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forms", type=int, default=200)
    parser.add_argument("--database-url", help="an empty database (default: a temporary SQLite file)")
    parser.add_argument("--postgresql", action="store_true", help="on a throwaway PostgreSQL server")
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--no-profile", action="store_true", help="only time it")
    parser.add_argument("--callees", metavar="REGEX", help="also list what the functions matching REGEX call")
    parser.add_argument("--pyinstrument", action="store_true",
                        help="sample with pyinstrument (pip install pyinstrument) instead of cProfile")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="ecrf-profile-"))
    url = args.database_url or f"sqlite:///{workdir / 'profile.db'}"
    server = None
    if args.postgresql:
        from bench.servers import Postgres

        server = Postgres()
        url = server.create_database("profile")
    try:
        _profile(args, url)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def _profile(args, url: str) -> None:
    tokens = dataset.prepare(url)
    warm = 20
    ids = dataset.enrol_subjects(url, args.forms + warm)
    app = dataset.make_app(url)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {tokens['coord_a']}"}
    day = dt.date.today() - dt.timedelta(days=1)

    def save(subject_id: int) -> None:
        response = client.post(f"/api/v1/subjects/{subject_id}/visits/SCR/forms/F_LB",
                               json={"data": dataset.lab_data(day, subject_id)}, headers=headers)
        assert response.status_code == 201, response.get_data(as_text=True)
        record_id = response.get_json()["id"]
        response = client.post(f"/api/v1/records/{record_id}/complete", json={},
                               headers=headers | {"If-Match": response.headers["ETag"]})
        assert response.status_code == 200, response.get_data(as_text=True)

    for subject_id in ids[:warm]:
        save(subject_id)
    statements = _count_statements(app.extensions["ecrf.engine"])
    if args.pyinstrument:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        start, stop = profiler.start, profiler.stop
    else:
        profiler = cProfile.Profile()
        start, stop = profiler.enable, profiler.disable
    started, cpu_started = time.perf_counter(), time.process_time()
    if not args.no_profile:
        start()
    for subject_id in ids[warm:]:
        save(subject_id)
    if not args.no_profile:
        stop()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(json.dumps({"forms": args.forms, "ms_per_form": round(elapsed * 1000 / args.forms, 2),
                      "cpu_ms_per_form": round(cpu * 1000 / args.forms, 2),
                      "ms_per_request": round(elapsed * 1000 / (2 * args.forms), 2),
                      "statements_per_form": round(statements[0] / args.forms, 1),
                      "profiled": not args.no_profile, "database": url.split(":")[0]}))
    if args.no_profile:
        pass
    elif args.pyinstrument:
        print(profiler.output_text(unicode=False, color=False, show_all=False))
    else:
        stats = pstats.Stats(profiler).sort_stats(args.sort)
        stats.print_stats(args.top)
        if args.callees:
            stats.print_callees(args.callees)
    app.extensions["ecrf.engine"].dispose()


def _count_statements(engine) -> list[int]:
    from sqlalchemy import event

    count = [0]

    @event.listens_for(engine, "before_cursor_execute")
    def _count(*_args):
        count[0] += 1

    return count


if __name__ == "__main__":
    main()
