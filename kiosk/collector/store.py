"""The collector's SQLite file and document folders: the only module that writes either
(with ``record_store``, which keeps the result records in the same file).

One row per document, ``key`` UNIQUE (the idempotency guard); the document's files are written
durably before its row is committed, so a row always points at complete files. Rejections and
processed tus uploads are recorded too, so a receipt can say "rejected" and a restart knows
which complete uploads still wait for processing.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiosk.audit_head import SignedHead
from kiosk.sqlite_tx import immediate
from kiosk.storage import fsync_dir, write_durably
from kiosk.upload.bundle import OpenedBundle

SOURCES = ("tus", "usb")
_SCHEMA = """
CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    tps_code TEXT NOT NULL,
    ballot TEXT NOT NULL,
    bundle_sha256 TEXT NOT NULL,
    pdf_sha256 TEXT NOT NULL,
    device TEXT NOT NULL,
    training INTEGER NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('tus', 'usb')),
    received TEXT NOT NULL,
    manifest TEXT NOT NULL
);
CREATE TABLE rejections (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL,
    source TEXT NOT NULL,
    received TEXT NOT NULL
);
CREATE INDEX rejections_by_key ON rejections (key);
CREATE TABLE devices (
    tps_code TEXT NOT NULL,
    public_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    registered TEXT NOT NULL,
    how TEXT NOT NULL CHECK (how IN ('manual', 'first_use')),
    PRIMARY KEY (tps_code, public_key)
);
CREATE TABLE tus_uploads (
    uid TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'duplicate', 'rejected')),
    reason TEXT NOT NULL,
    detail TEXT NOT NULL,
    processed TEXT NOT NULL
);
"""
# 2: each kiosk's signed audit head (kiosk.audit_head) as its documents brought it; every
# distinct head is kept, so the history of a device's log is here too.
_AUDIT_HEADS = """
CREATE TABLE audit_heads (
    id INTEGER PRIMARY KEY,
    tps_code TEXT NOT NULL,
    device TEXT NOT NULL,
    count INTEGER NOT NULL,
    hash TEXT NOT NULL,
    head TEXT NOT NULL,
    key TEXT NOT NULL,
    received TEXT NOT NULL,
    UNIQUE (tps_code, device, count, hash)
);
"""
# 3: result records (kiosk.chasil.result_record), stored at once, before their document;
# record_store.py reads and writes them.
_RECORDS = """
CREATE TABLE records (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    tps_code TEXT NOT NULL,
    ballot TEXT NOT NULL,
    seq INTEGER NOT NULL,
    device TEXT NOT NULL,
    training INTEGER NOT NULL,
    confirmed_at TEXT NOT NULL,
    record TEXT NOT NULL,
    received TEXT NOT NULL,
    superseded_by TEXT NOT NULL DEFAULT '',
    document_key TEXT NOT NULL DEFAULT ''
);
CREATE INDEX records_by_ballot ON records (tps_code, ballot)
"""
_MIGRATIONS = (_SCHEMA, _AUDIT_HEADS, _RECORDS)  # append only
SCHEMA_VERSION = len(_MIGRATIONS)


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Receipt:
    key: str
    document_id: int
    sha256: str  # of the bundle bytes, as the collector computed it
    tps_code: str
    ballot: str
    received: str  # UTC, ISO 8601
    source: str

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "document_id": self.document_id,
            "sha256": self.sha256,
            "tps_code": self.tps_code,
            "ballot": self.ballot,
            "received": self.received,
            "source": self.source,
        }


@dataclass(frozen=True)
class StoredDocument:
    id: int
    key: str
    tps_code: str
    ballot: str
    bundle_sha256: str
    pdf_sha256: str
    device: str
    training: bool
    source: str
    received: str
    manifest: dict[str, Any]

    @property
    def receipt(self) -> Receipt:
        return Receipt(
            self.key,
            self.id,
            self.bundle_sha256,
            self.tps_code,
            self.ballot,
            self.received,
            self.source,
        )


@dataclass(frozen=True)
class Rejection:
    key: str
    reason: str
    detail: str
    source: str
    received: str


def connect(db_path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit, see ``write``)."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(db_path, timeout=30, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    if conn.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
        with write(conn):
            # Read again under the write lock: another process may have just migrated it.
            found = conn.execute("PRAGMA user_version").fetchone()[0]
            for script in _MIGRATIONS[found:]:
                for statement in script.split(";"):
                    if statement.strip():
                        conn.execute(statement)
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    return conn


write = immediate  # a short BEGIN IMMEDIATE transaction; serialises writers across processes


# Documents ----------------------------------------------------------------------------------
def _document(row: sqlite3.Row) -> StoredDocument:
    return StoredDocument(
        id=int(row["id"]),
        key=row["key"],
        tps_code=row["tps_code"],
        ballot=row["ballot"],
        bundle_sha256=row["bundle_sha256"],
        pdf_sha256=row["pdf_sha256"],
        device=row["device"],
        training=bool(row["training"]),
        source=row["source"],
        received=row["received"],
        manifest=json.loads(row["manifest"]),
    )


def document_by_key(conn: sqlite3.Connection, key: str) -> StoredDocument | None:
    row = conn.execute("SELECT * FROM documents WHERE key = ?", (key,)).fetchone()
    return _document(row) if row else None


def documents(conn: sqlite3.Connection) -> list[StoredDocument]:
    """All documents, newest first."""
    rows = conn.execute("SELECT * FROM documents ORDER BY received DESC, id DESC").fetchall()
    return [_document(r) for r in rows]


def document_folder(documents_dir: Path, tps_code: str, ballot: str, key: str) -> Path:
    return documents_dir / tps_code / ballot / key


def store_document(
    conn: sqlite3.Connection, documents_dir: Path, opened: OpenedBundle, data: bytes, source: str
) -> StoredDocument:
    """Write the document's files durably, then insert its row. Call inside ``write(conn)``
    after making sure the key is new; a crash in between leaves files and no row, and the
    next arrival of the same bundle writes the same files again."""
    assert source in SOURCES, source
    folder = document_folder(documents_dir, opened.tps_code, opened.ballot, opened.key)
    _make_dirs_durably(folder)
    write_durably(folder / "document.pdf", opened.pdf)
    write_durably(folder / "manifest.json", opened.manifest_file)
    write_durably(folder / "bundle.zip", data)
    conn.execute(
        "INSERT INTO documents (key, tps_code, ballot, bundle_sha256, pdf_sha256, device,"
        " training, source, received, manifest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            opened.key,
            opened.tps_code,
            opened.ballot,
            opened.sha256,
            opened.manifest["pdf"]["sha256"],
            opened.device,
            int(opened.training),
            source,
            utc_now(),
            json.dumps(opened.manifest, ensure_ascii=False, sort_keys=True),
        ),
    )
    stored = document_by_key(conn, opened.key)
    assert stored is not None
    return stored


def _make_dirs_durably(folder: Path) -> None:
    """mkdir -p, fsyncing each parent whose entry list changed (a new folder's name lives in
    its parent; without the fsync a power cut can lose it along with the files inside)."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    for path in reversed(missing):
        path.mkdir(exist_ok=True)
        fsync_dir(path.parent)


# Rejections ---------------------------------------------------------------------------------
def record_rejection(
    conn: sqlite3.Connection, key: str, reason: str, detail: str, source: str
) -> None:
    conn.execute(
        "INSERT INTO rejections (key, reason, detail, source, received) VALUES (?, ?, ?, ?, ?)",
        (key, reason, detail, source, utc_now()),
    )


def latest_rejection(conn: sqlite3.Connection, key: str) -> Rejection | None:
    row = conn.execute(
        "SELECT * FROM rejections WHERE key = ? ORDER BY id DESC LIMIT 1", (key,)
    ).fetchone()
    if row is None:
        return None
    return Rejection(row["key"], row["reason"], row["detail"], row["source"], row["received"])


def recent_rejections(conn: sqlite3.Connection, limit: int = 50) -> list[Rejection]:
    rows = conn.execute("SELECT * FROM rejections ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
    return [Rejection(r["key"], r["reason"], r["detail"], r["source"], r["received"]) for r in rows]


# Processed tus uploads ----------------------------------------------------------------------
@dataclass(frozen=True)
class UploadOutcome:
    uid: str
    key: str
    outcome: str  # accepted | duplicate | rejected
    reason: str
    detail: str


def mark_upload(
    conn: sqlite3.Connection, uid: str, key: str, outcome: str, reason: str = "", detail: str = ""
) -> None:
    conn.execute(
        "INSERT OR IGNORE INTO tus_uploads (uid, key, outcome, reason, detail, processed)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (uid, key, outcome, reason, detail, utc_now()),
    )


def upload_outcome(conn: sqlite3.Connection, uid: str) -> UploadOutcome | None:
    row = conn.execute("SELECT * FROM tus_uploads WHERE uid = ?", (uid,)).fetchone()
    if row is None:
        return None
    return UploadOutcome(row["uid"], row["key"], row["outcome"], row["reason"], row["detail"])


def processed_uploads(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT uid FROM tus_uploads")}


# Audit heads --------------------------------------------------------------------------------
@dataclass(frozen=True)
class AuditHead:
    """The longest signed audit head a device has sent for its TPS."""

    tps_code: str
    device: str  # key fingerprint
    count: int
    hash: str
    key: str  # the document that brought it
    received: str
    heads: int  # distinct heads received from this device


def record_audit_head(conn: sqlite3.Connection, tps_code: str, head: SignedHead, key: str) -> None:
    """Keep a head whose signature was checked (call inside ``write``); a head seen before
    is kept once."""
    conn.execute(
        "INSERT OR IGNORE INTO audit_heads (tps_code, device, count, hash, head, key, received)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            tps_code,
            head.fingerprint,
            head.count,
            head.hash,
            json.dumps(head.as_json(), sort_keys=True),
            key,
            utc_now(),
        ),
    )


def latest_audit_heads(conn: sqlite3.Connection) -> list[AuditHead]:
    """Per TPS and device, the head with the most rows (documents may arrive out of order)."""
    rows = conn.execute(
        "SELECT h.*, (SELECT count(*) FROM audit_heads AS o WHERE o.tps_code = h.tps_code"
        " AND o.device = h.device) AS heads FROM audit_heads AS h"
        " WHERE h.id = (SELECT o.id FROM audit_heads AS o WHERE o.tps_code = h.tps_code"
        " AND o.device = h.device ORDER BY o.count DESC, o.id DESC LIMIT 1)"
        " ORDER BY h.tps_code, h.device"
    ).fetchall()
    return [
        AuditHead(
            r["tps_code"], r["device"], r["count"], r["hash"], r["key"], r["received"], r["heads"]
        )
        for r in rows
    ]
