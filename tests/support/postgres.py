"""A throwaway PostgreSQL server for the test suite.

Finds PostgreSQL server binaries (``ECRF_PG_BINDIR``, ``pg_config --bindir``, or Debian's
versioned library folder), installs Debian's package with apt-get when none are found, and runs
``initdb``/``postgres`` as an unprivileged user (initdb refuses root): the current user when not
root, else the ``postgres`` system user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PACKAGE = "postgresql-15"


def _candidates() -> list[Path]:
    found = []
    if os.environ.get("ECRF_PG_BINDIR"):
        found.append(Path(os.environ["ECRF_PG_BINDIR"]))
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        if out:
            found.append(Path(out))
    found += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    return [p for p in found if (p / "initdb").exists() and (p / "postgres").exists()]


def find_bindir(install: bool = True) -> Path:
    candidates = _candidates()
    if candidates:
        return candidates[0]
    if install and os.geteuid() == 0 and shutil.which("apt-get"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-q"], check=False, env=env, stdin=subprocess.DEVNULL)
        subprocess.run(["apt-get", "install", "-y", "-q", PACKAGE], check=True, env=env, stdin=subprocess.DEVNULL)
        candidates = _candidates()
        if candidates:
            return candidates[0]
    raise RuntimeError("PostgreSQL server binaries not found; install postgresql-15 or set ECRF_PG_BINDIR")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ThrowawayPostgres:
    def __init__(self) -> None:
        self.bindir = find_bindir()
        self.root = Path(tempfile.mkdtemp(prefix="ecrf-pg-"))
        self.datadir = self.root / "data"
        self.port = _free_port()
        self.process: subprocess.Popen | None = None
        self.as_user = None
        if os.geteuid() == 0:
            self.as_user = pwd.getpwnam("postgres")
            os.chown(self.root, self.as_user.pw_uid, self.as_user.pw_gid)
        self.user = self.as_user.pw_name if self.as_user else pwd.getpwuid(os.geteuid()).pw_name

    def _run_as(self, args: list[str], **kwargs):
        if self.as_user:
            args = ["runuser", "-u", self.as_user.pw_name, "--"] + args
        return args

    def start(self) -> str:
        subprocess.run(self._run_as([str(self.bindir / "initdb"), "-D", str(self.datadir), "-A", "trust",
                                     "-U", self.user, "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]),
                       check=True, capture_output=True, stdin=subprocess.DEVNULL)
        with open(self.root / "postgres.log", "wb") as log:  # the child keeps its own descriptor
            self.process = self._spawn(log)
        return self._wait_ready()

    def _spawn(self, log):
        return subprocess.Popen(
            self._run_as([str(self.bindir / "postgres"), "-D", str(self.datadir), "-p", str(self.port),
                          "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.root}",
                          "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                          "-c", "max_connections=200", "-c", "shared_buffers=128MB"]),
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def _wait_ready(self) -> str:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"postgres exited; see {self.root / 'postgres.log'}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    time.sleep(0.2)
                    return self.url("postgres")
            time.sleep(0.1)
        raise RuntimeError("postgres did not start within 30 s")

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.root, ignore_errors=True)
