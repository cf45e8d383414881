"""The audit log's chain finds edited, deleted and reordered rows; exports are signed."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pytest

from kiosk import audit_head
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


def test_deleted_last_row_is_not_claimed_as_found_before_the_device_key_exists(log):
    """Without a device key (not provisioned yet) nothing signs the head: cutting the tail
    leaves a valid shorter chain. From the first provisioning on, it is found (below)."""
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


# The signed head ------------------------------------------------------------------------------
@pytest.fixture
def anchored(tmp_path):
    """A provisioned kiosk's log: device key and profile in the database's folder, 6 rows."""
    ensure_key(tmp_path)
    (tmp_path / "profile.toml").write_text("# installed\n")
    db = Database(tmp_path / "kiosk.sqlite3")
    db.migrate()
    clock = ManualClock(START)
    audit = AuditLog(db, clock)
    audit.record(Event.PROVISIONED, officer="teknisi", tps="6474010001005")
    for n in range(5):
        audit.record(Event.LOGIN, officer=f"kpps{n}", role="anggota", via="pin")
        clock.advance(60)
    return audit


def tamper_all(audit: AuditLog, *statements: str) -> None:
    """Like ``tamper``, and the head's own trigger dropped too."""
    tamper(audit, "DROP TRIGGER audit_head_forward", *statements)


def rewrite(audit: AuditLog, seq: int, officer: str) -> None:
    """Change row ``seq`` and recompute every hash from it on: the chain itself stays valid."""
    rows = [dict(r) for r in audit.db.read("SELECT * FROM audit_log ORDER BY seq")]
    prev = rows[seq - 2]["hash"] if seq > 1 else "0" * 64
    updates = []
    for row in rows[seq - 1 :]:
        row["prev_hash"] = prev
        row["officer"] = officer if row["seq"] == seq else row["officer"]
        row["hash"] = prev = _row_hash(row)
        updates.append(
            f"UPDATE audit_log SET officer = '{row['officer']}', prev_hash = '{row['prev_hash']}',"
            f" hash = '{row['hash']}' WHERE seq = {row['seq']}"
        )
    tamper(audit, *updates)


def forge_append(audit: AuditLog) -> None:
    last = dict(audit.db.read("SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1")[0])
    row = {**last, "seq": last["seq"] + 1, "kind": "chasil_confirmed", "prev_hash": last["hash"]}
    row["hash"] = _row_hash(row)
    cols = ", ".join(k for k in row)
    conn = sqlite3.connect(audit.db.path)
    conn.execute(
        f"INSERT INTO audit_log ({cols}) VALUES ({', '.join('?' for _ in row)})",
        tuple(row.values()),
    )
    conn.commit()
    conn.close()


def test_each_row_re_signs_the_head_in_the_database_and_the_head_file(anchored, tmp_path):
    head = anchored.head()
    last = anchored.rows(limit=1)[0]
    assert head is not None and (head.count, head.hash) == (6, last["hash"])
    assert head.valid(public_bytes(ensure_key(tmp_path)))
    assert head.fingerprint == fingerprint(ensure_key(tmp_path))
    assert audit_head.read_file(tmp_path) == head
    assert anchored.verify() is None


def test_rows_recorded_before_the_device_key_are_covered_by_the_first_head(tmp_path):
    db = Database(tmp_path / "kiosk.sqlite3")
    db.migrate()
    audit = AuditLog(db, ManualClock(START))
    audit.record(Event.SELFTEST, ready=False)
    audit.record(Event.SELFTEST, ready=True)
    assert audit.head() is None and not (tmp_path / "audit_head.json").exists()
    ensure_key(tmp_path)  # first provisioning
    audit.record(Event.PROVISIONED, officer="teknisi")
    head = audit.head()
    assert head is not None and head.count == 3
    assert audit.verify() is None


def test_cut_tail_is_truncation(anchored):
    tamper_all(anchored, "DELETE FROM audit_log WHERE seq > 4")
    broken = anchored.verify()
    assert broken is not None and broken.seq == 5 and "truncated" in broken.reason


def test_rewrite_with_recomputed_hashes_is_found(anchored):
    rewrite(anchored, 3, "intruder")
    broken = anchored.verify()
    assert broken is not None and "rewritten" in broken.reason


def test_forged_append_is_found(anchored):
    forge_append(anchored)
    broken = anchored.verify()
    assert broken is not None and broken.seq == 7 and "not covered" in broken.reason


def test_emptied_log_is_found(anchored):
    tamper_all(anchored, "DELETE FROM audit_log", "DELETE FROM audit_head")
    broken = anchored.verify()
    assert broken is not None and broken.seq == 1 and "empty" in broken.reason


def test_emptied_log_and_head_file_gone_is_still_found_on_a_provisioned_kiosk(anchored, tmp_path):
    tamper_all(anchored, "DELETE FROM audit_log", "DELETE FROM audit_head")
    (tmp_path / "audit_head.json").unlink()
    broken = anchored.verify()
    assert broken is not None and broken.seq == 1 and "provisioned" in broken.reason


def test_head_row_removed_is_found(anchored, tmp_path):
    tamper_all(anchored, "DELETE FROM audit_head")
    (tmp_path / "audit_head.json").unlink()
    broken = anchored.verify()
    assert broken is not None and "no signed head" in broken.reason


def test_head_changed_by_hand_fails_its_signature(anchored):
    tamper_all(
        anchored,
        "DELETE FROM audit_log WHERE seq > 5",
        "UPDATE audit_head SET count = 5, hash = (SELECT hash FROM audit_log WHERE seq = 5)",
    )
    broken = anchored.verify()
    assert broken is not None and "signature" in broken.reason


def test_database_rolled_back_to_an_old_copy_is_found_by_the_head_file(anchored, tmp_path):
    """An old copy of the whole database (log and head agree) is older than the head file."""
    old = tmp_path / "old.sqlite3"
    src = sqlite3.connect(anchored.db.path)
    dst = sqlite3.connect(old)
    src.backup(dst)
    src.close()
    dst.close()
    anchored.record(Event.LOGOUT, officer="kpps1", role="ketua")
    anchored.db.close()
    old.replace(anchored.db.path)
    broken = anchored.verify()
    assert broken is not None and broken.seq == 7 and "head file" in broken.reason


def test_a_replaced_database_stays_reported_after_its_new_log_outgrows_the_old(anchored, tmp_path):
    """A fresh database starts a new log; once it is longer than the old head, the head file
    moves on, and the old head is kept aside, so what was lost stays reported."""
    anchored.db.close()
    for name in ("kiosk.sqlite3", "kiosk.sqlite3-wal", "kiosk.sqlite3-shm"):
        (tmp_path / name).unlink(missing_ok=True)
    db = Database(tmp_path / "kiosk.sqlite3")
    db.migrate()
    fresh = AuditLog(db, ManualClock(START))
    for n in range(8):
        fresh.record(Event.LOGIN, officer=f"kpps{n}", role="anggota", via="pin")
    assert audit_head.read_file(tmp_path).count == 8
    kept = audit_head.read_file(tmp_path, "audit_head.superseded-6.json")
    assert kept is not None and kept.count == 6
    broken = fresh.verify()
    assert broken is not None and "superseded-6" in broken.reason


def test_head_file_one_row_behind_after_a_crash_is_accepted(anchored, tmp_path):
    """Power cut between the commit and the file write: the file holds the head before."""
    rows = list(reversed(anchored.rows()))
    behind = audit_head.sign(ensure_key(tmp_path), 5, rows[4]["hash"])
    (tmp_path / "audit_head.json").write_text(json.dumps(behind.as_json()))
    assert anchored.verify() is None


def test_head_file_never_goes_backwards(anchored, tmp_path):
    rows = list(reversed(anchored.rows()))
    older = audit_head.sign(ensure_key(tmp_path), 2, rows[1]["hash"])
    audit_head.mirror(tmp_path, older, anchored._hash_at)
    assert audit_head.read_file(tmp_path).count == 6


def sign_document(audit: AuditLog, data_dir, name: str) -> None:
    """A signed document's manifest, as far as the audit is concerned: the head of its time."""
    head = audit.head()
    assert head is not None
    folder = data_dir / "documents" / "PPWP" / name
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"manifest": {"audit_head": head.as_json()}}))


def test_signed_documents_heads_narrow_down_where_a_rewrite_began(anchored, tmp_path):
    sign_document(anchored, tmp_path, "first")  # head at row 6
    anchored.record(Event.LOGOUT, officer="kpps1", role="ketua")
    anchored.record(Event.LOGIN, officer="kpps1", role="ketua", via="card")
    sign_document(anchored, tmp_path, "second")  # head at row 8
    anchored.record(Event.LOGOUT, officer="kpps1", role="ketua")
    rewrite(anchored, 7, "intruder")
    broken = anchored.verify()
    assert broken is not None and broken.seq == 7
    assert "between 7 and 8" in broken.reason and "documents/PPWP/second" in broken.reason


def test_export_carries_the_signed_head_of_its_rows(anchored, tmp_path):
    key = ensure_key(tmp_path)
    out = tmp_path / "audit.jsonl"
    assert anchored.export(out, key) == 6
    last = json.loads(out.read_text().splitlines()[-1])
    head = audit_head.SignedHead.from_json(last["audit_head"])
    assert head.count == 6 and head.valid(public_bytes(key))
    assert verify_export(out, public_bytes(key))


def test_rows_of_events_no_longer_in_the_catalogue_still_read_and_verify(log):
    """settings_changed, device_lost and device_back were never recorded by the kiosk and left
    the catalogue; a log that holds one (an older kiosk's) stays intact."""
    import enum

    old = enum.Enum("OldEvent", {"DEVICE_LOST": "device_lost"})
    assert "device_lost" not in {e.value for e in Event}
    log.record(old.DEVICE_LOST, device="scanner")  # type: ignore[arg-type]
    log.record(Event.LOGOUT, officer="kpps1", role="anggota")
    assert [r["kind"] for r in log.rows(2)] == ["logout", "device_lost"]
    assert log.verify() is None


def test_a_change_and_its_event_are_kept_together_or_not_at_all(log):
    log.db.migrate()
    before = log.count()
    with pytest.raises(RuntimeError), log.transaction() as tx:
        tx.conn.execute("INSERT INTO uplink (id, online, checked_wall) VALUES (1, 1, 'x')")
        tx.record(Event.UPLOAD_RETRY, officer="kpps1", jobs=1)
        raise RuntimeError("the change failed half-way")
    assert log.count() == before
    assert log.db.read("SELECT count(*) FROM uplink")[0][0] == 0
    with log.transaction() as tx:
        tx.conn.execute("INSERT INTO uplink (id, online, checked_wall) VALUES (1, 1, 'x')")
        seq = tx.record(Event.UPLOAD_RETRY, officer="kpps1", jobs=1)
    assert log.count() == before + 1 and log.rows(1)[0]["seq"] == seq
    assert log.verify() is None


def test_a_session_ends_only_with_its_logout_recorded(tmp_path, monkeypatch):
    from kiosk import create_app
    from kiosk.audit import AuditTx
    from kiosk.settings import Settings
    from kiosk.tps import SAMPLE_PROFILE
    from tests.kiosk.conftest import login

    app = create_app(
        Settings.from_values(data_dir=tmp_path / "data", hardware="fake"),
        provision_from=SAMPLE_PROFILE,
    )
    kiosk = app.extensions["kiosk"]
    try:
        assert login(app.test_client(), "kpps1").status_code == 302
        (session,) = kiosk.auth.open_sessions()

        def broken(self, kind, *args, **kwargs):
            raise sqlite3.OperationalError("disk I/O error")

        with monkeypatch.context() as m:
            m.setattr(AuditTx, "record", broken)
            with pytest.raises(sqlite3.OperationalError):
                kiosk.auth.end(session, "logout")
        assert kiosk.auth.open_sessions() == [session]  # not ended without its record
        kiosk.auth.end(session, "logout")
        assert kiosk.auth.open_sessions() == []
        last = kiosk.audit.rows(1)[0]
        assert (last["kind"], last["officer"]) == ("logout", "kpps1")
    finally:
        kiosk.close()
