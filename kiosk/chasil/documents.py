"""Scanned C.Hasil sheets, kept durably, and the signed document made from them.

Each accepted page is a lossless PNG (300 dpi grey by default) written with fsync and rename and
recorded with its SHA-256. Finishing a sheet makes one PDF of all pages with img2pdf (the PNG
data goes in as it is, no re-encoding) and a manifest (TPS, ballot, pages and hashes, the
confirmed numbers, officers, times) signed with the device key. The document's upload job is
queued in the same transaction (``kiosk.upload.outbox``).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import img2pdf
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image

from drivers.scanner import ColorMode, Scanner, ScanRequest, Source
from kiosk.audit import AuditLog, Event
from kiosk.chasil.legibility import Verdict, assess, straighten
from kiosk.clock import Clock
from kiosk.db import Database
from kiosk.devicekey import canonical, fingerprint, public_bytes, verify
from kiosk.fleet.timezone import tps_time
from kiosk.profile import Profile
from kiosk.refusals import KioskCode, Refused
from kiosk.services.auth import ActiveSession
from kiosk.storage import write_durably
from kiosk.upload.outbox import enqueue

SCAN_DPI = 300


class DocumentRefused(Exception):
    """The document cannot be made yet (no pages, numbers not confirmed)."""


class UnknownPage(LookupError):
    """A rescan names a page to replace that is not a kept page of this ballot (discarded,
    replaced already, another ballot's, or no page at all)."""

    def __init__(self, ballot: str, page_id: int) -> None:
        super().__init__(f"no page {page_id} of {ballot} to replace")
        self.ballot = ballot
        self.page_id = page_id


# SQLite's INTEGER range: a larger id from a form cannot name a row (and would not bind).
_SQLITE_INT = range(-(2**63), 2**63)


@dataclass(frozen=True)
class ScanResult:
    accepted: int  # pages that passed the legibility gate
    rejected: list[Verdict]  # pages held back by the gate, in scan order


@dataclass(frozen=True)
class Document:
    id: int
    ballot: str
    folder: Path
    pdf_sha256: str
    pages: int
    training: bool

    @property
    def pdf(self) -> Path:
        return self.folder / "document.pdf"

    @property
    def manifest(self) -> Path:
        return self.folder / "manifest.json"

    @property
    def short_hash(self) -> str:
        return self.pdf_sha256[:12].upper()


@dataclass(frozen=True)
class Confirmation:
    """The Ketua's confirmation of a ballot's numbers, as the signed manifest records it."""

    numbers: dict[str, Any]
    officer_id: str
    officer_name: str
    role: str
    at: str  # ISO 8601 on the TPS's clock, with its offset
    zone: str  # WIB, WITA or WIT
    note: str  # the kejadian khusus explaining the warnings ("" if none)
    warnings: list[int]  # rules that warned when the numbers were confirmed

    def as_manifest(self) -> dict[str, Any]:
        return {
            "by": {"id": self.officer_id, "name": self.officer_name, "role": self.role},
            "at": self.at,
            "zone": self.zone,
            "note": self.note,
            "warnings": self.warnings,
        }


def verify_manifest(path: Path, expected_public_key: bytes | None = None) -> dict[str, Any]:
    """The manifest inside a signed manifest file; raises ValueError if the signature fails."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    public = base64.b64decode(doc["public_key"])
    if expected_public_key is not None and public != expected_public_key:
        raise ValueError("signed by another device")
    if not verify(public, base64.b64decode(doc["signature"]), canonical(doc["manifest"])):
        raise ValueError("manifest signature does not match")
    manifest: dict[str, Any] = doc["manifest"]
    return manifest


class DocumentService:
    def __init__(
        self,
        db: Database,
        audit: AuditLog,
        clock: Clock,
        data_dir: Path,
        profile: Profile | None,
        training: bool,
    ) -> None:
        self.db = db
        self.audit = audit
        self.clock = clock
        self.root = data_dir / "documents"
        self._profile = profile
        self.training = training

    @property
    def profile(self) -> Profile:
        """The TPS profile; ``Refused(NOT_PROVISIONED)`` on a kiosk that has none yet."""
        if self._profile is None:
            raise Refused(KioskCode.NOT_PROVISIONED)
        return self._profile

    # Pages -------------------------------------------------------------------------------------
    def pages(self, ballot: str) -> list[dict[str, Any]]:
        return [
            dict(r)
            for r in self.db.read(
                "SELECT * FROM scan_page WHERE ballot = ? AND discarded = 0 ORDER BY position",
                (ballot,),
            )
        ]

    def scan(
        self,
        scanner: Scanner,
        ballot: str,
        source: Source,
        by: ActiveSession,
        replace_page: int | None = None,
    ) -> ScanResult:
        """Scan, gate, straighten and keep each page. A page the gate refuses is kept *held*,
        with its problem: the operator rescans it, discards it, or (seeing the preview) uses it
        anyway, which is audited. Scanner errors propagate (guidance screen); pages scanned
        before the error are kept. ``replace_page`` must be a kept page of ``ballot``, else
        :class:`UnknownPage` is raised before the scanner moves."""
        if replace_page is not None and not self._replaceable(ballot, replace_page):
            raise UnknownPage(ballot, replace_page)
        request = ScanRequest(dpi=SCAN_DPI, mode=ColorMode.GRAY, source=source)
        accepted, rejected = 0, []
        for page in scanner.scan(request):
            verdict = assess(page)
            problem = verdict.problem.value if verdict.problem else ""
            if problem:
                rejected.append(verdict)
                self.audit.record_for(
                    Event.SCAN_REJECTED,
                    by,
                    ballot=ballot,
                    problem=problem,
                )
            else:
                accepted += 1
            # A held page is kept as scanned: the gate's measures are not to be trusted on it.
            kept = page if problem else straighten(page, verdict)
            self._keep(ballot, kept, by, replace_page, problem)
            replace_page = None  # only the first page of a rescan replaces
        return ScanResult(accepted, rejected)

    def _replaceable(self, ballot: str, page_id: int) -> bool:
        if page_id not in _SQLITE_INT:
            return False
        return bool(
            self.db.read(
                "SELECT 1 FROM scan_page WHERE id = ? AND ballot = ? AND discarded = 0",
                (page_id, ballot),
            )
        )

    def _keep(
        self,
        ballot: str,
        page: Image.Image,
        by: ActiveSession,
        replace_page: int | None,
        problem: str,
    ) -> None:
        buf = io.BytesIO()
        page.save(buf, format="PNG", dpi=(SCAN_DPI, SCAN_DPI))
        stamp = self.clock.now().strftime("%Y%m%dT%H%M%S%f")
        path = self.root / "pages" / ballot / f"page-{stamp}-{len(problem)}.png"
        n = 0
        while path.exists():  # two pages in the same microsecond of a frozen test clock
            n += 1
            path = path.with_name(f"page-{stamp}-{n}.png")
        digest = write_durably(path, buf.getvalue())
        try:
            self._record_page(ballot, path, digest, by, replace_page, problem)
        except BaseException:
            # A PNG that no row names would never be used nor cleaned up: take it back.
            path.unlink(missing_ok=True)
            raise
        if not problem:
            self.audit.record_for(
                Event.SCAN,
                by,
                ballot=ballot,
                sha256=digest,
                replaced=replace_page,
            )

    def _record_page(
        self,
        ballot: str,
        path: Path,
        digest: str,
        by: ActiveSession,
        replace_page: int | None,
        problem: str,
    ) -> None:
        with self.db.write() as conn:
            if replace_page is not None:
                row = conn.execute(
                    "SELECT position FROM scan_page WHERE id = ? AND ballot = ? AND discarded = 0",
                    (replace_page, ballot),
                ).fetchone()
                if row is None:  # discarded on another screen since the scan started
                    raise UnknownPage(ballot, replace_page)
                conn.execute("UPDATE scan_page SET discarded = 1 WHERE id = ?", (replace_page,))
                position = row["position"]
            else:
                position = conn.execute(
                    "SELECT coalesce(max(position), 0) + 1 FROM scan_page WHERE ballot = ?",
                    (ballot,),
                ).fetchone()[0]
            conn.execute(
                "INSERT INTO scan_page (ballot, position, path, sha256, officer_id,"
                " created_wall, problem) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    ballot,
                    position,
                    str(path),
                    digest,
                    by.officer.id,
                    self.clock.now().isoformat(),
                    problem,
                ),
            )

    def use_anyway(self, page_id: int, by: ActiveSession) -> None:
        """The operator looked at a held page and keeps it despite the gate (audited)."""
        if page_id not in _SQLITE_INT:
            return  # no such page
        rows = self.db.read("SELECT * FROM scan_page WHERE id = ?", (page_id,))
        if not rows or not rows[0]["problem"]:
            return
        with self.db.write() as conn:
            conn.execute("UPDATE scan_page SET problem = '' WHERE id = ?", (page_id,))
        self.audit.record_for(
            Event.SCAN,
            by,
            ballot=rows[0]["ballot"],
            sha256=rows[0]["sha256"],
            override=rows[0]["problem"],
        )

    def discard(self, page_id: int) -> None:
        if page_id not in _SQLITE_INT:
            return  # no such page
        with self.db.write() as conn:
            conn.execute("UPDATE scan_page SET discarded = 1 WHERE id = ?", (page_id,))

    def move(self, ballot: str, page_id: int, step: int) -> None:
        """Swap a page with its neighbour (``step`` -1 = earlier, +1 = later)."""
        pages = self.pages(ballot)
        ids = [p["id"] for p in pages]
        if page_id not in ids:
            return
        i = ids.index(page_id)
        j = i + step
        if not 0 <= j < len(pages):
            return
        with self.db.write() as conn:
            conn.execute(
                "UPDATE scan_page SET position = ? WHERE id = ?",
                (pages[j]["position"], pages[i]["id"]),
            )
            conn.execute(
                "UPDATE scan_page SET position = ? WHERE id = ?",
                (pages[i]["position"], pages[j]["id"]),
            )

    # Documents ---------------------------------------------------------------------------------
    def confirmation(self, ballot: str) -> Confirmation | None:
        """Who confirmed ``ballot``'s numbers, when, and the note; None if nobody has yet."""
        rows = self.db.read(
            "SELECT c.*, o.name AS officer_name, o.role AS officer_role"
            " FROM chasil_confirmed AS c LEFT JOIN officer AS o ON o.id = c.confirmed_by"
            " WHERE c.ballot = ?",
            (ballot,),
        )
        if not rows:
            return None
        r = rows[0]
        at, zone = tps_time(r["confirmed_wall"], self.profile.identity.code)
        return Confirmation(
            numbers=json.loads(r["boxes"]),
            officer_id=r["confirmed_by"],
            officer_name=r["officer_name"] or "",
            role=r["officer_role"] or "",
            at=at.isoformat(timespec="seconds"),
            zone=zone,
            note=r["note"],
            warnings=[int(rule) for rule in json.loads(r["findings"])],
        )

    def finish(
        self,
        ballot: str,
        numbers: dict[str, Any] | None,
        key: Ed25519PrivateKey,
        by: ActiveSession,
        confirmed: Confirmation | None = None,
    ) -> Document:
        """Sign the ballot's kept pages as one document with ``numbers`` and, when given, who
        confirmed them (``confirmed``), and queue its upload."""
        pages = self.pages(ballot)
        if not pages:
            raise DocumentRefused("no pages scanned")
        if any(p["problem"] for p in pages):
            raise DocumentRefused("a page is held by the legibility gate")
        if numbers is None:
            raise DocumentRefused("numbers not confirmed")
        now = self.clock.now()
        blobs = [Path(p["path"]).read_bytes() for p in pages]
        pdf = img2pdf.convert(blobs)
        pdf_sha = hashlib.sha256(pdf).hexdigest()
        tps = self.profile.identity
        manifest = {
            "format": "tps-kiosk-manifest/1",
            "tps_code": tps.code,
            "village": tps.village,
            "district": tps.district,
            "regency": tps.regency,
            "province": tps.province,
            "election": self.profile.election,
            "ballot": ballot,
            "training": self.training,
            "created": now.isoformat(timespec="seconds"),
            "pdf": {"file": "document.pdf", "sha256": pdf_sha},
            "pages": [
                {
                    "position": n,
                    "sha256": p["sha256"],
                    "scanned_by": p["officer_id"],
                    "scanned": p["created_wall"],
                }
                for n, p in enumerate(pages, start=1)
            ],
            "numbers": numbers,
            "confirmed": confirmed.as_manifest() if confirmed is not None else None,
            "made_by": by.officer.id,
            # The audit chain's signed head now (kiosk.audit_head): receivers keep it.
            "audit_head": self.audit.head_json(),
        }
        signed = {
            "manifest": manifest,
            "signature": base64.b64encode(key.sign(canonical(manifest))).decode(),
            "public_key": base64.b64encode(public_bytes(key)).decode(),
            "device_key": fingerprint(key),
        }
        manifest_file = json.dumps(signed, ensure_ascii=False, indent=1).encode()
        manifest_sha = hashlib.sha256(manifest_file).hexdigest()
        # "finish" tapped twice in one second: the very same document. Compared without the
        # audit head, which the first tap's own audit row has moved on.
        unheaded = canonical({**manifest, "audit_head": None})
        for same in self.db.read(
            "SELECT id, folder FROM document WHERE ballot = ? AND pdf_sha256 = ?", (ballot, pdf_sha)
        ):
            kept = json.loads((Path(same["folder"]) / "manifest.json").read_bytes())["manifest"]
            if canonical({**kept, "audit_head": None}) == unheaded:
                return self.document(same["id"])
        folder = self.root / ballot / now.strftime("%Y%m%dT%H%M%S")
        n = 1
        while folder.exists():  # never overwrite another document's files
            n += 1
            folder = folder.with_name(f"{now:%Y%m%dT%H%M%S}-{n}")
        write_durably(folder / "document.pdf", pdf)
        write_durably(folder / "manifest.json", manifest_file)
        with self.db.write() as conn:
            cur = conn.execute(
                "INSERT INTO document (ballot, folder, pdf_sha256, manifest_sha256, pages,"
                " training, created_wall) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    ballot,
                    str(folder),
                    pdf_sha,
                    manifest_sha,
                    len(pages),
                    int(self.training),
                    now.isoformat(),
                ),
            )
            doc_id = int(cur.lastrowid or 0)
            enqueue(conn, doc_id, manifest_sha, self.training, now.isoformat())
        self.audit.record_for(
            Event.DOCUMENT_SIGNED,
            by,
            ballot=ballot,
            document=doc_id,
            sha256=pdf_sha,
            pages=len(pages),
        )
        return self.document(doc_id)

    def document(self, doc_id: int) -> Document:
        """The signed document ``doc_id``; KeyError if there is none (also for ids beyond
        SQLite's integers, which a URL can carry)."""
        if doc_id not in _SQLITE_INT:
            raise KeyError(doc_id)
        rows = self.db.read("SELECT * FROM document WHERE id = ?", (doc_id,))
        if not rows:
            raise KeyError(doc_id)
        r = rows[0]
        return Document(
            r["id"],
            r["ballot"],
            Path(r["folder"]),
            r["pdf_sha256"],
            r["pages"],
            bool(r["training"]),
        )

    def signed_ballots(self) -> set[str]:
        """Ballot types with at least one signed document."""
        return {r["ballot"] for r in self.db.read("SELECT DISTINCT ballot FROM document")}

    def documents(self, ballot: str | None = None) -> list[Document]:
        sql = (
            "SELECT id FROM document"
            + (" WHERE ballot = ?" if ballot else "")
            + " ORDER BY id DESC"
        )
        return [self.document(r["id"]) for r in self.db.read(sql, (ballot,) if ballot else ())]


DocumentStore = DocumentService  # transitional name (bench, tests)
