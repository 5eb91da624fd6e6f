"""SQLite writers queue for their turn (ecrf.sqlite_writers) and always give it back."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from ecrf.db import make_engine, sqlite_write_intent
from ecrf.sqlite_writers import turns_for


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'turns.db'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
        connection.exec_driver_sql("INSERT INTO counter VALUES (1, 0)")
    yield engine
    engine.dispose()


def _turns(engine):
    return turns_for(engine.url.database)


def test_concurrent_writers_all_land_and_the_turn_is_free_afterwards(engine):
    def writer():
        for _ in range(25):
            with engine.begin() as connection:
                n = connection.execute(text("SELECT n FROM counter WHERE id = 1")).scalar_one()
                connection.execute(text("UPDATE counter SET n = :n WHERE id = 1"), {"n": n + 1})

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT n FROM counter")).scalar_one() == 200
    assert not _turns(engine)._threads.locked()


def test_a_failed_transaction_gives_its_turn_back(engine):
    with pytest.raises(IntegrityError):
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO counter VALUES (1, 5)"))
    assert not _turns(engine)._threads.locked()
    with engine.begin() as connection:
        connection.execute(text("UPDATE counter SET n = 7"))
    assert not _turns(engine)._threads.locked()


def test_readers_do_not_wait_for_a_writer(engine):
    writer = engine.connect()
    writer.execute(text("UPDATE counter SET n = 1"))  # holds the turn and the write lock
    token = sqlite_write_intent.set(False)
    try:
        with engine.connect() as reader:
            assert reader.execute(text("SELECT n FROM counter")).scalar_one() == 0
    finally:
        sqlite_write_intent.reset(token)
        writer.commit()
        writer.close()
    assert not _turns(engine)._threads.locked()
