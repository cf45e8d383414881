"""ESC/POS over Ethernet: ``tcp://HOST:PORT`` (usually port 9100), python-escpos's Network."""

from __future__ import annotations

import socket
from typing import Any

from drivers.printer import PrinterStatus
from drivers.printer.escpos_link import STATUS_TIMEOUT_S, WRITE_TIMEOUT_S, EscposLink


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


class TcpLink(EscposLink):
    scheme = "tcp"

    def make(self, printers: Any, profile: str, timeout_s: float) -> Any:
        host, port = self.url.hostname or "127.0.0.1", self.url.port or 9100
        return printers.Network(host, port, timeout=timeout_s, profile=profile)

    def query(self, printer: Any) -> PrinterStatus:
        # Status answers come within STATUS_TIMEOUT_S; the job's writes may take much longer.
        printer.device.settimeout(STATUS_TIMEOUT_S)
        status = super().query(printer)
        printer.device.settimeout(WRITE_TIMEOUT_S)
        return status

    def close(self, printer: Any) -> None:
        if printer.device:
            _drain(printer.device)
        printer.close()
