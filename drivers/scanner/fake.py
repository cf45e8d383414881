"""The fake scanner for demo and training: sample C.Hasil sheets, and faults on demand."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator

from PIL import Image

from drivers.errors import AdfEmpty, ScanCancelled, ScannerBusy, ScannerError
from drivers.scanner import ColorMode, ScanRequest, Source
from drivers.scanner.sample_pages import SAMPLE_SHEETS, render_sheet


class FakeScanner:
    """Flatbed: one sample sheet per scan, cycling. ADF: ``adf_pages`` sheets per batch."""

    name = "Pemindai simulasi (C.Hasil contoh)"

    def __init__(self, adf_pages: int = 2) -> None:
        self.adf_pages = adf_pages
        self._next_sheet = itertools.count()
        self._fail_next: ScannerError | None = None
        self._cancelled = threading.Event()
        self._busy = threading.Lock()

    # Trainer verbs -----------------------------------------------------------------------------
    def fail_next(self, error: ScannerError) -> None:
        """Make the next scan raise ``error`` (jam, cover open, empty feeder, lost device)."""
        self._fail_next = error

    def load_adf(self, pages: int) -> None:
        """Put ``pages`` sheets in the simulated feeder (0 = empty)."""
        self.adf_pages = pages

    # Protocol ----------------------------------------------------------------------------------
    def describe(self) -> str:
        return self.name

    def cancel(self) -> None:
        self._cancelled.set()

    def scan(self, request: ScanRequest) -> Iterator[Image.Image]:
        if not self._busy.acquire(blocking=False):
            raise ScannerBusy("a scan is already running")
        try:
            self._cancelled.clear()
            if self._fail_next is not None:
                error, self._fail_next = self._fail_next, None
                raise error
            count = 1 if request.source is Source.FLATBED else self.adf_pages
            if count == 0:
                raise AdfEmpty("the simulated feeder is empty")
            pages = []
            for _ in range(count):
                if self._cancelled.is_set():
                    raise ScanCancelled("cancelled")
                n = next(self._next_sheet)
                page = render_sheet(
                    SAMPLE_SHEETS[n % len(SAMPLE_SHEETS)],
                    request.dpi,
                    request.width_mm,
                    request.height_mm,
                    seed=n,
                )
                pages.append(page.convert("RGB") if request.mode is ColorMode.COLOR else page)
        finally:
            self._busy.release()
        return iter(pages)
