"""The trainer's device faults: put a fake device (or the simulated network) into a fault state
so that KPPS meet the kiosk's guidance screen when they next print, scan or tap their card.

Only the fakes take trainer verbs (the ``Simulated…`` protocols of drivers: ``set_state``,
``fail_next``, ``remove``); a device that is real or configured "none" refuses its faults
(``TrainingCode.FAULT_UNAVAILABLE``). The faults themselves never raise here: each error is
raised by the device when the KPPS use it, and ``kiosk.views.errors`` turns it into guidance
with one next action.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from drivers.card import SimulatedCardReader
from drivers.errors import CardRemoved, ScannerJammed
from drivers.printer import PrinterState, SimulatedPrinter
from drivers.scanner import SimulatedScanner
from kiosk.devices import Devices
from kiosk.refusals import Refused
from kiosk.training.network import NetworkSwitch
from kiosk.training.refusals import TrainingCode


class Fault(enum.Enum):
    RECEIPT_PAPER_OUT = "receipt_paper_out"
    RECEIPT_COVER_OPEN = "receipt_cover_open"
    RECEIPT_READY = "receipt_ready"
    A4_PAPER_OUT = "a4_paper_out"
    A4_COVER_OPEN = "a4_cover_open"
    A4_READY = "a4_ready"
    SCANNER_JAM = "scanner_jam"
    SCANNER_WRONG_SHEET = "scanner_wrong_sheet"  # the next scan feeds another ballot's sheet
    # The next scan's sheet differs from the sample in one box (drivers.scanner.fake.paper_slip:
    # the first vote box's last digit one more), so the third reader disagrees with the entry.
    SCANNER_PAPER_DIFFERS = "scanner_paper_differs"
    SCANNER_READY = "scanner_ready"
    CARD_REMOVED = "card_removed"
    CARD_READY = "card_ready"
    NETWORK_DOWN = "network_down"
    NETWORK_UP = "network_up"


_PRINTER_STATES = {
    Fault.RECEIPT_PAPER_OUT: PrinterState.PAPER_OUT,
    Fault.RECEIPT_COVER_OPEN: PrinterState.COVER_OPEN,
    Fault.RECEIPT_READY: PrinterState.READY,
    Fault.A4_PAPER_OUT: PrinterState.PAPER_OUT,
    Fault.A4_COVER_OPEN: PrinterState.COVER_OPEN,
    Fault.A4_READY: PrinterState.READY,
}
_RECEIPT = {Fault.RECEIPT_PAPER_OUT, Fault.RECEIPT_COVER_OPEN, Fault.RECEIPT_READY}


@dataclass(frozen=True)
class FaultState:
    """What the trainer's panel shows: each simulated device as it is now."""

    receipt_printer: str  # a PrinterState value, or "" without a fake receipt printer
    document_printer: str
    scanner_jam: bool
    scanner_wrong_sheet: bool  # the next scan delivers another ballot's sheet
    scanner_paper_differs: bool  # the next scan's paper differs from the sample in one box
    card_removed: bool  # the next card read will fail as pulled out
    network_down: bool


def _printers(devices: Devices) -> list[SimulatedPrinter]:
    found: list[SimulatedPrinter] = []
    for printer in (devices.receipt_printer, devices.document_printer):
        if isinstance(printer, SimulatedPrinter):
            found.append(printer)
    return found


def _printer(devices: Devices, fault: Fault) -> SimulatedPrinter:
    name = "receipt_printer" if fault in _RECEIPT else "document_printer"
    printer = getattr(devices, name)
    if not isinstance(printer, SimulatedPrinter):
        raise Refused(TrainingCode.FAULT_UNAVAILABLE, device=name)
    return printer


def _scanner(devices: Devices) -> SimulatedScanner:
    if not isinstance(devices.scanner, SimulatedScanner):
        raise Refused(TrainingCode.FAULT_UNAVAILABLE, device="scanner")
    return devices.scanner


def _card_reader(devices: Devices) -> SimulatedCardReader:
    if not isinstance(devices.card_reader, SimulatedCardReader):
        raise Refused(TrainingCode.FAULT_UNAVAILABLE, device="card_reader")
    return devices.card_reader


def apply_fault(
    fault: Fault, devices: Devices, switch: NetworkSwitch, by: str, at: dt.datetime
) -> None:
    """Set (or clear) one simulated fault, as the trainer ``by`` did at ``at``."""
    if fault in _PRINTER_STATES:
        _printer(devices, fault).set_state(_PRINTER_STATES[fault])
    elif fault is Fault.SCANNER_JAM:
        _scanner(devices).fail_next(ScannerJammed("simulasi: paper jammed in the feeder"))
    elif fault is Fault.SCANNER_WRONG_SHEET:
        _scanner(devices).feed_wrong_sheet()
    elif fault is Fault.SCANNER_PAPER_DIFFERS:
        _scanner(devices).feed_paper_differs()
    elif fault is Fault.SCANNER_READY:
        scanner = _scanner(devices)
        scanner.clear_fault()
        scanner.feed_wrong_sheet(False)
        scanner.feed_paper_differs(False)
    elif fault is Fault.CARD_REMOVED:
        reader = _card_reader(devices)
        # A card on the reader now is pulled out (its officer is logged out, as in real life);
        # the next card tapped is pulled out while it is being read.
        reader.remove()
        reader.fail_next(CardRemoved("simulasi: card pulled out while being read"))
    elif fault is Fault.CARD_READY:
        _card_reader(devices).clear_fault()
    else:
        switch.set_down(fault is Fault.NETWORK_DOWN, by, at)


def clear_device_faults(devices: Devices) -> int:
    """Every fake device back to ready, no fault pending, no printout kept (for "Reset
    latihan"); returns how many printout files were deleted."""
    printouts = 0
    for printer in _printers(devices):
        printouts += printer.clear_jobs()
        printer.set_state(PrinterState.READY)
    if isinstance(devices.scanner, SimulatedScanner):
        devices.scanner.clear_fault()
        devices.scanner.feed_wrong_sheet(False)
        devices.scanner.feed_paper_differs(False)
    if isinstance(devices.card_reader, SimulatedCardReader):
        devices.card_reader.clear_fault()
    return printouts


def fault_state(devices: Devices, switch: NetworkSwitch) -> FaultState:
    def printer_state(printer: object) -> str:
        return printer.status().state.value if isinstance(printer, SimulatedPrinter) else ""

    scanner, reader = devices.scanner, devices.card_reader
    return FaultState(
        receipt_printer=printer_state(devices.receipt_printer),
        document_printer=printer_state(devices.document_printer),
        scanner_jam=isinstance(scanner, SimulatedScanner)
        and isinstance(scanner.pending_fault, ScannerJammed),
        scanner_wrong_sheet=isinstance(scanner, SimulatedScanner) and scanner.wrong_sheet_next,
        scanner_paper_differs=isinstance(scanner, SimulatedScanner) and scanner.paper_differs_next,
        card_removed=isinstance(reader, SimulatedCardReader)
        and isinstance(reader.pending_fault, CardRemoved),
        network_down=switch.down(),
    )
