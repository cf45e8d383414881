"""The result records in the collector's database: stored once by key, superseded by a later
confirmation of the same ballot, linked to their document when it comes.

A kiosk signs a new record each time the Ketua confirms a ballot (again after a correction):
for one TPS, ballot and training flag the record with the highest ``seq`` is **current**, the
others are kept and marked ``superseded_by`` the current one's key, whatever order they
arrive in. A document names its record in its manifest (``confirmed.record``); whichever of
the two arrives second makes the link (``document_key``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from dataclasses import dataclass
from typing import Any

from kiosk.devicekey import canonical

log = logging.getLogger(__name__)


VOTER_ROWS = ("A", "B1", "B2", "B3", "B4", "D")


def box_names(fields: dict[str, Any]) -> list[str]:
    """The box of each number in ``n``, from the record's shape (the kiosk's
    ``Sheet.all_boxes`` order: voters, SS1-4, votes, S, T, U)."""
    voters = [f"{row}.{col}" for row in VOTER_ROWS for col in ("L", "P", "J")]
    votes: list[str] = []
    if "p" in fields:
        for i, n in enumerate(fields["p"]):
            votes += [f"P.{i}", *(f"P.{i}.{j}" for j in range(int(n)))]
    else:
        votes = [f"V.{i}" for i in range(int(fields["c"]))]
    return [*voters, "SS1", "SS2", "SS3", "SS4", *votes, "S", "T", "U"]


def numbers(fields: dict[str, Any]) -> dict[str, int | None]:
    """The record's numbers by box (an empty box is None)."""
    extra = fields.get("x", {})
    if not isinstance(extra, dict):
        raise TypeError("x is not an object")
    return dict(zip(box_names(fields), fields["n"], strict=True)) | extra


def same_numbers(fields: dict[str, Any], manifest_numbers: dict[str, Any]) -> bool:
    """Whether a document's numbers are the record's: the manifest's ``numbers`` hash to the
    record's ``h`` (the same canonical JSON), or name the same number in every box."""
    if hashlib.sha256(canonical(manifest_numbers)).hexdigest() == fields.get("h"):
        return True
    filled = {box: n for box, n in numbers(fields).items() if n is not None}
    return filled == {box: n for box, n in manifest_numbers.items() if n is not None}


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
            "status": self.status,
        }

    @property
    def status(self) -> str:
        """For PPS/PPK staff, in Bahasa Indonesia as the listing says it."""
        if self.document_key:
            return "hasil dan pindaian diterima"
        return "hasil diterima, pindaian menyusul"


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
        manifest = json.loads(row["manifest"])
        if record_named(manifest) == key:
            link_document(conn, key, row["key"], manifest.get("numbers", {}))
    found = record_by_key(conn, key)
    assert found is not None
    return found


def record_named(manifest: dict[str, Any]) -> str:
    """The record key a document's manifest names ("" for a document without one)."""
    confirmed = manifest.get("confirmed")
    record = confirmed.get("record", "") if isinstance(confirmed, dict) else ""
    return record if isinstance(record, str) else ""


def link_document(
    conn: sqlite3.Connection, record_key: str, document_key: str, document_numbers: Any
) -> bool:
    """Mark the document as the one that followed ``record_key`` (inside ``store.write``);
    False when the collector does not have that record (yet). Numbers that differ from the
    record's are logged for the PPS (both are signed by the device: neither is refused)."""
    found = record_by_key(conn, record_key) if record_key else None
    if found is None:
        return False
    if not isinstance(document_numbers, dict) or not same_numbers(found.fields, document_numbers):
        log.warning(
            "document %s: its numbers differ from record %s", document_key[:12], record_key[:12]
        )
    conn.execute("UPDATE records SET document_key = ? WHERE key = ?", (document_key, record_key))
    return True
