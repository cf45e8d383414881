"""The database's automatic backup, and ``tps-kiosk db restore``.

``backup()`` copies the live database with SQLite's online backup API (a consistent snapshot
even while the web app and the worker write) into a temp file on the data partition, fsyncs it
and renames it over ``kiosk.sqlite3.bak``: after a power cut there is the old backup or the new
one, never a torn one. The web app makes one at start and after requests that changed the audit
log (kiosk.app), so every signed document is in it within one request.

``restore()`` is the technician's one command for a missing, emptied, replaced or damaged
database: the damaged files are kept aside (``kiosk.sqlite3.rusak-<time>``), the backup is
copied back when it passes ``quick_check``, else a new database is built with the officer roster
from ``provisioned.json``; then reconciliation re-records every signed document the database
does not know from its signed manifest, and every result record it does not know is queued
again from its signed file (kiosk.upload.record_files; sent ones stay sent). Nothing signed is
lost.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sqlite3
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, Response, request

from kiosk.audit import AuditLog, Event
from kiosk.clock import OffsetClock, SystemClock, saved_offset
from kiosk.db import Database
from kiosk.errors import DatabaseCorrupt, KioskError
from kiosk.integrity import DB_FILE, assess, open_database, read_marker
from kiosk.reconcile import Reconciled, reconcile
from kiosk.storage import fsync_dir
from kiosk.storage_faults import storage_fault
from kiosk.tps_time import tps_tzinfo
from kiosk.upload.record_outbox import RecordsRestored, restore_records

BACKUP_FILE = "kiosk.sqlite3.bak"

log = logging.getLogger(__name__)


def _copy(source: Path | sqlite3.Connection, target: Path) -> None:
    """Copy a database (a file, or an open connection's) to ``target`` with the online backup
    API, durably."""
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        # A path is opened read-only: a missing source must fail, not become an empty file.
        src = (
            source
            if isinstance(source, sqlite3.Connection)
            else sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        )
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
            # The copy carries the source's WAL flag; a rollback-journal file opens read-only
            # without its -shm, and the kiosk switches it back to WAL when it opens it.
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
            if src is not source:
                src.close()
        with tmp.open("rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        fsync_dir(target.parent)
    except (sqlite3.Error, OSError) as exc:
        raise (
            storage_fault(exc, target.parent) or DatabaseCorrupt(f"copy {source}: {exc}")
        ) from exc
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + "-journal")):
            leftover.unlink(missing_ok=True)


def backup(db: Database, data_dir: Path) -> Path:
    """Snapshot ``db`` into ``kiosk.sqlite3.bak``; raises StorageFull (the old backup stays)."""
    target = data_dir / BACKUP_FILE
    if not db.read("SELECT id FROM officer LIMIT 1") and usable_backup(data_dir):
        # A database that lost its officers must not overwrite the backup that has them.
        log.error("database has no officers; the backup %s is kept as it is", target)
        return target
    # The live connection, not the path: if the file was deleted under the running kiosk, the
    # path would open a new empty database and the backup would lose everything.
    _copy(db.conn, target)
    log.info("database backed up to %s", target)
    return target


def usable_backup(data_dir: Path) -> bool:
    """The backup exists, is an SQLite file that passes quick_check and holds officers."""
    path = data_dir / BACKUP_FILE
    if not path.exists():
        return False
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if conn.execute("PRAGMA quick_check(1)").fetchone()[0] != "ok":
                return False
            return bool(conn.execute("SELECT count(*) FROM officer").fetchone()[0])
        finally:
            conn.close()
    except (OSError, sqlite3.Error) as exc:
        log.warning("backup %s is not usable: %s", path, exc)
        return False


@dataclass(frozen=True)
class Restored:
    how: str  # "intact" (nothing to restore), "backup" or "rebuilt"
    kept_aside: list[Path]
    officers: int
    reconciled: Reconciled
    records: RecordsRestored = field(default_factory=RecordsRestored)


def _set_aside(data_dir: Path) -> list[Path]:
    """Keep the damaged database files for the technician: never delete evidence."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    moved = []
    for suffix in ("", "-wal", "-shm"):
        path = data_dir / f"{DB_FILE}{suffix}"
        if path.exists():
            aside = data_dir / f"{DB_FILE}.rusak-{stamp}{suffix}"
            os.replace(path, aside)
            moved.append(aside)
    fsync_dir(data_dir)
    return moved


def _tps_zone(data_dir: Path) -> dt.tzinfo | None:
    """The TPS's zone (WIB, WITA, WIT) from the provisioning marker, which a restore can
    always read; None before provisioning (the system's zone, as open_core keeps it)."""
    code = (read_marker(data_dir) or {}).get("tps")
    return tps_tzinfo(code) if isinstance(code, str) else None


def _roster_from_marker(db: Database, data_dir: Path) -> None:
    officers = (read_marker(data_dir) or {}).get("officers") or []
    with db.write() as conn:
        for o in officers:
            conn.execute(
                "INSERT OR IGNORE INTO officer (id, name, role, pin_hash, card_uid)"
                " VALUES (?, ?, ?, ?, ?)",
                (o["id"], o["name"], o["role"], o["pin_hash"], o.get("card_uid")),
            )


def restore(data_dir: Path) -> Restored:
    """Bring back a working database for ``data_dir``; raises StorageFull and the like."""
    kept: list[Path] = []
    how = "intact"
    if assess(data_dir) is not None:
        kept = _set_aside(data_dir)
        if usable_backup(data_dir):
            _copy(data_dir / BACKUP_FILE, data_dir / DB_FILE)
            how = "backup"
        else:
            how = "rebuilt"
    db = open_database(data_dir) if how != "rebuilt" else Database(data_dir / DB_FILE)
    try:
        if how == "rebuilt":
            db.migrate()
            _roster_from_marker(db, data_dir)
        # The Ketua's clock correction, when the restored database kept it (a rebuilt one has
        # none), in the TPS's zone: the restore is audited on the same clock as the rest of
        # the day, whatever zone the machine runs on.
        audit = AuditLog(db, OffsetClock(SystemClock(), saved_offset(db), _tps_zone(data_dir)))
        if how != "intact":
            audit.record(Event.DATABASE_RESTORED, officer="teknisi-cli", source=how, kept=len(kept))
        done = reconcile(db, audit, data_dir)
        # Only a database that lost rows: on an intact one, a record file without its row is
        # a confirmation whose transaction failed, not a record to send.
        records = restore_records(db, data_dir) if how != "intact" else RecordsRestored()
        officers = len(db.read("SELECT id FROM officer"))
        if how != "intact" or done.changed:
            backup(db, data_dir)
    finally:
        db.close()
    return Restored(how, kept, officers, done, records)


# A document signed is backed up at once; any other change at most this often.
BACKUP_EVERY_S = 300.0


@dataclass
class _Last:
    head: tuple[int, int]  # what _head() read at the last backup
    at: float  # time.monotonic() of the last backup


def keep_safe(app: Flask, db: Database, audit: AuditLog, data_dir: Path) -> None:
    """At start: reconcile the signed documents on disk and back up. Then after each request
    that signed a document, and after others that changed the audit log (at most every
    BACKUP_EVERY_S), back up again. A backup that fails (disk full) is logged; the request
    it follows is answered as it was."""
    try:
        done = reconcile(db, audit, data_dir)
        if done.changed or done.refused:
            log.warning(
                "reconciled at start: %d re-recorded, %d re-queued, %d refused",
                len(done.recovered),
                len(done.requeued),
                len(done.refused),
            )
        backup(db, data_dir)
    except Exception:
        # Never a start-up crash loop over this: the screen must come up; the technician
        # sees the reason with tps-kiosk db check.
        log.exception("start-up reconciliation or backup failed")
    last = _Last(_head(db), time.monotonic())
    lock = threading.Lock()

    @app.after_request
    def backup_after_change(response: Response) -> Response:
        if request.method not in ("POST", "PUT", "DELETE"):
            return response
        try:
            head = _head(db)
            with lock:
                if head == last.head:
                    return response
                signed = head[0] != last.head[0]
                if not signed and time.monotonic() - last.at < BACKUP_EVERY_S:
                    return response
                backup(db, data_dir)
                last.head, last.at = head, time.monotonic()
        except (KioskError, sqlite3.Error, OSError) as exc:
            log.warning("backup after %s not made: %s", request.path, exc)
        return response


def _head(db: Database) -> tuple[int, int]:
    """(last document id, last audit row): changes when something worth keeping happened."""
    row = db.read(
        "SELECT (SELECT coalesce(max(id), 0) FROM document),"
        " (SELECT coalesce(max(seq), 0) FROM audit_log)"
    )[0]
    return int(row[0]), int(row[1])
