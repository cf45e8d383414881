"""The one place that recognises storage faults: a full data disk and a damaged database.

SQLite and the OS report them as ``sqlite3.OperationalError``/``DatabaseError`` and ``OSError``;
the web error handler (kiosk/views/errors.py) and every ``tps-kiosk`` command ask
``storage_fault()`` which kiosk error, with its Bahasa guidance (kiosk/errors.py), that is.
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
from pathlib import Path

from kiosk.errors import (
    DatabaseCorrupt,
    DatabaseMissing,
    DataDirNotWritable,
    KioskError,
    StorageFull,
)

# Primary result codes (the low byte of the extended code), from sqlite3.h.
SQLITE_READONLY = 8
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_NOTADB = 26

# Older SQLite builds give no code on some errors: their fixed messages then decide.
_FULL_TEXT = ("database or disk is full",)
_CORRUPT_TEXT = ("file is not a database", "database disk image is malformed")

# Below this, an I/O error of SQLite is taken for a full disk: SQLite cannot grow its -shm or
# WAL file on it and says only "disk I/O error".
NEARLY_FULL_BYTES = 256 * 1024


def _nearly_full(data_dir: Path | None) -> bool:
    if data_dir is None:
        return False
    try:
        return shutil.disk_usage(data_dir).free < NEARLY_FULL_BYTES
    except OSError:
        return False


def _sqlite_fault(exc: sqlite3.Error, data_dir: Path | None) -> KioskError | None:
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    text = str(exc).lower()
    if primary == SQLITE_FULL or any(t in text for t in _FULL_TEXT):
        return StorageFull(f"database: {exc}")
    if primary in (SQLITE_CORRUPT, SQLITE_NOTADB) or any(t in text for t in _CORRUPT_TEXT):
        return DatabaseCorrupt(f"database: {exc}")
    if primary == SQLITE_IOERR or "disk i/o error" in text:
        if _nearly_full(data_dir):
            return StorageFull(f"database: {exc}")
        return DataDirNotWritable(f"database: {exc}")
    if primary in (SQLITE_READONLY, SQLITE_CANTOPEN):
        return DataDirNotWritable(f"database: {exc}")
    return None


def storage_fault(exc: BaseException, data_dir: Path | None = None) -> KioskError | None:
    """The kiosk error a storage failure stands for, or None when ``exc`` is none.

    ``data_dir`` (the data partition) tells an I/O error on a full disk from a failing card.

    Already-translated errors (StorageFull from kiosk.storage, DatabaseMissing from
    kiosk.integrity) come back as they are; a fault wrapped in another exception is found
    through ``__cause__``/``__context__``.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (StorageFull, DataDirNotWritable, DatabaseCorrupt, DatabaseMissing)):
            return current
        if isinstance(current, sqlite3.Error):
            found = _sqlite_fault(current, data_dir)
            if found is not None:
                return found
        if isinstance(current, OSError):
            if current.errno in (errno.ENOSPC, errno.EDQUOT):
                return StorageFull(str(current))
            if current.errno == errno.EROFS:
                return DataDirNotWritable(str(current))
        current = current.__cause__ or current.__context__
    return None
