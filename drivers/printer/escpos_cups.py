"""ESC/POS through a raw CUPS queue: ``cups://QUEUE`` ("" = the CUPS default), python-escpos's
CupsPrinter. A raw queue cannot carry answers back, so CUPS is asked for the queue's state
instead of the printer (``cups_adapter.queue_status``)."""

from __future__ import annotations

from typing import Any

from drivers.printer import PrinterStatus
from drivers.printer.cups_adapter import cups_errors, queue_status, translate_cups_error
from drivers.printer.escpos_link import EscposLink

JOB_NAME = "tps-kiosk-struk"


class CupsLink(EscposLink):
    scheme = "cups"

    def make(self, printers: Any, profile: str, timeout_s: float) -> Any:
        return printers.CupsPrinter(self.url.netloc, profile=profile)

    def open(self, printer: Any) -> None:
        # Without an explicit open(job_name) CupsPrinter.close() drops the job silently.
        printer.open(job_name=JOB_NAME)

    def spooler_status(self) -> PrinterStatus:
        return queue_status(self.url.netloc)

    def hand_over(self, printer: Any) -> None:
        """Hand the job to CUPS now, so that CUPS errors are raised here, translated."""
        try:
            printer.close()
        except cups_errors() as exc:
            raise translate_cups_error(exc, self.url.netloc) from exc

    def close(self, printer: Any) -> None:
        # Still pending only when the job failed half-way: CupsPrinter.close() would submit
        # the half job, so drop it.
        printer.pending_job = False
        printer.close()
