"""Salinan: one printed copy of a signed C.Hasil document per recipient, and the receipt.

What a copy looks like (footer, QR code and SIMULASI on every page) is ``copy_render``, what
the distribution receipt looks like ``copy_receipt``. Copies
are print jobs in SQLite, one per document and recipient whichever
printer prints it (the partial unique index print_job_one_copy): a printer error stops the run,
and the next run, on either printer, prints only the copies not yet printed, including those of
recipients ticked since. A reprint is a further job, marked CETAK ULANG.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from PIL import Image

from drivers.errors import PrinterError, PrinterOffline
from drivers.printer import DocumentPrinter, ReceiptPrinter
from kiosk.audit import AuditLog, Event
from kiosk.chasil.copy_receipt import receipt_pdf
from kiosk.chasil.copy_render import (
    CopyLabel,
    copy_pdf,
    copy_receipt_image,
    thermal_copy_pages,
    thermal_pages,
)
from kiosk.chasil.documents import Document, DocumentService
from kiosk.chasil.refusals import CopyCode
from kiosk.chasil.renditions import Turned
from kiosk.chasil.service import ballot_of
from kiosk.clock import Clock
from kiosk.db import Database
from kiosk.errors import PRINTER_ROLES
from kiosk.profile import Profile
from kiosk.refusals import KioskCode, Refused
from kiosk.storage import write_durably
from kiosk.tps_time import format_tps_time

if TYPE_CHECKING:
    from kiosk.services.auth import ActiveSession

FIXED_RECIPIENTS = ("Pengawas TPS", "PPS", "PPK (melalui PPS)", "Pengumuman publik")
PRINTERS = ("a4", "receipt")
SQLITE_MAX_ID = 2**63 - 1  # larger ids cannot even be asked for (OverflowError)
# One print run at a time in this process (waitress threads): a double tap on "print" must not
# send a copy that the other run is printing.
_RUN_LOCK = threading.Lock()
# Kept importable from here (bench/chasil_bench.py, tests) beside the service.
__all__ = [
    "FIXED_RECIPIENTS",
    "PRINTERS",
    "CopyLabel",
    "CopyService",
    "copy_pdf",
    "copy_receipt_image",
    "thermal_copy_pages",
    "thermal_pages",
]


class CopyService:
    """Recipients, print jobs and the distribution receipt of the signed documents
    (``documents``: their owner, asked for a document's scanned pages; the printers are None
    when the kiosk has none)."""

    owns: ClassVar[tuple[str, ...]] = ("recipient", "print_job")

    def __init__(
        self,
        db: Database,
        audit: AuditLog,
        clock: Clock,
        profile: Profile | None,
        documents: DocumentService,
        document_printer: DocumentPrinter | None,
        receipt_printer: ReceiptPrinter | None,
    ) -> None:
        self.db = db
        self.audit = audit
        self.clock = clock
        self._profile = profile
        self.documents = documents
        self.document_printer = document_printer
        self.receipt_printer = receipt_printer
        self._thermal: tuple[int, list[Image.Image]] | None = None  # pages decoded for a run

    @property
    def profile(self) -> Profile:
        """The TPS profile; ``Refused(NOT_PROVISIONED)`` on a kiosk that has none yet."""
        if self._profile is None:
            raise Refused(KioskCode.NOT_PROVISIONED)
        return self._profile

    def _time(self, when: object, fmt: str = "%d-%m-%Y %H:%M") -> str:
        """A time as printed at this TPS, with its zone (WIB, WITA or WIT)."""
        return format_tps_time(str(when), self.profile.identity.code, fmt)

    # Recipients --------------------------------------------------------------------------------
    def recipients(self, ballot: str) -> list[dict[str, object]]:
        """Who receives a copy of ``ballot``'s documents, in order: its saksi (ticked as they
        are present), then the fixed recipients. Each ballot has its own list."""
        ballot_of(self.profile, ballot)
        sql = "SELECT * FROM recipient WHERE ballot = ? ORDER BY position"
        if not self.db.read(sql, (ballot,)):
            self._default_recipients(ballot)
        return [dict(r) for r in self.db.read(sql, (ballot,))]

    def _default_recipients(self, ballot: str) -> None:
        """A saksi for every candidate pair, candidate or party on ``ballot`` (not yet
        present), then the fixed recipients (present)."""
        own = ballot_of(self.profile, ballot)
        saksi = [p.name for p in own.parties] or list(own.candidates)
        rows = [(f"Saksi {name}", 0) for name in saksi] + [(n, 1) for n in FIXED_RECIPIENTS]
        with self.db.write() as conn:
            for position, (name, present) in enumerate(rows):
                conn.execute(
                    "INSERT OR IGNORE INTO recipient (ballot, name, present, position)"
                    " VALUES (?, ?, ?, ?)",
                    (ballot, name, present, position),
                )

    def set_present_list(self, doc: Document, present: set[int]) -> int:
        """Tick exactly the recipients of ``doc``'s ballot in ``present`` (ids) and return how
        many copies the next print run will print (those ticked without a printed copy of
        ``doc``); ``Refused(UNKNOWN_RECIPIENT)`` (nothing changed) for an id that is not on
        this ballot's list."""
        known = {int(str(r["id"])) for r in self.recipients(doc.ballot)}
        unknown = present - known
        if unknown:
            raise Refused(CopyCode.UNKNOWN_RECIPIENT, recipient=sorted(unknown)[0])
        with self.db.write() as conn:
            for rid in known:
                conn.execute(
                    "UPDATE recipient SET present = ? WHERE id = ?", (int(rid in present), rid)
                )
        return len(self.missing(doc))

    def missing(self, doc: Document) -> list[str]:
        """The ticked recipients of ``doc``'s ballot who have no printed copy of it yet, in
        list order: what the next print run prints (a reprint is never counted here)."""
        printed = {
            str(r["recipient"])
            for r in self.db.read(
                "SELECT recipient FROM print_job WHERE document_id = ? AND reprint = 0"
                " AND state = 'printed'",
                (doc.id,),
            )
        }
        return [
            str(r["name"])
            for r in self.recipients(doc.ballot)
            if r["present"] and r["name"] not in printed
        ]

    # Jobs --------------------------------------------------------------------------------------
    def jobs(self, doc: Document) -> list[dict[str, object]]:
        """``doc``'s print jobs in copy order; a printed one carries ``printed_at``, its time
        at this TPS ("13:05 WITA")."""
        jobs = [
            dict(r)
            for r in self.db.read(
                "SELECT * FROM print_job WHERE document_id = ? ORDER BY copy_no, id", (doc.id,)
            )
        ]
        for job in jobs:
            if job["state"] == "printed":
                job["printed_at"] = self._time(job["printed_wall"], "%H:%M")
        return jobs

    def _plan(self, doc: Document) -> None:
        """One original copy per ticked recipient: add the missing ones (recipients ticked
        since the last run), drop unprinted ones whose recipient is no longer ticked, and
        number the unprinted ones after those already printed ("Salinan k dari K", K = the
        copies of this document known now)."""
        present = [str(r["name"]) for r in self.recipients(doc.ballot) if r["present"]]
        with self.db.write() as conn:
            conn.execute(
                "DELETE FROM print_job WHERE document_id = ? AND reprint = 0 AND extra = 0"
                " AND state != 'printed' AND recipient NOT IN"
                " (SELECT name FROM recipient WHERE ballot = ? AND present = 1)",
                (doc.id, doc.ballot),
            )
            for name in present:
                conn.execute(
                    "INSERT OR IGNORE INTO print_job (document_id, copy_no, copies, recipient,"
                    " printer, state) VALUES (?, 0, 0, ?, '', 'pending')",
                    (doc.id, name),
                )
            originals = conn.execute(
                "SELECT id, copy_no, state FROM print_job"
                " WHERE document_id = ? AND reprint = 0 AND extra = 0",
                (doc.id,),
            ).fetchall()
            printed = [r for r in originals if r["state"] == "printed"]
            waiting = {r["id"] for r in originals if r["state"] != "printed"}
            first = max([int(r["copy_no"]) for r in printed], default=0) + 1
            total = first - 1 + len(waiting)
            order = [i for i in self._ids_by_position(conn, doc) if i in waiting]
            for k, job_id in enumerate(order, start=first):
                conn.execute(
                    "UPDATE print_job SET copy_no = ?, copies = ? WHERE id = ?",
                    (k, total, job_id),
                )

    @staticmethod
    def _ids_by_position(conn: sqlite3.Connection, doc: Document) -> list[int]:
        rows = conn.execute(
            "SELECT j.id FROM print_job AS j LEFT JOIN recipient AS r"
            " ON r.name = j.recipient AND r.ballot = ?"
            " WHERE j.document_id = ? AND j.reprint = 0 ORDER BY coalesce(r.position, 1e9), j.id",
            (doc.ballot, doc.id),
        ).fetchall()
        return [int(r[0]) for r in rows]

    def print_copies(self, doc: Document, printer: str, by: ActiveSession) -> int:
        """Print on ``printer`` every copy of ``doc`` not yet printed on either printer; return
        how many were printed now. A printer error marks that copy failed and propagates; the
        next call, on this printer or the other, resumes from it."""
        if printer not in PRINTERS:
            raise ValueError(printer)
        pages = self.documents.pages_of(doc)
        with _RUN_LOCK:
            self._plan(doc)
            pending = self.db.read(
                "SELECT * FROM print_job WHERE document_id = ? AND reprint = 0 AND extra = 0"
                " AND state != 'printed' ORDER BY copy_no, id",
                (doc.id,),
            )
            for job in pending:
                self._print_job(doc, pages, dict(job), printer, by)
        return len(pending)

    def reprint(
        self, doc: Document, job_id: int, by: ActiveSession, printer: str | None = None
    ) -> None:
        """Print a printed copy again, marked CETAK ULANG, on ``printer`` (default: the one
        that printed it). ``Refused(UNKNOWN_COPY)`` when ``doc`` has no such printed copy."""
        original = (
            self.db.read(
                "SELECT * FROM print_job WHERE id = ? AND document_id = ? AND state = 'printed'",
                (job_id, doc.id),
            )
            if 0 < job_id <= SQLITE_MAX_ID
            else []
        )
        if not original:
            raise Refused(CopyCode.UNKNOWN_COPY, copy=job_id)
        pages = self.documents.pages_of(doc)
        o = original[0]
        target = printer or str(o["printer"])
        if target not in PRINTERS:
            raise ValueError(target)
        with _RUN_LOCK:
            with self.db.write() as conn:
                cur = conn.execute(
                    "INSERT INTO print_job (document_id, copy_no, copies, recipient,"
                    " printer, state, reprint) VALUES (?, ?, ?, ?, ?, 'pending', 1)",
                    (doc.id, o["copy_no"], o["copies"], o["recipient"], target),
                )
                new_id = cur.lastrowid
            self.audit.record_for(
                Event.REPRINT,
                by,
                document=doc.id,
                copy=o["copy_no"],
                recipient=o["recipient"],
            )
            job = self.db.read("SELECT * FROM print_job WHERE id = ?", (new_id,))[0]
            self._print_job(doc, pages, dict(job), target, by)

    def _print_job(
        self,
        doc: Document,
        pages: Sequence[Turned],
        job: dict[str, object],
        printer_name: str,
        by: ActiveSession,
    ) -> None:
        label = CopyLabel(
            int(str(job["copy_no"])),
            int(str(job["copies"])),
            str(job["recipient"]),
            self._time(self.clock.now().isoformat()),
            bool(job["reprint"]),
        )
        try:
            if printer_name == "a4":
                if self.document_printer is None:
                    raise PrinterOffline("no A4 printer configured")
                path = doc.folder / "copies" / f"salinan-{job['id']:04d}.pdf"
                write_durably(path, copy_pdf(self.profile, doc, label))
                self.document_printer.print_pdf(
                    path, f"salinan {doc.ballot} {label.copy_no}/{label.copies}"
                )
            else:
                if self.receipt_printer is None:
                    raise PrinterOffline("no receipt printer configured")
                printer = self.receipt_printer
                if self._thermal is None or self._thermal[0] != doc.id:
                    self._thermal = (doc.id, thermal_pages(pages, printer.width_px))
                printer.print_image(
                    copy_receipt_image(self.profile, doc, self._thermal[1], label, printer.width_px)
                )
        except PrinterError as exc:
            # The fault page and the status strip name the printer (kiosk.errors.on_device).
            exc.role = exc.role or PRINTER_ROLES["a4" if printer_name == "a4" else "receipt"]
            with self.db.write() as conn:
                conn.execute(
                    "UPDATE print_job SET state = 'failed', error = ?, printer = ? WHERE id = ?",
                    (type(exc).__name__, printer_name, job["id"]),
                )
            self.audit.record_for(
                Event.PRINT_FAILED,
                by,
                document=doc.id,
                copy=label.copy_no,
                error=type(exc).__name__,
            )
            raise
        with self.db.write() as conn:
            conn.execute(
                "UPDATE print_job SET state = 'printed', error = '', printer = ?, printed_wall = ?"
                " WHERE id = ?",
                (printer_name, self.clock.now().isoformat(), job["id"]),
            )
        self.audit.record_for(
            Event.PRINT,
            by,
            document=doc.id,
            copy=label.copy_no,
            copies=label.copies,
            recipient=label.recipient,
            printer=printer_name,
            reprint=label.reprint,
        )

    # Distribution receipt ----------------------------------------------------------------------
    def receipt_pdf(self, doc: Document) -> Path:
        """The distribution receipt: each printed copy once, its recipient, the printer that
        printed it and when, and a line to sign; kept in the document's folder."""
        made_at = self._time(self.clock.now().isoformat())
        pdf = receipt_pdf(
            self.profile, doc, self.jobs(doc), made_at, lambda at: self._time(at, "%H:%M")
        )
        path = doc.folder / "tanda-terima.pdf"
        write_durably(path, pdf)
        return path

    def print_receipt(self, doc: Document) -> Path:
        """Make the distribution receipt (kept in the document's folder) and print it on the
        A4 printer, when the kiosk has one."""
        path = self.receipt_pdf(doc)
        if self.document_printer is not None:
            self.document_printer.print_pdf(path, f"tanda terima {doc.ballot}")
        return path

    # Training reset ----------------------------------------------------------------------------
    def clear_training_day(self, conn: sqlite3.Connection) -> dict[str, int]:
        """Delete the day's print jobs and recipients inside the reset's transaction, and the
        thermal pages decoded for the last run."""
        self._thermal = None
        return {table: conn.execute(f"DELETE FROM {table}").rowcount for table in self.owns}
