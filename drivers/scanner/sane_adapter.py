"""Any SANE scanner through python-sane: the only module that imports ``sane``.

A fresh device handle is opened for every scan and always closed: SANE backends keep per-handle
state (the ADF page counter, "Device busy" for a second open). Numbers outside a device's range are
clamped silently by SANE, so resolution is read back after it is set.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

from PIL import Image

from drivers.errors import (
    AdfEmpty,
    ScanCancelled,
    ScannerBusy,
    ScannerCoverOpen,
    ScannerError,
    ScannerJammed,
    ScannerLost,
    ScannerNotFound,
)
from drivers.scanner import ColorMode, ScanRequest, Source

log = logging.getLogger(__name__)

# SANE status texts (sane_strstatus) -> our errors.
_BY_MESSAGE: dict[str, type[ScannerError]] = {
    "Document feeder jammed": ScannerJammed,
    "Document feeder out of documents": AdfEmpty,
    "Scanner cover is open": ScannerCoverOpen,
    "Operation was canceled": ScanCancelled,
    "Error during device I/O": ScannerLost,
    "Device busy": ScannerBusy,
}
_ADF_WORDS = ("adf", "feeder", "automatic")


def _translate(exc: Exception, during: str) -> ScannerError:
    message = str(exc)
    if isinstance(exc, RuntimeError) and "no data" in message:
        return ScannerLost(f"{during}: {message}")
    cls = _BY_MESSAGE.get(message, ScannerError)
    return cls(f"{during}: {message}")


class SaneScanner:
    """The SANE device ``device_name`` ("" = the first one found).

    ``options`` are SANE options set after the request's own, by SANE name with '-' as '_'
    (e.g. ``{"swdeskew": 1}``); technicians use them for device quirks, tests to inject faults.
    """

    def __init__(
        self, device_name: str = "", options: dict[str, str | int | float] | None = None
    ) -> None:
        self.device_name = device_name
        self.options = dict(options or {})
        self._lock = threading.Lock()
        self._current: Any = None
        self._lost_logged = False
        self._initialised = False
        self._cancelled = threading.Event()

    def _sane(self) -> tuple[Any, type[Exception]]:
        try:
            import _sane
            import sane
        except ImportError as exc:
            raise ScannerNotFound("python-sane is not installed") from exc
        if not self._initialised:
            sane.init()
            self._initialised = True
        return sane, _sane.error

    def _name(self, sane: Any, sane_error: type[Exception]) -> str:
        if self.device_name:
            return self.device_name
        try:
            devices = sane.get_devices()
        except sane_error as exc:
            raise ScannerNotFound(f"listing scanners: {exc}") from exc
        if not devices:
            raise ScannerNotFound("no SANE scanner found")
        return str(devices[0][0])

    def _open(self) -> Any:
        sane, sane_error = self._sane()
        name = self._name(sane, sane_error)
        try:
            device = sane.open(name)
        except sane_error as exc:
            if str(exc) == "Device busy":
                raise ScannerBusy(f"{name}: {exc}") from exc
            if not self._lost_logged:
                log.warning("scanner %s not available: %s", name, exc)
                self._lost_logged = True
            raise ScannerNotFound(f"{name}: {exc}") from exc
        if self._lost_logged:
            log.info("scanner %s is back", name)
            self._lost_logged = False
        return device

    def describe(self) -> str:
        """The SANE device name, after opening it once to prove it answers."""
        with self._lock:
            device = self._open()
            try:
                return str(device.devname)
            finally:
                device.close()

    def cancel(self) -> None:
        # Backends differ in what a cancelled read returns (an error, or a quiet end of the
        # feeder), so the request is also remembered and checked after the scan.
        self._cancelled.set()
        device = self._current
        if device is not None:
            device.cancel()

    def _configure(self, device: Any, request: ScanRequest) -> None:
        _, sane_error = self._sane()
        try:
            device.mode = "Color" if request.mode is ColorMode.COLOR else "Gray"
            device.resolution = request.dpi
            if hasattr(device, "source"):
                device.source = self._source(device, request.source)
            elif request.source is Source.ADF:
                raise AdfEmpty("this scanner has no document feeder")
            device.tl_x = 0
            device.tl_y = 0
            device.br_x = request.width_mm
            device.br_y = request.height_mm
            for name, value in self.options.items():
                setattr(device, name, value)
        except sane_error as exc:
            raise ScannerError(f"setting up the scan: {exc}") from exc
        if device.resolution != request.dpi:
            log.info("scanner clamped %d dpi to %s", request.dpi, device.resolution)

    @staticmethod
    def _source(device: Any, wanted: Source) -> str:
        choices = [str(c) for c in (device["source"].constraint or [])]
        for choice in choices:
            is_adf = any(w in choice.lower() for w in _ADF_WORDS)
            if is_adf == (wanted is Source.ADF):
                return choice
        if wanted is Source.ADF:
            raise AdfEmpty(f"no document feeder among sources {choices}")
        return choices[0] if choices else "Flatbed"

    def scan(self, request: ScanRequest) -> Iterator[Image.Image]:
        if not self._lock.acquire(blocking=False):
            raise ScannerBusy("a scan is already running")
        try:
            pages = self._scan_locked(request)
        finally:
            self._lock.release()
        return iter(pages)

    def _read(self, device: Any, request: ScanRequest) -> list[Image.Image]:
        if request.source is Source.FLATBED:
            return [device.scan()]
        # multi_scan stops quietly at "out of documents"; a jam still raises.
        pages = []
        for page in device.multi_scan():
            if self._cancelled.is_set():
                break
            pages.append(page)
        return pages

    def _read_with_watchdog(
        self, device: Any, request: ScanRequest, sane_error: type[Exception]
    ) -> list[Image.Image]:
        """Read in a helper thread: a backend that blocks forever (device gone, driver stuck)
        must not freeze the kiosk. After ``timeout_s`` the scan is cancelled and the scanner
        counts as lost."""
        result: list[list[Image.Image]] = []
        failure: list[BaseException] = []

        def work() -> None:
            try:
                result.append(self._read(device, request))
            except BaseException as exc:  # handed to the waiting thread below
                failure.append(exc)

        reader = threading.Thread(target=work, name="sane-read", daemon=True)
        reader.start()
        reader.join(request.timeout_s)
        if reader.is_alive():
            device.cancel()
            reader.join(5)
            if not self._lost_logged:
                log.warning("scanner gave no page in %.0f s", request.timeout_s)
                self._lost_logged = True
            raise ScannerLost(f"no page after {request.timeout_s:.0f} s")
        if failure:
            exc = failure[0]
            if isinstance(exc, sane_error | RuntimeError):
                raise _translate(exc, "scanning") from exc
            raise exc
        return result[0]

    def _scan_locked(self, request: ScanRequest) -> list[Image.Image]:
        _, sane_error = self._sane()
        self._cancelled.clear()
        device = self._open()
        self._current = device
        try:
            self._configure(device, request)
            pages = self._read_with_watchdog(device, request, sane_error)
            if self._cancelled.is_set():
                raise ScanCancelled("cancelled by the operator")
            if not pages:
                raise AdfEmpty("the document feeder gave no page")
            return [p.copy() for p in pages]
        finally:
            self._current = None
            device.close()
