"""Kiosk-level errors, and the one table that turns any error into operator guidance.

Every message says what happened and what to do next, in the operator's language (Bahasa
Indonesia first); ``action`` tells the screen which single button to offer.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from drivers import errors as dev
from kiosk.lazy_text import LazyString  # not flask_babel's: the worker loads no Flask
from kiosk.lazy_text import lazy_gettext as _l

# Views name device failures through this module (they import no drivers).
DeviceError = dev.DeviceError

# The kiosk's devices by role, as a fault names them ("Printer A4: Kertas habis"). The same
# words as the self-test's check names, so the catalogue says them once.
DEVICE_NAMES: dict[str, LazyString] = {
    "receipt_printer": _l("Receipt printer"),
    "document_printer": _l("A4 printer"),
    "scanner": _l("Scanner"),
    "card_reader": _l("Card reader"),
    "panel": _l("Status lights and button"),
}
# The printers by the names a print target goes by ("receipt", "a4").
PRINTER_ROLES = {"receipt": "receipt_printer", "a4": "document_printer"}
# The role of a device kind that the kiosk has only one of.
_ONLY_ONE = {"scanner": "scanner", "card_reader": "card_reader", "gpio": "panel"}


@contextmanager
def on_device(role: str) -> Iterator[None]:
    """Label a device failure inside the block with the device's ``role`` (a key of
    DEVICE_NAMES), for the guidance page and the status strip; the error is re-raised."""
    assert role in DEVICE_NAMES, role
    try:
        yield
    except dev.DeviceError as exc:
        if exc.role is None:
            exc.role = role
        raise


def device_role(error: dev.DeviceError) -> str | None:
    """Which of the kiosk's devices failed: the label set where it was used, else the only
    device of its kind; None for a printer nobody labelled."""
    return error.role or _ONLY_ONE.get(error.device)


class KioskError(Exception):
    """Base of failures that are the kiosk's own (not a device's)."""


class StorageFull(KioskError):
    """The data partition has no room left; nothing already stored is lost."""


class DataDirNotWritable(KioskError):
    """The data directory cannot be written (read-only card, wrong owner)."""


class DatabaseMissing(KioskError):
    """The database of a provisioned kiosk is gone, emptied or replaced by a fresh one
    (kiosk.integrity); the signed documents on disk are intact."""


class DatabaseCorrupt(KioskError):
    """The database file is damaged (SQLITE_CORRUPT, SQLITE_NOTADB, a failed quick_check)."""


class Action(enum.Enum):
    RETRY = "retry"  # the operator can fix it and press Ulangi
    CONTINUE = "continue"  # the kiosk works on without this device
    TECHNICIAN = "technician"  # only a technician can fix it


@dataclass(frozen=True)
class Guidance:
    title: LazyString
    text: LazyString
    action: Action


GUIDANCE: dict[type[BaseException], Guidance] = {
    dev.ScannerNotFound: Guidance(
        _l("Scanner not found"),
        _l("Check that the scanner is switched on and its cable is plugged in, then press Retry."),
        Action.RETRY,
    ),
    dev.AdfEmpty: Guidance(
        _l("The document feeder is empty"),
        _l("Put the sheets face down in the feeder, then press Retry."),
        Action.RETRY,
    ),
    dev.ScannerJammed: Guidance(
        _l("Paper is jammed in the scanner"),
        _l("Open the feeder, pull the sheet out gently, put it back, then press Retry."),
        Action.RETRY,
    ),
    dev.ScannerCoverOpen: Guidance(
        _l("The scanner cover is open"),
        _l("Close the scanner cover, then press Retry."),
        Action.RETRY,
    ),
    dev.ScanCancelled: Guidance(
        _l("Scanning was cancelled"),
        _l("Nothing was lost. Press Retry to scan again."),
        Action.RETRY,
    ),
    dev.ScannerLost: Guidance(
        _l("The scanner stopped responding"),
        _l(
            "Check the scanner's cable and power, then press Retry. "
            "Pages already accepted are kept."
        ),
        Action.RETRY,
    ),
    dev.ScannerBusy: Guidance(
        _l("The scanner is busy"),
        _l("Another scan is running. Wait until it finishes, then press Retry."),
        Action.RETRY,
    ),
    dev.PaperOut: Guidance(
        _l("Paper is out"),
        _l(
            "Load new paper into the printer, then press Retry. "
            "Only the copies not yet printed will be printed."
        ),
        Action.RETRY,
    ),
    dev.PrinterCoverOpen: Guidance(
        _l("The printer cover is open"),
        _l("Close the printer cover firmly, then press Retry."),
        Action.RETRY,
    ),
    dev.PrinterOffline: Guidance(
        _l("The printer does not respond"),
        _l("Check that the printer is switched on and its cable is plugged in, then press Retry."),
        Action.RETRY,
    ),
    dev.PrintFailed: Guidance(
        _l("The printer refused the job"),
        _l("Press Retry. If it happens again, call the technician."),
        Action.RETRY,
    ),
    dev.CardReaderUnavailable: Guidance(
        _l("Card reader not found"),
        _l(
            "Check the card reader's cable. You can log in with your PIN meanwhile; "
            "tell the technician."
        ),
        Action.CONTINUE,
    ),
    dev.CardRemoved: Guidance(
        _l("The card was removed too early"),
        _l("Put the card back and leave it in until your name appears."),
        Action.RETRY,
    ),
    dev.CardUnreadable: Guidance(
        _l("This card cannot be read"),
        _l(
            "Take the card out, put it back in the right way up, and try again. "
            "You can also log in with your PIN."
        ),
        Action.RETRY,
    ),
    dev.GpioUnavailable: Guidance(
        _l("The status lights do not work"),
        _l("The kiosk works without them. Tell the technician."),
        Action.CONTINUE,
    ),
    dev.DeviceUnavailable: Guidance(
        _l("A device does not respond"),
        _l("Check its cable and power, then press Retry."),
        Action.RETRY,
    ),
    dev.DeviceError: Guidance(
        _l("A device reported an error"),
        _l("Press Retry. If it happens again, call the technician."),
        Action.RETRY,
    ),
    StorageFull: Guidance(
        _l("Storage is full"),
        _l(
            "Everything saved so far is safe. Call the technician to free space; "
            "do not switch the kiosk off."
        ),
        Action.TECHNICIAN,
    ),
    DataDirNotWritable: Guidance(
        _l("Data cannot be saved"),
        _l("The data storage cannot be written. Call the technician; do not switch the kiosk off."),
        Action.TECHNICIAN,
    ),
    DatabaseMissing: Guidance(
        _l("The kiosk database is missing or damaged"),
        _l(
            "Signed documents on the kiosk are safe. Call the technician: run tps-kiosk db restore."
        ),
        Action.TECHNICIAN,
    ),
    DatabaseCorrupt: Guidance(
        _l("The kiosk database is missing or damaged"),
        _l(
            "Signed documents on the kiosk are safe. Call the technician: run tps-kiosk db restore."
        ),
        Action.TECHNICIAN,
    ),
}


def guidance_for(error: BaseException) -> Guidance:
    """The guidance for an error: the entry of its class or of its nearest listed base class;
    a device failure's title names the device ("Printer A4: Kertas habis")."""
    for cls in type(error).__mro__:
        if cls in GUIDANCE:
            found = GUIDANCE[cls]
            role = device_role(error) if isinstance(error, dev.DeviceError) else None
            if role is None:
                return found
            title = _l("%(device)s: %(problem)s", device=DEVICE_NAMES[role], problem=found.title)
            return Guidance(title, found.text, found.action)
    return Guidance(
        _l("Something went wrong"),
        _l(
            "Your data is safe. Go back to the home screen; if it happens again, "
            "call the technician."
        ),
        Action.TECHNICIAN,
    )


def guidance_by_name(class_name: str) -> Guidance | None:
    """Guidance for an error stored by class name (e.g. in a saved self-test report)."""
    for cls, guidance in GUIDANCE.items():
        if cls.__name__ == class_name:
            return guidance
    return None
