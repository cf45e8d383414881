"""The fake scanner for demo and training: sample C.Hasil sheets, and faults on demand."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator

from PIL import Image

from drivers.errors import AdfEmpty, ScanCancelled, ScannerBusy, ScannerError
from drivers.scanner import ColorMode, ScanRequest, Source
from drivers.scanner.realistic import render_realistic
from drivers.scanner.sample_pages import SAMPLE_SHEETS, SampleSheet, render_sheet

PAGE_KINDS = ("clean", "realistic")


class FakeScanner:
    """Flatbed: one sample sheet per scan, of the ballot the request names (``sheet``), else
    cycling through PPWP, DPR, DPD. ADF: ``adf_pages`` sheets per batch; the feeder is full
    again for the next batch, so a demo never runs dry. The trainer can make the next scan
    deliver another ballot's sheet (``feed_wrong_sheet``), as a tired KPPS picks up the wrong
    one of five similar sheets.

    ``page_time_s`` is how long each page takes to "scan" (seconds): 0 in tests and demos, a
    second or two in training, so the cancel button and the busy message can be shown.
    Pages are rendered one at a time as the caller takes them, like a real feeder delivers them.

    ``pages`` is ``"clean"`` (the printed sheet with drawn numbers: ~100 KB as PNG, fast) or
    ``"realistic"`` (paper, pen pressure, skew, uneven light and sensor noise, as a real scanner
    delivers it: see realistic.py).
    """

    name = "Pemindai simulasi (C.Hasil contoh)"

    def __init__(self, adf_pages: int = 2, page_time_s: float = 0.0, pages: str = "clean") -> None:
        if pages not in PAGE_KINDS:
            raise ValueError(f"pages = {pages!r}: one of {', '.join(PAGE_KINDS)}")
        self.adf_pages = adf_pages
        self.pages = pages
        self.page_time_s = page_time_s
        self._next_sheet = itertools.count()
        self._wrong_sheet = False
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
                if self.pages == "realistic":
                    yield render_realistic(
                        sheet,
                        request.dpi,
                        colour=request.mode is ColorMode.COLOR,
                        seed=n,
                        width_mm=request.width_mm,
                        height_mm=request.height_mm,
                    ).image
                    continue
                yield render_sheet(
                    sheet,
                    request.dpi,
                    request.width_mm,
                    request.height_mm,
                    seed=n,
                    color=request.mode is ColorMode.COLOR,
                )
            if fault is not None:  # asked to fail after more pages than there were
                raise fault[0]
        finally:
            self._busy.release()
