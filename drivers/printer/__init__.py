"""Printer protocols: a receipt (ESC/POS thermal) printer and an A4 document printer.

Receipt adapters: ``escpos_adapter.EscposPrinter`` (USB, serial or TCP 9100 through python-escpos)
and ``fake.FakeReceiptPrinter`` (the same ESC/POS bytes through python-escpos's Dummy, plus a PNG
of what would come out). A4 adapters: ``cups_adapter.CupsPrinter`` (pycups) and
``fake.FakeDocumentPrinter`` (keeps the PDF that would have been printed). The fakes also take
the trainer's verbs (``SimulatedPrinter``).

``error_for`` is the one map from a printer state to the error a print meets in it, shared by
the adapters, the fakes and the kiosk's self-test.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from drivers.errors import PaperOut, PrinterCoverOpen, PrinterError, PrinterOffline

if TYPE_CHECKING:  # Pillow loads with the adapter that prints, not in the upload worker
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


# The states in which nothing can be printed, and the error a print meets in each. BUSY is not
# here: a busy printer takes the job after the one it is on.
_ERRORS: dict[PrinterState, type[PrinterError]] = {
    PrinterState.PAPER_OUT: PaperOut,
    PrinterState.COVER_OPEN: PrinterCoverOpen,
    PrinterState.OFFLINE: PrinterOffline,
}


def error_for(state: PrinterState) -> type[PrinterError] | None:
    """The error a print meets in ``state``; None when the printer takes the job."""
    return _ERRORS.get(state)


def refuse(status: PrinterStatus, where: str) -> None:
    """Raise the error for ``status`` if nothing can be printed in it (``where`` names the
    printer in the error's detail)."""
    error = error_for(status.state)
    if error is not None:
        raise error(f"{where}: {status.detail}")


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


@runtime_checkable
class SimulatedPrinter(Protocol):
    """The trainer's verbs on a fake printer (demo and training only)."""

    def status(self) -> PrinterStatus: ...

    def set_state(self, state: PrinterState) -> None:
        """Paper out, cover open or offline (the matching error on every print) until set back
        to READY."""
        ...

    def clear_jobs(self) -> int:
        """Delete every printout kept; return how many files went."""
        ...
