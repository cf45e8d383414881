"""Start-up integrity: the data directory knows it was provisioned, so a database that is gone,
emptied, replaced by a fresh one, or damaged is found before anything is written into it.

``provisioned.json`` (owner-only) is written by provisioning (``tps-kiosk provision`` and first
boot) next to ``kiosk.sqlite3``. It records the TPS code, the device key's fingerprint and the
officer roster with PIN hashes (what the profile on disk no longer holds), so ``tps-kiosk db
restore`` can give officers their logins back even without a backup. Signed document folders
(``documents/<ballot>/<time>/manifest.json``) also count as "this kiosk was in use".

A kiosk in that state never migrates a new empty database into place (the web app serves only
guidance, each command refuses with a sentence, the self-test fails its database check); the
technician's next action is ``tps-kiosk db restore`` (kiosk.backup).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
from pathlib import Path
from typing import Any

from kiosk.db import Database
from kiosk.errors import DatabaseCorrupt, DatabaseMissing, KioskError
from kiosk.storage import write_durably
from kiosk.storage_faults import storage_fault

DB_FILE = "kiosk.sqlite3"
MARKER_FILE = "provisioned.json"
PROFILE_FILE = "profile.toml"  # kiosk.services.provisioning.PROFILE_FILE (no import cycle)

log = logging.getLogger(__name__)


def document_folders(data_dir: Path) -> list[Path]:
    """Every signed document folder on disk, oldest first (folders are named by time)."""
    root = data_dir / "documents"
    return sorted(
        (m.parent for m in root.glob("*/*/manifest.json") if m.parent.parent.name != "pages"),
        key=lambda p: (p.name, p.parent.name),
    )


def read_marker(data_dir: Path) -> dict[str, Any] | None:
    try:
        marker = json.loads((data_dir / MARKER_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.error("%s is unreadable: %s", data_dir / MARKER_FILE, exc)
        return {}  # it was there: the kiosk was provisioned
    return marker if isinstance(marker, dict) else {}


def write_marker(data_dir: Path, tps: str, device_key: str, db: Database) -> None:
    """Record that this data directory holds a provisioned kiosk (after each provisioning)."""
    officers = [
        {k: r[k] for k in ("id", "name", "role", "pin_hash", "card_uid")}
        for r in db.read("SELECT id, name, role, pin_hash, card_uid FROM officer ORDER BY id")
    ]
    marker = {
        "format": "tps-kiosk-provisioned/1",
        "tps": tps,
        "device_key": device_key,
        "written": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "officers": officers,
    }
    write_durably(data_dir / MARKER_FILE, json.dumps(marker, indent=1).encode(), mode=0o600)


def provisioned(data_dir: Path) -> bool:
    return (
        read_marker(data_dir) is not None
        or (data_dir / PROFILE_FILE).exists()
        or bool(document_folders(data_dir))
    )


def _missing(data_dir: Path, what: str) -> DatabaseMissing:
    docs = len(document_folders(data_dir))
    return DatabaseMissing(f"{data_dir / DB_FILE} {what}; {docs} signed document(s) on disk")


def assess(data_dir: Path, need_officers: bool = True) -> KioskError | None:
    """What is wrong with the database of ``data_dir``, or None. Writes nothing.

    ``need_officers`` False accepts a sound database without officers (``tps-kiosk provision``
    installs them into a database ``db restore`` rebuilt without a roster)."""
    path = data_dir / DB_FILE
    in_use = provisioned(data_dir)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return _missing(data_dir, "is missing") if in_use else None
    if size == 0:
        return _missing(data_dir, "is empty (0 bytes)") if in_use else None
    # Only SQLite itself opens the file: a plain open() and close() in a process that has the
    # database open drops that process's POSIX locks on it, and another process could then
    # reset the WAL under it ("How To Corrupt An SQLite Database File", 2.2). A damaged header
    # shows as SQLITE_NOTADB below.
    try:
        conn = sqlite3.connect(path, timeout=30)
        try:
            check = [r[0] for r in conn.execute("PRAGMA quick_check(5)").fetchall()]
            if check != ["ok"]:
                return DatabaseCorrupt(f"{path}: quick_check: {'; '.join(check)}")
            if in_use and need_officers:
                version = int(conn.execute("PRAGMA user_version").fetchone()[0])
                tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
                officers = (
                    conn.execute("SELECT count(*) FROM officer").fetchone()[0]
                    if "officer" in tables
                    else 0
                )
                if version == 0 or not officers:
                    return _missing(data_dir, "was replaced by one with no officers")
        finally:
            conn.close()
    except sqlite3.Error as exc:
        fault = storage_fault(exc, data_dir)
        if fault is None:  # e.g. locked for longer than the timeout: not a storage fault
            raise
        return fault
    return None


def open_database(data_dir: Path, need_officers: bool = True) -> Database:
    """The kiosk's database, migrated; raises DatabaseMissing/DatabaseCorrupt (never creates a
    new database next to a provisioned kiosk's files) or StorageFull."""
    problem = assess(data_dir, need_officers)
    if problem is not None:
        raise problem
    data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(data_dir / DB_FILE)
    try:
        db.migrate()
    except sqlite3.Error as exc:
        db.close()
        fault = storage_fault(exc, data_dir)
        if fault is None:
            raise
        raise fault from exc
    return db


def ensure_marker(data_dir: Path, db: Database) -> None:
    """Write the marker of a kiosk provisioned before markers existed (first boot, start-up)."""
    if read_marker(data_dir) is not None or not (data_dir / PROFILE_FILE).exists():
        return
    from kiosk.devicekey import fingerprint, key_path, load_key
    from kiosk.services.provisioning import installed_profile

    profile = installed_profile(data_dir)
    if profile is None or not key_path(data_dir).exists():
        return
    if not db.read("SELECT id FROM officer LIMIT 1"):
        return
    try:
        write_marker(data_dir, profile.identity.code, fingerprint(load_key(data_dir)), db)
    except KioskError as exc:  # a full disk: the profile and documents still mark the kiosk
        log.warning("could not write %s: %s", MARKER_FILE, exc)
