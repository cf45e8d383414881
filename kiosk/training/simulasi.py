"""The fake devices' panel (demo and training): tap a card, press the button, see the lights
and what the fake printers would have printed.

Only on a kiosk whose devices are all fakes (``available``); the trainer's verbs are the
``Simulated…`` protocols of drivers, so a real device is never driven from here.
"""

from __future__ import annotations

from pathlib import Path

from drivers.card import SimulatedCardReader
from drivers.gpio import Led, SimulatedPanel
from kiosk.devices import Devices

# Cards a trainer can tap in demo mode (UIDs in the 7-byte NFC form).
DEMO_CARDS = (
    ("04A1B2C3D4E5F6", "Ketua KPPS"),
    ("04A1B2C3D4E5F7", "Anggota KPPS"),
    ("04A1B2C3D4E5F8", "Operator Sirekap"),
)
PRINTOUT_SUFFIXES = (".png", ".pdf")


class SimulasiService:
    def __init__(self, devices: Devices) -> None:
        self._devices = devices

    @property
    def available(self) -> bool:
        """Every device is a fake (or absent): demo or training."""
        return self._devices.all_fake

    @property
    def demo_cards(self) -> tuple[tuple[str, str], ...]:
        """(UID, who) of each card the panel offers to tap."""
        return DEMO_CARDS

    def card_uid(self) -> str | None:
        """The UID of the card lying on the fake reader, if any."""
        reader = self._devices.card_reader
        card = reader.wait_for_card(0) if reader is not None else None
        return card.uid if card is not None else None

    def tap_card(self, uid: str) -> None:
        """Put a demo card on the reader; any other ``uid`` (or "") takes the card off."""
        reader = self._devices.card_reader
        if not isinstance(reader, SimulatedCardReader):
            return
        if uid and uid in {u for u, _ in DEMO_CARDS}:
            reader.insert(uid)
        else:
            reader.remove()

    def press_button(self) -> None:
        panel = self._devices.panel
        if isinstance(panel, SimulatedPanel):
            panel.press_button()

    def leds(self) -> dict[str, str]:
        """Each status light's state by name (none without a panel)."""
        panel = self._devices.panel
        if panel is None:
            return {}
        return {led.value: panel.led_state(led).value for led in Led}

    @property
    def output_dir(self) -> Path:
        """Where the fake printers keep what they printed."""
        return self._devices.config.fake_output_dir

    def printouts(self) -> list[str]:
        """The file names of what the fake printers printed, newest first."""
        out_dir = self.output_dir
        if not out_dir.is_dir():
            return []
        files = [p for p in out_dir.iterdir() if p.suffix in PRINTOUT_SUFFIXES and p.is_file()]
        return [p.name for p in sorted(files, key=lambda p: p.stat().st_mtime, reverse=True)]
