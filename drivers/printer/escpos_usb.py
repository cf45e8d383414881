"""ESC/POS over USB: ``usb://VID:PID`` (hex ids; ``?in_ep=0x81&out_ep=0x02`` if the printer's
endpoints differ from 0x82/0x01), python-escpos's Usb through pyusb."""

from __future__ import annotations

import errno
from typing import Any
from urllib.parse import ParseResult, parse_qs

from drivers.printer.escpos_link import BAD_ADDRESS, WRITE_TIMEOUT_S, EscposLink


class UsbLink(EscposLink):
    scheme = "usb"

    def __init__(self, url: ParseResult) -> None:
        super().__init__(url)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        try:
            vid, pid = url.netloc.split(":")
            self.vid, self.pid = int(vid, 16), int(pid, 16)
            self.in_ep = int(query.get("in_ep", "0x82"), 16)
            self.out_ep = int(query.get("out_ep", "0x01"), 16)
        except ValueError as exc:
            raise ValueError(f"receipt printer connection {self.where!r}: {BAD_ADDRESS}") from exc

    def make(self, printers: Any, profile: str, timeout_s: float) -> Any:
        return printers.Usb(
            self.vid,
            self.pid,
            timeout=int(WRITE_TIMEOUT_S * 1000),  # pyusb write timeout, milliseconds
            in_ep=self.in_ep,
            out_ep=self.out_ep,
            profile=profile,
        )

    def no_answer(self, exc: Exception) -> bool:
        """A printer without a readable IN endpoint fails the read itself (ValueError,
        USBError, pyusb's USBTimeoutError); one that was unplugged fails with ENODEV: gone."""
        return super().no_answer(exc) or getattr(exc, "errno", None) != errno.ENODEV
