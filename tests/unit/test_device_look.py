"""A device fault clears as soon as the device is seen well again (kiosk.services.device_look):
a printer by a status request, the card reader by its watch; a device that cannot be asked
without using it keeps its fault; a slow device is not asked on every page."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from drivers.card.fake import FakeCardReader
from drivers.errors import PrinterOffline
from drivers.printer import PrinterState, PrinterStatus
from drivers.printer.fake import FakeDocumentPrinter
from kiosk.services.card_watch import CardWatch
from kiosk.services.device_look import LOOK_EVERY_S, DeviceLook
from kiosk.services.status import DeviceFaults

WHERE = ("POST", "/checklist/report/opening")


class Ticks:
    """A monotonic clock the test moves (a slow printer moves it too)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class SlowPrinter:
    def __init__(self, ticks: Ticks, took_s: float) -> None:
        self.ticks, self.took_s, self.calls = ticks, took_s, 0
        self.state = PrinterState.OFFLINE

    def status(self) -> PrinterStatus:
        self.calls += 1
        self.ticks.now += self.took_s
        if self.state is PrinterState.OFFLINE:
            raise PrinterOffline("usb: no such device")
        return PrinterStatus(self.state)


def test_a_printer_fault_clears_when_a_status_request_finds_it_ready(tmp_path: Path) -> None:
    printer = FakeDocumentPrinter(tmp_path)
    faults = DeviceFaults(DeviceLook({"document_printer": printer}, None).works)
    printer.set_state(PrinterState.PAPER_OUT)
    faults.failed("document_printer", "PaperOut", None, WHERE)
    assert faults.since(None) == {"document_printer": "PaperOut"}
    printer.set_state(PrinterState.PAPER_LOW)  # a new roll, not full: it prints
    assert faults.since(None) == {}
    printer.set_state(PrinterState.PAPER_OUT)
    assert faults.since(None) == {}  # gone for good until it fails in use again
    printer.set_state(PrinterState.UNKNOWN)  # says nothing either way: the fault stays
    faults.failed("document_printer", "PaperOut", None, WHERE)
    assert faults.since(None) == {"document_printer": "PaperOut"}
    faults.worked(WHERE)  # the same request succeeded
    assert faults.since(None) == {}


def test_a_device_that_cannot_be_asked_keeps_its_fault(tmp_path: Path) -> None:
    faults = DeviceFaults(
        DeviceLook({"document_printer": FakeDocumentPrinter(tmp_path)}, None).works
    )
    faults.failed("scanner", "ScannerJammed", None, ("POST", "/chasil/DPR/scan"))
    assert faults.since(None) == {"scanner": "ScannerJammed"}


def test_a_slow_printer_is_asked_again_only_after_a_rest() -> None:
    ticks = Ticks()
    printer = SlowPrinter(ticks, took_s=2.0)  # runs into its status timeout
    look = DeviceLook({"receipt_printer": printer}, None, monotonic=ticks)
    assert look.works("receipt_printer") is False
    assert look.works("receipt_printer") is None  # resting: the page does not wait again
    assert printer.calls == 1
    ticks.now += LOOK_EVERY_S
    printer.state, printer.took_s = PrinterState.READY, 0.01
    assert look.works("receipt_printer") is True
    assert look.works("receipt_printer") is True  # quick answers are asked every time
    assert printer.calls == 3


def test_the_card_reader_is_well_once_it_answers_again() -> None:
    reader = FakeCardReader()
    watch = CardWatch(reader, on_removed=lambda uid: None)
    look = DeviceLook({}, watch)
    reader.set_unavailable(True)
    watch.start()
    try:
        assert _eventually(lambda: watch.error is not None)
        assert look.works("card_reader") is False
        reader.set_unavailable(False)  # plugged back in, no card on it
        assert _eventually(lambda: look.works("card_reader") is True)
    finally:
        watch.stop()
    assert DeviceLook({}, None).works("card_reader") is False  # no reader at all


def _eventually(condition: Callable[[], bool], timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False
