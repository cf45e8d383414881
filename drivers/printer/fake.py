"""Fake printers for demo and training: they keep what would have come out.

The fake receipt printer produces the same ESC/POS bytes as the real one (python-escpos's Dummy
with the same profile, through the adapter's ``encode_image``: ESC @, raster, cut; made when
first read) and a PNG of the paper; the fake A4 printer keeps the PDF. Both number their output
files in ``output_dir`` and list them in ``jobs``. Trainers put them into a fault state with
``set_state``.
"""

from __future__ import annotations

import functools
import itertools
import logging
import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from drivers.printer import PrinterState, PrinterStatus, error_for

# Importing the adapter does not import python-escpos; only calling it does.
from drivers.printer.escpos_adapter import (
    DOTS_BY_PAPER_MM,
    encode_image,
    escpos_available,
    printed_dots,
    width_px,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FakeJob:
    number: int
    path: Path  # the PNG (receipt, one copy) or PDF (A4) of what came out
    made: bytes | Callable[[], bytes]  # ``data``, or how to make it when it is first read
    copies: int = 1
    title: str = ""  # the A4 job title; "" for receipts

    @functools.cached_property
    def data(self) -> bytes:
        """The ESC/POS bytes (receipt; empty without python-escpos) or the PDF."""
        return self.made if isinstance(self.made, bytes) else self.made()


def _escpos_bytes(png: Path, profile: str, paper_mm: int, copies: int) -> bytes:
    """The ESC/POS bytes the real printer gets for the job kept as ``png``, made when a test or
    a trainer reads them, not at the print: python-escpos (about 12 MB RSS the web app would
    keep all day) then loads only where paper really comes out. The PNG holds the printed
    dots, 1 bit, which python-escpos's dithering leaves as they are, so these are the bytes of
    the image that was printed."""
    with Image.open(png) as paper:
        return encode_image(paper, profile, paper_mm, copies)


@functools.cache
def _have_escpos() -> bool:
    """Whether the ESC/POS bytes can be made; says so in the log once per process if not."""
    if escpos_available():
        return True
    log.warning("python-escpos is not installed: the fake receipt printer keeps only PNGs")
    return False


def _replace_into(path: Path, write: Callable[[Path], object]) -> None:
    """Write through a temp file and rename, so a power cut leaves no half-written printout."""
    tmp = path.with_name(f".{path.name}.tmp")
    write(tmp)
    with tmp.open("rb") as f:
        os.fsync(f.fileno())
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
        """Trainer verb: paper out, cover open or offline (the matching error on every print)
        until set back to READY. PAPER_LOW, BUSY and UNKNOWN only show in ``status()``."""
        with self._lock:
            self._state = state

    def status(self) -> PrinterStatus:
        return PrinterStatus(self._state, "simulasi")

    def clear_jobs(self) -> int:
        """Trainer verb for a fresh start: delete every printout this printer kept in
        ``output_dir`` (also those of an earlier run) and forget its jobs; return how many
        files went."""
        with self._lock:
            self.jobs.clear()
            gone = 0
            if self.output_dir.is_dir():
                for path in self.output_dir.glob(f"{self.prefix}-*"):
                    path.unlink(missing_ok=True)
                    gone += 1
            return gone

    def _check(self) -> None:
        fault = error_for(self._state)
        if fault is not None:
            raise fault(f"simulasi: {self._state.value}")

    def _next_path(self, suffix: str) -> tuple[int, Path]:
        self.output_dir.mkdir(parents=True, exist_ok=True)
        while True:
            number = next(self._numbers)
            path = self.output_dir / f"{self.prefix}-{number:04d}{suffix}"
            if not path.exists():  # a restarted demo keeps the earlier printouts
                return number, path


class FakeReceiptPrinter(_FakeBase):
    """Keeps ``struk-NNNN.png`` (one copy of the paper, 1 bit) and the ESC/POS bytes per job."""

    prefix = "struk"

    def __init__(self, output_dir: Path, profile: str = "TM-T20II", paper_mm: int = 80) -> None:
        super().__init__(output_dir)
        self.profile = profile
        self.paper_mm = paper_mm
        self._width: int | None = None

    @property
    def width_px(self) -> int:
        """Printable width in dots, as the real printer with this profile and paper."""
        if self._width is None:
            if _have_escpos():
                self._width = width_px(self.profile, self.paper_mm)
            else:
                self._width = DOTS_BY_PAPER_MM.get(self.paper_mm, DOTS_BY_PAPER_MM[80])
        return self._width

    def print_image(self, image: Image.Image, copies: int = 1) -> None:
        if image.width > self.width_px:
            raise ValueError(f"image is {image.width} dots wide, the paper takes {self.width_px}")
        if copies < 1:
            raise ValueError(f"copies = {copies}: print at least one")
        with self._lock:
            self._check()
            paper = printed_dots(image)
            number, path = self._next_path(".png")
            _replace_into(path, lambda tmp: paper.save(tmp, format="PNG"))
            made: bytes | Callable[[], bytes] = b""
            if _have_escpos():
                made = functools.partial(_escpos_bytes, path, self.profile, self.paper_mm, copies)
            self.jobs.append(FakeJob(number, path, made, copies))


class FakeDocumentPrinter(_FakeBase):
    """Keeps ``a4-NNNN.pdf`` per job; the number is the job id."""

    prefix = "a4"

    def print_pdf(self, pdf: Path, title: str, copies: int = 1) -> int:
        if copies < 1:
            raise ValueError(f"copies = {copies}: print at least one")
        with self._lock:
            self._check()
            data = pdf.read_bytes()  # FileNotFoundError for a missing file, as CupsPrinter
            number, path = self._next_path(".pdf")
            _replace_into(path, lambda tmp: shutil.copyfile(pdf, tmp))
            self.jobs.append(FakeJob(number, path, data, copies, title))
            return number
