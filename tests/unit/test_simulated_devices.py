"""The trainer's verbs are protocols of drivers/ that only the fakes take, and a printer state
means the same error everywhere (``drivers.printer.error_for``)."""

from __future__ import annotations

import pytest
from PIL import Image

from drivers.card import SimulatedCardReader
from drivers.card.fake import FakeCardReader
from drivers.card.pcsc_adapter import PcscCardReader
from drivers.errors import PaperOut, PrinterCoverOpen, PrinterOffline
from drivers.gpio import SimulatedPanel
from drivers.gpio.gpiozero_adapter import GpiozeroPanel, MockPanel
from drivers.printer import PrinterState, PrinterStatus, SimulatedPrinter, error_for, refuse
from drivers.printer.cups_adapter import CupsPrinter
from drivers.printer.escpos_adapter import EscposPrinter
from drivers.printer.fake import FakeDocumentPrinter, FakeReceiptPrinter
from drivers.scanner import SimulatedScanner
from drivers.scanner.fake import FakeScanner
from drivers.scanner.sane_adapter import SaneScanner


def test_only_the_fakes_take_the_trainers_verbs(tmp_path):
    assert isinstance(FakeReceiptPrinter(tmp_path), SimulatedPrinter)
    assert isinstance(FakeDocumentPrinter(tmp_path), SimulatedPrinter)
    assert isinstance(FakeScanner(), SimulatedScanner)
    assert isinstance(FakeCardReader(), SimulatedCardReader)
    # The real adapters, built without touching hardware (no __init__): none takes them.
    assert not isinstance(EscposPrinter("tcp://127.0.0.1:9100"), SimulatedPrinter)
    assert not isinstance(CupsPrinter("queue"), SimulatedPrinter)
    assert not isinstance(object.__new__(SaneScanner), SimulatedScanner)
    assert not isinstance(object.__new__(PcscCardReader), SimulatedCardReader)
    assert not isinstance(object.__new__(GpiozeroPanel), SimulatedPanel)
    assert hasattr(MockPanel, "press_button")  # the fake panel: GpiozeroPanel on mock pins


@pytest.mark.parametrize(
    ("state", "error"),
    [
        (PrinterState.PAPER_OUT, PaperOut),
        (PrinterState.COVER_OPEN, PrinterCoverOpen),
        (PrinterState.OFFLINE, PrinterOffline),
        (PrinterState.READY, None),
        (PrinterState.PAPER_LOW, None),
        (PrinterState.BUSY, None),
        (PrinterState.UNKNOWN, None),
    ],
)
def test_one_map_from_printer_state_to_error(state, error, tmp_path):
    assert error_for(state) is error
    fake = FakeReceiptPrinter(tmp_path)
    fake.set_state(state)
    if error is None:
        refuse(PrinterStatus(state, "x"), "printer")
        return
    with pytest.raises(error, match="printer: x"):
        refuse(PrinterStatus(state, "x"), "printer")
    with pytest.raises(error):  # the fake meets the same error in that state
        fake.print_image(Image.new("1", (fake.width_px, 8), 1))
