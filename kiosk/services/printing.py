"""Print a short text report on the receipt printer or the A4 printer."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from drivers.errors import PrinterOffline
from drivers.printer import DocumentPrinter, ReceiptPrinter
from kiosk.devices import Devices
from kiosk.errors import PRINTER_ROLES, on_device
from kiosk.services.report_render import render_receipt, report_pdf
from kiosk.storage import write_durably

TARGETS = ("receipt", "a4")


class ReportPrinter:
    """The kiosk's two printers for short text reports (given by wiring; None: not configured).
    In training mode every report carries SIMULASI."""

    def __init__(
        self,
        receipt: ReceiptPrinter | None,
        document: DocumentPrinter | None,
        training: bool,
        spool_dir: Path,
    ) -> None:
        self._receipt = receipt
        self._document = document
        self._training = training
        self._spool_dir = spool_dir

    def print(self, title: str, lines: Sequence[str], target: str) -> Path | None:
        """Print on ``target`` ("receipt" or "a4"); the A4 PDF is kept in the spool folder.

        Raises PrinterOffline when that printer is not configured, and the printer's own errors.
        """
        if target not in TARGETS:
            raise ValueError(f"unknown print target {target!r}")
        if target == "receipt":
            with on_device(PRINTER_ROLES["receipt"]):
                if self._receipt is None:
                    raise PrinterOffline("no receipt printer configured")
                img = render_receipt(title, lines, self._receipt.width_px, self._training)
                self._receipt.print_image(img)
            return None
        with on_device(PRINTER_ROLES["a4"]):
            if self._document is None:
                raise PrinterOffline("no A4 printer configured")
            pdf = self._spool_dir / f"report-{time.strftime('%Y%m%d-%H%M%S')}.pdf"
            write_durably(pdf, report_pdf(title, lines, self._training))
            self._document.print_pdf(pdf, title)
        return pdf


def print_text_report(
    devices: Devices, title: str, lines: Sequence[str], target: str, training: bool, spool_dir: Path
) -> Path | None:
    """``ReportPrinter.print`` on ``devices``' printers (for callers that hold the devices)."""
    printer = ReportPrinter(devices.receipt_printer, devices.document_printer, training, spool_dir)
    return printer.print(title, lines, target)
