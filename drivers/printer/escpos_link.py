"""How ``EscposPrinter`` reaches its printer: one link class per transport, over this base.

python-escpos has one printer class per transport (Network, Usb, Serial, CupsPrinter); so do
we, around them: ``escpos_tcp``, ``escpos_usb``, ``escpos_serial`` and ``escpos_cups``, chosen
once from the connection URL's scheme (``escpos_adapter.LINKS``). A link makes python-escpos's
printer object for its transport (``printers`` is the ``escpos.printer`` module, handed in by
``escpos_adapter``, the only module that imports python-escpos), opens and closes it, and reads
the printer's status.

Status uses the real-time requests DLE EOT n (ESC/POS): n=1 printer (bit 3 offline), n=2 offline
cause (bit 2 cover open, bit 5 paper end), n=4 roll sensor (bits 2-3 near end, bits 5-6 end).
"""

from __future__ import annotations

import errno
import logging
from typing import Any
from urllib.parse import ParseResult

from drivers.printer import PrinterState, PrinterStatus

log = logging.getLogger(__name__)

STATUS_TIMEOUT_S = 1.0  # printers answer real-time requests within milliseconds
# A long receipt drains at 50-150 mm/s, and one image fragment (960 dots, 120 mm) is one write.
WRITE_TIMEOUT_S = 30.0
# Every DLE EOT answer has the form 0xx1xx10: anything else is not a status byte.
_FIXED_MASK, _FIXED_BITS = 0x93, 0x12
BAD_ADDRESS = "use usb://VID:PID (hex ids) or serial:///dev/DEVICE?baudrate=N"


def status_byte(answer: bytes) -> int | None:
    if len(answer) != 1 or answer[0] & _FIXED_MASK != _FIXED_BITS:
        return None
    return answer[0]


def parse_status(online: bytes, cause: bytes, paper: bytes) -> PrinterStatus:
    """Turn the answers to DLE EOT 1, 2 and 4 (one byte each, b"" = none) into a status.

    The transport is already open when this is asked, so a printer that does not answer at all
    is there but does not report status (some cheap models): UNKNOWN, and printing goes ahead.
    """
    first = status_byte(online)
    if first is None:
        return PrinterStatus(PrinterState.UNKNOWN, f"no status answer to DLE EOT 1: {online!r}")
    reason = status_byte(cause) or 0
    roll = status_byte(paper) or 0
    if reason & 0x04:
        return PrinterStatus(PrinterState.COVER_OPEN, "DLE EOT 2 bit 2")
    if roll & 0x60 or reason & 0x20:
        return PrinterStatus(PrinterState.PAPER_OUT, "paper end sensor")
    if first & 0x08:
        return PrinterStatus(PrinterState.OFFLINE, f"printer reports offline ({reason:#04x})")
    if roll & 0x0C:
        return PrinterStatus(PrinterState.PAPER_LOW, "paper near-end sensor")
    return PrinterStatus(PrinterState.READY)


class EscposLink:
    """A link to one printer at ``url``; subclasses set ``scheme`` and make the printer."""

    scheme = ""

    def __init__(self, url: ParseResult) -> None:
        """Check the address now (ValueError), so a misconfigured kiosk says so at start."""
        self.url = url
        self.where = url.geturl()

    def make(self, printers: Any, profile: str, timeout_s: float) -> Any:
        """python-escpos's printer object for this transport, not yet open; ``timeout_s``:
        how long to wait for the printer to answer (seconds)."""
        raise NotImplementedError

    def open(self, printer: Any) -> None:
        printer.open()

    def spooler_status(self) -> PrinterStatus | None:
        """The print server's word on the printer, for links through one (CUPS); None: the
        printer itself is asked, on the open link (``query``)."""
        return None

    def query(self, printer: Any) -> PrinterStatus:
        """Ask DLE EOT 1, 2, 4 on the open link, waiting STATUS_TIMEOUT_S for each answer."""
        answers: list[bytes] = []
        for n in (1, 2, 4):
            try:
                answers.append(bytes(printer.query_status(b"\x10\x04" + bytes([n]))))
            except (OSError, ValueError) as exc:
                if not self.no_answer(exc):
                    raise
                answers.append(b"")
            if status_byte(answers[0]) is None:
                break  # a printer that ignores DLE EOT 1 ignores the others too
        answers += [b""] * (3 - len(answers))
        return parse_status(*answers)

    def no_answer(self, exc: Exception) -> bool:
        """Whether a failed status read means "does not report status" rather than "gone":
        a read times out on a printer that ignores DLE EOT."""
        return isinstance(exc, TimeoutError) or getattr(exc, "errno", None) == errno.ETIMEDOUT

    def hand_over(self, printer: Any) -> None:
        """The job's bytes are written: make sure they reach the printer (raises its errors)."""

    def close(self, printer: Any) -> None:
        printer.close()
