"""The third reader's readings of the scanned pages: read in the background, kept, compared.

``PageReadings`` owns the table ``page_reading``. Each page kept whose printed title named its
ballot's form (kiosk.chasil.pages hands its id to ``submit``) gets a row, *pending*, and,
``READ_DELAY_S`` later, the thread of kiosk.chasil.reading_queue feeds the pages one at a time
to the reader's child process (kiosk.render_worker ``Worker`` "reader", running
kiosk.reader.page.read_page): numpy and
OpenCV never load in the web app, and the scan request does not wait. The child is started by
the first page and let go ``KEEP_WARM_S`` after the last, so a kiosk that scans nothing pays
nothing. The row becomes *read* (the result as JSON, each number box's crop as a PNG under
``<data dir>/documents/readings/``) or *failed* with a reason code
(kiosk.reader.page.Failure): a page the reader cannot register, or a child that died, is
recorded and the next page is read; nothing raises to the screen. Pending rows are read again
when the kiosk starts (``resume``), so a power cut loses no reading.

The reader is advisory: it never fills or changes a typed number. The confirm screen asks for
the paper's numbers (``paper``), the boxes where paper and entry differ (``differences``, from
kiosk.reader.compare) and a box's crop (``crop``); the signed manifest carries each page's
reading (``for_manifest``), waiting at most ``SIGN_WAIT_S`` for a page still being read.
The ``paper_reader`` setting turns reading off.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from kiosk.chasil.reading_queue import ReadingQueue
from kiosk.clock import Clock
from kiosk.db import Database
from kiosk.reader.compare import compare
from kiosk.reader.decode import SheetReading
from kiosk.reader.page import Failure, PageResult, failed, read_page
from kiosk.render_worker import ReaderChildLost, Worker

if TYPE_CHECKING:
    from kiosk.chasil.pages import Page
    from kiosk.forms import FormPage

log = logging.getLogger(__name__)

KEEP_WARM_S = 60.0  # the reader's child stays this long after the last page (a batch of pages)
TASKS_PER_CHILD = 100  # pages a child reads before a fresh one takes over
SIGN_WAIT_S = 5.0  # signing waits this long for a page still being read, then signs "pending"
# A page is read once it has been kept this long. An operator often rescans or discards a page
# right after seeing its preview (crooked, the wrong sheet); and a scan followed at once by
# Selesai signs the page "pending" instead of waiting for a child to start: the tests that scan
# and sign, but are not about the reader, pay nothing for it.
READ_DELAY_S = 2.0


class KeptPages(Protocol):
    """The scanned pages, as their owner (kiosk.chasil.documents.DocumentService) gives them."""

    def page(self, page_id: int) -> Page | None: ...

    def pages(self, ballot: str) -> list[Page]: ...

    def identified_pages(self) -> list[Page]: ...

    def forms(self) -> tuple[FormPage, ...]: ...


@dataclass(frozen=True)
class PaperBox:
    """One number box as the reader read it."""

    box: str
    value: int | None
    confidence: float
    page_id: int


@dataclass(frozen=True)
class PaperDifference:
    """A box where paper and typed number differ (kiosk.reader.compare): "differs" when the
    paper is read surely enough to say so ("Kertas: 84 · Diketik: 884"), else "unsure"."""

    box: str
    paper: int | None
    typed: int
    confidence: float
    kind: str  # "differs" | "unsure" | "paper_sums" (kiosk.reader.compare)
    page_id: int


@dataclass(frozen=True)
class BallotPaper:
    """What the reader made of a ballot's current pages."""

    ballot: str
    pages_read: int
    pending: int
    failed: tuple[tuple[int, str], ...]  # (page id, Failure value) of pages that could not be read
    boxes: dict[str, PaperBox]  # each box from the page that read it most surely


@dataclass(frozen=True)
class _Row:
    page_id: int
    sha256: str
    state: str
    result: PageResult | None
    error: str


class PageReadings:
    """The readings of the scanned pages (``pages``: their owner; ``data_dir``: crops go below
    its ``documents`` folder, which the training reset removes; ``enabled``: the
    ``paper_reader`` setting)."""

    owns: ClassVar[tuple[str, ...]] = ("page_reading",)

    def __init__(
        self,
        db: Database,
        clock: Clock,
        data_dir: Path,
        pages: KeptPages,
        dpi: int,
        enabled: bool = True,
        worker: Worker | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.root = data_dir / "documents" / "readings"
        self._pages = pages
        self.dpi = dpi  # the scan's resolution when its file does not say
        self.enabled = enabled
        self.worker = worker or Worker(
            "reader",
            ReaderChildLost,
            block_numpy=False,
            keep_warm_s=KEEP_WARM_S,
            tasks_per_child=TASKS_PER_CHILD,
        )
        # The thread's database connection is closed as it ends: the next batch has its own.
        self._queue = ReadingQueue(self._read, finished=db.close)

    # Submitting and reading --------------------------------------------------------------------
    def submit(self, page_id: int) -> None:
        """Read the kept page ``page_id`` in the background, if its title named its ballot's
        form; a page already submitted is not read twice. Never raises: the page is kept
        whatever becomes of its reading."""
        if self.enabled and self._record(page_id):
            self._queue.put([page_id], READ_DELAY_S)

    def _record(self, page_id: int) -> bool:
        """A pending row for the kept page ``page_id``, if it is to be read."""
        try:
            page = self._pages.page(page_id)
            if page is None or page.problem or not page.form:
                return False
            forms = self._forms_of(page)
            if forms and forms[0].ballot != page.ballot:
                return False  # another ballot's sheet kept with a reason: not these numbers
            with self.db.write() as conn:
                conn.execute(
                    "INSERT INTO page_reading (page_id, sha256, ballot, form, updated_wall)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (page_id) DO NOTHING",
                    (page.id, page.sha256, page.ballot, page.form, self._now()),
                )
        except Exception:  # advisory: a failure here must not fail the scan that kept the page
            log.exception("page %d not submitted to the reader", page_id)
            return False
        return True

    def resume(self) -> None:
        """At start: read again the pages left pending (a power cut, a restart), and submit any
        identified page that has no reading yet (kept just before the power went)."""
        if not self.enabled:
            return
        pending = [
            r["page_id"]
            for r in self.db.read(
                "SELECT page_id FROM page_reading WHERE state = 'pending' ORDER BY page_id"
            )
        ]
        known = {r["page_id"] for r in self.db.read("SELECT page_id FROM page_reading")}
        pending += [
            p.id for p in self._pages.identified_pages() if p.id not in known and self._record(p.id)
        ]
        if pending:
            log.info("reading %d page(s) left unread", len(pending))
            self._queue.put(pending, 0.0)

    def _read(self, page_id: int) -> None:
        page = self._pages.page(page_id)
        if page is None:  # discarded (or a training reset) since it was submitted
            with self.db.write() as conn:
                conn.execute(
                    "DELETE FROM page_reading WHERE page_id = ? AND state = 'pending'", (page_id,)
                )
            return
        forms = self._forms_of(page)
        started = time.monotonic()
        if not forms:
            result = failed(page.form, Failure.NO_FORM, f"no definition of {page.form}")
        else:
            try:
                result = self.worker.run(read_page, page.path, self.dpi, forms, self._crops(page))
            except ReaderChildLost as exc:
                if self._queue.closing:
                    return  # we ended the child: the page stays pending, read at next start
                result = failed(page.form, Failure.READER_LOST, str(exc))
            except Exception as exc:  # an answer that did not come back whole
                log.exception("the reader failed on page %d", page_id)
                result = failed(page.form, Failure.READER_ERROR, repr(exc))
        ms = round((time.monotonic() - started) * 1000)
        log.info("page %d %s in %d ms %s", page_id, result.state, ms, result.failure)
        with self.db.write() as conn:
            conn.execute(
                "UPDATE page_reading SET state = ?, result = ?, error = ?, read_ms = ?,"
                " updated_wall = ? WHERE page_id = ? AND sha256 = ?",
                (
                    result.state,
                    json.dumps(result.as_json(), ensure_ascii=False),
                    result.failure,
                    ms,
                    self._now(),
                    page.id,
                    page.sha256,
                ),
            )

    def _forms_of(self, page: Page) -> list[FormPage]:
        return [f for f in self._pages.forms() if f.model == page.form]

    def _crops(self, page: Page) -> Path:
        # The page's hash in the name: ids start again after a training reset.
        return self.root / f"{page.id}-{page.sha256[:16]}"

    def _now(self) -> str:
        return self.clock.now().isoformat()

    def wait_idle(self, timeout_s: float) -> bool:
        """Wait until no page is waiting or being read (tests, CLIs); False on timeout."""
        return self._queue.wait(timeout_s)

    def close(self) -> None:
        """Stop reading (the app is going): a page being read stays pending for ``resume``."""
        thread = self._queue.close()
        self.worker.shutdown(kill=True)
        if thread is not None:
            thread.join(timeout=10)

    # What the screens and the manifest ask -----------------------------------------------------
    def _rows(self, page_ids: Sequence[int]) -> dict[int, _Row]:
        if not page_ids:
            return {}
        marks = ", ".join("?" * len(page_ids))
        rows = self.db.read(
            f"SELECT * FROM page_reading WHERE page_id IN ({marks})", tuple(page_ids)
        )
        return {
            r["page_id"]: _Row(
                r["page_id"],
                r["sha256"],
                r["state"],
                PageResult.from_json(json.loads(r["result"])) if r["result"] else None,
                r["error"],
            )
            for r in rows
        }

    def _current_rows(self, ballot: str) -> list[tuple[Page, _Row]]:
        """The ballot's kept pages, in order, with their reading (pages not submitted left out)."""
        pages = self._pages.pages(ballot)
        rows = self._rows([p.id for p in pages])
        return [(p, rows[p.id]) for p in pages if p.id in rows and rows[p.id].sha256 == p.sha256]

    def paper(self, ballot: str) -> BallotPaper:
        """The numbers the reader read on ``ballot``'s current pages: a box read on two pages
        (the same sheet kept twice) is taken from the page that read it more surely."""
        read, pending, failures = 0, 0, []
        boxes: dict[str, PaperBox] = {}
        for page, row in self._current_rows(ballot):
            if row.state == "pending":
                pending += 1
            elif row.state == "failed" or row.result is None:
                failures.append((page.id, row.error))
            else:
                read += 1
                for b in row.result.boxes:
                    if b.box not in boxes or b.confidence > boxes[b.box].confidence:
                        boxes[b.box] = PaperBox(b.box, b.value, b.confidence, page.id)
        return BallotPaper(ballot, read, pending, tuple(failures), boxes)

    def differences(self, ballot: str, typed: Mapping[str, int | None]) -> list[PaperDifference]:
        """Each box where the paper's reading (``paper``) and the typed number differ, in the
        form's order; boxes not typed are passed over."""
        entered = {box: value for box, value in typed.items() if value is not None}
        chosen = self.paper(ballot).boxes
        out = []
        for page, row in self._current_rows(ballot):
            if row.state != "read" or row.result is None:
                continue
            mine = [b for b in row.result.boxes if chosen[b.box].page_id == page.id]
            sheet = SheetReading(tuple(mine), row.result.consistent)
            out += [
                PaperDifference(d.box, d.paper, d.typed, d.confidence, d.kind, page.id)
                for d in compare(sheet, entered)
            ]
        return out

    def crop(self, page_id: int, box: str) -> Path | None:
        """The PNG of ``box`` as scanned on the kept page ``page_id``; None when the page is not
        kept, not read, or has no such box (a box name never reaches the file system unread)."""
        page = self._pages.page(page_id)
        row = self._rows([page_id]).get(page_id) if page is not None else None
        if page is None or row is None or row.result is None or row.sha256 != page.sha256:
            return None
        if box not in {b.box for b in row.result.boxes}:
            return None
        path = self._crops(page) / f"{box}.png"
        return path if path.is_file() else None

    def for_manifest(
        self, pages: Sequence[Page], wait_s: float = SIGN_WAIT_S
    ) -> dict[int, dict[str, Any]]:
        """Each page's reading for the signed manifest, after waiting up to ``wait_s`` for the
        pages being read or due to be: ``{"state": "read", ...}`` with each box's value and
        confidence (kiosk.reader.decode's ``as_manifest`` shape), ``{"state": "failed",
        "reason": code}``, ``{"state": "pending"}`` (signed before the reader finished), or
        ``{"state": "not_read"}`` (not submitted: reading off, or a page kept despite its
        form)."""
        ids = [p.id for p in pages]
        if not self._queue.wait(wait_s, set(ids)):
            log.warning("signing while pages are still being read")
        rows = self._rows(ids)
        out: dict[int, dict[str, Any]] = {}
        for page in pages:
            row = rows.get(page.id)
            if row is None or row.sha256 != page.sha256:
                out[page.id] = {"state": "not_read"}
            elif row.state == "read" and row.result is not None:
                out[page.id] = row.result.as_manifest()
            elif row.state == "failed":
                out[page.id] = {"state": "failed", "reason": row.error}
            else:
                out[page.id] = {"state": "pending"}
        return out

    # Training ----------------------------------------------------------------------------------
    def clear_training_day(self, conn: sqlite3.Connection) -> dict[str, int]:
        """Delete the day's readings inside the reset's transaction (the reset removes the
        crops with the documents folder) and forget the pages queued."""
        self._queue.clear()
        return {"page_reading": conn.execute("DELETE FROM page_reading").rowcount}
