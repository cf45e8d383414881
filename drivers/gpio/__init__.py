"""Status panel protocol: three LEDs, a buzzer and one physical button on GPIO.

Adapters: ``gpiozero_adapter.GpiozeroPanel`` (real pins through gpiozero) and the fake, which is
the same adapter on gpiozero's MockFactory pins (``gpiozero_adapter.mock_panel``), which also
takes the trainer's verb of ``SimulatedPanel``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


class Led(enum.Enum):
    READY = "ready"  # power/ready
    NETWORK = "network"
    QUEUE = "queue"


class LedState(enum.Enum):
    OFF = "off"
    ON = "on"
    BLINK = "blink"


@dataclass(frozen=True)
class PanelPins:
    """BCM pin numbers of the status panel."""

    led_ready: int = 17
    led_network: int = 27
    led_queue: int = 22
    buzzer: int = 23
    button: int = 24


class StatusPanel(Protocol):
    def set_led(self, led: Led, state: LedState) -> None: ...

    def led_state(self, led: Led) -> LedState: ...

    def beep(self, times: int = 1, on_s: float = 0.1, off_s: float = 0.1) -> None:
        """Sound the buzzer ``times`` times in the background."""
        ...

    def wait_for_button(self, timeout_s: float) -> bool:
        """Return True when the button is pressed within ``timeout_s`` seconds."""
        ...

    def close(self) -> None:
        """Release the pins."""
        ...


@runtime_checkable
class SimulatedPanel(Protocol):
    """The trainer's verb on the fake panel (demo and training only)."""

    def press_button(self, hold_s: float = 0.05) -> None:
        """Press the button for ``hold_s`` seconds, then release it."""
        ...
