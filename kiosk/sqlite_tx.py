"""One SQLite write transaction, for the kiosk's database (kiosk.db) and the collector's
(kiosk.collector.store) alike: standard library only, so the collector shares it without
loading anything of the kiosk."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A ``BEGIN IMMEDIATE`` transaction: it takes the write lock at once, so writers in other
    processes wait (busy timeout) instead of failing half-way; rolled back on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
