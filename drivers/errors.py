"""The one error tree for every device.

Adapters translate vendor exceptions into these with ``raise ... from exc``. The kiosk maps each
class to an operator message in Bahasa Indonesia (``kiosk/errors.py``); the ``detail`` text here is
for logs and technicians, never shown to KPPS as is.
"""

from __future__ import annotations


class DeviceError(Exception):
    """Base of every device failure. ``device`` names the device kind ("scanner", ...).

    ``role`` names which of the kiosk's devices failed, as the registry's settings name them
    ("receipt_printer", "document_printer", "scanner", "card_reader", "panel"). One adapter
    class cannot know it (the fake and the CUPS printer serve either role), so the code that
    holds the device sets it where it uses the device; None: not said.
    """

    device = "device"

    def __init__(self, detail: str = "", role: str | None = None) -> None:
        super().__init__(detail or type(self).__name__)
        self.detail = detail
        self.role = role


class DeviceUnavailable(DeviceError):
    """The device (or its daemon) cannot be reached at all: unplugged, off, wrong address."""


# Scanner -----------------------------------------------------------------------------------------
class ScannerError(DeviceError):
    device = "scanner"


class ScannerNotFound(ScannerError, DeviceUnavailable):
    """No scanner answers at the configured SANE device name."""


class AdfEmpty(ScannerError):
    """The document feeder has no paper."""


class ScannerJammed(ScannerError):
    """Paper jammed in the document feeder."""


class ScannerCoverOpen(ScannerError):
    """The scanner lid or feeder cover is open."""


class ScanCancelled(ScannerError):
    """The scan was cancelled (by the operator or the device)."""


class ScannerLost(ScannerError):
    """The scanner stopped answering during a scan (cable, power, I/O error)."""


class ScannerBusy(ScannerError):
    """The scanner is in use by another scan."""


# Printers ----------------------------------------------------------------------------------------
class PrinterError(DeviceError):
    device = "printer"


class PrinterOffline(PrinterError, DeviceUnavailable):
    """The printer (or its print server) does not answer."""


class PaperOut(PrinterError):
    """The printer reports no paper."""


class PrinterCoverOpen(PrinterError):
    """The printer reports its cover open."""


class PrintFailed(PrinterError):
    """The print job was refused, cancelled or aborted by the printer or the print server."""


# Card reader -------------------------------------------------------------------------------------
class CardError(DeviceError):
    device = "card_reader"


class CardReaderUnavailable(CardError, DeviceUnavailable):
    """No card reader, or the PC/SC daemon is not running."""


class CardRemoved(CardError):
    """The card was pulled out while it was being read."""


class CardUnreadable(CardError):
    """A card is present but did not answer as expected (wrong card type, dirty contacts)."""


# GPIO --------------------------------------------------------------------------------------------
class GpioError(DeviceError):
    device = "gpio"


class GpioUnavailable(GpioError, DeviceUnavailable):
    """No GPIO pin library or pins cannot be claimed."""
