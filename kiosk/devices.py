"""The kiosk's open devices, built once per app from the settings through drivers.registry."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from drivers import registry
from drivers.card import CardReader
from drivers.errors import DeviceError
from drivers.gpio import StatusPanel
from drivers.printer import DocumentPrinter, ReceiptPrinter
from drivers.registry import DeviceConfig
from drivers.scanner import Scanner

log = logging.getLogger(__name__)


@dataclass
class Devices:
    """Adapters for each device; None where the device is configured as "none".

    Adapters are cheap to build and only touch hardware when used, so a missing device shows up
    as an error on use (and in the self-test), never as a kiosk that does not start. The GPIO
    panel claims its pins when opened: its failure is kept in ``panel_error``.
    """

    config: DeviceConfig
    scanner: Scanner | None
    receipt_printer: ReceiptPrinter | None
    document_printer: DocumentPrinter | None
    card_reader: CardReader | None
    panel: StatusPanel | None
    panel_error: DeviceError | None = None

    @property
    def all_fake(self) -> bool:
        c = self.config
        kinds = (c.scanner, c.receipt_printer, c.document_printer, c.card_reader, c.panel)
        return all(kind in ("fake", "none") for kind in kinds)

    def close(self) -> None:
        if self.panel is not None:
            self.panel.close()


def open_devices(config: DeviceConfig) -> Devices:
    panel: StatusPanel | None = None
    panel_error: DeviceError | None = None
    try:
        panel = registry.open_panel(config)
    except DeviceError as exc:
        log.warning("status panel unavailable: %s", exc)
        panel_error = exc
    return Devices(
        config=config,
        scanner=registry.open_scanner(config),
        receipt_printer=registry.open_receipt_printer(config),
        document_printer=registry.open_document_printer(config),
        card_reader=registry.open_card_reader(config),
        panel=panel,
        panel_error=panel_error,
    )
