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
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from kiosk.storage import write_durably
from kiosk.upload.outbox import Outbox, Receipt
from kiosk.upload.refusals import UploadProblem
from kiosk.upload.upload_state import UploadStates

RECORD_DIR = "records"  # in the data folder: one file per signed record, named by its key


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
    ballot: str,
    seq: int,
    key: str,
    data: bytes,
    training: bool,
    wall: str,
) -> None:
    """Queue a signed result record inside the caller's transaction (the confirmation's)."""
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
        self.record_dir = outbox.bundle_dir.parent / RECORD_DIR
        self.states = UploadStates(self.db, self.clock, "result_record", self._now)

    def record_file(self, record: RecordJob) -> Path:
        """The record's signed bytes as a file (what a tus upload sends), written if missing."""
        path = self.record_dir / f"{record.key}.json"
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
        self.states.sent(record_id, receipt.id, receipt.sha256)

    def record_retry(
        self, record_id: int, problem: UploadProblem, detail: str, delay_s: float
    ) -> None:
        self.states.retry_later(record_id, problem, detail, delay_s)

    def record_failed(self, record_id: int, problem: UploadProblem, detail: str) -> None:
        self.states.fail(record_id, problem, detail)

    def retry_records_now(self) -> int:
        return self.states.retry_now()
