"""The result records' side of the queue: one row per signed result record
(kiosk.chasil.result_record) in ``result_record``, in the kiosk's SQLite database.

A record is its own upload with its own receipt, in its own table: it has no bundle and no
offset (2 KB go in one request), and the worker sends every due record before any document. To
a server that speaks only tus it travels as its own small tus upload of its file
(``record_file``); ``upload_url`` keeps that upload's URL, stored before a byte is sent.
Same states (``pending → sending → sent | failed``) and the same "kept until its receipt"
triggers as a document's job. ``QueueService`` owns the table (it clears it with the
training day, through ``Outbox.clear_training_day``); this module is its storage, as
``outbox.py`` is for ``upload_job``.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from kiosk.db import Database
from kiosk.devicekey import key_path, load_key, public_bytes
from kiosk.storage import write_durably
from kiosk.upload.outbox import Outbox, Receipt
from kiosk.upload.record_files import (
    RECORD_DIR,
    read_receipt_file,
    read_record_file,
    record_files,
    record_path,
    write_receipt_file,
    write_record_file,
)
from kiosk.upload.refusals import UploadProblem
from kiosk.upload.upload_state import UploadStates

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecordJob:
    id: int
    ballot: str
    seq: int
    key: str  # SHA-256 of ``data``: the idempotency key
    data: bytes
    training: bool
    state: str
    attempts: int
    error_code: str
    error_detail: str
    receipt_id: str
    next_attempt: float = 0.0  # wall clock, seconds since the epoch (kiosk clock)
    upload_url: str = ""  # its tus upload at a plain tus server ("" before one was made)

    @staticmethod
    def from_row(row: sqlite3.Row) -> RecordJob:
        return RecordJob(
            id=row["id"],
            ballot=row["ballot"],
            seq=row["seq"],
            key=row["key"],
            data=bytes(row["data"]),
            training=bool(row["training"]),
            state=row["state"],
            attempts=row["attempts"],
            error_code=row["error_code"],
            error_detail=row["error_detail"],
            receipt_id=row["receipt_id"],
            next_attempt=row["next_attempt"],
            upload_url=row["upload_url"],
        )


def last_record(conn: sqlite3.Connection, ballot: str) -> tuple[int, str]:
    """(seq, key) of ``ballot``'s newest record, (0, "") before its first."""
    row = conn.execute(
        "SELECT seq, key FROM result_record WHERE ballot = ? ORDER BY seq DESC LIMIT 1", (ballot,)
    ).fetchone()
    return (int(row["seq"]), str(row["key"])) if row else (0, "")


def enqueue_record(
    conn: sqlite3.Connection,
    data_dir: Path,
    ballot: str,
    seq: int,
    key: str,
    data: bytes,
    training: bool,
    wall: str,
) -> None:
    """Queue a signed result record inside the caller's transaction (the confirmation's), its
    file written durably first in the data folder ``data_dir`` (kiosk.upload.record_files:
    what a restore queues it from)."""
    write_record_file(data_dir, key, data)
    conn.execute(
        "INSERT INTO result_record (ballot, seq, key, data, training, created_wall, updated_wall)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (ballot, seq, key, data, int(training), wall, wall),
    )


class RecordOutbox:
    """The records' side of the queue (the worker's and the screen's), beside ``outbox``."""

    owns: ClassVar[tuple[str, ...]] = ("result_record",)  # for QueueService (see above)

    def __init__(self, outbox: Outbox) -> None:
        self.db = outbox.db
        self.clock = outbox.clock
        self._now = outbox._now
        self.data_dir = outbox.bundle_dir.parent
        self.record_dir = self.data_dir / RECORD_DIR
        self.states = UploadStates(self.db, self.clock, "result_record", self._now)

    def record_file(self, record: RecordJob) -> Path:
        """The record's file (what a tus upload sends): written at its confirmation, written
        again here if it went missing."""
        path = record_path(self.data_dir, record.key)
        if not path.exists() or path.read_bytes() != record.data:
            write_durably(path, record.data)
        return path

    def record_upload(self, record_id: int, upload_url: str) -> None:
        """The tus upload's URL, stored before a byte goes to it ("" to start afresh)."""
        self.states.update(record_id, "upload_url = ?", (upload_url,))

    def next_attempt_at(self, record: RecordJob) -> dt.datetime:
        """When the record will be tried again, on the kiosk's (corrected) clock."""
        return self.states.next_attempt_at(record.next_attempt)

    def records(self) -> list[RecordJob]:
        """Every record, oldest first."""
        return [RecordJob.from_row(r) for r in self.db.read("SELECT * FROM result_record")]

    def next_due_record(self) -> RecordJob | None:
        rows = self.db.read(
            "SELECT * FROM result_record WHERE state = 'pending' AND next_attempt <= ?"
            " ORDER BY id LIMIT 1",
            (self._now(),),
        )
        return RecordJob.from_row(rows[0]) if rows else None

    def requeue_interrupted_records(self) -> int:
        return self.states.requeue_interrupted()

    def start_record(self, record: RecordJob) -> None:
        self.states.start(record.id)

    def record_sent(self, record_id: int, receipt: Receipt) -> None:
        key = self.db.read("SELECT key FROM result_record WHERE id = ?", (record_id,))[0]["key"]
        wall = self.clock.now().isoformat()
        receipt_file = {"id": receipt.id, "sha256": receipt.sha256, "wall": wall}
        write_receipt_file(self.record_dir, key, receipt_file)  # for a restore; then the row
        self.states.sent(record_id, receipt.id, receipt.sha256)

    def record_retry(
        self, record_id: int, problem: UploadProblem, detail: str, delay_s: float
    ) -> None:
        self.states.retry_later(record_id, problem, detail, delay_s)

    def record_failed(self, record_id: int, problem: UploadProblem, detail: str) -> None:
        self.states.fail(record_id, problem, detail)

    def retry_records_now(self) -> int:
        return self.states.retry_now()


@dataclass
class RecordsRestored:
    requeued: int = 0  # records queued again (pending): they go once
    sent: int = 0  # records (re)marked sent from their receipt file
    superseded: list[Path] = field(default_factory=list)  # a row holds its ballot and seq
    refused: list[Path] = field(default_factory=list)  # not a well-signed record of this kiosk


def restore_records(db: Database, data_dir: Path) -> RecordsRestored:
    """Queue the record files the database does not know: ``sent`` with its receipt when a
    receipt file says so, else pending; a known row a receipt file says was sent is marked
    sent; a file of another device or altered is refused; one whose ballot and sequence a
    row holds is ``superseded`` (kiosk.upload.record_files says why)."""
    done = RecordsRestored()
    files = record_files(data_dir)
    if not files:
        return done
    if not key_path(data_dir).exists():
        done.refused.extend(files)
        return done
    public = public_bytes(load_key(data_dir))
    known = {r["key"]: r["state"] for r in db.read("SELECT key, state FROM result_record")}
    found: list[tuple[Path, dict[str, Any]]] = []
    for path in files:
        try:
            found.append((path, read_record_file(path, public)))
        except (OSError, ValueError) as exc:
            log.error("result record %s not queued: %s", path, exc)
            done.refused.append(path)
    # Oldest first, as they were queued; of two files for one ballot and sequence (a failed
    # confirmation's and its retry), the newer holds the slot: it goes in first.
    newest: dict[tuple[str, int], str] = {}
    for _, fields in found:
        slot, at = (fields["b"], fields["seq"]), str(fields.get("at", ""))
        newest[slot] = max(newest.get(slot, ""), at)
    found.sort(
        key=lambda f: (
            newest[(f[1]["b"], f[1]["seq"])] != str(f[1].get("at", "")),
            str(f[1].get("at", "")),
            f[1]["seq"],
        )
    )
    for path, fields in found:
        receipt = read_receipt_file(path)
        if receipt is not None and receipt["sha256"] != path.stem:
            receipt = None  # not this record's: send again rather than trust it
        with db.write() as conn:
            if path.stem in known:
                if receipt is not None and known[path.stem] != "sent":
                    _mark_sent(conn, path.stem, receipt)
                    done.sent += 1
                continue
            inserted = _insert(conn, path.stem, fields, receipt)
        if not inserted:
            done.superseded.append(path)
            log.warning("result record %s superseded: its slot is taken", path.name)
            continue
        if receipt is not None:
            done.sent += 1
        else:
            done.requeued += 1
        log.warning("result record %s queued again from its file", path.name)
    return done


def _insert(
    conn: sqlite3.Connection, key: str, fields: dict[str, Any], receipt: dict[str, str] | None
) -> bool:
    wall = str(fields.get("at", ""))
    cur = conn.execute(
        "INSERT INTO result_record (ballot, seq, key, data, training, created_wall, updated_wall)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (fields["b"], fields["seq"], key, fields["_data"], int(bool(fields.get("tr"))), wall, wall),
    )
    if cur.rowcount and receipt is not None:
        _mark_sent(conn, key, receipt)
    return bool(cur.rowcount)


def _mark_sent(conn: sqlite3.Connection, key: str, receipt: dict[str, str]) -> None:
    conn.execute(
        "UPDATE result_record SET state = 'sent', error_code = '', error_detail = '',"
        " receipt_id = ?, receipt_sha256 = ?, receipt_wall = ? WHERE key = ?",
        (receipt["id"], receipt["sha256"], receipt["wall"], key),
    )
