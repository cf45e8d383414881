"""The durable outbox: one upload job per signed document, in the kiosk's SQLite database.

States: ``pending → sending → sent | failed``. A job records its attempts, when it may be tried
next, its last error (a code the screen turns into words, and the technical detail), the tus
upload URL and offset (so an upload interrupted by a power cut resumes where it stopped) and,
once sent, the server's receipt. A job whose upload the server acknowledged whole (offset =
length) is **delivered** (``delivered_wall``, written before anything else happens): it stays
pending until the receipt, asked for with backoff (``receipt_polls``), and is never sent again,
even when the server later forgets the upload's URL. Jobs and documents are never deleted
before a receipt (a database trigger refuses it), and the document files stay on disk after
the upload.

The job is created in the same transaction as its document (``enqueue``); the bundle file is
made later, by the worker or the USB export (``ensure_bundle``), so signing a document never
waits on, or fails because of, the queue.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.clock import Clock
from kiosk.db import Database
from kiosk.upload.bundle import BuiltBundle, build_bundle
from kiosk.upload.refusals import UploadProblem
from kiosk.upload.upload_state import FAILED, PENDING, SENDING, SENT, UploadStates

__all__ = ["FAILED", "PENDING", "SENDING", "SENT", "Job", "Outbox", "QueueCounts", "Receipt"]


class DocumentChanged(Exception):
    """The bundle made now differs from the one made before: the files changed on disk."""


@dataclass(frozen=True)
class Job:
    id: int
    document_id: int
    key: str
    training: bool
    state: str
    attempts: int
    next_attempt: float  # wall clock, seconds since the epoch (kiosk clock)
    bundle_sha256: str
    bundle_size: int
    upload_url: str
    offset: int
    error_code: str
    error_detail: str
    receipt_id: str
    receipt_sha256: str
    receipt_source: str
    ballot: str
    folder: Path
    delivered_wall: str = ""  # when the server acknowledged every byte ("" = not yet)
    receipt_polls: int = 0  # receipt requests since then that found none

    @property
    def delivered(self) -> bool:
        """The server has every byte: only a receipt is missing; never send it again."""
        return bool(self.delivered_wall)

    @property
    def problem(self) -> UploadProblem:
        """The last attempt's outcome (``error_code``); an unknown stored value is UNKNOWN."""
        return UploadProblem.stored(self.error_code)

    @property
    def progress(self) -> float:
        """0..1 of the bundle the server has confirmed."""
        if self.state == SENT:
            return 1.0
        return self.offset / self.bundle_size if self.bundle_size else 0.0

    @staticmethod
    def from_row(row: sqlite3.Row) -> Job:
        return Job(
            id=row["id"],
            document_id=row["document_id"],
            key=row["key"],
            training=bool(row["training"]),
            state=row["state"],
            attempts=row["attempts"],
            next_attempt=row["next_attempt"],
            bundle_sha256=row["bundle_sha256"],
            bundle_size=row["bundle_size"],
            upload_url=row["upload_url"],
            offset=row["offset"],
            error_code=row["error_code"],
            error_detail=row["error_detail"],
            receipt_id=row["receipt_id"],
            receipt_sha256=row["receipt_sha256"],
            receipt_source=row["receipt_source"],
            ballot=row["ballot"],
            folder=Path(row["folder"]),
            delivered_wall=row["delivered_wall"],
            receipt_polls=row["receipt_polls"],
        )


@dataclass(frozen=True)
class Receipt:
    """What the server says it stored: its id for the document and the SHA-256 it computed."""

    id: str
    sha256: str
    source: str = "tus"  # "usb": the collector had it from a USB export already;
    # "tus_completion": a server without receipts finished the upload (the hash is ours)


@dataclass(frozen=True)
class QueueCounts:
    unsent: int  # pending + sending + failed
    sending: int
    failed: int
    sent: int


# What the worker's probe of the network can end early (kiosk.upload.worker).
_WAITING_FOR_NETWORK = (UploadProblem.NETWORK.value, UploadProblem.SERVER_BUSY.value)

_SELECT = "SELECT j.*, d.ballot, d.folder FROM upload_job j JOIN document d ON d.id = j.document_id"


def enqueue(
    conn: sqlite3.Connection, document_id: int, key: str, training: bool, wall: str
) -> None:
    """Add the job of a new document, inside the caller's transaction (the one that records
    the document), so a document never exists without its job."""
    conn.execute(
        "INSERT INTO upload_job (document_id, key, training, created_wall, updated_wall)"
        " VALUES (?, ?, ?, ?, ?)",
        (document_id, key, int(training), wall, wall),
    )


def queued_documents(db: Database) -> set[int]:
    """Ids of the documents that have an upload job (kiosk.reconcile: which signed documents
    lost theirs)."""
    return {int(r["document_id"]) for r in db.read("SELECT document_id FROM upload_job")}


class Outbox:
    def __init__(self, db: Database, clock: Clock, data_dir: Path) -> None:
        self.db = db
        self.clock = clock
        self.bundle_dir = data_dir / "outbox"
        self.states = UploadStates(db, clock, "upload_job", self._now)

    def _now(self) -> float:
        """Scheduling time: the clock *without* the Ketua's correction, which the web app
        and the worker may each have read at a different moment; shown times add it back."""
        base: Clock = getattr(self.clock, "base", self.clock)
        return base.now().timestamp()

    def next_attempt_at(self, job: Job) -> dt.datetime:
        """When the job will be tried again, on the kiosk's (corrected) clock."""
        return self.states.next_attempt_at(job.next_attempt)

    def _update(self, job_id: int, sql: str, params: tuple[Any, ...]) -> None:
        self.states.update(job_id, sql, params)

    # Reading -----------------------------------------------------------------------------------
    def job(self, job_id: int) -> Job:
        rows = self.db.read(_SELECT + " WHERE j.id = ?", (job_id,))
        if not rows:
            raise KeyError(job_id)
        return Job.from_row(rows[0])

    def jobs(self) -> list[Job]:
        """Unsent first (in the order they will go), then sent, newest first."""
        rows = self.db.read(
            _SELECT + " ORDER BY j.state = 'sent', CASE WHEN j.state = 'sent' THEN -j.id"
            " ELSE j.id END"
        )
        return [Job.from_row(r) for r in rows]

    def counts(self) -> QueueCounts:
        rows = self.db.read("SELECT state, count(*) AS n FROM upload_job GROUP BY state")
        n = {r["state"]: r["n"] for r in rows}
        return QueueCounts(
            unsent=n.get(PENDING, 0) + n.get(SENDING, 0) + n.get(FAILED, 0),
            sending=n.get(SENDING, 0),
            failed=n.get(FAILED, 0),
            sent=n.get(SENT, 0),
        )

    def next_due(self) -> Job | None:
        """The oldest pending job whose time has come, if any."""
        rows = self.db.read(
            _SELECT + " WHERE j.state = 'pending' AND j.next_attempt <= ? ORDER BY j.id LIMIT 1",
            (self._now(),),
        )
        return Job.from_row(rows[0]) if rows else None

    def waiting_for_network(self) -> bool:
        """Does a pending job wait only for the network or a busy server (what the worker's
        probe can end early)? Not a delivered job waiting for its receipt."""
        rows = self.db.read(
            "SELECT 1 FROM upload_job WHERE state = 'pending' AND error_code IN (?, ?) LIMIT 1",
            _WAITING_FOR_NETWORK,
        )
        return bool(rows)

    # Worker transitions ------------------------------------------------------------------------
    def requeue_interrupted(self) -> int:
        """Jobs left ``sending`` by a worker that died go back to pending (same upload URL, so
        they resume). Only one worker runs per data directory, so none is really sending."""
        return self.states.requeue_interrupted()

    def start(self, job: Job) -> Job:
        self.states.start(job.id)
        return self.job(job.id)

    def ensure_bundle(self, job: Job) -> BuiltBundle:
        """The job's bundle file, made if missing. The first bundle's SHA-256 is recorded; a
        later rebuild must give the same bytes, or the document changed on disk."""
        path = self.bundle_dir / f"{job.key}.zip"
        if job.bundle_sha256 and path.exists() and path.stat().st_size == job.bundle_size:
            return BuiltBundle(path, job.key, job.bundle_sha256, job.bundle_size)
        built = build_bundle(job.folder, path)
        if built.key != job.key:
            raise DocumentChanged(f"manifest of document {job.document_id} is not the signed one")
        if job.bundle_sha256 and built.sha256 != job.bundle_sha256:
            raise DocumentChanged(f"bundle of document {job.document_id} changed")
        if not job.bundle_sha256:
            self._update(
                job.id,
                "bundle_path = ?, bundle_sha256 = ?, bundle_size = ?",
                (str(path), built.sha256, built.size),
            )
        return built

    def progress(self, job_id: int, upload_url: str, offset: int) -> None:
        self._update(job_id, "upload_url = ?, offset = ?", (upload_url, offset))

    def delivered(self, job_id: int, upload_url: str, offset: int) -> None:
        """The server acknowledged every byte: from now on the job only waits for its
        receipt. Committed at once, before the receipt is asked for."""
        self._update(
            job_id,
            "upload_url = ?, offset = ?, delivered_wall = ?, receipt_polls = 0",
            (upload_url, offset, self.clock.now().isoformat()),
        )

    def await_receipt(self, job_id: int, detail: str, delay_s: float) -> None:
        """A delivered job's receipt is not there yet: ask again in ``delay_s``."""
        self.states.retry_later(
            job_id, UploadProblem.NO_RECEIPT, detail, delay_s, "receipt_polls = receipt_polls + 1"
        )

    def stopped(self, job_id: int) -> None:
        """The worker stopped in the middle of this job: pending again, due at once, the
        upload URL kept (what a restart does with a job left "sending")."""
        self.states.stopped(job_id)

    def forget_upload(self, job_id: int) -> None:
        """The server no longer knows the upload (expired, or its storage was reset), or it
        refused it: start a fresh one next time (a delivered mark goes too: only a refusal or
        a receipt mismatch clears it, and then a person decides to send again)."""
        self._update(
            job_id, "upload_url = '', offset = 0, delivered_wall = '', receipt_polls = 0", ()
        )

    def sent(self, job_id: int, receipt: Receipt) -> None:
        self.states.sent(
            job_id,
            receipt.id,
            receipt.sha256,
            "offset = bundle_size, receipt_source = ?",
            (receipt.source,),
        )

    def retry_later(self, job_id: int, problem: UploadProblem, detail: str, delay_s: float) -> None:
        self.states.retry_later(job_id, problem, detail, delay_s)

    def fail(self, job_id: int, problem: UploadProblem, detail: str) -> None:
        """Stop trying until a person presses "Coba sekarang" (the server refused it)."""
        self.states.fail(job_id, problem, detail)

    # People and the network --------------------------------------------------------------------
    def retry_now(self, job_id: int | None = None) -> int:
        """ "Coba sekarang": every unsent job (or one) is due now, failed ones included."""
        return self.states.retry_now(job_id)

    def network_back(self) -> int:
        """The uplink answers again: jobs waiting only because of the network are due now."""
        with self.db.write() as conn:
            cur = conn.execute(
                "UPDATE upload_job SET next_attempt = ? WHERE state = 'pending'"
                " AND error_code IN (?, ?) AND next_attempt > ?",
                (self._now(), *_WAITING_FOR_NETWORK, self._now()),
            )
            return cur.rowcount

    def set_uplink(self, online: bool, detail: str = "") -> None:
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO uplink (id, online, checked_wall, detail) VALUES (1, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET online = excluded.online,"
                " checked_wall = excluded.checked_wall, detail = excluded.detail",
                (int(online), self.clock.now().isoformat(), detail[:300]),
            )

    def uplink(self) -> tuple[bool, str] | None:
        """(online, checked at) as the worker last saw it; None before its first look."""
        rows = self.db.read("SELECT online, checked_wall FROM uplink WHERE id = 1")
        return (bool(rows[0]["online"]), rows[0]["checked_wall"]) if rows else None

    # USB exports ----------------------------------------------------------------------------------
    def record_export(self, folder: Path, bundles: int, officer_id: str) -> None:
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO usb_export (folder, bundles, officer_id, wall) VALUES (?, ?, ?, ?)",
                (str(folder), bundles, officer_id, self.clock.now().isoformat()),
            )

    def exported(self) -> bool:
        """Has any document left on a USB drive (the collector may have it already)?"""
        return bool(self.db.read("SELECT 1 FROM usb_export LIMIT 1"))

    def last_export(self) -> dict[str, Any] | None:
        rows = self.db.read("SELECT * FROM usb_export ORDER BY id DESC LIMIT 1")
        return dict(rows[0]) if rows else None

    # Reset latihan --------------------------------------------------------------------------------
    @staticmethod
    def clear_training_day(conn: sqlite3.Connection) -> dict[str, int]:
        """Delete the queue's rows inside the reset's transaction. The ``upload_job_kept``
        trigger still refuses to delete an unsent job made outside training."""
        return {
            table: conn.execute(f"DELETE FROM {table}").rowcount
            for table in ("upload_job", "result_record", "uplink", "usb_export")
        }
