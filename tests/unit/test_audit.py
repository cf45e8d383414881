"""The audit log's chain finds edited, deleted and reordered rows; exports are signed."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pytest

from kiosk.audit import AuditLog, Event, _row_hash, verify_export
from kiosk.clock import ManualClock
from kiosk.db import Database
from kiosk.devicekey import ensure_key, fingerprint, public_bytes

START = dt.datetime(2024, 2, 14, 7, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def log(tmp_path):
    db = Database(tmp_path / "k.sqlite3")
    db.migrate()
    clock = ManualClock(START)
    audit = AuditLog(db, clock)
    for n in range(6):
        audit.record(Event.LOGIN, officer=f"kpps{n}", role="anggota", via="pin")
        clock.advance(60)
    return audit


def tamper(audit: AuditLog, *statements: str) -> None:
    """What someone with the SD card could do: drop the triggers and change the file."""
    conn = sqlite3.connect(audit.db.path)
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("DROP TRIGGER audit_log_no_delete")
    for sql in statements:
        conn.execute(sql)
    conn.commit()
    conn.close()


def test_intact_log_verifies_and_rows_carry_both_times(log):
    assert log.verify() is None
    rows = log.rows()
    assert [r["seq"] for r in rows] == [6, 5, 4, 3, 2, 1]
    assert rows[-1]["wall"].startswith("2024-02-14T07:00:00")
    assert rows[0]["mono"] - rows[-1]["mono"] == 300
    assert json.loads(rows[0]["details"]) == {"via": "pin"}


def test_triggers_refuse_update_and_delete(log):
    with pytest.raises(sqlite3.IntegrityError, match="append-only"), log.db.write() as conn:
        conn.execute("UPDATE audit_log SET officer = 'x' WHERE seq = 2")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"), log.db.write() as conn:
        conn.execute("DELETE FROM audit_log WHERE seq = 2")


def test_edited_row_is_found(log):
    tamper(log, "UPDATE audit_log SET officer = 'intruder' WHERE seq = 3")
    broken = log.verify()
    assert broken is not None and broken.seq == 3 and "changed" in broken.reason


def test_edited_row_with_recomputed_hash_breaks_the_next_row(log):
    row = dict(log.db.read("SELECT * FROM audit_log WHERE seq = 3")[0])
    row["officer"] = "intruder"
    tamper(
        log, f"UPDATE audit_log SET officer = 'intruder', hash = '{_row_hash(row)}' WHERE seq = 3"
    )
    broken = log.verify()
    assert broken is not None and broken.seq == 4


def test_deleted_row_is_found(log):
    tamper(log, "DELETE FROM audit_log WHERE seq = 4")
    broken = log.verify()
    assert broken is not None and broken.seq == 5


def test_deleted_last_row_is_not_claimed_as_found(log):
    """Cutting the tail leaves a valid shorter chain: that is why exports are signed and kept."""
    tamper(log, "DELETE FROM audit_log WHERE seq = 6")
    assert log.verify() is None


def test_reordered_rows_are_found(log):
    tamper(
        log,
        "UPDATE audit_log SET seq = -2 WHERE seq = 2",
        "UPDATE audit_log SET seq = 2 WHERE seq = 3",
        "UPDATE audit_log SET seq = 3 WHERE seq = -2",
    )
    broken = log.verify()
    assert broken is not None and broken.seq in (2, 3)


def test_export_is_signed_by_the_device_key(log, tmp_path):
    key = ensure_key(tmp_path / "data")
    out = tmp_path / "audit.jsonl"
    assert log.export(out, key) == 6
    lines = out.read_text().splitlines()
    assert len(lines) == 7
    assert json.loads(lines[0])["seq"] == 1
    assert json.loads(lines[-1])["fingerprint"] == fingerprint(key)
    assert verify_export(out, public_bytes(key))
    out.write_text(out.read_text().replace('"kpps2"', '"kpps9"'))
    assert not verify_export(out, public_bytes(key))


def test_device_key_is_private_and_stable(tmp_path):
    key = ensure_key(tmp_path)
    assert (tmp_path / "device_key.pem").stat().st_mode & 0o777 == 0o600
    assert fingerprint(ensure_key(tmp_path)) == fingerprint(key)
    assert len(fingerprint(key)) == 39
