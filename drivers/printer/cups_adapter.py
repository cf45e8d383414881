"""A4 printing through CUPS with pycups: the only module that imports cups."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from drivers.errors import PaperOut, PrinterCoverOpen, PrinterOffline, PrintFailed
from drivers.printer import PrinterState, PrinterStatus

log = logging.getLogger(__name__)

# IPP printer-state values and job-state values (RFC 8011).
PRINTER_STOPPED = 5
PRINTER_PROCESSING = 4
JOB_COMPLETED, JOB_CANCELED, JOB_ABORTED = 9, 7, 8
IPP_NOT_FOUND = 1280

# printer-state-reasons keywords (prefixes; CUPS appends -error/-warning/-report).
_REASONS: tuple[tuple[str, PrinterState], ...] = (
    ("media-empty", PrinterState.PAPER_OUT),
    ("media-needed", PrinterState.PAPER_OUT),
    ("cover-open", PrinterState.COVER_OPEN),
    ("door-open", PrinterState.COVER_OPEN),
    ("offline", PrinterState.OFFLINE),
    ("paused", PrinterState.OFFLINE),
    ("media-low", PrinterState.PAPER_LOW),
)


class CupsPrinter:
    """The CUPS queue ``queue`` ("" = the default destination). Waits at most ``job_timeout_s``
    seconds for a job to finish."""

    def __init__(self, queue: str = "", job_timeout_s: float = 120.0) -> None:
        self.queue = queue
        self.job_timeout_s = job_timeout_s
        self._lock = threading.Lock()

    def _connect(self) -> tuple[Any, Any]:
        try:
            import cups
        except ImportError as exc:
            raise PrinterOffline("pycups is not installed") from exc
        try:
            return cups, cups.Connection()
        except RuntimeError as exc:  # pycups: "failed to connect to server"
            raise PrinterOffline(f"CUPS: {exc}") from exc

    def _queue(self, conn: Any) -> str:
        queue = self.queue or conn.getDefault()
        if not queue:
            raise PrinterOffline("CUPS has no default printer")
        return str(queue)

    def _attributes(self, cups: Any, conn: Any) -> dict[str, Any]:
        queue = self._queue(conn)
        try:
            attrs: dict[str, Any] = conn.getPrinterAttributes(queue)
        except cups.IPPError as exc:
            status, message = exc.args
            raise PrinterOffline(f"CUPS queue {queue!r}: {message} ({status})") from exc
        return attrs

    @staticmethod
    def _state(attrs: dict[str, Any]) -> PrinterStatus:
        reasons = [r for r in attrs.get("printer-state-reasons", []) if r != "none"]
        for prefix, state in _REASONS:
            if any(r.startswith(prefix) for r in reasons):
                return PrinterStatus(state, ", ".join(reasons))
        if attrs.get("printer-state") == PRINTER_STOPPED or not attrs.get(
            "printer-is-accepting-jobs", True
        ):
            message = attrs.get("printer-state-message", "") or "stopped"
            return PrinterStatus(PrinterState.OFFLINE, str(message))
        if attrs.get("printer-state") == PRINTER_PROCESSING:
            return PrinterStatus(PrinterState.BUSY, ", ".join(reasons))
        return PrinterStatus(PrinterState.READY, ", ".join(reasons))

    def status(self) -> PrinterStatus:
        with self._lock:
            try:
                cups, conn = self._connect()
                return self._state(self._attributes(cups, conn))
            except PrinterOffline as exc:
                return PrinterStatus(PrinterState.OFFLINE, str(exc))

    def print_pdf(self, pdf: Path, title: str, copies: int = 1) -> int:
        with self._lock:
            cups, conn = self._connect()
            status = self._state(self._attributes(cups, conn))
            if status.state is PrinterState.PAPER_OUT:
                raise PaperOut(status.detail)
            if status.state is PrinterState.COVER_OPEN:
                raise PrinterCoverOpen(status.detail)
            if status.state is PrinterState.OFFLINE:
                raise PrinterOffline(status.detail)
            queue = self._queue(conn)
            try:
                job = int(
                    conn.printFile(queue, str(pdf), title, {"copies": str(copies), "media": "A4"})
                )
            except cups.IPPError as exc:
                raise PrintFailed(f"CUPS refused the job: {exc.args}") from exc
            return self._wait(cups, conn, job)

    def _wait(self, cups: Any, conn: Any, job: int) -> int:
        deadline = time.monotonic() + self.job_timeout_s
        while time.monotonic() < deadline:
            try:
                attrs = conn.getJobAttributes(job)
            except cups.IPPError as exc:
                raise PrintFailed(f"job {job}: {exc.args}") from exc
            state = attrs.get("job-state")
            if state == JOB_COMPLETED:
                return job
            if state in (JOB_CANCELED, JOB_ABORTED):
                reasons = attrs.get("job-printer-state-message") or attrs.get("job-state-reasons")
                raise PrintFailed(f"job {job} ended in state {state}: {reasons}")
            time.sleep(0.1)
        # Cancel it, so that Retry prints it once rather than twice when the printer returns.
        try:
            conn.cancelJob(job)
        except cups.IPPError as exc:
            log.warning("cancelling stuck job %d: %s", job, exc)
        raise PrinterOffline(f"job {job} not finished after {self.job_timeout_s:.0f} s")
