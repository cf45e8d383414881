"""Any SANE scanner through python-sane: the only module that imports ``sane``.

A fresh device handle is opened for every scan and always closed: SANE backends keep per-handle
state (the ADF page counter), and a second open of a device that is still open fails with
"Device busy". Numbers outside a device's range are clamped silently by SANE, so resolution and
page size are read back after they are set.

Pages are read in a helper thread and handed over one by one, so the caller keeps the pages
scanned before a jam, and a backend that never returns cannot freeze the kiosk.

libsane puts SIGPIPE back to "terminate the process" when a read ends (the test backend does,
through sanei_thread), whatever it was before. Python ignores SIGPIPE, so that a browser that
closes its connection mid-answer is an error for that one request; after a scan it would kill
the whole kiosk. The reader thread puts "ignore" back after every libsane read.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import queue
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
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
# Words in the names backends give their sources ("Automatic Document Feeder", "ADF Front", ...).
_ADF_WORDS = ("adf", "feeder", "automatic")
_TWO_SIDED_WORDS = ("duplex", "back")
_FILM_WORDS = ("transparen", "tma", "film", "negative", "positive", "slide")
# Modes that give dots instead of grey levels ("Gray[Error Diffusion]" on Brother scanners).
_DITHERED_WORDS = ("diffusion", "halftone", "dither", "lineart")
_STOP_GRACE_S = 5.0  # how long a cancelled read may take to end before we stop waiting for it
_GEOMETRY_SLACK_MM = 1.0  # backends round the page size to their own steps


_LIBC = ctypes.CDLL(None)
_LIBC.signal.argtypes = [ctypes.c_int, ctypes.c_void_p]
_LIBC.signal.restype = ctypes.c_void_p
_SIG_IGN = ctypes.c_void_p(1)  # (sighandler_t) 1 in <signal.h>


def _keep_sigpipe_ignored() -> None:
    """Undo libsane's reset of SIGPIPE, from any thread (signal.signal is main-thread only)."""
    if signal.getsignal(signal.SIGPIPE) == signal.SIG_IGN:  # what Python set at start-up
        _LIBC.signal(signal.SIGPIPE, _SIG_IGN)


def _translate(exc: BaseException, during: str) -> ScannerError:
    message = str(exc)
    if isinstance(exc, RuntimeError) and "no data" in message:
        # python-sane's text for SANE_STATUS_EOF before any data: the device went away.
        return ScannerLost(f"{during}: {message}")
    return _BY_MESSAGE.get(message, ScannerError)(f"{during}: {message}")


_init_lock = threading.Lock()


@functools.cache
def _initialised() -> tuple[Any, type[Exception]]:
    import _sane
    import sane

    sane.init()  # reads SANE_CONFIG_DIR: set it before the first scan of the process
    return sane, _sane.error


def _library() -> tuple[Any, type[Exception]]:
    """python-sane, initialised once per process, and its exception class."""
    with _init_lock:
        try:
            return _initialised()
        except ImportError as exc:
            raise ScannerNotFound("python-sane is not installed") from exc
        except Exception as exc:  # _sane.error, whose class we cannot name before the import
            raise ScannerNotFound(f"SANE did not start: {exc}") from exc


def _settable(device: Any, name: str) -> bool:
    option = device.opt.get(name)
    return option is not None and option.is_active() and option.is_settable()


def _choose_mode(choices: list[str], mode: ColorMode) -> str:
    exact, words = (
        ("Color", ("color", "colour")) if mode is ColorMode.COLOR else ("Gray", ("gray", "grey"))
    )
    if exact in choices:
        return exact
    for choice in choices:
        low = choice.lower()
        if any(w in low for w in words) and not any(w in low for w in _DITHERED_WORDS):
            return choice
    raise ScannerError(f"no {mode.value} mode among {choices}")


def _choose_source(choices: list[str], wanted: Source) -> str:
    adf = [c for c in choices if any(w in c.lower() for w in _ADF_WORDS)]
    if wanted is Source.ADF:
        one_sided = [c for c in adf if not any(w in c.lower() for w in _TWO_SIDED_WORDS)]
        if not adf:
            raise ScannerError(f"this scanner has no document feeder (sources: {choices})")
        return (one_sided or adf)[0]
    glass = [c for c in choices if c not in adf and not any(w in c.lower() for w in _FILM_WORDS)]
    named = [c for c in glass if "flatbed" in c.lower()]
    # A sheet-fed scanner has no glass: its feeder is then the flatbed's stand-in.
    return (named or glass or choices)[0]


@dataclass(frozen=True)
class _End:
    """The reader thread's last word: why the pages stopped."""

    error: BaseException | None
    cancelled: bool


class SaneScanner:
    """The SANE device ``device_name`` ("" = the first one SANE lists).

    ``options`` are SANE options set after the request's own, by SANE name with '-' as '_'
    (e.g. ``{"swdeskew": True}``); technicians use them for device quirks, tests to inject
    faults (``{"read_return_value": "SANE_STATUS_JAMMED"}`` on the ``test`` backend).
    ``ScanRequest.timeout_s`` bounds the wait for each page, not the whole batch.
    """

    def __init__(
        self, device_name: str = "", options: dict[str, str | int | float] | None = None
    ) -> None:
        self.device_name = device_name
        self.options = dict(options or {})
        self._lock = threading.Lock()  # one scan (or describe) at a time
        self._handle_lock = threading.Lock()  # cancel() never touches a handle being closed
        self._current: Any = None  # the open handle while pages are being read
        self._cancel = threading.Event()  # a fresh one per scan; cancel() sets the current one
        self._found: tuple[str, str] | None = None  # (device name, "vendor model") once listed
        self._lost = False

    # Lost and found, logged once each ---------------------------------------------------------
    def _mark_lost(self, detail: str) -> None:
        if not self._lost:
            log.warning("scanner %s lost: %s", self.device_name or "(first found)", detail)
            self._lost = True

    def _mark_back(self) -> None:
        if self._lost:
            log.info("scanner %s answers again", self.device_name or "(first found)")
            self._lost = False

    # Handles ---------------------------------------------------------------------------------
    def _resolve(self, sane: Any, sane_error: type[Exception]) -> str:
        if self.device_name:
            return self.device_name
        if self._found is not None:
            return self._found[0]
        try:
            devices = sane.get_devices()
        except sane_error as exc:
            raise ScannerNotFound(f"listing scanners: {exc}") from exc
        if not devices:
            self._mark_lost("SANE lists no scanner")
            raise ScannerNotFound("no SANE scanner found")
        # Cached: with every backend enabled, listing takes seconds.
        name, vendor, model = (str(v) for v in devices[0][:3])
        self._found = (name, f"{vendor} {model}")
        return name

    def _open(self) -> Any:
        sane, sane_error = _library()
        name = self._resolve(sane, sane_error)
        try:
            return sane.open(name)
        except sane_error as exc:
            if str(exc) == "Device busy":
                raise ScannerBusy(f"{name} is in use elsewhere") from exc
            if not self.device_name:
                self._found = None  # replugged, it may come back under another USB address
            self._mark_lost(f"{name}: {exc}")
            raise ScannerNotFound(f"{name}: {exc}") from exc

    def _close(self, device: Any) -> None:
        with self._handle_lock:
            if self._current is device:
                self._current = None
            device.close()

    def describe(self) -> str:
        """Return "vendor model (device name)", after opening the device to prove it answers."""
        if not self._lock.acquire(blocking=False):
            if self._found is not None:
                return f"{self._found[1]} ({self._found[0]})"
            raise ScannerBusy("a scan is running")
        try:
            sane, sane_error = _library()
            device = self._open()
            name = str(device.devname)
            self._close(device)
            if self._found is None or self._found[0] != name:
                try:
                    listed = {str(d[0]): f"{d[1]} {d[2]}" for d in sane.get_devices()}
                except sane_error:
                    listed = {}
                # Network scanners named by hand need not be listed.
                self._found = (name, listed.get(name, "SANE scanner"))
            self._mark_back()
            return f"{self._found[1]} ({name})"
        finally:
            self._lock.release()

    def cancel(self) -> None:
        """Stop the running scan from any thread; the scan then raises ScanCancelled."""
        # Backends differ in what a cancelled read returns (an error, or a quiet end of the
        # feeder), so the request is also remembered and checked by the reader.
        self._cancel.set()
        with self._handle_lock:
            if self._current is not None:
                self._current.cancel()

    # Setting up ------------------------------------------------------------------------------
    def _configure(self, device: Any, request: ScanRequest) -> int:
        """Apply the request, then ``options``; return the resolution the device really uses."""
        _, sane_error = _library()
        try:
            if _settable(device, "mode"):
                device.mode = _choose_mode(list(device["mode"].constraint or []), request.mode)
            if _settable(device, "depth") and 8 in (device["depth"].constraint or [8]):
                device.depth = 8  # python-sane turns 16-bit samples into garbage 'L' pixels
            if _settable(device, "resolution"):
                device.resolution = request.dpi
            if _settable(device, "source"):
                choices = [str(c) for c in device["source"].constraint or []]
                if choices:
                    device.source = _choose_source(choices, request.source)
            elif request.source is Source.ADF:
                raise ScannerError("this scanner has no document feeder")
            # Sheet-fed backends (fujitsu, canon_dr) bound the scan area by the paper size.
            size = {"page_width": request.width_mm, "page_height": request.height_mm}
            area = {"tl_x": 0.0, "tl_y": 0.0, "br_x": request.width_mm, "br_y": request.height_mm}
            for name, mm in {**size, **area}.items():
                if _settable(device, name):
                    setattr(device, name, mm)
            for name, value in self.options.items():
                key = name.replace("-", "_")
                # python-sane would keep an unknown name as a plain attribute and ignore it.
                if key not in device.opt:
                    raise ScannerError(f"this scanner has no option {name!r}")
                setattr(device, key, value)
        except sane_error as exc:
            raise _translate(exc, "setting up the scan") from exc
        except (AttributeError, TypeError, ValueError) as exc:  # inactive option, wrong type
            raise ScannerError(f"setting up the scan: {exc}") from exc
        return self._read_back(device, request)

    def _read_back(self, device: Any, request: ScanRequest) -> int:
        dpi = round(float(device.resolution)) if _settable(device, "resolution") else request.dpi
        if dpi != request.dpi:
            log.warning("scanner uses %d dpi, not the %d asked for", dpi, request.dpi)
        if _settable(device, "br_x") and _settable(device, "br_y"):
            width, height = float(device.br_x), float(device.br_y)
            if max(request.width_mm - width, request.height_mm - height) > _GEOMETRY_SLACK_MM:
                log.warning(
                    "scanner cuts the page to %.0f x %.0f mm (asked %.0f x %.0f mm)",
                    width,
                    height,
                    request.width_mm,
                    request.height_mm,
                )
        return dpi

    # Scanning --------------------------------------------------------------------------------
    def scan(self, request: ScanRequest) -> Iterator[Image.Image]:
        """Yield each page as it is read; the scanner is busy until the last one is taken."""
        if not self._lock.acquire(blocking=False):
            raise ScannerBusy("a scan is already running")
        try:
            yield from self._scan(request)
        finally:
            self._lock.release()

    def _scan(self, request: ScanRequest) -> Iterator[Image.Image]:
        cancel = self._cancel = threading.Event()
        device = self._open()
        try:
            dpi = self._configure(device, request)
        except BaseException:
            device.close()
            raise
        with self._handle_lock:
            self._current = device
        feed: queue.SimpleQueue[Image.Image | _End] = queue.SimpleQueue()
        reader = threading.Thread(
            target=self._read, args=(device, request, cancel, feed), name="sane-read", daemon=True
        )
        reader.start()
        mode = "RGB" if request.mode is ColorMode.COLOR else "L"
        pages = 0
        end: _End | None = None
        try:
            while end is None:
                try:
                    item = feed.get(timeout=request.timeout_s)
                except queue.Empty:
                    self._mark_lost(f"no page in {request.timeout_s:.0f} s")
                    raise ScannerLost(f"no page after {request.timeout_s:.0f} s") from None
                if isinstance(item, _End):
                    end = item
                    continue
                pages += 1
                # A device without the asked mode still gives the mode the caller relies on.
                page = item if item.mode == mode else item.convert(mode)
                page.info["dpi"] = (dpi, dpi)
                yield page
        finally:
            if end is None:  # the caller stopped early, or the device stopped answering
                self._stop(device, cancel, feed)
        if end.error is not None:
            error = _translate(end.error, "scanning")
            if isinstance(error, ScannerLost):
                self._mark_lost(str(end.error))
            raise error from end.error
        if end.cancelled:
            raise ScanCancelled("cancelled by the operator")
        if pages == 0:
            raise AdfEmpty("the document feeder gave no page")
        self._mark_back()

    def _read(
        self,
        device: Any,
        request: ScanRequest,
        cancel: threading.Event,
        feed: queue.SimpleQueue[Image.Image | _End],
    ) -> None:
        """The reader thread: it owns the handle from here on and closes it when done."""
        error: BaseException | None = None
        try:
            if request.source is Source.FLATBED:
                if not cancel.is_set():
                    page = device.scan()
                    _keep_sigpipe_ignored()
                    if not cancel.is_set():
                        feed.put(page)
            else:
                # multi_scan stops quietly at "out of documents"; a jam still raises.
                for page in device.multi_scan():
                    _keep_sigpipe_ignored()
                    if cancel.is_set():
                        break
                    feed.put(page)
        except BaseException as exc:  # handed to the scanning thread in the end marker
            error = exc
        finally:
            cancelled = cancel.is_set()
            try:
                self._close(device)
            finally:
                _keep_sigpipe_ignored()
                # Only now: the next scan must find the handle closed, or SANE says "Device busy".
                feed.put(_End(error, cancelled))

    def _stop(
        self, device: Any, cancel: threading.Event, feed: queue.SimpleQueue[Image.Image | _End]
    ) -> None:
        """Cancel the read and wait a little for the reader to close the handle."""
        cancel.set()
        with self._handle_lock:
            if self._current is device:
                device.cancel()
        deadline = time.monotonic() + _STOP_GRACE_S
        while (left := deadline - time.monotonic()) > 0:
            try:
                if isinstance(feed.get(timeout=left), _End):
                    return
            except queue.Empty:
                break
        log.warning("scanner read still running %.0f s after cancel", _STOP_GRACE_S)
