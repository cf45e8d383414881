"""Printer protocols: a receipt (ESC/POS thermal) printer and an A4 document printer.

Receipt adapters: ``escpos_adapter.EscposPrinter`` (USB, serial or TCP 9100 through python-escpos)
and ``fake.FakeReceiptPrinter`` (the same ESC/POS bytes through python-escpos's Dummy, plus a PNG
of what would come out). A4 adapters: ``cups_adapter.CupsPrinter`` (pycups) and
``fake.FakeDocumentPrinter`` (keeps the PDF that would have been printed).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from PIL import Image


class PrinterState(enum.Enum):
    READY = "ready"
    PAPER_OUT = "paper_out"
    PAPER_LOW = "paper_low"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"
    BUSY = "busy"
    UNKNOWN = "unknown"  # the device does not report its status


@dataclass(frozen=True)
class PrinterStatus:
    state: PrinterState
    detail: str = ""

    @property
    def ready(self) -> bool:
        return self.state in (PrinterState.READY, PrinterState.PAPER_LOW, PrinterState.UNKNOWN)


class ReceiptPrinter(Protocol):
    @property
    def width_px(self) -> int:
        """Printable width in dots (384 for 58 mm paper, 576 for 80 mm at 203 dpi)."""
        ...

    def status(self) -> PrinterStatus:
        """Ask the printer for its state; OFFLINE when it does not answer."""
        ...

    def print_image(self, image: Image.Image, copies: int = 1) -> None:
        """Print a raster image (at most ``width_px`` wide) and cut after each copy.

        Raises PrinterOffline, PaperOut, PrinterCoverOpen or PrintFailed.
        """
        ...


class DocumentPrinter(Protocol):
    def status(self) -> PrinterStatus: ...

    def print_pdf(self, pdf: Path, title: str, copies: int = 1) -> int:
        """Print a PDF file, wait until the print server has finished it; return the job id.

        Raises PrinterOffline, PaperOut, PrinterCoverOpen or PrintFailed.
        """
        ...
