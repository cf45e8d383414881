"""ESC/POS thermal receipt printers through python-escpos: the only module that imports escpos.

Connections: ``tcp://HOST:PORT`` (Ethernet, usually port 9100), ``usb://VID:PID`` (hex ids),
``serial:///dev/ttyUSB0?baudrate=19200`` and ``cups://QUEUE`` (a raw CUPS queue). Images are
printed as GS v 0 raster; the width in dots comes from the python-escpos printer profile
(TM-T20II: 576 dots on 80 mm paper at 203 dpi) or, if the profile has none, from the paper width.

Status uses the real-time requests DLE EOT n (ESC/POS): n=1 printer (bit 3 offline), n=2 offline
cause (bit 2 cover open, bit 5 paper end), n=4 roll sensor (bits 2-3 near end, bits 5-6 end).
"""

from __future__ import annotations

import atexit
import logging
import shutil
import tempfile
import threading
from typing import Any
from urllib.parse import parse_qs, urlparse

from PIL import Image

from drivers.errors import PaperOut, PrinterCoverOpen, PrinterError, PrinterOffline, PrintFailed
from drivers.printer import PrinterState, PrinterStatus

log = logging.getLogger(__name__)

DOTS_BY_PAPER_MM = {58: 384, 80: 576}
STATUS_TIMEOUT_S = 1.0  # printers answer real-time requests within milliseconds
IMAGE_IMPL = "bitImageRaster"


def _escpos() -> Any:
    try:
        import escpos.capabilities
        import escpos.printer
    except ImportError as exc:
        raise PrinterOffline("python-escpos is not installed") from exc
    # python-escpos makes a temp dir for its profile cache at every import; remove ours on exit.
    cache = str(escpos.capabilities.pickle_dir)
    if cache.startswith(tempfile.gettempdir()) and not getattr(_escpos, "cleanup", False):
        atexit.register(shutil.rmtree, cache, True)
        _escpos.cleanup = True  # type: ignore[attr-defined]
    return escpos.printer


def width_px(profile: str, paper_mm: int) -> int:
    """Printable dots across the paper for ``profile`` (or ``paper_mm`` if it does not say)."""
    printer = _escpos().Dummy(profile=profile)
    pixels = printer.profile.profile_data.get("media", {}).get("width", {}).get("pixels")
    if isinstance(pixels, int) and pixels > 0:
        return pixels
    return DOTS_BY_PAPER_MM.get(paper_mm, 576)


def _check_width(image: Image.Image, width: int) -> None:
    if image.width > width:
        raise ValueError(f"image is {image.width} dots wide, the paper takes {width}")


def _render(printer: Any, image: Image.Image, copies: int) -> None:
    for _ in range(copies):
        printer.image(image, impl=IMAGE_IMPL, center=False)
        printer.cut()


def encode_image(image: Image.Image, profile: str, copies: int = 1) -> bytes:
    """The exact ESC/POS bytes ``print_image`` sends for ``image`` (python-escpos's Dummy)."""
    dummy = _escpos().Dummy(profile=profile)
    _render(dummy, image, copies)
    return bytes(dummy.output)


def parse_status(online: bytes, cause: bytes, paper: bytes) -> PrinterStatus:
    """Turn DLE EOT 1/2/4 answers into a status.

    The transport is already open when this is asked, so a printer that does not answer at all
    is there but does not report status (some cheap models): UNKNOWN, printing goes ahead.
    """
    if not online:
        return PrinterStatus(PrinterState.UNKNOWN, "no answer to DLE EOT 1")
    if cause and cause[0] & 0x04:
        return PrinterStatus(PrinterState.COVER_OPEN)
    if (paper and paper[0] & 0x60) or (cause and cause[0] & 0x20):
        return PrinterStatus(PrinterState.PAPER_OUT)
    if online[0] & 0x08:
        return PrinterStatus(PrinterState.OFFLINE, "printer reports offline")
    if paper and paper[0] & 0x0C:
        return PrinterStatus(PrinterState.PAPER_LOW)
    return PrinterStatus(PrinterState.READY)


class EscposPrinter:
    def __init__(self, connection: str, profile: str = "TM-T20II", paper_mm: int = 80) -> None:
        self.connection = connection
        self.profile = profile
        self.paper_mm = paper_mm
        self._url = urlparse(connection)
        if self._url.scheme not in ("tcp", "usb", "serial", "cups"):
            raise ValueError(
                f"receipt printer connection {connection!r}: use tcp://, usb://, "
                "serial:// or cups://"
            )
        self._lock = threading.Lock()
        self._width: int | None = None

    @property
    def width_px(self) -> int:
        if self._width is None:
            self._width = width_px(self.profile, self.paper_mm)
        return self._width

    def _open(self, job_name: str = "tps-kiosk") -> Any:
        """Open the transport; raise PrinterOffline when the printer is not there."""
        printer_mod = _escpos()
        from escpos.exceptions import DeviceNotFoundError

        url = self._url
        try:
            if url.scheme == "tcp":
                printer = printer_mod.Network(
                    url.hostname or "127.0.0.1", url.port or 9100, timeout=5, profile=self.profile
                )
                printer.open()
            elif url.scheme == "usb":
                vid, pid = (int(x, 16) for x in url.netloc.split(":"))
                printer = printer_mod.Usb(vid, pid, timeout=5000, profile=self.profile)
                printer.open()
            elif url.scheme == "serial":
                baud = int(parse_qs(url.query).get("baudrate", ["19200"])[0])
                printer = printer_mod.Serial(
                    url.path, baudrate=baud, timeout=2, profile=self.profile
                )
                printer.open()
            else:
                printer = printer_mod.CupsPrinter(url.netloc, profile=self.profile)
                # Without an explicit open(job_name) CupsPrinter.close() drops the job silently.
                printer.open(job_name=job_name)
        except (DeviceNotFoundError, OSError, RuntimeError, ValueError) as exc:
            raise PrinterOffline(f"{self.connection}: {exc}") from exc
        return printer

    def _query(self, printer: Any) -> PrinterStatus:
        if self._url.scheme == "tcp":
            printer.device.settimeout(STATUS_TIMEOUT_S)
        answers = []
        for n in (1, 2, 4):
            try:
                answers.append(bytes(printer.query_status(b"\x10\x04" + bytes([n]))))
            except TimeoutError:
                answers.append(b"")
            if not answers[0]:
                break  # a printer that ignores DLE EOT 1 ignores the others too
        answers += [b""] * (3 - len(answers))
        return parse_status(*answers)

    def status(self) -> PrinterStatus:
        if self._url.scheme == "cups":
            return PrinterStatus(PrinterState.UNKNOWN, "status goes through CUPS")
        with self._lock:
            try:
                printer = self._open()
            except PrinterOffline as exc:
                return PrinterStatus(PrinterState.OFFLINE, str(exc))
            try:
                return self._query(printer)
            except (OSError, PrinterError) as exc:
                return PrinterStatus(PrinterState.OFFLINE, str(exc))
            finally:
                printer.close()

    def print_image(self, image: Image.Image, copies: int = 1) -> None:
        _check_width(image, self.width_px)
        with self._lock:
            printer = self._open()
            try:
                if self._url.scheme != "cups":
                    # Ask before sending, so a job never disappears into a printer without paper.
                    status = self._query(printer)
                    if status.state is PrinterState.PAPER_OUT:
                        raise PaperOut(self.connection)
                    if status.state is PrinterState.COVER_OPEN:
                        raise PrinterCoverOpen(self.connection)
                    if status.state is PrinterState.OFFLINE:
                        raise PrinterOffline(f"{self.connection}: {status.detail}")
                _render(printer, image, copies)
            except OSError as exc:
                raise PrintFailed(f"{self.connection}: {exc}") from exc
            finally:
                try:
                    printer.close()
                except OSError as exc:
                    log.warning("closing %s: %s", self.connection, exc)
