"""The fake scanner for demo and training: sample C.Hasil sheets, and faults on demand."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from PIL import Image

from drivers.errors import AdfEmpty, ScanCancelled, ScannerBusy, ScannerError
from drivers.scanner import ColorMode, ScanRequest, Source
from drivers.scanner.realistic import render_realistic
from drivers.scanner.sample_pages import SAMPLE_SHEETS, SampleSheet, render_sheet
from drivers.scanner.writing import HANDS

PAGE_KINDS = ("clean", "realistic")


@dataclass(frozen=True)
class PaperSlip:
    """A number the KPPS wrote on the paper otherwise than the sample sheet (and the entry)
    holds: ``written`` in ``box`` instead of ``sample``."""

    ballot: str
    box: str
    written: int
    sample: int


def paper_slip(sheet: SampleSheet) -> PaperSlip:
    """The slip the trainer's "Kertas beda" writes on ``sheet``: the first vote box (V.0 or
    P.0, the first candidate's or party's votes) with its last digit one more, 9 becoming 0
    (PPWP 62 -> 63, DPR 12 -> 13, DPD 40 -> 41): one digit, as a hand slips, in a box every
    ballot has, whose sum (S) no longer adds up on the paper."""
    box, _, sample = sheet.votes[0]
    written = sample - sample % 10 + (sample % 10 + 1) % 10
    return PaperSlip(sheet.ballot, box, written, sample)


class FakeScanner:
    """Flatbed: one sample sheet per scan, of the ballot the request names (``sheet``), else
    cycling through PPWP, DPR, DPD. ADF: ``adf_pages`` sheets per batch; the feeder is full
    again for the next batch, so a demo never runs dry. The trainer can make the next scan
    deliver another ballot's sheet (``feed_wrong_sheet``), as a tired KPPS picks up the wrong
    one of five similar sheets, or a sheet whose paper differs from the sample in one box
    (``feed_paper_differs``, see ``paper_slip``), so that the third reader's disagreement with
    what was typed can be shown.

    ``page_time_s`` is how long each page takes to "scan" (seconds): 0 in tests and demos, a
    second or two in training, so the cancel button and the busy message can be shown.
    Pages are rendered one at a time as the caller takes them, like a real feeder delivers them.

    ``pages`` is ``"clean"`` (the printed sheet with drawn numbers: ~100 KB as PNG, fast) or
    ``"realistic"`` (paper, pen pressure, skew, uneven light and sensor noise, as a real scanner
    delivers it: see realistic.py), its digits written by ``hand``: held-out MNIST ``"glyphs"``
    (the default: real people's handwriting the digit model never saw) or the ``"strokes"`` of
    handwriting.py (flagged 1s, pressure along the stroke). Clean pages draw their own digits.
    """

    name = "Pemindai simulasi (C.Hasil contoh)"

    def __init__(
        self,
        adf_pages: int = 2,
        page_time_s: float = 0.0,
        pages: str = "clean",
        hand: str = "glyphs",
    ) -> None:
        if pages not in PAGE_KINDS:
            raise ValueError(f"pages = {pages!r}: one of {', '.join(PAGE_KINDS)}")
        if hand not in HANDS:
            raise ValueError(f"hand = {hand!r}: one of {', '.join(HANDS)}")
        self.adf_pages = adf_pages
        self.pages = pages
        self.hand = hand
        self.page_time_s = page_time_s
        self._next_sheet = itertools.count()
        self._wrong_sheet = False
        self._paper_differs = False
        self.last_paper_slip: PaperSlip | None = None  # what the last "Kertas beda" scan wrote
        self._fault: tuple[ScannerError, int] | None = None
        self._fault_lock = threading.Lock()  # the trainer's request thread sets, a scan takes
        self._cancelled = threading.Event()
        self._busy = threading.Lock()

    # Trainer verbs -----------------------------------------------------------------------------
    def fail_next(self, error: ScannerError, after_pages: int = 0) -> None:
        """Make the next scan raise ``error`` (jam, cover open, empty feeder, lost device) after
        delivering ``after_pages`` pages (fewer if the scan has fewer)."""
        with self._fault_lock:
            self._fault = (error, after_pages)

    def clear_fault(self) -> None:
        """Forget a fault set with ``fail_next`` that no scan has met yet."""
        with self._fault_lock:
            self._fault = None

    @property
    def pending_fault(self) -> ScannerError | None:
        """The fault the next scan will meet, if any (for the trainer's panel)."""
        with self._fault_lock:
            return self._fault[0] if self._fault else None

    def feed_wrong_sheet(self, wrong: bool = True) -> None:
        """Make the next scan deliver another ballot's sheet than the one it asks for."""
        with self._fault_lock:
            self._wrong_sheet = wrong

    @property
    def wrong_sheet_next(self) -> bool:
        with self._fault_lock:
            return self._wrong_sheet

    def feed_paper_differs(self, differs: bool = True) -> None:
        """Make the next scan's (first) sheet differ from the sample in one box
        (``paper_slip``)."""
        with self._fault_lock:
            self._paper_differs = differs

    @property
    def paper_differs_next(self) -> bool:
        with self._fault_lock:
            return self._paper_differs

    def _sheet(self, n: int, asked: str, wrong: bool) -> SampleSheet:
        """The ``n``-th sheet fed: the asked ballot's (or, ``wrong``, the next ballot's in the
        sample's order); without a ballot asked, the samples in turn."""
        ballots = [s.ballot for s in SAMPLE_SHEETS]
        if asked not in ballots:
            return SAMPLE_SHEETS[n % len(SAMPLE_SHEETS)]
        index = ballots.index(asked)
        return SAMPLE_SHEETS[(index + 1) % len(ballots) if wrong else index]

    def load_adf(self, pages: int) -> None:
        """Put ``pages`` sheets in the simulated feeder (0 = empty)."""
        self.adf_pages = pages

    # Protocol ----------------------------------------------------------------------------------
    def describe(self) -> str:
        return self.name

    def cancel(self) -> None:
        self._cancelled.set()

    def scan(self, request: ScanRequest) -> Iterator[Image.Image]:
        """Yield the pages; the scanner counts as busy from the first page until the last."""
        if not self._busy.acquire(blocking=False):
            raise ScannerBusy("a scan is already running")
        try:
            self._cancelled.clear()
            with self._fault_lock:
                fault, self._fault = self._fault, None
                wrong, self._wrong_sheet = self._wrong_sheet, False
                differs, self._paper_differs = self._paper_differs, False
            count = 1 if request.source is Source.FLATBED else self.adf_pages
            if count == 0 and fault is None:
                raise AdfEmpty("the simulated feeder is empty")
            for i in range(count):
                if fault is not None and i == fault[1]:
                    raise fault[0]
                # Waiting on the event lets cancel() end a slow page at once.
                if self._cancelled.wait(self.page_time_s):
                    raise ScanCancelled("cancelled by the operator")
                n = next(self._next_sheet)
                sheet = self._sheet(n, request.sheet, wrong)
                slip = paper_slip(sheet) if differs and i == 0 else None
                numbers = {slip.box: slip.written} if slip else None
                if slip:
                    self.last_paper_slip = slip
                if self.pages == "realistic":
                    yield render_realistic(
                        sheet,
                        request.dpi,
                        colour=request.mode is ColorMode.COLOR,
                        seed=n,
                        width_mm=request.width_mm,
                        height_mm=request.height_mm,
                        hand=self.hand,
                        numbers=numbers,
                    ).image
                    continue
                yield render_sheet(
                    sheet,
                    request.dpi,
                    request.width_mm,
                    request.height_mm,
                    seed=n,
                    color=request.mode is ColorMode.COLOR,
                    numbers=numbers,
                )
            if fault is not None:  # asked to fail after more pages than there were
                raise fault[0]
        finally:
            self._busy.release()
