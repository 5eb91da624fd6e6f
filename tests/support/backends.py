"""Test databases: one migrated, seeded template per test session; a fresh copy per test."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

import psycopg

from tests.support.postgres import ThrowawayPostgres


class SQLiteBackend:
    name = "sqlite"

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="ecrf-sqlite-"))
        self.template = self.root / "template.db"

    def template_url(self) -> str:
        return f"sqlite:///{self.template}"

    def new_database(self) -> tuple[str, object]:
        path = self.root / f"{uuid.uuid4().hex}.db"
        shutil.copyfile(self.template, path)
        return f"sqlite:///{path}", path

    def empty_database(self) -> tuple[str, object]:
        path = self.root / f"empty-{uuid.uuid4().hex}.db"
        return f"sqlite:///{path}", path

    def drop(self, handle) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(str(handle) + suffix).unlink(missing_ok=True)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


class PostgresBackend:
    name = "postgresql"
    TEMPLATE = "ecrf_template"

    def __init__(self, url: str | None = None) -> None:
        self.server = None
        if url is None:
            self.server = ThrowawayPostgres()
            self.server.start()
            self.base = self.server.url
        else:
            prefix = url.rsplit("/", 1)[0]
            self.base = lambda db: f"{prefix}/{db}"
        # one template per test process: with pytest-xdist, processes may share one existing server
        self.TEMPLATE = f"{type(self).TEMPLATE}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
        self._admin("CREATE DATABASE " + self.TEMPLATE)

    def _admin(self, statement: str) -> None:
        url = self.base("postgres").replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(statement)

    def template_url(self) -> str:
        return self.base(self.TEMPLATE)

    def new_database(self) -> tuple[str, object]:
        name = "t_" + uuid.uuid4().hex[:16]
        self._admin(f"CREATE DATABASE {name} TEMPLATE {self.TEMPLATE}")
        return self.base(name), name

    def empty_database(self) -> tuple[str, object]:
        name = "e_" + uuid.uuid4().hex[:16]
        self._admin(f"CREATE DATABASE {name}")
        return self.base(name), name

    def drop(self, handle) -> None:
        self._admin(f"DROP DATABASE IF EXISTS {handle} WITH (FORCE)")

    def close(self) -> None:
        if self.server:
            self.server.stop()
