"""ESC/POS thermal receipt printers through python-escpos: the only module that imports escpos.

Connections: ``tcp://HOST:PORT`` (Ethernet, usually port 9100), ``usb://VID:PID`` (hex ids;
``?in_ep=0x81&out_ep=0x02`` if the printer's endpoints differ from 0x82/0x01),
``serial:///dev/ttyUSB0?baudrate=19200`` and ``cups://QUEUE`` (a raw CUPS queue; "" = the CUPS
default). Every job starts with ESC @ (initialize, python-escpos's ``hw("INIT")``); images are
printed as GS v 0 raster; the width in dots comes from the python-escpos printer profile
(TM-T20II: 576 dots on 80 mm paper at 203 dpi) or, if the profile has none, from the paper width
(58 mm: 384 dots, 80 mm: 576 dots).

Status uses the real-time requests DLE EOT n (ESC/POS): n=1 printer (bit 3 offline), n=2 offline
cause (bit 2 cover open, bit 5 paper end), n=4 roll sensor (bits 2-3 near end, bits 5-6 end).
A raw CUPS queue cannot carry answers back, so cups:// asks CUPS for the queue's state instead.
"""

from __future__ import annotations

import atexit
import errno
import functools
import logging
import shutil
import socket
import tempfile
import threading
from pathlib import Path
from typing import Any
from urllib.parse import ParseResult, parse_qs, urlparse

from PIL import Image, ImageOps

from drivers.errors import PaperOut, PrinterCoverOpen, PrinterOffline
from drivers.printer import PrinterState, PrinterStatus

log = logging.getLogger(__name__)

DOTS_BY_PAPER_MM = {58: 384, 80: 576}  # 203 dpi heads: 48 mm and 72 mm printable
STATUS_TIMEOUT_S = 1.0  # printers answer real-time requests within milliseconds
# A long receipt drains at 50-150 mm/s, and one image fragment (960 dots, 120 mm) is one write.
WRITE_TIMEOUT_S = 30.0
IMAGE_IMPL = "bitImageRaster"  # GS v 0
FRAGMENT_DOTS = 960  # python-escpos sends taller images as several GS v 0 blocks of this height
JOB_NAME = "tps-kiosk-struk"
SCHEMES = ("tcp", "usb", "serial", "cups")
# Every DLE EOT answer has the form 0xx1xx10: anything else is not a status byte.
_FIXED_MASK, _FIXED_BITS = 0x93, 0x12


@functools.cache
def _escpos() -> Any:
    """``escpos.printer``, imported on first use; PrinterOffline when python-escpos is missing."""
    try:
        import escpos.capabilities
        import escpos.printer
    except ImportError as exc:
        raise PrinterOffline("python-escpos is not installed") from exc
    # escpos.capabilities makes a temp dir for its profile cache at every import (even when
    # ESCPOS_CAPABILITIES_PICKLE_DIR is set); remove the one this process made when it exits.
    cache = Path(str(escpos.capabilities.pickle_dir))
    if cache.parent == Path(tempfile.gettempdir()) and cache.name.startswith("tmp"):
        atexit.register(shutil.rmtree, cache, True)
    return escpos.printer


def escpos_available() -> bool:
    """Whether python-escpos can be imported (the fake printer works without it)."""
    try:
        _escpos()
    except PrinterOffline:
        return False
    return True


def _profile_width(profile: str) -> int | None:
    try:
        dummy = _escpos().Dummy(profile=profile)
    except KeyError as exc:
        raise ValueError(f"unknown python-escpos printer profile {profile!r}") from exc
    pixels = dummy.profile.profile_data.get("media", {}).get("width", {}).get("pixels")
    return pixels if isinstance(pixels, int) and pixels > 0 else None


def width_px(profile: str, paper_mm: int) -> int:
    """Printable dots across the paper for ``profile``, or for ``paper_mm`` if it does not say."""
    pixels = _profile_width(profile)
    if pixels is not None:
        return pixels
    if paper_mm not in DOTS_BY_PAPER_MM:
        raise ValueError(f"paper width {paper_mm} mm: use 58 or 80, or a profile with a width")
    return DOTS_BY_PAPER_MM[paper_mm]


def _fit_profile(printer: Any, width: int) -> Any:
    """Give ``printer``'s profile our width in dots, on a copy of the shared profile data.

    python-escpos print()s a warning to stdout on every image() when the profile has no width,
    and checks images against the profile's width: with ours, both agree with ``width_px``.
    """
    data = printer.profile.profile_data
    media = dict(data.get("media", {}))
    media["width"] = {**media.get("width", {}), "pixels": width}
    printer.profile.profile_data = {**data, "media": media}
    return printer


def _check_width(image: Image.Image, width: int) -> None:
    if image.width > width:
        raise ValueError(f"image is {image.width} dots wide, the paper takes {width}")


def _render(printer: Any, image: Image.Image, copies: int) -> None:
    # ESC @ first: a mode left over from another host's job (or a half job cut off by a power
    # cut) must not change how this one prints.
    printer.hw("INIT")
    for _ in range(copies):
        printer.image(image, impl=IMAGE_IMPL, fragment_height=FRAGMENT_DOTS, center=False)
        printer.cut()


def encode_image(image: Image.Image, profile: str, paper_mm: int = 80, copies: int = 1) -> bytes:
    """The exact ESC/POS bytes ``print_image`` sends for ``image`` (python-escpos's Dummy).

    Raises ValueError when the image is wider than the paper, PrinterOffline without escpos.
    """
    if copies < 1:
        raise ValueError(f"copies = {copies}: print at least one")
    width = width_px(profile, paper_mm)
    _check_width(image, width)
    dummy = _fit_profile(_escpos().Dummy(profile=profile), width)
    _render(dummy, image, copies)
    return bytes(dummy.output)


def printed_dots(image: Image.Image) -> Image.Image:
    """What comes out of the printer for ``image``: a '1' image, 0 = black dot.

    The same steps python-escpos takes (transparent to white, grey, invert, Floyd-Steinberg to
    1 bit, one FRAGMENT_DOTS block at a time), in plain Pillow so that the fake printer can draw
    the paper without python-escpos.
    """
    rgba = image.convert("RGBA")
    flat = Image.new("RGB", rgba.size, (255, 255, 255))
    flat.paste(rgba, mask=rgba.getchannel("A"))
    inverted = ImageOps.invert(flat.convert("L"))
    out = Image.new("1", image.size, 1)
    for top in range(0, image.height, FRAGMENT_DOTS):
        block = inverted.crop((0, top, image.width, min(top + FRAGMENT_DOTS, image.height)))
        dots = block.convert("1")  # 255 = a dot, dithered like python-escpos does
        out.paste(ImageOps.invert(dots.convert("L")).convert("1"), (0, top))
    return out


def _status_byte(answer: bytes) -> int | None:
    if len(answer) != 1 or answer[0] & _FIXED_MASK != _FIXED_BITS:
        return None
    return answer[0]


def parse_status(online: bytes, cause: bytes, paper: bytes) -> PrinterStatus:
    """Turn the answers to DLE EOT 1, 2 and 4 (one byte each, b"" = none) into a status.

    The transport is already open when this is asked, so a printer that does not answer at all
    is there but does not report status (some cheap models): UNKNOWN, and printing goes ahead.
    """
    first = _status_byte(online)
    if first is None:
        return PrinterStatus(PrinterState.UNKNOWN, f"no status answer to DLE EOT 1: {online!r}")
    reason = _status_byte(cause) or 0
    roll = _status_byte(paper) or 0
    if reason & 0x04:
        return PrinterStatus(PrinterState.COVER_OPEN, "DLE EOT 2 bit 2")
    if roll & 0x60 or reason & 0x20:
        return PrinterStatus(PrinterState.PAPER_OUT, "paper end sensor")
    if first & 0x08:
        return PrinterStatus(PrinterState.OFFLINE, f"printer reports offline ({reason:#04x})")
    if roll & 0x0C:
        return PrinterStatus(PrinterState.PAPER_LOW, "paper near-end sensor")
    return PrinterStatus(PrinterState.READY)


def _no_answer(exc: Exception, scheme: str) -> bool:
    """Whether a failed status read means "does not report status" rather than "gone".

    A read times out on a printer that ignores DLE EOT (socket timeout, pyusb's USBTimeoutError);
    a USB printer without a readable IN endpoint fails the read itself (ValueError, USBError).
    A USB device that was unplugged fails with ENODEV: that one is gone.
    """
    if isinstance(exc, TimeoutError) or getattr(exc, "errno", None) == errno.ETIMEDOUT:
        return True
    return scheme == "usb" and getattr(exc, "errno", None) != errno.ENODEV


def _drain(sock: socket.socket) -> None:
    """Read what the printer sent unasked (a late status answer) before closing.

    Linux answers close() on a socket with unread input with a reset, which can throw away the
    end of the job still in the send buffer.
    """
    try:
        sock.setblocking(False)
        while sock.recv(4096):
            pass
    except OSError:
        pass


def _address_numbers(url: ParseResult) -> dict[str, int]:
    """USB ids and endpoints, or the serial baud rate, from the connection URL."""
    query = {k: v[-1] for k, v in parse_qs(url.query).items()}
    try:
        if url.scheme == "usb":
            vid, pid = url.netloc.split(":")
            return {
                "vid": int(vid, 16),
                "pid": int(pid, 16),
                "in_ep": int(query.get("in_ep", "0x82"), 16),
                "out_ep": int(query.get("out_ep", "0x01"), 16),
            }
        if url.scheme == "serial":
            return {"baudrate": int(query.get("baudrate", "19200"))}
    except ValueError as exc:
        raise ValueError(
            f"receipt printer connection {url.geturl()!r}: use usb://VID:PID (hex ids) "
            "or serial:///dev/DEVICE?baudrate=N"
        ) from exc
    return {}


class EscposPrinter:
    """An ESC/POS receipt printer at ``connection`` (see the module docstring for the forms).

    One connection per call: the printer is free for other hosts between jobs, and a printer
    that was switched off and on again is simply found again.
    """

    def __init__(self, connection: str, profile: str = "TM-T20II", paper_mm: int = 80) -> None:
        self.connection = connection
        self.profile = profile
        self.paper_mm = paper_mm
        self._url = urlparse(connection)
        if self._url.scheme not in SCHEMES:
            raise ValueError(
                f"receipt printer connection {connection!r}: use tcp://HOST:PORT, "
                "usb://VID:PID, serial:///dev/DEVICE?baudrate=N or cups://QUEUE"
            )
        self._ints = _address_numbers(self._url)
        self._lock = threading.Lock()
        self._width: int | None = None

    @property
    def width_px(self) -> int:
        """Printable width in dots (from the profile, else from ``paper_mm``)."""
        if self._width is None:
            self._width = width_px(self.profile, self.paper_mm)
        return self._width

    def _open(self, timeout_s: float) -> Any:
        """Open the transport, waiting at most ``timeout_s`` seconds to connect (TCP).

        Raises PrinterOffline when the printer is not there.
        """
        printer_mod = _escpos()
        from escpos.exceptions import DeviceNotFoundError

        url, width = self._url, self.width_px
        try:
            if url.scheme == "tcp":
                host, port = url.hostname or "127.0.0.1", url.port or 9100
                printer = printer_mod.Network(host, port, timeout=timeout_s, profile=self.profile)
            elif url.scheme == "usb":
                printer = printer_mod.Usb(
                    self._ints["vid"],
                    self._ints["pid"],
                    timeout=int(WRITE_TIMEOUT_S * 1000),  # pyusb write timeout, milliseconds
                    in_ep=self._ints["in_ep"],
                    out_ep=self._ints["out_ep"],
                    profile=self.profile,
                )
            elif url.scheme == "serial":
                printer = printer_mod.Serial(
                    url.path,
                    baudrate=self._ints["baudrate"],
                    timeout=STATUS_TIMEOUT_S,  # pyserial read timeout, seconds
                    profile=self.profile,
                )
            else:
                printer = printer_mod.CupsPrinter(url.netloc, profile=self.profile)
            _fit_profile(printer, width)
            if url.scheme == "cups":
                # Without an explicit open(job_name) CupsPrinter.close() drops the job silently.
                printer.open(job_name=JOB_NAME)
            else:
                printer.open()
            if url.scheme == "serial":
                # With DSR/DTR flow control a printer out of paper would block a write forever.
                printer.device.write_timeout = WRITE_TIMEOUT_S
        except (DeviceNotFoundError, OSError, RuntimeError, ValueError) as exc:
            # RuntimeError: python-escpos without pyusb/pyserial/pycups for this transport;
            # ValueError: pyusb's NoBackendError (no libusb).
            raise PrinterOffline(f"{self.connection}: {exc}") from exc
        return printer

    def _query(self, printer: Any) -> PrinterStatus:
        """Ask DLE EOT 1, 2, 4 on the open transport, waiting STATUS_TIMEOUT_S for each answer."""
        if self._url.scheme == "tcp":
            printer.device.settimeout(STATUS_TIMEOUT_S)
        answers: list[bytes] = []
        for n in (1, 2, 4):
            try:
                answers.append(bytes(printer.query_status(b"\x10\x04" + bytes([n]))))
            except (OSError, ValueError) as exc:
                if not _no_answer(exc, self._url.scheme):
                    raise
                answers.append(b"")
            if _status_byte(answers[0]) is None:
                break  # a printer that ignores DLE EOT 1 ignores the others too
        answers += [b""] * (3 - len(answers))
        if self._url.scheme == "tcp":
            printer.device.settimeout(WRITE_TIMEOUT_S)
        return parse_status(*answers)

    def _cups_status(self) -> PrinterStatus:
        from drivers.printer.cups_adapter import CupsPrinter

        return CupsPrinter(self._url.netloc).status()

    def status(self) -> PrinterStatus:
        """The printer's state, asked in real time; OFFLINE when it cannot be reached."""
        if self._url.scheme == "cups":
            return self._cups_status()
        with self._lock:
            try:
                printer = self._open(STATUS_TIMEOUT_S)
            except PrinterOffline as exc:
                return PrinterStatus(PrinterState.OFFLINE, exc.detail)
            try:
                return self._query(printer)
            except OSError as exc:
                return PrinterStatus(PrinterState.OFFLINE, f"{self.connection}: {exc}")
            finally:
                self._close(printer)

    def print_image(self, image: Image.Image, copies: int = 1) -> None:
        """Print ``image`` (at most ``width_px`` dots wide) ``copies`` times, cutting after each.

        The status is asked first, so a job never disappears into a printer without paper.
        Raises PaperOut, PrinterCoverOpen or PrinterOffline (also when the connection is lost
        during the job); ValueError for an image wider than the paper.
        """
        _check_width(image, self.width_px)
        if copies < 1:
            raise ValueError(f"copies = {copies}: print at least one")
        with self._lock:
            status = self._cups_status() if self._url.scheme == "cups" else None
            if status is not None:
                _refuse(status, self.connection)
            printer = self._open(WRITE_TIMEOUT_S)
            try:
                if status is None:
                    _refuse(self._query(printer), self.connection)
                _render(printer, image, copies)
                if self._url.scheme == "cups":
                    self._send_to_cups(printer)
            except OSError as exc:
                raise PrinterOffline(f"{self.connection}: lost during the job: {exc}") from exc
            finally:
                self._close(printer)

    def _send_to_cups(self, printer: Any) -> None:
        """Hand the job to CUPS now, so that CUPS errors are raised here, translated."""
        from drivers.printer.cups_adapter import cups_errors, translate_cups_error

        try:
            printer.close()
        except cups_errors() as exc:
            raise translate_cups_error(exc, self._url.netloc) from exc

    def _close(self, printer: Any) -> None:
        try:
            if self._url.scheme == "cups":
                # Still pending only when the job failed half-way: CupsPrinter.close() would
                # submit the half job, so drop it.
                printer.pending_job = False
            elif self._url.scheme == "tcp" and printer.device:
                _drain(printer.device)
            printer.close()
        except OSError as exc:
            log.warning("closing %s: %s", self.connection, exc)


def _refuse(status: PrinterStatus, connection: str) -> None:
    """Raise the error that matches a status in which nothing can be printed."""
    if status.state is PrinterState.PAPER_OUT:
        raise PaperOut(f"{connection}: {status.detail}")
    if status.state is PrinterState.COVER_OPEN:
        raise PrinterCoverOpen(f"{connection}: {status.detail}")
    if status.state is PrinterState.OFFLINE:
        raise PrinterOffline(f"{connection}: {status.detail}")
