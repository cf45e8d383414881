"""Fake printers for demo and training: they keep what would have come out.

The fake receipt printer produces the same ESC/POS bytes as the real one (python-escpos's Dummy
with the same profile) and a PNG of the paper; the fake A4 printer keeps the PDF. Trainers put
them into a fault state with ``set_state``.
"""

from __future__ import annotations

import itertools
import logging
import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from drivers.errors import PaperOut, PrinterCoverOpen, PrinterError, PrinterOffline
from drivers.printer import PrinterState, PrinterStatus

log = logging.getLogger(__name__)

_FAULTS: dict[PrinterState, type[PrinterError]] = {
    PrinterState.PAPER_OUT: PaperOut,
    PrinterState.COVER_OPEN: PrinterCoverOpen,
    PrinterState.OFFLINE: PrinterOffline,
}


@dataclass(frozen=True)
class FakeJob:
    number: int
    path: Path  # the PNG (receipt) or PDF (A4) of what came out
    data: bytes  # the ESC/POS bytes (receipt; empty if python-escpos is missing) or the PDF
    copies: int = 1


def _replace_into(path: Path, write: Callable[[Path], object]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    write(tmp)
    os.replace(tmp, path)


class _FakeBase:
    prefix = "job"

    def __init__(self, output_dir: Path) -> None:
        self.output_dir = output_dir
        self.jobs: list[FakeJob] = []
        self._state = PrinterState.READY
        self._lock = threading.Lock()
        self._numbers = itertools.count(1)

    def set_state(self, state: PrinterState) -> None:
        """Trainer verb: paper out, cover open or offline until set back to READY."""
        self._state = state

    def status(self) -> PrinterStatus:
        return PrinterStatus(self._state, "simulasi")

    def _check(self) -> None:
        fault = _FAULTS.get(self._state)
        if fault is not None:
            raise fault(f"simulated {self._state.value}")

    def _next_path(self, suffix: str) -> tuple[int, Path]:
        self.output_dir.mkdir(parents=True, exist_ok=True)
        while True:
            number = next(self._numbers)
            path = self.output_dir / f"{self.prefix}-{number:04d}{suffix}"
            if not path.exists():  # a restarted demo keeps the earlier printouts
                return number, path


class FakeReceiptPrinter(_FakeBase):
    prefix = "struk"

    def __init__(self, output_dir: Path, profile: str = "TM-T20II", paper_mm: int = 80) -> None:
        super().__init__(output_dir)
        self.profile = profile
        self.paper_mm = paper_mm
        self._width: int | None = None

    @property
    def width_px(self) -> int:
        if self._width is None:
            try:
                from drivers.printer.escpos_adapter import width_px

                self._width = width_px(self.profile, self.paper_mm)
            except PrinterOffline:  # python-escpos missing: go by the paper width
                self._width = {58: 384, 80: 576}.get(self.paper_mm, 576)
        return self._width

    def print_image(self, image: Image.Image, copies: int = 1) -> None:
        if image.width > self.width_px:
            raise ValueError(f"image is {image.width} dots wide, the paper takes {self.width_px}")
        with self._lock:
            self._check()
            try:
                from drivers.printer.escpos_adapter import encode_image

                data = encode_image(image, self.profile, copies)
            except PrinterOffline:
                log.info("python-escpos missing: keeping only the PNG of the receipt")
                data = b""
            number, path = self._next_path(".png")
            _replace_into(path, lambda tmp: image.convert("1").save(tmp, format="PNG"))
            self.jobs.append(FakeJob(number, path, data, copies))


class FakeDocumentPrinter(_FakeBase):
    prefix = "a4"

    def print_pdf(self, pdf: Path, title: str, copies: int = 1) -> int:
        with self._lock:
            self._check()
            number, path = self._next_path(".pdf")
            _replace_into(path, lambda tmp: shutil.copyfile(pdf, tmp))
            self.jobs.append(FakeJob(number, path, pdf.read_bytes(), copies))
            return number
