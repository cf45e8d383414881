"""A4 printing through CUPS with pycups: the only module that imports cups.

Talks to the local cupsd (its socket, or CUPS_SERVER). Each call opens its own connection, so a
cupsd that restarts is found again.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from drivers.errors import PrinterError, PrinterOffline, PrintFailed
from drivers.printer import PrinterState, PrinterStatus, refuse

log = logging.getLogger(__name__)

# IPP printer-state and job-state values (RFC 8011).
PRINTER_PROCESSING, PRINTER_STOPPED = 4, 5
JOB_CANCELED, JOB_ABORTED, JOB_COMPLETED = 7, 8, 9
# IPP status codes as pycups reports them: "client-error-not-found" (asking for a queue that
# does not exist), and what cupsPrintFile() reports for an unknown destination.
IPP_NOT_FOUND, IPP_NO_SUCH_DESTINATION = 0x0406, 0x0500
POLL_S = 0.1  # between job-state polls; a cups-pdf job takes about 0.3 s
PRINTER_CHECK_S = 1.0  # how often a waiting job also looks at the printer

# printer-state-reasons keywords that stop printing, as prefixes (CUPS appends -error, -warning
# or -report). media-low only warns, and is looked at after these and a stopped queue.
_REASONS: tuple[tuple[str, PrinterState], ...] = (
    ("media-empty", PrinterState.PAPER_OUT),
    ("media-needed", PrinterState.PAPER_OUT),
    ("cover-open", PrinterState.COVER_OPEN),
    ("door-open", PrinterState.COVER_OPEN),
    ("offline", PrinterState.OFFLINE),  # offline-report: the backend cannot reach the printer
    ("stopped", PrinterState.OFFLINE),
    ("paused", PrinterState.OFFLINE),  # cupsdisable
    ("shutdown", PrinterState.OFFLINE),
)


def _cups() -> Any:
    try:
        import cups
    except ImportError as exc:
        raise PrinterOffline("pycups is not installed") from exc
    return cups


def cups_errors() -> tuple[type[Exception], ...]:
    """pycups' IPP and HTTP exceptions, for callers that may not import cups themselves."""
    cups = _cups()
    return (cups.IPPError, cups.HTTPError)


def translate_cups_error(exc: Exception, queue: str) -> PrinterError:
    """The driver error for a pycups exception: the queue or cupsd is gone, or the job refused."""
    cups = _cups()
    if isinstance(exc, cups.IPPError) and len(exc.args) == 2:
        status, message = exc.args
        if status in (IPP_NOT_FOUND, IPP_NO_SUCH_DESTINATION):
            return PrinterOffline(f"CUPS queue {queue!r}: {message} ({status:#06x})")
        return PrintFailed(f"CUPS queue {queue!r}: {message} ({status:#06x})")
    return PrinterOffline(f"CUPS: {exc}")  # HTTPError: cupsd went away mid-conversation


def state_from_attributes(attrs: dict[str, Any]) -> PrinterStatus:
    """A status from a queue's printer-state, printer-state-reasons and accepting flag."""
    reasons = [str(r) for r in attrs.get("printer-state-reasons", []) if r != "none"]
    detail = ", ".join(reasons)
    for prefix, state in _REASONS:
        if any(r.startswith(prefix) for r in reasons):
            return PrinterStatus(state, detail)
    if attrs.get("printer-state") == PRINTER_STOPPED or not attrs.get(
        "printer-is-accepting-jobs", True
    ):
        message = attrs.get("printer-state-message") or detail or "stopped"
        return PrinterStatus(PrinterState.OFFLINE, str(message))
    if any(r.startswith("media-low") for r in reasons):
        return PrinterStatus(PrinterState.PAPER_LOW, detail)
    if attrs.get("printer-state") == PRINTER_PROCESSING:
        return PrinterStatus(PrinterState.BUSY, detail)
    return PrinterStatus(PrinterState.READY, detail)


def _refuse(status: PrinterStatus, queue: str) -> None:
    refuse(status, f"CUPS queue {queue!r}")


class CupsPrinter:
    """The CUPS queue ``queue`` ("" = the default destination).

    ``print_pdf`` waits at most ``job_timeout_s`` seconds for CUPS to finish a job.
    """

    def __init__(self, queue: str = "", job_timeout_s: float = 120.0) -> None:
        self.queue = queue
        self.job_timeout_s = job_timeout_s
        self._lock = threading.Lock()

    def _connect(self) -> tuple[Any, str]:
        """A connection to cupsd and the queue name; PrinterOffline if either is missing."""
        cups = _cups()
        try:
            conn = cups.Connection()
            queue = self.queue or conn.getDefault()
        except RuntimeError as exc:  # pycups: "failed to connect to server"
            raise PrinterOffline(f"CUPS: {exc}") from exc
        except cups_errors() as exc:
            raise translate_cups_error(exc, self.queue) from exc
        if not queue:
            raise PrinterOffline("CUPS has no default printer")
        return conn, str(queue)

    def _status(self, conn: Any, queue: str) -> PrinterStatus:
        try:
            attrs = conn.getPrinterAttributes(queue)
        except cups_errors() as exc:
            # Whatever went wrong, a queue whose state cannot be read cannot be printed to.
            raise PrinterOffline(str(translate_cups_error(exc, queue))) from exc
        return state_from_attributes(attrs)

    def status(self) -> PrinterStatus:
        """The queue's state from CUPS; OFFLINE when cupsd or the queue is not there."""
        with self._lock:
            try:
                conn, queue = self._connect()
                return self._status(conn, queue)
            except PrinterError as exc:
                return PrinterStatus(PrinterState.OFFLINE, exc.detail)

    def print_pdf(self, pdf: Path, title: str, copies: int = 1) -> int:
        """Print ``pdf`` on A4 and wait until CUPS has finished it; return the CUPS job id.

        Refused up front when the queue reports no paper, an open cover or is stopped.
        Raises PrinterOffline, PaperOut, PrinterCoverOpen or PrintFailed.
        """
        if copies < 1:
            raise ValueError(f"copies = {copies}: print at least one")
        if not pdf.is_file():
            raise FileNotFoundError(pdf)
        with self._lock:
            conn, queue = self._connect()
            _refuse(self._status(conn, queue), queue)
            options = {"copies": str(copies), "media": "A4"}
            try:
                job = int(conn.printFile(queue, str(pdf), title, options))
            except cups_errors() as exc:
                raise translate_cups_error(exc, queue) from exc
            log.info("CUPS job %d on %s: %s x%d", job, queue, title, copies)
            return self._wait(conn, queue, job)

    def _wait(self, conn: Any, queue: str, job: int) -> int:
        """Poll the job every POLL_S seconds until it is completed, failed, or time runs out.

        A job that cannot finish (timeout, or the queue stopped or out of paper) is cancelled,
        so that Retry prints it once rather than twice when the printer comes back.
        """
        deadline = time.monotonic() + self.job_timeout_s
        next_printer_check = time.monotonic() + PRINTER_CHECK_S
        wanted = ["job-state", "job-state-reasons", "job-printer-state-message"]
        while True:
            try:
                attrs = conn.getJobAttributes(job, requested_attributes=wanted)
            except cups_errors() as exc:
                raise translate_cups_error(exc, queue) from exc
            state = attrs.get("job-state")
            if state == JOB_COMPLETED:
                return job
            if state in (JOB_CANCELED, JOB_ABORTED):
                why = attrs.get("job-printer-state-message") or attrs.get("job-state-reasons")
                word = "cancelled" if state == JOB_CANCELED else "aborted"
                raise PrintFailed(f"CUPS job {job} on {queue!r} {word}: {why}")
            now = time.monotonic()
            if now >= deadline:
                self._cancel(conn, job)
                self._raise_printer_fault(conn, queue)
                raise PrinterOffline(
                    f"CUPS job {job} on {queue!r} not finished after {self.job_timeout_s:g} s"
                )
            if now >= next_printer_check:
                next_printer_check = now + PRINTER_CHECK_S
                self._stop_if_stuck(conn, queue, job)
            time.sleep(POLL_S)

    def _stop_if_stuck(self, conn: Any, queue: str, job: int) -> None:
        """Cancel ``job`` and raise if the queue was stopped or the printer wants paper or a
        closed cover: the job would otherwise sit there until the timeout. A backend that
        cannot reach the printer (offline-report) retries by itself, so that one waits."""
        try:
            attrs = conn.getPrinterAttributes(queue)
        except cups_errors() as exc:
            raise translate_cups_error(exc, queue) from exc
        status = state_from_attributes(attrs)
        stopped = attrs.get("printer-state") == PRINTER_STOPPED
        if stopped or status.state in (PrinterState.PAPER_OUT, PrinterState.COVER_OPEN):
            self._cancel(conn, job)
            _refuse(status, queue)
            raise PrinterOffline(f"CUPS queue {queue!r} stopped: {status.detail}")

    def _raise_printer_fault(self, conn: Any, queue: str) -> None:
        try:
            status = self._status(conn, queue)
        except PrinterOffline:
            return
        _refuse(status, queue)

    @staticmethod
    def _cancel(conn: Any, job: int) -> None:
        try:
            conn.cancelJob(job)
        except cups_errors() as exc:
            log.warning("cancelling CUPS job %d: %s", job, exc)


def queue_status(queue: str) -> PrinterStatus:
    """The state of the CUPS queue ``queue`` ("" = the default destination); OFFLINE when
    cupsd or the queue is not there. For raw queues that cannot carry a printer's answers."""
    return CupsPrinter(queue).status()
