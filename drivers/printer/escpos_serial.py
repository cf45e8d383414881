"""ESC/POS over a serial line: ``serial:///dev/ttyUSB0?baudrate=19200``, python-escpos's
Serial through pyserial."""

from __future__ import annotations

from typing import Any
from urllib.parse import ParseResult, parse_qs

from drivers.printer.escpos_link import BAD_ADDRESS, STATUS_TIMEOUT_S, WRITE_TIMEOUT_S, EscposLink


class SerialLink(EscposLink):
    scheme = "serial"

    def __init__(self, url: ParseResult) -> None:
        super().__init__(url)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        try:
            self.baudrate = int(query.get("baudrate", "19200"))
        except ValueError as exc:
            raise ValueError(f"receipt printer connection {self.where!r}: {BAD_ADDRESS}") from exc

    def make(self, printers: Any, profile: str, timeout_s: float) -> Any:
        return printers.Serial(
            self.url.path,
            baudrate=self.baudrate,
            timeout=STATUS_TIMEOUT_S,  # pyserial read timeout, seconds
            profile=profile,
        )

    def open(self, printer: Any) -> None:
        printer.open()
        # With DSR/DTR flow control a printer out of paper would block a write forever.
        printer.device.write_timeout = WRITE_TIMEOUT_S
