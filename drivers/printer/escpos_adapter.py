"""ESC/POS thermal receipt printers through python-escpos: the only module that imports escpos.

Connections: ``tcp://HOST:PORT`` (Ethernet, usually port 9100), ``usb://VID:PID`` (hex ids;
``?in_ep=0x81&out_ep=0x02`` if the printer's endpoints differ from 0x82/0x01),
``serial:///dev/ttyUSB0?baudrate=19200`` and ``cups://QUEUE`` (a raw CUPS queue; "" = the CUPS
default). Each transport is a link class of its own (``escpos_link`` and one module per
scheme), chosen once from the URL. Every job starts with ESC @ (initialize, python-escpos's
``hw("INIT")``); images are printed as GS v 0 raster; the width in dots comes from the
python-escpos printer profile (TM-T20II: 576 dots on 80 mm paper at 203 dpi) or, if the
profile has none, from the paper width (58 mm: 384 dots, 80 mm: 576 dots).

python-escpos loads when a receipt is printed or the printer asked, not before: importing
``escpos.printer`` brings pycups, pyusb, pyserial, PyYAML, python-barcode and qrcode (about
12 MB RSS, which a process keeps), and every receipt the kiosk draws needs only the width,
read from python-escpos's own profile file (``capabilities.json``) without importing it.
"""

from __future__ import annotations

import atexit
import functools
import importlib.util
import json
import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from PIL import Image, ImageOps

from drivers.errors import PrinterOffline
from drivers.printer import PrinterState, PrinterStatus, refuse
from drivers.printer.escpos_cups import CupsLink
from drivers.printer.escpos_link import STATUS_TIMEOUT_S, WRITE_TIMEOUT_S, EscposLink
from drivers.printer.escpos_serial import SerialLink
from drivers.printer.escpos_tcp import TcpLink
from drivers.printer.escpos_usb import UsbLink

log = logging.getLogger(__name__)

DOTS_BY_PAPER_MM = {58: 384, 80: 576}  # 203 dpi heads: 48 mm and 72 mm printable
IMAGE_IMPL = "bitImageRaster"  # GS v 0
FRAGMENT_DOTS = 960  # python-escpos sends taller images as several GS v 0 blocks of this height
LINKS: dict[str, type[EscposLink]] = {
    link.scheme: link for link in (TcpLink, UsbLink, SerialLink, CupsLink)
}


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


def _not_found() -> type[Exception]:
    from escpos.exceptions import DeviceNotFoundError

    return DeviceNotFoundError  # type: ignore[no-any-return]


def _escpos_package() -> Path | None:
    """python-escpos's package folder, found without importing it; None when not installed."""
    try:
        spec = importlib.util.find_spec("escpos")
    except (ImportError, ValueError):
        return None
    return Path(spec.origin).parent if spec is not None and spec.origin else None


def escpos_available() -> bool:
    """Whether python-escpos is installed (the fake printer works without it); it is not
    imported here."""
    return _escpos_package() is not None


@functools.cache
def _profiles(package: Path) -> dict[str, Any]:
    """python-escpos's printer profiles by name, from the file ``escpos.capabilities`` reads."""
    profiles: dict[str, Any] = json.loads(
        (package / "capabilities.json").read_text(encoding="utf-8")
    )["profiles"]
    return profiles


def _profile_width(profile: str) -> int | None:
    package = _escpos_package()
    if package is None or os.environ.get("ESCPOS_CAPABILITIES_FILE"):
        # A profile file of one's own may be YAML: python-escpos reads it; without
        # python-escpos, _escpos says so (PrinterOffline).
        try:
            data = _escpos().Dummy(profile=profile).profile.profile_data
        except KeyError as exc:
            raise ValueError(f"unknown python-escpos printer profile {profile!r}") from exc
    else:
        data = _profiles(package).get(profile)
        if data is None:
            raise ValueError(f"unknown python-escpos printer profile {profile!r}")
    pixels = data.get("media", {}).get("width", {}).get("pixels")
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


class EscposPrinter:
    """An ESC/POS receipt printer at ``connection`` (see the module docstring for the forms).

    One connection per call: the printer is free for other hosts between jobs, and a printer
    that was switched off and on again is simply found again.
    """

    def __init__(self, connection: str, profile: str = "TM-T20II", paper_mm: int = 80) -> None:
        self.connection = connection
        self.profile = profile
        self.paper_mm = paper_mm
        url = urlparse(connection)
        if url.scheme not in LINKS:
            raise ValueError(
                f"receipt printer connection {connection!r}: use tcp://HOST:PORT, "
                "usb://VID:PID, serial:///dev/DEVICE?baudrate=N or cups://QUEUE"
            )
        self._link = LINKS[url.scheme](url)
        self._lock = threading.Lock()
        self._width: int | None = None

    @property
    def width_px(self) -> int:
        """Printable width in dots (from the profile, else from ``paper_mm``)."""
        if self._width is None:
            self._width = width_px(self.profile, self.paper_mm)
        return self._width

    def _open(self, timeout_s: float) -> Any:
        """Open the link, waiting at most ``timeout_s`` seconds to connect (TCP).

        Raises PrinterOffline when the printer is not there.
        """
        printers, not_found, width = _escpos(), _not_found(), self.width_px
        try:
            printer = _fit_profile(self._link.make(printers, self.profile, timeout_s), width)
            self._link.open(printer)
        except (not_found, OSError, RuntimeError, ValueError) as exc:
            # RuntimeError: python-escpos without pyusb/pyserial/pycups for this transport;
            # ValueError: pyusb's NoBackendError (no libusb).
            raise PrinterOffline(f"{self.connection}: {exc}") from exc
        return printer

    def status(self) -> PrinterStatus:
        """The printer's state, asked in real time; OFFLINE when it cannot be reached."""
        spooler = self._link.spooler_status()
        if spooler is not None:
            return spooler
        with self._lock:
            try:
                printer = self._open(STATUS_TIMEOUT_S)
            except PrinterOffline as exc:
                return PrinterStatus(PrinterState.OFFLINE, exc.detail)
            try:
                return self._link.query(printer)
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
            spooler = self._link.spooler_status()
            if spooler is not None:
                refuse(spooler, self.connection)
            printer = self._open(WRITE_TIMEOUT_S)
            try:
                if spooler is None:
                    refuse(self._link.query(printer), self.connection)
                _render(printer, image, copies)
                self._link.hand_over(printer)
            except OSError as exc:
                raise PrinterOffline(f"{self.connection}: lost during the job: {exc}") from exc
            finally:
                self._close(printer)

    def _close(self, printer: Any) -> None:
        try:
            self._link.close(printer)
        except OSError as exc:
            log.warning("closing %s: %s", self.connection, exc)
