"""The trainer's device faults: put a fake device (or the simulated network) into a fault state
so that KPPS meet the kiosk's guidance screen when they next print, scan or tap their card.

Only the fakes have trainer verbs (``set_state``, ``fail_next``, ``remove``); a kiosk with any
real device refuses every fault (``FaultUnavailable``), as does a kiosk outside training mode.
The faults themselves never raise here: each error is raised by the device when the KPPS use
it, and ``kiosk.views.errors`` turns it into guidance with one next action.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from drivers.card.fake import FakeCardReader
from drivers.errors import CardRemoved, ScannerJammed
from drivers.printer import PrinterState
from drivers.printer.fake import FakeDocumentPrinter, FakeReceiptPrinter
from drivers.scanner.fake import FakeScanner
from kiosk.audit import Actor, AuditLog, Event
from kiosk.clock import Clock
from kiosk.db import Database
from kiosk.devices import Devices
from kiosk.training import NotTraining
from kiosk.training.network import network_down, set_network_down


class Fault(enum.Enum):
    RECEIPT_PAPER_OUT = "receipt_paper_out"
    RECEIPT_COVER_OPEN = "receipt_cover_open"
    RECEIPT_READY = "receipt_ready"
    A4_PAPER_OUT = "a4_paper_out"
    A4_COVER_OPEN = "a4_cover_open"
    A4_READY = "a4_ready"
    SCANNER_JAM = "scanner_jam"
    SCANNER_READY = "scanner_ready"
    CARD_REMOVED = "card_removed"
    CARD_READY = "card_ready"
    NETWORK_DOWN = "network_down"
    NETWORK_UP = "network_up"


class FaultUnavailable(Exception):
    """The device this fault needs is not a fake on this kiosk (real, or configured "none")."""


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
    card_removed: bool  # the next card read will fail as pulled out
    network_down: bool


def _fake_receipt(devices: Devices) -> FakeReceiptPrinter:
    printer = devices.receipt_printer
    if not isinstance(printer, FakeReceiptPrinter):
        raise FaultUnavailable("receipt_printer")
    return printer


def _fake_a4(devices: Devices) -> FakeDocumentPrinter:
    printer = devices.document_printer
    if not isinstance(printer, FakeDocumentPrinter):
        raise FaultUnavailable("document_printer")
    return printer


def _fake_scanner(devices: Devices) -> FakeScanner:
    if not isinstance(devices.scanner, FakeScanner):
        raise FaultUnavailable("scanner")
    return devices.scanner


def _fake_card_reader(devices: Devices) -> FakeCardReader:
    if not isinstance(devices.card_reader, FakeCardReader):
        raise FaultUnavailable("card_reader")
    return devices.card_reader


def apply_fault(
    fault: Fault,
    devices: Devices,
    db: Database,
    clock: Clock,
    audit: AuditLog,
    by: Actor,
    training: bool,
) -> None:
    """Set (or clear) one simulated fault and audit it as done by the trainer ``by``."""
    if not training or not devices.all_fake:
        raise NotTraining(fault.value)
    if fault in _PRINTER_STATES:
        printer = _fake_receipt(devices) if fault in _RECEIPT else _fake_a4(devices)
        printer.set_state(_PRINTER_STATES[fault])
    elif fault is Fault.SCANNER_JAM:
        _fake_scanner(devices).fail_next(ScannerJammed("simulasi: paper jammed in the feeder"))
    elif fault is Fault.SCANNER_READY:
        _fake_scanner(devices).clear_fault()
    elif fault is Fault.CARD_REMOVED:
        reader = _fake_card_reader(devices)
        # A card on the reader now is pulled out (its officer is logged out, as in real life);
        # the next card tapped is pulled out while it is being read.
        reader.remove()
        reader.fail_next(CardRemoved("simulasi: card pulled out while being read"))
    elif fault is Fault.CARD_READY:
        _fake_card_reader(devices).clear_fault()
    else:
        set_network_down(db, clock, fault is Fault.NETWORK_DOWN, by.officer.id)
    audit.record_for(Event.TRAINING_FAULT, by, fault=fault.value)


def clear_device_faults(devices: Devices) -> None:
    """Every fake device back to ready, no fault pending (for "Reset latihan")."""
    for printer in (devices.receipt_printer, devices.document_printer):
        if isinstance(printer, FakeReceiptPrinter | FakeDocumentPrinter):
            printer.set_state(PrinterState.READY)
    if isinstance(devices.scanner, FakeScanner):
        devices.scanner.clear_fault()
    if isinstance(devices.card_reader, FakeCardReader):
        devices.card_reader.clear_fault()


def fault_state(devices: Devices, db: Database) -> FaultState:
    def printer_state(printer: object) -> str:
        if isinstance(printer, FakeReceiptPrinter | FakeDocumentPrinter):
            return printer.status().state.value
        return ""

    scanner, reader = devices.scanner, devices.card_reader
    return FaultState(
        receipt_printer=printer_state(devices.receipt_printer),
        document_printer=printer_state(devices.document_printer),
        scanner_jam=isinstance(scanner, FakeScanner)
        and isinstance(scanner.pending_fault, ScannerJammed),
        card_removed=isinstance(reader, FakeCardReader)
        and isinstance(reader.pending_fault, CardRemoved),
        network_down=network_down(db),
    )
