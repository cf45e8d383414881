from __future__ import annotations

import sqlite3
import threading

import pytest

from kiosk import db as dbmod


def test_fresh_database_is_migrated_with_wal_and_full_sync(tmp_path):
    database = dbmod.Database(tmp_path / "k.sqlite3")
    assert database.migrate() == 0
    assert database.read("PRAGMA user_version")[0][0] == dbmod.SCHEMA_VERSION
    assert database.read("PRAGMA journal_mode")[0][0] == "wal"
    assert database.read("PRAGMA synchronous")[0][0] == 2  # FULL
    assert database.migrate() == dbmod.SCHEMA_VERSION  # idempotent


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "k.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {dbmod.SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(RuntimeError, match="newer"):
        dbmod.Database(path).migrate()


def test_failed_write_rolls_back(tmp_path):
    database = dbmod.Database(tmp_path / "k.sqlite3")
    database.migrate()
    with pytest.raises(ZeroDivisionError), database.write() as conn:
        conn.execute(
            "INSERT INTO selftest_report (created_wall, created_mono, ok, report_json)"
            " VALUES ('t', 0, 1, '{}')"
        )
        raise ZeroDivisionError
    assert database.read("SELECT count(*) FROM selftest_report")[0][0] == 0


def test_writers_from_many_threads_never_lose_a_row(tmp_path):
    database = dbmod.Database(tmp_path / "k.sqlite3")
    database.migrate()

    def worker(n: int) -> None:
        for i in range(25):
            with database.write() as conn:
                conn.execute(
                    "INSERT INTO selftest_report (created_wall, created_mono, ok, report_json)"
                    " VALUES (?, ?, 1, '{}')",
                    (f"{n}-{i}", i),
                )
        database.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert database.read("SELECT count(*) FROM selftest_report")[0][0] == 200
