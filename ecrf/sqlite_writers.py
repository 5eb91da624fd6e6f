"""SQLite writers take turns in a queue instead of polling the busy handler.

SQLite lets one writer at a time hold the database. A writer that finds it taken sleeps in the
busy handler (1, 2, 5, 10 ... 100 ms) and tries again, so under load the lock sits idle between
transactions while waiters sleep, and a newcomer often beats a writer that has waited for
seconds. Here a writer first waits its turn: on a lock shared by the threads of the process,
then on an ``flock`` of a file next to the database, shared by the processes (gunicorn workers,
CLI commands). Both wake the next writer as soon as the turn is given back, right after COMMIT
or ROLLBACK. ``BEGIN IMMEDIATE`` then finds the database free; the busy timeout stays the
fallback for anything that does not take turns.

A turn is held from ``BEGIN IMMEDIATE`` to the end of that transaction only; a process that
dies gives its ``flock`` back with it. Read transactions (``BEGIN``) take no turn.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from pathlib import Path

WAIT_SECONDS = 30  # as long as the busy timeout


class WriterTurns:
    """The queue of writers of one database file, as seen from this process."""

    def __init__(self, path: Path):
        self.path = Path(str(path) + "-writers")
        self._threads = threading.Lock()
        self._fd: int | None = None
        self._pid: int | None = None

    def _file(self) -> int:
        if self._pid != os.getpid():  # first use, or a forked child: a descriptor of its own
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._pid = os.getpid()
        return self._fd

    def acquire(self) -> bool:
        if not self._threads.acquire(timeout=WAIT_SECONDS):
            return False  # fall back on the busy timeout
        try:
            fcntl.flock(self._file(), fcntl.LOCK_EX)
        except OSError:
            self._threads.release()
            return False
        return True

    def release(self) -> None:
        try:
            fcntl.flock(self._file(), fcntl.LOCK_UN)
        finally:
            self._threads.release()


_turns: dict[Path, WriterTurns] = {}
_turns_guard = threading.Lock()


def turns_for(database: str) -> WriterTurns | None:
    """The writer queue of a database file (None for in-memory databases)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = Path(database).resolve()
    with _turns_guard:
        return _turns.setdefault(path, WriterTurns(path))


class TurnTakingConnection(sqlite3.Connection):
    """A sqlite3 connection that gives its writer turn back when its transaction ends."""

    turns: WriterTurns | None = None
    holds_turn = False

    def take_turn(self) -> None:
        """Wait for this connection's turn to write (before ``BEGIN IMMEDIATE``)."""
        if self.turns is not None and not self.holds_turn:
            self.holds_turn = self.turns.acquire()

    def give_turn_back(self) -> None:
        """After the transaction ended, or when BEGIN failed."""
        if self.holds_turn and not self.in_transaction:
            self._give_back()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.give_turn_back()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.give_turn_back()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._give_back()

    def _give_back(self) -> None:
        if self.holds_turn:
            self.holds_turn = False
            self.turns.release()
