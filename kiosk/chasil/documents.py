"""Scanned C.Hasil sheets and the signed documents made from them.

``DocumentService`` owns the tables ``scan_page`` (through kiosk.chasil.pages) and
``document``: which ballot has a signed document is asked of it and of nothing else. It is
given the scanner, the device's signing key and the data folder at construction, and asks
``ChasilService`` whether the numbers are confirmed. Finishing a sheet signs one document
(kiosk.chasil.signing) and queues its upload in the same transaction (kiosk.upload.outbox).
Each page kept whose title named its ballot's form goes to ``kept`` (the third reader,
kiosk.chasil.readings, given at construction as a callable like the others), and a signed
manifest carries each page's reading as ``readings`` gives it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from drivers.errors import ScannerNotFound
from drivers.scanner import Scanner, Source
from kiosk.audit import AuditLog, Event
from kiosk.chasil.identify import known_forms
from kiosk.chasil.pages import SQLITE_INT, Page, ScannedPages, ScanResult, unknown_page
from kiosk.chasil.refusals import DocumentCode
from kiosk.chasil.renditions import Turned
from kiosk.chasil.service import Confirmation, ballot_of
from kiosk.chasil.signing import Document, rendition_file, sign, verify_manifest
from kiosk.clock import Clock
from kiosk.db import Database
from kiosk.profile import Profile
from kiosk.refusals import KioskCode, Refused
from kiosk.storage import write_durably
from kiosk.upload.outbox import enqueue

if TYPE_CHECKING:
    from kiosk.forms import FormPage
    from kiosk.services.auth import ActiveSession

# Kept importable from here (kiosk.reconcile, tests) beside the service.
__all__ = ["Document", "DocumentService", "Page", "ScanResult", "verify_manifest"]


def recorded_documents(db: Database) -> dict[str, sqlite3.Row]:
    """Every recorded document by its manifest's SHA-256: id, training, created_wall
    (kiosk.reconcile compares them with the signed folders on disk)."""
    rows = db.read("SELECT id, manifest_sha256, training, created_wall FROM document")
    return {r["manifest_sha256"]: r for r in rows}


def record_recovered(
    conn: sqlite3.Connection,
    ballot: str,
    folder: Path,
    pdf_sha256: str,
    manifest_sha256: str,
    pages: int,
    training: bool,
    created: str,
) -> int:
    """Record again a signed document whose row was lost (its folder and signature verified
    by kiosk.reconcile), inside the caller's transaction; returns its new id."""
    cur = conn.execute(
        "INSERT INTO document (ballot, folder, pdf_sha256, manifest_sha256, pages,"
        " training, created_wall) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (ballot, str(folder), pdf_sha256, manifest_sha256, pages, int(training), created),
    )
    return int(cur.lastrowid or 0)


class ConfirmedNumbers(Protocol):
    """Who confirmed a ballot's numbers (kiosk.chasil.service.ChasilService)."""

    def confirmed(self, ballot_type: str) -> Confirmation | None: ...


class DocumentService:
    """Pages of each ballot's sheet and its signed documents (``scanner``: None when the kiosk
    has none; ``signing_key``: the device key, asked when a document is signed; ``dpi``: the
    ``scanner_dpi`` setting)."""

    owns: ClassVar[tuple[str, ...]] = ("scan_page", "document")

    def __init__(
        self,
        db: Database,
        audit: AuditLog,
        clock: Clock,
        data_dir: Path,
        profile: Profile | None,
        training: bool,
        *,
        numbers: ConfirmedNumbers,
        scanner: Scanner | None,
        signing_key: Callable[[], Ed25519PrivateKey],
        dpi: int,
        kept: Callable[[int], None] = lambda page_id: None,
        readings: Callable[[Sequence[Page]], dict[int, dict[str, Any]]] = lambda pages: {},
    ) -> None:
        self.db = db
        self.audit = audit
        self.clock = clock
        self.root = data_dir / "documents"
        self._profile = profile
        self.training = training
        self.numbers = numbers
        self.scanner = scanner
        self.signing_key = signing_key
        self.readings = readings  # each page's reading for the manifest, by page id
        self.scans = ScannedPages(
            db, audit, clock, self.root, dpi, forms=lambda: known_forms(self._profile), kept=kept
        )

    @property
    def profile(self) -> Profile:
        """The TPS profile; ``Refused(NOT_PROVISIONED)`` on a kiosk that has none yet."""
        if self._profile is None:
            raise Refused(KioskCode.NOT_PROVISIONED)
        return self._profile

    def _provisioned(self) -> None:
        """An unprovisioned kiosk has no pages: refuse as a scan would."""
        if self._profile is None:
            raise Refused(KioskCode.NOT_PROVISIONED)

    # Pages -------------------------------------------------------------------------------------
    def pages(self, ballot: str) -> list[Page]:
        """``ballot``'s kept pages in order (``Refused(UNKNOWN_BALLOT)`` for a type the
        profile does not have)."""
        ballot_of(self.profile, ballot)
        return self.scans.pages(ballot)

    def page(self, page_id: int) -> Page | None:
        """The kept page ``page_id`` (any ballot's); None when discarded or unknown."""
        return self.scans.page(page_id)

    def identified_pages(self) -> list[Page]:
        """Every kept page that is not held and whose title named its ballot's form."""
        return self.scans.identified()

    def forms(self) -> tuple[FormPage, ...]:
        """The form definitions pages are identified and read against."""
        return known_forms(self._profile)

    def scan(
        self, ballot: str, by: ActiveSession, feeder: bool, replace_page: int | None = None
    ) -> ScanResult:
        """Scan ``ballot``'s sheet from the feeder (every page in it) or from the glass (one
        page), see ``ScannedPages.scan``; ScannerNotFound when the kiosk has no scanner."""
        ballot_of(self.profile, ballot)
        if self.scanner is None:
            raise ScannerNotFound("no scanner configured")
        source = Source.ADF if feeder else Source.FLATBED
        return self.scans.scan(self.scanner, ballot, source, by, replace_page)

    def numbers_confirmed(self, ballot: str) -> bool:
        """Whether the Ketua confirmed ``ballot``'s numbers: until then ``finish`` refuses, so
        the scan screen says what it waits for instead of offering it."""
        return self.numbers.confirmed(ballot) is not None

    def use_anyway(self, page_id: int, by: ActiveSession, reason: str = "") -> None:
        """Keep a held page despite the gate (audited); nothing for a page that is not held.
        A page held for its form needs a ``reason`` (``Refused(REASON_NEEDED)``)."""
        self._provisioned()
        self.scans.use_anyway(page_id, by, reason)

    def discard(self, page_id: int) -> None:
        self._provisioned()
        self.scans.discard(page_id)

    def move(self, ballot: str, page_id: int, step: int) -> None:
        """Swap a page with its neighbour (``step`` -1 = earlier, +1 = later)."""
        self._provisioned()
        self.scans.move(ballot, page_id, step)

    def page_image(self, ballot: str, page_id: int) -> Path:
        """The image of a kept page of ``ballot`` that the screen shows: its rendition, what
        the document will hold (200 dpi, cropped to the form, to be turned by the page's
        ``straighten_centideg``; for a page kept before renditions, the PNG);
        ``Refused(UNKNOWN_PAGE)`` otherwise."""
        for page in self.scans.pages(ballot):
            if page.id == page_id:
                return rendition_file(page.path)
        raise unknown_page(ballot, page_id)

    def pages_of(self, doc: Document) -> list[Turned]:
        """The images a signed document's PDF was made of (each page's rendition), in its
        order, with the turn the PDF gives each: thermal copies print these, so every copy
        shows what the PDF holds."""
        manifest = json.loads(doc.manifest.read_text(encoding="utf-8"))["manifest"]
        by_sha = self.scans.paths_by_sha256()
        return [
            Turned(
                rendition_file(by_sha[p["sha256"]]),
                int((p.get("rendition") or {}).get("straighten_centideg", 0)),
            )
            for p in manifest["pages"]
        ]

    # Documents ---------------------------------------------------------------------------------
    def finish(self, ballot: str, by: ActiveSession) -> Document:
        """Sign the ballot's kept pages as one document with the numbers the Ketua confirmed,
        and queue its upload. Refused (``DocumentCode``) until the numbers are confirmed, and
        while no page is scanned or a page is held by the legibility gate."""
        profile = self.profile
        ballot_of(profile, ballot)
        confirmed = self.numbers.confirmed(ballot)
        if confirmed is None:
            raise Refused(DocumentCode.NOT_CONFIRMED, ballot=ballot)
        pages = self.scans.pages(ballot)
        if not pages or any(p.problem for p in pages):
            raise Refused(DocumentCode.PAGES_NOT_READY, ballot=ballot)
        return self._sign(profile, ballot, pages, confirmed, by)

    def _sign(
        self,
        profile: Profile,
        ballot: str,
        pages: list[Page],
        confirmed: Confirmation,
        by: ActiveSession,
    ) -> Document:
        now = self.clock.now()
        made = sign(
            profile,
            ballot,
            pages,
            confirmed,
            self.signing_key(),
            by.officer.id,
            self.training,
            now,
            self.audit.head_json(),
            self.readings(pages),
        )
        # "finish" tapped twice in one second: the very same document.
        for same in self.db.read(
            "SELECT id, folder FROM document WHERE ballot = ? AND pdf_sha256 = ?",
            (ballot, made.pdf_sha256),
        ):
            kept = json.loads((Path(same["folder"]) / "manifest.json").read_bytes())["manifest"]
            if made.same_as(kept):
                return self.document(same["id"])
        folder = self.root / ballot / now.strftime("%Y%m%dT%H%M%S")
        n = 1
        while folder.exists():  # never overwrite another document's files
            n += 1
            folder = folder.with_name(f"{now:%Y%m%dT%H%M%S}-{n}")
        write_durably(folder / "document.pdf", made.pdf)
        write_durably(folder / "manifest.json", made.manifest_file)
        with self.db.write() as conn:
            cur = conn.execute(
                "INSERT INTO document (ballot, folder, pdf_sha256, manifest_sha256, pages,"
                " training, created_wall) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    ballot,
                    str(folder),
                    made.pdf_sha256,
                    made.manifest_sha256,
                    len(pages),
                    int(self.training),
                    now.isoformat(),
                ),
            )
            doc_id = int(cur.lastrowid or 0)
            enqueue(conn, doc_id, made.manifest_sha256, self.training, now.isoformat())
        self.audit.record_for(
            Event.DOCUMENT_SIGNED,
            by,
            ballot=ballot,
            document=doc_id,
            sha256=made.pdf_sha256,
            pages=len(pages),
        )
        return self.document(doc_id)

    def document(self, doc_id: int) -> Document:
        """The signed document ``doc_id``; ``Refused(UNKNOWN_DOCUMENT)`` if there is none
        (also for ids beyond SQLite's integers, which a URL can carry)."""
        rows = (
            self.db.read("SELECT * FROM document WHERE id = ?", (doc_id,))
            if doc_id in SQLITE_INT
            else []
        )
        if not rows:
            raise Refused(DocumentCode.UNKNOWN_DOCUMENT, document=doc_id)
        r = rows[0]
        return Document(
            r["id"],
            r["ballot"],
            Path(r["folder"]),
            r["pdf_sha256"],
            r["pages"],
            bool(r["training"]),
        )

    def documents(self, ballot: str | None = None) -> list[Document]:
        """Signed documents, newest first (of ``ballot`` only, when given)."""
        sql = (
            "SELECT id FROM document"
            + (" WHERE ballot = ?" if ballot else "")
            + " ORDER BY id DESC"
        )
        return [self.document(r["id"]) for r in self.db.read(sql, (ballot,) if ballot else ())]

    def signed_ballots(self) -> set[str]:
        """Ballot types with at least one signed document."""
        return {r["ballot"] for r in self.db.read("SELECT DISTINCT ballot FROM document")}

    def real_documents(self) -> int:
        """How many documents were made outside training (a training reset must keep them)."""
        rows = self.db.read("SELECT count(*) FROM document WHERE training = 0")
        return int(rows[0][0])

    def clear_training_day(self, conn: sqlite3.Connection) -> dict[str, int]:
        """Delete the day's pages and documents inside the reset's transaction (the reset
        removes their files, and the copies and upload jobs that point at them, itself)."""
        return {
            "scan_page": ScannedPages.clear(conn),
            "document": conn.execute("DELETE FROM document").rowcount,
        }
