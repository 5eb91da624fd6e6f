"""Starting and stopping the servers under test: gunicorn (app and floor) and PostgreSQL.

Every server listens on 127.0.0.1 only, runs as a child of the benchmark and is stopped by it.
The app and the floor get identical gunicorn settings.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Two cores: one worker process per core; eight threads each cover 16 concurrent clients while
# a thread waits on the database. The same settings serve the app and the floor.
GUNICORN_WORKERS = 2
GUNICORN_THREADS = 8


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn_args(target: str, port: int) -> list[str]:
    return [sys.executable, "-m", "gunicorn", "--worker-class", "gthread",
            "--workers", str(GUNICORN_WORKERS), "--threads", str(GUNICORN_THREADS),
            "--bind", f"127.0.0.1:{port}", "--keep-alive", "30", "--timeout", "120",
            "--graceful-timeout", "5", target]


@dataclass
class Server:
    """A gunicorn server with its own port and log file."""

    name: str
    target: str  # "wsgi:app" or "bench.floor_app:create_app()"
    env: dict
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    def start(self, health_path: str, timeout: float = 60) -> "Server":
        env = dict(os.environ, **self.env)
        env["PYTHONPATH"] = str(PROJECT_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(gunicorn_args(self.target, self.port), cwd=PROJECT_ROOT, env=env,
                                        stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} server exited; see {self.log_path}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", health_path)
                if connection.getresponse().status == 200:
                    connection.close()
                    return self
                connection.close()
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} server did not become ready; see {self.log_path}")

    def worker_pids(self) -> list[int]:
        """The gunicorn workers (children of the master)."""
        if self.process is None:
            return []
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(p) for p in children.read_text().split()]
        except OSError:
            return []

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None
        if getattr(self, "_log", None):
            self._log.close()
            self._log = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def proc_memory_kib(pid: int) -> dict[str, int]:
    """VmRSS (resident now) and VmHWM (peak resident) of a process, in KiB, from /proc."""
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    except OSError:
        pass
    return out


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process, of its children that ended (cutime) and of its live descendants."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    total = sum(int(fields[i]) for i in (11, 12, 13, 14)) / os.sysconf("SC_CLK_TCK")
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return total + sum(tree_cpu_seconds(int(child)) for child in children)


class Postgres:
    """The test suite's throwaway PostgreSQL 15 server (same settings as ``make test``)."""

    def __init__(self) -> None:
        from tests.support.postgres import ThrowawayPostgres

        self.server = ThrowawayPostgres()
        self.server.start()

    def create_database(self, name: str) -> str:
        import psycopg

        admin = self.server.url("postgres").replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name}")
            connection.execute(f"CREATE DATABASE {name}")
        return self.server.url(name)

    def cpu_seconds(self) -> float:
        """CPU time of the postmaster and every backend (ended ones included)."""
        return tree_cpu_seconds(self.server.process.pid) if self.server.process else 0.0

    # what tests/support/postgres.py starts it with (a throwaway server: no durability)
    SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
                "shared_buffers": "128MB", "max_connections": "200"}

    def stop(self) -> None:
        self.server.stop()
