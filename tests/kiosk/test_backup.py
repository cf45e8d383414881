"""The automatic backup (SQLite's online backup API), restoring from it, and reconciliation: every
signed document folder on disk has its document row and upload job, re-made only from a manifest
the device key signed."""

from __future__ import annotations

import base64
import json
import os
import shutil
import sqlite3
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk import create_app
from kiosk.audit import AuditLog
from kiosk.backup import BACKUP_FILE, backup, restore
from kiosk.clock import SystemClock
from kiosk.db import Database
from kiosk.devicekey import canonical, public_bytes
from kiosk.reconcile import reconcile
from kiosk.settings import Settings
from tests.kiosk.commands import tps_kiosk
from tests.upload.docs import signed_documents


def _count(path: Path, sql: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


def test_the_app_backs_up_at_start_and_the_backup_is_a_whole_database(tmp_path):
    data = tmp_path / "kiosk"
    signed_documents(data, 2)
    app = create_app(Settings.from_values(data_dir=data, hardware="fake"))
    app.extensions["kiosk"].close()
    bak = data / BACKUP_FILE
    assert _count(bak, "SELECT count(*) FROM upload_job") == 2
    assert _count(bak, "SELECT count(*) FROM officer") >= 1
    conn = sqlite3.connect(bak)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    assert not [p.name for p in data.iterdir() if p.name.startswith(f".{BACKUP_FILE}")]


def test_restore_from_the_backup_keeps_documents_signed_after_it(tmp_path):
    data = tmp_path / "kiosk"
    signed_documents(data, 2)
    db = Database(data / "kiosk.sqlite3")
    backup(db, data)
    db.close()
    signed_documents(data, 1)  # signed after the last backup: only its files know it
    (data / "kiosk.sqlite3").write_bytes(b"")
    done = tps_kiosk(data, "db", "restore")
    assert done.returncode == 0, done.stderr
    assert "cadangan" in done.stdout
    keys = _count(data / "kiosk.sqlite3", "SELECT count(DISTINCT key) FROM upload_job")
    assert keys == 3
    # The damaged file is kept aside for the technician, never deleted.
    assert [p for p in data.iterdir() if p.name.startswith("kiosk.sqlite3.rusak-")]
    checked = tps_kiosk(data, "db", "check")
    assert checked.returncode == 0, checked.stderr


def test_db_check_reports_a_missing_database_and_exits_1(tmp_path):
    data = tmp_path / "kiosk"
    signed_documents(data, 1)
    (data / "kiosk.sqlite3").unlink()
    done = tps_kiosk(data, "db", "check")
    assert done.returncode == 1
    assert "tps-kiosk db restore" in done.stderr and "Traceback" not in done.stderr


def test_reconcile_remakes_only_documents_signed_by_this_kiosk(tmp_path):
    data = tmp_path / "kiosk"
    (doc,) = signed_documents(data, 1)
    # A second folder whose manifest another key signed, as a copy from another kiosk would be.
    forged = doc.folder.with_name(doc.folder.name + "-forged")
    shutil.copytree(doc.folder, forged)
    signed = json.loads((forged / "manifest.json").read_text())
    signed["manifest"]["ballot"] = "DPD"
    other = Ed25519PrivateKey.generate()
    signed["signature"] = base64.b64encode(other.sign(canonical(signed["manifest"]))).decode()
    signed["public_key"] = base64.b64encode(public_bytes(other)).decode()
    (forged / "manifest.json").write_text(json.dumps(signed))
    # And a plain copy of the folder: the same signed document, one job.
    shutil.copytree(doc.folder, doc.folder.with_name(doc.folder.name + "-copy"))
    db = Database(data / "kiosk.sqlite3")
    with db.write() as conn:  # a backup from before the document was signed
        conn.execute("DROP TRIGGER upload_job_kept")
        conn.execute("DELETE FROM upload_job")
        conn.execute("DELETE FROM document")
    result = reconcile(db, AuditLog(db, SystemClock()), data)
    assert result.recovered == [doc.folder]
    assert result.refused == [forged]
    rows = db.read(
        "SELECT d.folder, j.key FROM document d JOIN upload_job j ON j.document_id = d.id"
    )
    assert [(r["folder"], r["key"]) for r in rows] == [(str(doc.folder), doc_key(doc.folder))]
    assert reconcile(db, AuditLog(db, SystemClock()), data).recovered == []  # idempotent
    db.close()


def doc_key(folder: Path) -> str:
    import hashlib

    return hashlib.sha256((folder / "manifest.json").read_bytes()).hexdigest()


def test_a_request_after_a_document_was_signed_backs_it_up(tmp_path):
    from tests.kiosk.conftest import csrf_token

    data = tmp_path / "kiosk"
    signed_documents(data, 1)
    app = create_app(Settings.from_values(data_dir=data, hardware="fake"))
    try:
        client = app.test_client()
        token = csrf_token(client, "/")
        signed_documents(data, 1)  # as the finish request of a second document would
        assert _count(data / BACKUP_FILE, "SELECT count(*) FROM document") == 1
        client.post("/lang/en", data={"csrf_token": token})
        assert _count(data / BACKUP_FILE, "SELECT count(*) FROM document") == 2
    finally:
        app.extensions["kiosk"].close()


def test_the_backup_never_comes_from_a_database_deleted_under_the_running_kiosk(tmp_path):
    data = tmp_path / "kiosk"
    signed_documents(data, 2)
    db = Database(data / "kiosk.sqlite3")
    db.read("SELECT 1")  # the kiosk has it open
    for name in ("kiosk.sqlite3", "kiosk.sqlite3-wal", "kiosk.sqlite3-shm"):
        (data / name).unlink(missing_ok=True)
    backup(db, data)
    db.close()
    assert not (data / "kiosk.sqlite3").exists()  # no new empty file at the path
    assert _count(data / BACKUP_FILE, "SELECT count(*) FROM upload_job") == 2


def test_restore_is_audited_in_the_tps_zone_whatever_zone_the_machine_runs_on(tmp_path):
    data = tmp_path / "kiosk"
    signed_documents(data, 1)  # the sample TPS: East Kalimantan, WITA
    db = Database(data / "kiosk.sqlite3")
    backup(db, data)
    db.close()
    (data / "kiosk.sqlite3").write_bytes(b"")
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"  # a Pi whose /etc/localtime is not set yet
    time.tzset()
    try:
        assert restore(data).how == "backup"
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()
    sql = "SELECT wall FROM audit_log WHERE kind = 'database_restored'"
    (wall,) = _rows(data / "kiosk.sqlite3", sql)
    assert wall.endswith("+08:00"), wall


def _rows(path: Path, sql: str, *params: object) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute(sql, params)]
    finally:
        conn.close()
