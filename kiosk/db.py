"""SQLite in the data directory: WAL, ``synchronous=FULL``, migrations by ``PRAGMA user_version``.

Only this module opens the database (the web app and the upload worker, each in its own
process). Every write goes through ``Database.write()``: one process-wide lock plus
``BEGIN IMMEDIATE``, so writers never interleave and a power cut leaves either the whole
transaction or none of it.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kiosk.sqlite_tx import immediate  # shared with the collector's database

log = logging.getLogger(__name__)

# Each entry moves the schema from version N to N+1: a tuple of single SQL statements, run in
# one transaction. Append only; never edit a shipped step.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: self-test reports and device events
    (
        """
    CREATE TABLE selftest_report (
        id INTEGER PRIMARY KEY,
        created_wall TEXT NOT NULL,
        created_mono REAL NOT NULL,
        ok INTEGER NOT NULL CHECK (ok IN (0, 1)),
        report_json TEXT NOT NULL
    )""",
        """
    CREATE TABLE device_event (
        id INTEGER PRIMARY KEY,
        created_wall TEXT NOT NULL,
        created_mono REAL NOT NULL,
        device TEXT NOT NULL,
        kind TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    )""",
    ),
    # 2: officers, login sessions, the audit log (append-only by trigger, chained by hash)
    (
        """
    CREATE TABLE officer (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        pin_hash TEXT NOT NULL,
        card_uid TEXT UNIQUE,
        failed_attempts INTEGER NOT NULL DEFAULT 0,
        lockouts INTEGER NOT NULL DEFAULT 0,
        locked_until REAL NOT NULL DEFAULT 0
    )""",
        """
    CREATE TABLE login_session (
        id TEXT PRIMARY KEY,
        officer_id TEXT NOT NULL REFERENCES officer (id) ON DELETE CASCADE,
        card_uid TEXT,
        started REAL NOT NULL,
        last_seen REAL NOT NULL,
        ended REAL,
        end_reason TEXT
    )""",
        """
    CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY,
        wall TEXT NOT NULL,
        mono REAL NOT NULL,
        officer TEXT,
        role TEXT,
        kind TEXT NOT NULL,
        details TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    )""",
        """
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
        """
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    ),
    # 3: C.Hasil numbers: each officer's entry of a sheet, and the Ketua's confirmation
    (
        """
    CREATE TABLE chasil_entry (
        id INTEGER PRIMARY KEY,
        ballot TEXT NOT NULL,
        entry_no INTEGER NOT NULL CHECK (entry_no IN (1, 2)),
        officer_id TEXT NOT NULL,
        boxes TEXT NOT NULL,
        saved_wall TEXT NOT NULL
    )""",
        """
    CREATE TABLE chasil_confirmed (
        ballot TEXT PRIMARY KEY,
        boxes TEXT NOT NULL,
        findings TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        confirmed_by TEXT NOT NULL,
        confirmed_wall TEXT NOT NULL
    )""",
    ),
    # 4: scanned pages, signed documents, recipients of copies and print jobs
    (
        """
    CREATE TABLE scan_page (
        id INTEGER PRIMARY KEY,
        ballot TEXT NOT NULL,
        position INTEGER NOT NULL,
        path TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        officer_id TEXT NOT NULL,
        created_wall TEXT NOT NULL,
        problem TEXT NOT NULL DEFAULT '',
        discarded INTEGER NOT NULL DEFAULT 0
    )""",
        """
    CREATE TABLE document (
        id INTEGER PRIMARY KEY,
        ballot TEXT NOT NULL,
        folder TEXT NOT NULL,
        pdf_sha256 TEXT NOT NULL,
        manifest_sha256 TEXT NOT NULL,
        pages INTEGER NOT NULL,
        training INTEGER NOT NULL,
        created_wall TEXT NOT NULL
    )""",
        """
    CREATE TABLE recipient (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        present INTEGER NOT NULL DEFAULT 1,
        position INTEGER NOT NULL
    )""",
        """
    CREATE TABLE print_job (
        id INTEGER PRIMARY KEY,
        document_id INTEGER NOT NULL REFERENCES document (id),
        copy_no INTEGER NOT NULL,
        copies INTEGER NOT NULL,
        recipient TEXT NOT NULL,
        printer TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'printed', 'failed')),
        reprint INTEGER NOT NULL DEFAULT 0,
        error TEXT NOT NULL DEFAULT '',
        printed_wall TEXT
    )""",
    ),
    # 5: the day's checklist, incidents and objections, and the confirmed clock offset
    (
        """
    CREATE TABLE checklist_record (
        id INTEGER PRIMARY KEY,
        phase TEXT NOT NULL,
        step TEXT NOT NULL UNIQUE,
        value TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        officer_id TEXT NOT NULL,
        wall TEXT NOT NULL,
        mono REAL NOT NULL,
        clock_offset REAL NOT NULL
    )""",
        """
    CREATE TABLE incident (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('kejadian', 'keberatan')),
        reporter TEXT NOT NULL,
        text TEXT NOT NULL,
        officer_id TEXT NOT NULL,
        wall TEXT NOT NULL,
        mono REAL NOT NULL,
        clock_offset REAL NOT NULL
    )""",
        """
    CREATE TABLE clock_offset (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        offset_s REAL NOT NULL,
        set_by TEXT NOT NULL,
        set_wall TEXT NOT NULL
    )""",
    ),
    # 6: the upload outbox (one job per signed document), the uplink as the worker last saw
    # it, and USB exports
    (
        """
    CREATE TABLE upload_job (
        id INTEGER PRIMARY KEY,
        document_id INTEGER NOT NULL UNIQUE REFERENCES document (id),
        key TEXT NOT NULL UNIQUE,
        training INTEGER NOT NULL CHECK (training IN (0, 1)),
        state TEXT NOT NULL DEFAULT 'pending'
            CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt REAL NOT NULL DEFAULT 0,
        bundle_path TEXT NOT NULL DEFAULT '',
        bundle_sha256 TEXT NOT NULL DEFAULT '',
        bundle_size INTEGER NOT NULL DEFAULT 0,
        upload_url TEXT NOT NULL DEFAULT '',
        offset INTEGER NOT NULL DEFAULT 0,
        error_code TEXT NOT NULL DEFAULT '',
        error_detail TEXT NOT NULL DEFAULT '',
        receipt_id TEXT NOT NULL DEFAULT '',
        receipt_sha256 TEXT NOT NULL DEFAULT '',
        receipt_source TEXT NOT NULL DEFAULT '',
        receipt_wall TEXT NOT NULL DEFAULT '',
        created_wall TEXT NOT NULL,
        updated_wall TEXT NOT NULL
    )""",
        """
    CREATE TRIGGER upload_job_kept BEFORE DELETE ON upload_job
    WHEN OLD.state != 'sent'
    BEGIN
        SELECT RAISE(ABORT, 'an upload job is kept until the server has given its receipt');
    END""",
        """
    CREATE TRIGGER upload_receipt_kept BEFORE UPDATE OF state ON upload_job
    WHEN OLD.state = 'sent' AND NEW.state != 'sent'
    BEGIN
        SELECT RAISE(ABORT, 'a job with a receipt stays sent');
    END""",
        """
    INSERT INTO upload_job (document_id, key, training, created_wall, updated_wall)
    SELECT id, manifest_sha256, training, created_wall, created_wall FROM document""",
        """
    CREATE TABLE uplink (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        online INTEGER NOT NULL CHECK (online IN (0, 1)),
        checked_wall TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    )""",
        """
    CREATE TABLE usb_export (
        id INTEGER PRIMARY KEY,
        folder TEXT NOT NULL,
        bundles INTEGER NOT NULL,
        officer_id TEXT NOT NULL,
        wall TEXT NOT NULL
    )""",
    ),
    # 7: training (bimtek) only: the trainer's "network down" switch, which the upload worker
    # reads; and "Reset latihan" may delete unsent *training* jobs, never a real one
    (
        """
    CREATE TABLE training_network (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        down INTEGER NOT NULL CHECK (down IN (0, 1)),
        set_by TEXT NOT NULL,
        set_wall TEXT NOT NULL
    )""",
        "DROP TRIGGER upload_job_kept",
        """
    CREATE TRIGGER upload_job_kept BEFORE DELETE ON upload_job
    WHEN OLD.state != 'sent' AND OLD.training = 0
    BEGIN
        SELECT RAISE(ABORT, 'an upload job is kept until the server has given its receipt');
    END""",
    ),
    # 8: the audit chain's head signed with the device key (kiosk.audit_head), one row,
    # replaced in the transaction of each appended audit row; it only ever moves forward
    (
        """
    CREATE TABLE audit_head (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        count INTEGER NOT NULL CHECK (count >= 1),
        hash TEXT NOT NULL,
        signature TEXT NOT NULL,
        public_key TEXT NOT NULL,
        fingerprint TEXT NOT NULL
    )""",
        """
    CREATE TRIGGER audit_head_forward BEFORE UPDATE ON audit_head
    WHEN NEW.count <= OLD.count
    BEGIN SELECT RAISE(ABORT, 'the audit head only moves forward'); END""",
    ),
    # 9: one original copy of a document per recipient, whichever printer prints it. Copies
    # printed on both printers before this step stay on record, the later one marked ``extra``;
    # an unprinted duplicate (no paper came out) goes. print_job_one_copy enforces it from now.
    (
        "ALTER TABLE print_job ADD COLUMN extra INTEGER NOT NULL DEFAULT 0",
        """
    DELETE FROM print_job WHERE reprint = 0 AND state != 'printed' AND EXISTS (
        SELECT 1 FROM print_job AS p
        WHERE p.document_id = print_job.document_id AND p.recipient = print_job.recipient
        AND p.reprint = 0 AND p.id != print_job.id
        AND (p.state = 'printed' OR p.id < print_job.id))""",
        """
    UPDATE print_job SET extra = 1 WHERE reprint = 0 AND state = 'printed' AND EXISTS (
        SELECT 1 FROM print_job AS p
        WHERE p.document_id = print_job.document_id AND p.recipient = print_job.recipient
        AND p.reprint = 0 AND p.state = 'printed' AND p.id < print_job.id)""",
        """
    CREATE UNIQUE INDEX print_job_one_copy ON print_job (document_id, recipient)
    WHERE reprint = 0 AND extra = 0""",
    ),
    # 10: an upload the server acknowledged whole (offset = length) is "delivered": it waits
    # for the receipt and is never sent again. Columns, not a new state: the state CHECK can
    # only change by rebuilding the table, and a delivered job is still "pending" (no receipt).
    (
        "ALTER TABLE upload_job ADD COLUMN delivered_wall TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE upload_job ADD COLUMN receipt_polls INTEGER NOT NULL DEFAULT 0",
        # A job that already waited for its receipt had every byte acknowledged.
        """
    UPDATE upload_job SET delivered_wall = updated_wall
    WHERE state = 'pending' AND error_code = 'no_receipt'""",
    ),
    # 11: device_event (schema 1) was never written by the kiosk: devices report through the
    # self-test and the log, and a table nobody owns would survive "Reset latihan"
    ("DROP TABLE device_event",),
    # 12: a reminder of the day (11.00 DPTb, ...) tapped away stays away, also after a restart;
    # owned by the checklist, cleared with the training day
    (
        """
    CREATE TABLE reminder_dismissed (
        day TEXT NOT NULL,
        at TEXT NOT NULL,
        wall TEXT NOT NULL,
        PRIMARY KEY (day, at)
    )""",
    ),
    # 13: who receives a copy is decided per ballot (the saksi of PPWP are not those of DPR).
    # The one shared list carries over to every ballot that already has a signed document, so
    # its printed copies and receipt keep matching their list; other ballots start from their
    # own saksi when their document is first shown.
    (
        """
    CREATE TABLE recipient_of_ballot (
        id INTEGER PRIMARY KEY,
        ballot TEXT NOT NULL,
        name TEXT NOT NULL,
        present INTEGER NOT NULL DEFAULT 1,
        position INTEGER NOT NULL,
        UNIQUE (ballot, name)
    )""",
        """
    INSERT INTO recipient_of_ballot (ballot, name, present, position)
    SELECT d.ballot, r.name, r.present, r.position
    FROM (SELECT DISTINCT ballot FROM document) AS d, recipient AS r
    ORDER BY d.ballot, r.position""",
        "DROP TABLE recipient",
        "ALTER TABLE recipient_of_ballot RENAME TO recipient",
    ),
    # 14: the numbers go first. Each confirmation signs a small result record
    # (kiosk.chasil.result_record), queued in the confirmation's transaction and sent ahead of
    # any document, kept until its receipt; the confirmation names its record, and the
    # document's manifest carries that name.
    (
        "ALTER TABLE chasil_confirmed ADD COLUMN record TEXT NOT NULL DEFAULT ''",
        """
    CREATE TABLE result_record (
        id INTEGER PRIMARY KEY,
        ballot TEXT NOT NULL,
        seq INTEGER NOT NULL,
        key TEXT NOT NULL UNIQUE,
        data BLOB NOT NULL,
        training INTEGER NOT NULL,
        created_wall TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending'
            CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt REAL NOT NULL DEFAULT 0,
        error_code TEXT NOT NULL DEFAULT '',
        error_detail TEXT NOT NULL DEFAULT '',
        receipt_id TEXT NOT NULL DEFAULT '',
        receipt_sha256 TEXT NOT NULL DEFAULT '',
        receipt_wall TEXT NOT NULL DEFAULT '',
        updated_wall TEXT NOT NULL,
        UNIQUE (ballot, seq)
    )""",
        """
    CREATE TRIGGER result_record_kept BEFORE DELETE ON result_record
    WHEN OLD.state != 'sent' AND OLD.training = 0
    BEGIN
        SELECT RAISE(ABORT, 'a result record is kept until the server has given its receipt');
    END""",
        """
    CREATE TRIGGER result_receipt_kept BEFORE UPDATE OF state ON result_record
    WHEN OLD.state = 'sent' AND NEW.state != 'sent'
    BEGIN
        SELECT RAISE(ABORT, 'a result record with a receipt stays sent');
    END""",
    ),
    # 15: a page askew on the glass is not resampled; the turn that straightens it
    # (kiosk.chasil.renditions.straighten_centideg) is kept with it and applied where the page
    # is shown: the signed PDF, the scan screen, a thermal copy.
    ("ALTER TABLE scan_page ADD COLUMN straighten_centideg INTEGER NOT NULL DEFAULT 0",),
    # 16: to a plain tus server (upload_receipt = "tus_completion") a result record travels as
    # its own small tus upload (kiosk.upload.record_sender.RecordTus); its upload URL is stored
    # before a byte is sent, so a killed worker resumes that upload instead of making another.
    ("ALTER TABLE result_record ADD COLUMN upload_url TEXT NOT NULL DEFAULT ''",),
    # 17: the form a page's printed title names (kiosk.chasil.identify): a page of another
    # ballot's form is held before anything is signed.
    ("ALTER TABLE scan_page ADD COLUMN form TEXT NOT NULL DEFAULT ''",),
    # 18: the third reader's reading of each page of the right form (kiosk.chasil.readings):
    # pending until the reader's child has read it (read again after a power cut), then read
    # (``result``: kiosk.reader.page.PageResult as JSON) or failed (``error``: why).
    # ``sha256`` is the page's: a reading lands only on the page it was made from.
    (
        """
    CREATE TABLE page_reading (
        page_id INTEGER PRIMARY KEY REFERENCES scan_page (id),
        sha256 TEXT NOT NULL,
        ballot TEXT NOT NULL,
        form TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'read', 'failed')),
        result TEXT NOT NULL DEFAULT '',
        error TEXT NOT NULL DEFAULT '',
        read_ms INTEGER NOT NULL DEFAULT 0,
        updated_wall TEXT NOT NULL
    )""",
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)


class Database:
    """The kiosk's SQLite database file. Thread-safe: one connection per thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._write_lock = threading.Lock()
        self._local = threading.local()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    @property
    def conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    def migrate(self) -> int:
        """Bring the schema up to SCHEMA_VERSION; return the version found before."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.write() as conn:
            found = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if found > SCHEMA_VERSION:
                raise RuntimeError(
                    f"{self.path} has schema {found}, newer than this kiosk's {SCHEMA_VERSION}"
                )
            for version in range(found, SCHEMA_VERSION):
                log.info("migrating %s to schema %d", self.path, version + 1)
                for statement in MIGRATIONS[version]:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {version + 1}")
        return found

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """The one write path: a short ``BEGIN IMMEDIATE`` transaction under the write lock."""
        with self._write_lock, immediate(self.conn) as conn:
            yield conn

    def read(self, sql: str, params: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, params).fetchall()

    def close(self) -> None:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
