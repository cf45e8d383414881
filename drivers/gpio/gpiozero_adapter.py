"""The status panel through gpiozero: the only module that imports gpiozero.

Wiring (BCM numbers, defaults in ``PanelPins``): three LEDs from pin to ground through a resistor
(ready 17, network 27, queue 22), an active buzzer on 23, and a push button from 24 to ground
(internal pull-up, so pressed == low). The fake panel is this same adapter on gpiozero's
MockFactory pins: only the transport is simulated.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from drivers.errors import GpioUnavailable
from drivers.gpio import Led, LedState, PanelPins

log = logging.getLogger(__name__)


class GpiozeroPanel:
    """LEDs, buzzer and button on GPIO. ``pin_factory`` None = gpiozero's default for the board."""

    def __init__(self, pins: PanelPins, pin_factory: Any = None) -> None:
        self.pins = pins
        self.pin_factory = pin_factory
        try:
            from gpiozero import LED, Button, Buzzer
            from gpiozero.exc import GPIOZeroError
        except ImportError as exc:
            raise GpioUnavailable("gpiozero is not installed") from exc
        self._states = dict.fromkeys(Led, LedState.OFF)
        self._lock = threading.Lock()
        self._devices: list[Any] = []
        try:
            self._leds = {
                Led.READY: self._claim(LED, pins.led_ready),
                Led.NETWORK: self._claim(LED, pins.led_network),
                Led.QUEUE: self._claim(LED, pins.led_queue),
            }
            self._buzzer = self._claim(Buzzer, pins.buzzer)
            self._button = self._claim(Button, pins.button)
        except (GPIOZeroError, OSError, RuntimeError) as exc:
            self.close()
            raise GpioUnavailable(f"cannot claim GPIO pins: {exc}") from exc

    def _claim(self, cls: Any, pin: int) -> Any:
        device = cls(pin, pin_factory=self.pin_factory)
        self._devices.append(device)
        return device

    def set_led(self, led: Led, state: LedState) -> None:
        with self._lock:
            device = self._leds[led]
            if state is LedState.ON:
                device.on()
            elif state is LedState.OFF:
                device.off()
            else:
                device.blink(on_time=0.5, off_time=0.5, background=True)
            self._states[led] = state

    def led_state(self, led: Led) -> LedState:
        with self._lock:
            return self._states[led]

    def beep(self, times: int = 1, on_s: float = 0.1, off_s: float = 0.1) -> None:
        self._buzzer.blink(on_time=on_s, off_time=off_s, n=times, background=True)

    def wait_for_button(self, timeout_s: float) -> bool:
        return bool(self._button.wait_for_press(timeout=timeout_s))

    def close(self) -> None:
        for device in self._devices:
            device.close()
        self._devices.clear()


class MockPanel(GpiozeroPanel):
    """The fake panel: the real adapter on MockFactory pins, plus a trainer's button press."""

    def press_button(self, hold_s: float = 0.05) -> None:
        """Drive the button pin low (pressed) for ``hold_s`` seconds, then release it."""
        pin = self.pin_factory.pin(self.pins.button)
        pin.drive_low()
        threading.Timer(hold_s, pin.drive_high).start()

    def pin_state(self, pin: int) -> bool:
        """The level the panel drives on a pin (True = high)."""
        return bool(self.pin_factory.pin(pin).state)


def mock_panel(pins: PanelPins) -> MockPanel:
    """A panel on its own MockFactory, so it never touches the process-wide pin factory."""
    try:
        from gpiozero.pins.mock import MockFactory
    except ImportError as exc:
        raise GpioUnavailable("gpiozero is not installed") from exc
    return MockPanel(pins, MockFactory())
