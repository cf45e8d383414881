"""The result records in the collector's database: stored once by key, superseded by a later
confirmation of the same ballot, linked to their document when it comes.

A kiosk signs a new record each time the Ketua confirms a ballot (again after a correction):
for one TPS, ballot and training flag the record with the highest ``seq`` is **current**, the
others are kept and marked ``superseded_by`` the current one's key, whatever order they
arrive in. A document names its record in its manifest (``confirmed.record``); whichever of
the two arrives second makes the link (``document_key``).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class StoredRecord:
    id: int
    key: str
    tps_code: str
    ballot: str
    seq: int
    device: str
    training: bool
    confirmed_at: str
    received: str  # UTC, ISO 8601
    superseded_by: str  # "" while current
    document_key: str  # "" until its document arrives
    fields: dict[str, Any]

    def receipt(self) -> dict[str, Any]:
        """What the kiosk gets back: ``sha256`` is the key (the SHA-256 of the record)."""
        return {
            "key": self.key,
            "record_id": self.id,
            "sha256": self.key,
            "tps_code": self.tps_code,
            "ballot": self.ballot,
            "seq": self.seq,
            "received": self.received,
            "current": not self.superseded_by,
            "document": self.document_key,
        }


def _record(row: sqlite3.Row) -> StoredRecord:
    return StoredRecord(
        id=int(row["id"]),
        key=row["key"],
        tps_code=row["tps_code"],
        ballot=row["ballot"],
        seq=int(row["seq"]),
        device=row["device"],
        training=bool(row["training"]),
        confirmed_at=row["confirmed_at"],
        received=row["received"],
        superseded_by=row["superseded_by"],
        document_key=row["document_key"],
        fields=json.loads(row["record"])["r"],
    )


def record_by_key(conn: sqlite3.Connection, key: str) -> StoredRecord | None:
    row = conn.execute("SELECT * FROM records WHERE key = ?", (key,)).fetchone()
    return _record(row) if row else None


def records(conn: sqlite3.Connection, current_only: bool = True) -> list[StoredRecord]:
    """Records, newest first; by default only the current one of each ballot."""
    where = " WHERE superseded_by = ''" if current_only else ""
    rows = conn.execute(f"SELECT * FROM records{where} ORDER BY received DESC, id DESC")
    return [_record(r) for r in rows.fetchall()]


def store_record(
    conn: sqlite3.Connection,
    key: str,
    data: bytes,
    fields: dict[str, Any],
    device: str,
    received: str,
) -> StoredRecord:
    """Insert a new record (inside ``store.write``), settle which record of its ballot is
    current, and link its document if that came first."""
    tps, ballot, training = fields["tps"], fields["b"], int(bool(fields["tr"]))
    conn.execute(
        "INSERT INTO records (key, tps_code, ballot, seq, device, training, confirmed_at,"
        " record, received) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            key,
            tps,
            ballot,
            int(fields["seq"]),
            device,
            training,
            fields["at"],
            data.decode(),
            received,
        ),
    )
    newest = conn.execute(
        "SELECT key FROM records WHERE tps_code = ? AND ballot = ? AND training = ?"
        " ORDER BY seq DESC, id DESC LIMIT 1",
        (tps, ballot, training),
    ).fetchone()["key"]
    conn.execute(
        "UPDATE records SET superseded_by = CASE WHEN key = ? THEN '' ELSE ? END"
        " WHERE tps_code = ? AND ballot = ? AND training = ?",
        (newest, newest, tps, ballot, training),
    )
    for row in conn.execute(
        "SELECT key, manifest FROM documents WHERE tps_code = ? AND ballot = ?", (tps, ballot)
    ).fetchall():
        if record_named(json.loads(row["manifest"])) == key:
            link_document(conn, key, row["key"])
    found = record_by_key(conn, key)
    assert found is not None
    return found


def record_named(manifest: dict[str, Any]) -> str:
    """The record key a document's manifest names ("" for a document without one)."""
    confirmed = manifest.get("confirmed")
    record = confirmed.get("record", "") if isinstance(confirmed, dict) else ""
    return record if isinstance(record, str) else ""


def link_document(conn: sqlite3.Connection, record_key: str, document_key: str) -> bool:
    """Mark the document as the one that followed ``record_key`` (inside ``store.write``);
    False when the collector does not have that record (yet)."""
    cur = conn.execute(
        "UPDATE records SET document_key = ? WHERE key = ?", (document_key, record_key)
    )
    return cur.rowcount > 0
