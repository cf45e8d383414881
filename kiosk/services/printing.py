"""Print a short text report on the receipt printer or the A4 printer."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from drivers.errors import PrinterOffline
from kiosk.devices import Devices
from kiosk.services.report_render import render_receipt, report_pdf
from kiosk.storage import write_durably

TARGETS = ("receipt", "a4")


def print_text_report(
    devices: Devices, title: str, lines: Sequence[str], target: str, training: bool, spool_dir: Path
) -> Path | None:
    """Print on ``target`` ("receipt" or "a4"); the A4 PDF is kept in ``spool_dir``.

    Raises PrinterOffline when that printer is not configured, and the printer's own errors.
    """
    if target not in TARGETS:
        raise ValueError(f"unknown print target {target!r}")
    if target == "receipt":
        if devices.receipt_printer is None:
            raise PrinterOffline("no receipt printer configured")
        img = render_receipt(title, lines, devices.receipt_printer.width_px, training)
        devices.receipt_printer.print_image(img)
        return None
    if devices.document_printer is None:
        raise PrinterOffline("no A4 printer configured")
    pdf = spool_dir / f"report-{time.strftime('%Y%m%d-%H%M%S')}.pdf"
    write_durably(pdf, report_pdf(title, lines, training))
    devices.document_printer.print_pdf(pdf, title)
    return pdf
