"""Scanned C.Hasil pages, kept durably: scan, gate, straighten, keep; discard, reorder, use a
held page anyway.

Each page is kept as two files encoded once from the page in memory (kiosk.chasil.renditions):
the archival JPEG (q90, at the ``scanner_dpi`` setting) and beside it its rendition (200 dpi,
q70) that the signed PDF is made of. Both are written with fsync and rename; the row in
``scan_page`` names the archival file and its SHA-256, the rendition is found by its name
(``renditions.rendition_path``) and its SHA-256 is in the page's audit event and, once signed,
in the manifest. ``DocumentService`` (kiosk.chasil.documents) owns the table and reaches it
only through this module. A page kept whose title named the ballot's form is handed to
``kept`` (the third reader, kiosk.chasil.readings, reads it in the background).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from drivers.scanner import ColorMode, Scanner, ScanRequest, Source
from kiosk.audit import AuditLog, Event
from kiosk.chasil.identify import FORM_PROBLEMS, form_problem
from kiosk.chasil.legibility import Verdict, assess
from kiosk.chasil.refusals import DocumentCode
from kiosk.chasil.renditions import (
    archival_jpeg,
    rendition_jpeg,
    rendition_path,
    straighten_centideg,
)
from kiosk.clock import Clock
from kiosk.db import Database
from kiosk.refusals import Refused
from kiosk.storage import write_durably

if TYPE_CHECKING:
    from kiosk.forms import FormPage
    from kiosk.services.auth import ActiveSession

MIN_REASON = 10  # characters: a reason to keep another form's page says why, not "ok"

# SQLite's INTEGER range: a larger id from a form cannot name a row (and would not bind).
SQLITE_INT = range(-(2**63), 2**63)


@dataclass(frozen=True)
class ScanResult:
    accepted: int  # pages that passed the legibility gate
    rejected: list[Verdict]  # pages held back by the gate, in scan order


@dataclass(frozen=True)
class Page:
    """A kept (not discarded) page of a ballot's sheet, in its place."""

    id: int
    ballot: str
    position: int
    path: Path
    sha256: str
    officer_id: str
    created_wall: str
    problem: str  # a legibility.Problem value while the gate holds the page, else ""
    straighten_centideg: int = 0  # renditions.straighten_centideg: applied where it is shown
    form: str = ""  # the form model its title names (identify.py), "" if not identified


def _page(r: sqlite3.Row) -> Page:
    return Page(
        r["id"],
        r["ballot"],
        r["position"],
        Path(r["path"]),
        r["sha256"],
        r["officer_id"],
        r["created_wall"],
        r["problem"],
        r["straighten_centideg"],
        r["form"],
    )


def unknown_page(ballot: str, page_id: int) -> Refused:
    """A page named by a form that is not a kept page of ``ballot`` (discarded, replaced
    already, another ballot's, or no page at all)."""
    return Refused(DocumentCode.UNKNOWN_PAGE, ballot=ballot, page=page_id)


class ScannedPages:
    """The pages of every ballot's sheets, under ``root`` (``<data dir>/documents``)."""

    def __init__(
        self,
        db: Database,
        audit: AuditLog,
        clock: Clock,
        root: Path,
        dpi: int,
        forms: Callable[[], Sequence[FormPage]] = tuple,
        kept: Callable[[int], None] = lambda page_id: None,
    ) -> None:
        self.db = db
        self.audit = audit
        self.clock = clock
        self.root = root
        self.dpi = dpi
        self.forms = forms  # the form definitions a page is identified against (identify.py)
        self.kept = kept  # told each page kept whose title named its ballot's form (its id)

    def pages(self, ballot: str) -> list[Page]:
        rows = self.db.read(
            "SELECT * FROM scan_page WHERE ballot = ? AND discarded = 0 ORDER BY position",
            (ballot,),
        )
        return [_page(r) for r in rows]

    def page(self, page_id: int) -> Page | None:
        """The kept page ``page_id``; None when it is discarded or there is none."""
        if page_id not in SQLITE_INT:
            return None
        rows = self.db.read("SELECT * FROM scan_page WHERE id = ? AND discarded = 0", (page_id,))
        return _page(rows[0]) if rows else None

    def identified(self) -> list[Page]:
        """Every kept page, of any ballot, that is not held and whose title named a form."""
        rows = self.db.read(
            "SELECT * FROM scan_page WHERE discarded = 0 AND problem = '' AND form != ''"
            " ORDER BY ballot, position"
        )
        return [_page(r) for r in rows]

    def paths_by_sha256(self) -> dict[str, Path]:
        """Every page ever kept (discarded ones too: a signed document may hold a page that
        was discarded since), by its SHA-256."""
        rows = self.db.read("SELECT path, sha256 FROM scan_page")
        return {r["sha256"]: Path(r["path"]) for r in rows}

    def scan(
        self,
        scanner: Scanner,
        ballot: str,
        source: Source,
        by: ActiveSession,
        replace_page: int | None = None,
    ) -> ScanResult:
        """Scan, gate, identify and keep each page (see ``keep``). A page the legibility gate
        refuses, or whose title names another form than ``ballot``'s or no known form
        (identify.py; only for a ballot with form definitions), is kept *held*, with its
        problem: the operator rescans it, discards it, or (seeing the preview) uses it anyway,
        which is audited (for a form problem, with a reason). Scanner errors propagate
        (guidance screen); pages scanned before the error are kept. ``replace_page`` must be
        a kept page of ``ballot``, else ``Refused(DocumentCode.UNKNOWN_PAGE)`` before the
        scanner moves."""
        if replace_page is not None and not self._replaceable(ballot, replace_page):
            raise unknown_page(ballot, replace_page)
        request = ScanRequest(dpi=self.dpi, mode=ColorMode.GRAY, source=source, sheet=ballot)
        forms = tuple(self.forms())
        accepted, rejected = 0, []
        for page in scanner.scan(request):
            verdict = assess(page)
            problem = verdict.problem.value if verdict.problem else ""
            form = ""
            if not problem:
                problem, form = form_problem(page, verdict.skew_deg, self.dpi, ballot, forms)
            if problem:
                rejected.append(verdict)
                self.audit.record_for(
                    Event.SCAN_REJECTED, by, ballot=ballot, problem=problem, form=form
                )
            else:
                accepted += 1
            # A page the legibility gate holds is kept as scanned: its measures are not to be
            # trusted on it.
            skew = None if verdict.problem else verdict.skew_deg
            self.keep(ballot, page, by, replace_page, problem, skew, form)
            replace_page = None  # only the first page of a rescan replaces
        return ScanResult(accepted, rejected)

    def _replaceable(self, ballot: str, page_id: int) -> bool:
        if page_id not in SQLITE_INT:
            return False
        return bool(
            self.db.read(
                "SELECT 1 FROM scan_page WHERE id = ? AND ballot = ? AND discarded = 0",
                (page_id, ballot),
            )
        )

    def keep(
        self,
        ballot: str,
        page: Image.Image,
        by: ActiveSession,
        replace_page: int | None,
        problem: str,
        skew_deg: float | None = None,
        form: str = "",
    ) -> None:
        """Write ``page``'s archival file and rendition durably and record it (in
        ``replace_page``'s place, if given) with its audit event, in one transaction. Each file
        is encoded once from ``page`` and hashed as written. Neither is resampled to straighten
        it: the rendition is cropped to the form and the turn that straightens it by
        ``skew_deg`` is kept with the row (None: a held page, kept whole and as it lay).
        """
        archival = archival_jpeg(page, self.dpi)
        rendition = rendition_jpeg(page, self.dpi, crop=skew_deg is not None)
        turn = straighten_centideg(skew_deg)
        stamp = self.clock.now().strftime("%Y%m%dT%H%M%S%f")
        path = self.root / "pages" / ballot / f"page-{stamp}-{len(problem)}.jpg"
        n = 0
        while path.exists():  # two pages in the same microsecond of a frozen test clock
            n += 1
            path = path.with_name(f"page-{stamp}-{n}.jpg")
        try:
            # The rendition first: a row (made last) never names a page without its rendition.
            rendition_sha = write_durably(rendition_path(path), rendition)
            digest = write_durably(path, archival)
            with self.audit.transaction() as tx:
                page_id = self._record(
                    tx.conn, ballot, path, digest, by, replace_page, problem, turn, form
                )
                if not problem:
                    tx.record(
                        Event.SCAN,
                        by.officer.id,
                        by.officer.role.value,
                        ballot=ballot,
                        sha256=digest,
                        rendition=rendition_sha,
                        straighten_centideg=turn,
                        form=form,
                        replaced=replace_page,
                    )
        except BaseException:
            # Files that no row names would never be used nor cleaned up: take them back.
            rendition_path(path).unlink(missing_ok=True)
            path.unlink(missing_ok=True)
            raise
        if not problem and form:
            self.kept(page_id)

    def _record(
        self,
        conn: sqlite3.Connection,
        ballot: str,
        path: Path,
        digest: str,
        by: ActiveSession,
        replace_page: int | None,
        problem: str,
        turn: int,
        form: str,
    ) -> int:
        """Record the page inside the caller's transaction ``conn``; its id."""
        if replace_page is not None:
            row = conn.execute(
                "SELECT position FROM scan_page WHERE id = ? AND ballot = ? AND discarded = 0",
                (replace_page, ballot),
            ).fetchone()
            if row is None:  # discarded on another screen since the scan started
                raise unknown_page(ballot, replace_page)
            conn.execute("UPDATE scan_page SET discarded = 1 WHERE id = ?", (replace_page,))
            position = row["position"]
        else:
            position = conn.execute(
                "SELECT coalesce(max(position), 0) + 1 FROM scan_page WHERE ballot = ?",
                (ballot,),
            ).fetchone()[0]
        cur = conn.execute(
            "INSERT INTO scan_page (ballot, position, path, sha256, officer_id,"
            " created_wall, problem, straighten_centideg, form)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                ballot,
                position,
                str(path),
                digest,
                by.officer.id,
                self.clock.now().isoformat(),
                problem,
                turn,
                form,
            ),
        )
        return int(cur.lastrowid or 0)

    def use_anyway(self, page_id: int, by: ActiveSession, reason: str = "") -> None:
        """The operator looked at a held page and keeps it despite the gate (audited). A page
        held for its form (another ballot's, or none read) is kept only with a ``reason`` of
        at least ``MIN_REASON`` characters: ``Refused(DocumentCode.REASON_NEEDED)``."""
        if page_id not in SQLITE_INT:
            return  # no such page
        rows = self.db.read("SELECT * FROM scan_page WHERE id = ?", (page_id,))
        if not rows or not rows[0]["problem"]:
            return
        problem, reason = rows[0]["problem"], " ".join(reason.split())
        if problem in FORM_PROBLEMS and len(reason) < MIN_REASON:
            raise Refused(DocumentCode.REASON_NEEDED, ballot=rows[0]["ballot"])
        with self.audit.transaction() as tx:
            tx.conn.execute("UPDATE scan_page SET problem = '' WHERE id = ?", (page_id,))
            tx.record(
                Event.SCAN,
                by.officer.id,
                by.officer.role.value,
                ballot=rows[0]["ballot"],
                sha256=rows[0]["sha256"],
                override=problem,
                **({"form": rows[0]["form"], "reason": reason} if reason else {}),
            )

    def discard(self, page_id: int) -> None:
        if page_id not in SQLITE_INT:
            return  # no such page
        with self.db.write() as conn:
            conn.execute("UPDATE scan_page SET discarded = 1 WHERE id = ?", (page_id,))

    def move(self, ballot: str, page_id: int, step: int) -> None:
        """Swap a page with its neighbour (``step`` -1 = earlier, +1 = later)."""
        pages = self.pages(ballot)
        ids = [p.id for p in pages]
        if page_id not in ids:
            return
        i = ids.index(page_id)
        j = i + step
        if not 0 <= j < len(pages):
            return
        with self.db.write() as conn:
            conn.execute(
                "UPDATE scan_page SET position = ? WHERE id = ?", (pages[j].position, pages[i].id)
            )
            conn.execute(
                "UPDATE scan_page SET position = ? WHERE id = ?", (pages[i].position, pages[j].id)
            )

    @staticmethod
    def clear(conn: sqlite3.Connection) -> int:
        """Delete every page row inside the caller's transaction (the training reset)."""
        return conn.execute("DELETE FROM scan_page").rowcount
