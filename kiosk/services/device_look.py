"""Is a device that failed in use working again? Asked without using it, so the status strip
drops a fault as soon as the device is seen well, not only when the request that met it is
repeated or a new self-test runs.

The means, per device:
- the printers answer a status request (CUPS attributes, ESC/POS DLE EOT) without printing:
  ready (or paper low) is well; a printer that does not report its status is not judged;
- the card reader is watched all the time (kiosk.services.card_watch): well when its last
  poll answered;
- the scanner and the status panel cannot be asked without using them: their fault stays until
  the request that met it succeeds or a self-test speaks for them.

A look is made only for a device that shows a fault, when a page asks for the strip. A device
slow to answer (an unplugged USB printer runs into its status timeout) is asked again only
after ``every_s`` seconds, so pages do not keep waiting on it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from drivers.errors import DeviceError
from drivers.printer import PrinterState, PrinterStatus

log = logging.getLogger(__name__)

LOOK_EVERY_S = 10.0
SLOW_S = 0.25  # a look that took longer than this waits LOOK_EVERY_S before the next
# The states that show a printer can print again; UNKNOWN (no status reported) and BUSY say
# nothing either way.
_WELL = frozenset({PrinterState.READY, PrinterState.PAPER_LOW})
_NOT_JUDGED = frozenset({PrinterState.UNKNOWN, PrinterState.BUSY})


class Printer(Protocol):
    def status(self) -> PrinterStatus: ...


class WatchedReader(Protocol):
    """The card watch (kiosk.services.card_watch.CardWatch)."""

    @property
    def error(self) -> object | None: ...


class DeviceLook:
    """``works(role)``: True when the device is seen well, False when seen failing, None when
    it cannot be told without using it (or a slow device was asked too recently)."""

    def __init__(
        self,
        printers: dict[str, Printer | None],
        card_watch: WatchedReader | None,
        every_s: float = LOOK_EVERY_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._printers = printers  # by role: "receipt_printer", "document_printer"
        self._card_watch = card_watch
        self._every_s = every_s
        self._monotonic = monotonic
        self._rest_until: dict[str, float] = {}  # slow devices: not asked before then
        self._lock = threading.Lock()

    def works(self, role: str) -> bool | None:
        if role == "card_reader":
            return self._card_watch is not None and self._card_watch.error is None
        printer = self._printers.get(role)
        started = self._monotonic()
        with self._lock:
            if printer is None or started < self._rest_until.get(role, started):
                return None
        try:
            state: PrinterState | None = printer.status().state
        except DeviceError as exc:
            log.debug("%s still not answering: %s", role, exc)
            state = None
        if self._monotonic() - started > SLOW_S:
            with self._lock:
                self._rest_until[role] = self._monotonic() + self._every_s
        if state is None:
            return False
        if state in _NOT_JUDGED:
            return None
        return state in _WELL
