"""The one place that turns a device choice ("sane", "fake", "none", ...) into an adapter.

Adapter modules are imported only when chosen, so a vendor library that is not installed only
matters if its adapter is selected.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from drivers.card import CardReader
from drivers.gpio import PanelPins, StatusPanel
from drivers.printer import DocumentPrinter, ReceiptPrinter
from drivers.scanner import Scanner

SCANNERS = ("sane", "fake", "none")
RECEIPT_PRINTERS = ("escpos", "fake", "none")
DOCUMENT_PRINTERS = ("cups", "fake", "none")
CARD_READERS = ("pcsc", "fake", "none")
PANELS = ("gpiozero", "fake", "none")
FAKE_SCAN_PAGES = ("clean", "realistic")  # see drivers/scanner/fake.py


@dataclass(frozen=True)
class DeviceConfig:
    """Which adapter drives each device, and where the device is.

    ``fake_output_dir`` is where fake printers keep what they would have printed.
    """

    scanner: str = "fake"
    scanner_device: str = ""  # SANE device name, e.g. "epson2:libusb:001:004"; "" = first found
    scanner_options: Mapping[str, str | int | float] = field(default_factory=dict)
    receipt_printer: str = "fake"
    receipt_connection: str = "tcp://127.0.0.1:9100"
    receipt_profile: str = "TM-T20II"
    receipt_paper_mm: int = 80
    document_printer: str = "fake"
    cups_queue: str = ""  # "" = the CUPS default destination
    card_reader: str = "fake"
    card_reader_name: str = ""  # substring of the PC/SC reader name; "" = first reader
    panel: str = "fake"
    pins: PanelPins = field(default_factory=PanelPins)
    fake_output_dir: Path = Path("simulasi")
    fake_scan_pages: str = "realistic"


def _check(kind: str, choice: str, allowed: tuple[str, ...]) -> None:
    if choice not in allowed:
        raise ValueError(f"{kind} = {choice!r}: choose one of {', '.join(allowed)}")


def open_scanner(cfg: DeviceConfig) -> Scanner | None:
    _check("scanner", cfg.scanner, SCANNERS)
    if cfg.scanner == "sane":
        from drivers.scanner.sane_adapter import SaneScanner

        return SaneScanner(cfg.scanner_device, dict(cfg.scanner_options))
    if cfg.scanner == "fake":
        from drivers.scanner.fake import FakeScanner

        return FakeScanner(pages=cfg.fake_scan_pages)
    return None


def open_receipt_printer(cfg: DeviceConfig) -> ReceiptPrinter | None:
    _check("receipt_printer", cfg.receipt_printer, RECEIPT_PRINTERS)
    if cfg.receipt_printer == "escpos":
        from drivers.printer.escpos_adapter import EscposPrinter

        return EscposPrinter(cfg.receipt_connection, cfg.receipt_profile, cfg.receipt_paper_mm)
    if cfg.receipt_printer == "fake":
        from drivers.printer.fake import FakeReceiptPrinter

        return FakeReceiptPrinter(cfg.fake_output_dir, cfg.receipt_profile, cfg.receipt_paper_mm)
    return None


def open_document_printer(cfg: DeviceConfig) -> DocumentPrinter | None:
    _check("document_printer", cfg.document_printer, DOCUMENT_PRINTERS)
    if cfg.document_printer == "cups":
        from drivers.printer.cups_adapter import CupsPrinter

        return CupsPrinter(cfg.cups_queue)
    if cfg.document_printer == "fake":
        from drivers.printer.fake import FakeDocumentPrinter

        return FakeDocumentPrinter(cfg.fake_output_dir)
    return None


def open_card_reader(cfg: DeviceConfig) -> CardReader | None:
    _check("card_reader", cfg.card_reader, CARD_READERS)
    if cfg.card_reader == "pcsc":
        from drivers.card.pcsc_adapter import PcscCardReader

        return PcscCardReader(cfg.card_reader_name)
    if cfg.card_reader == "fake":
        from drivers.card.fake import FakeCardReader

        return FakeCardReader()
    return None


def open_panel(cfg: DeviceConfig) -> StatusPanel | None:
    """Open the status panel. Raises GpioUnavailable when gpiozero or the pins are missing."""
    _check("panel", cfg.panel, PANELS)
    if cfg.panel == "none":
        return None
    from drivers.gpio.gpiozero_adapter import GpiozeroPanel, mock_panel

    if cfg.panel == "fake":
        return mock_panel(cfg.pins)
    return GpiozeroPanel(cfg.pins)
