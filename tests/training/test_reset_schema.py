""" "Reset latihan" is derived from the owners of the tables, read from SQLite itself: every table
of the schema has exactly one owning service, and a row in any table but the kept ones is gone
after the reset — also in a table added after this test was written."""

from __future__ import annotations

import sqlite3

from kiosk.services import day_owners
from kiosk.training.reset import KEPT_TABLES

FILLER = {"INTEGER": 1, "REAL": 1.0, "TEXT": "x", "BLOB": b"x"}


def count(kiosk, table: str) -> int:
    return kiosk.db.read(f"SELECT count(*) FROM {table}")[0][0]


def session_of(kiosk, client):
    with client.session_transaction() as s:
        return kiosk.auth.session(s["sid"])


def schema_tables(kiosk) -> list[str]:
    rows = kiosk.db.read("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    return [r["name"] for r in rows if not r["name"].startswith("sqlite_")]


def test_every_table_has_exactly_one_owning_service(kiosk):
    owners: dict[str, list[str]] = {}
    for owner in day_owners(kiosk.services):
        for table in owner.owns:
            owners.setdefault(table, []).append(type(owner).__name__)
    tables = schema_tables(kiosk)
    assert len(tables) > 15  # the schema was really read
    assert {t: owners.get(t, []) for t in tables if len(owners.get(t, [])) != 1} == {}
    assert sorted(set(owners) - set(tables)) == []  # no owner names a table that is not there


def insert_a_row(conn: sqlite3.Connection, table: str) -> None:
    """One row, its NOT NULL columns filled by type (``training`` = 1: a training row)."""
    values: dict[str, object] = {}
    columns = conn.execute(f"PRAGMA table_info({table})").fetchall()
    keys = [c for c in columns if c[5]]
    for col in columns:
        _, name, kind, notnull, default, pk = col
        rowid = pk and len(keys) == 1 and kind.upper() == "INTEGER"  # SQLite numbers it
        if name == "training":
            values[name] = 1
        elif notnull and default is None and not rowid:
            values[name] = FILLER.get(kind.upper(), "x")
    names = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    conn.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", tuple(values.values()))


def test_a_row_in_every_table_but_the_kept_ones_is_gone_after_the_reset(app, kiosk, trainer):
    tables = schema_tables(kiosk)
    # The kept tables already hold their rows (the roster, the trainer's session, the audit
    # log); a made-up row there would be a forged officer or a break in the audit chain.
    day = [t for t in tables if t not in KEPT_TABLES]
    conn = sqlite3.connect(kiosk.db.path, isolation_level=None)
    try:
        # Rows made up column by column: no foreign key or CHECK rule is asked of them.
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("PRAGMA ignore_check_constraints = ON")
        conn.execute("BEGIN IMMEDIATE")
        for table in day:
            insert_a_row(conn, table)
        conn.execute("COMMIT")
    finally:
        conn.close()
    assert {t: count(kiosk, t) for t in day if count(kiosk, t) == 0} == {}

    done = kiosk.services.training.reset(session_of(kiosk, trainer))

    assert {t: count(kiosk, t) for t in day if count(kiosk, t)} == {}
    assert {t for t, n in done.deleted.items() if n} == set(day)
    assert all(count(kiosk, t) for t in KEPT_TABLES)  # the roster and the audit log stay
