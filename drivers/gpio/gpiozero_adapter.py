"""The status panel through gpiozero: the only module that imports gpiozero.

Wiring (BCM numbers, defaults in ``PanelPins``): three LEDs from pin to ground through a resistor
(ready 17, network 27, queue 22), an active buzzer on 23 (high = sounding), and a push button from
24 to ground (internal pull-up, so pressed == low). The fake panel is this same adapter on
gpiozero's MockFactory pins: only the transport is simulated.

Every device gets its pin factory passed in rather than through the process-wide
``Device.pin_factory``, so a real panel and mock panels can live in one process (tests, trainer).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from drivers.errors import GpioUnavailable
from drivers.gpio import Led, LedState, PanelPins

log = logging.getLogger(__name__)

BLINK_ON_S = 0.5  # a blinking LED is lit for 0.5 s, then dark for 0.5 s
BLINK_OFF_S = 0.5


class GpiozeroPanel:
    """LEDs, buzzer and button on GPIO.

    ``pin_factory`` None = gpiozero's default for the board (lgpio on a Pi 5). Raises
    GpioUnavailable when gpiozero is missing, no pin factory loads (any non-Pi machine:
    BadPinFactory), or a pin is already claimed (GPIOPinInUse).
    """

    def __init__(self, pins: PanelPins, pin_factory: Any = None) -> None:
        self.pins = pins
        self.pin_factory = pin_factory
        try:
            from gpiozero import LED, Button, Buzzer
            from gpiozero.exc import GPIOZeroError
        except ImportError as exc:
            raise GpioUnavailable(f"gpiozero cannot be loaded: {exc}") from exc
        self._lock = threading.Lock()
        self._states = dict.fromkeys(Led, LedState.OFF)
        self._devices: list[Any] = []
        factory = pin_factory
        try:
            self._leds = {
                Led.READY: self._keep(LED(pins.led_ready, pin_factory=factory)),
                Led.NETWORK: self._keep(LED(pins.led_network, pin_factory=factory)),
                Led.QUEUE: self._keep(LED(pins.led_queue, pin_factory=factory)),
            }
            self._buzzer = self._keep(Buzzer(pins.buzzer, pin_factory=factory))
            self._button = self._keep(Button(pins.button, pull_up=True, pin_factory=factory))
        except (GPIOZeroError, OSError, RuntimeError) as exc:
            # BadPinFactory is also an ImportError, GPIOPinInUse a GPIOZeroError; OSError and
            # RuntimeError are what lgpio/RPi.GPIO raise without /dev/gpiochip access.
            self.close()
            raise GpioUnavailable(f"cannot claim GPIO pins: {exc}") from exc

    def _keep(self, device: Any) -> Any:
        self._devices.append(device)  # so a failure on a later pin still releases this one
        return device

    def set_led(self, led: Led, state: LedState) -> None:
        """Switch an LED on, off, or blinking in the background (BLINK_ON_S / BLINK_OFF_S)."""
        with self._lock:
            device = self._leds[led]
            if state is LedState.ON:
                device.on()
            elif state is LedState.OFF:
                device.off()
            else:
                device.blink(on_time=BLINK_ON_S, off_time=BLINK_OFF_S, background=True)
            self._states[led] = state

    def led_state(self, led: Led) -> LedState:
        with self._lock:
            return self._states[led]

    def beep(self, times: int = 1, on_s: float = 0.1, off_s: float = 0.1) -> None:
        """Sound the buzzer ``times`` times (``on_s`` s on, ``off_s`` s off); returns at once."""
        with self._lock:
            if not self._devices:  # closed: a late reminder must not start a blink thread
                return
            self._buzzer.blink(on_time=on_s, off_time=off_s, n=times, background=True)

    def wait_for_button(self, timeout_s: float) -> bool:
        """True when the button is pressed (pin 24 pulled low) within ``timeout_s`` seconds."""
        return bool(self._button.wait_for_press(timeout=timeout_s))

    def close(self) -> None:
        """Stop blinking and release every pin; a later panel may claim them again."""
        with self._lock:
            for device in self._devices:
                device.close()
            self._devices.clear()


class MockPanel(GpiozeroPanel):
    """The fake panel: the real adapter on MockFactory pins, plus a trainer's button press.

    ``pin_factory`` is the MockFactory: ``pin_factory.pin(17).state`` is the level on pin 17.
    """

    def press_button(self, hold_s: float = 0.05) -> None:
        """Drive the button pin low (pressed) for ``hold_s`` seconds, then release it."""
        pin = self.pin_factory.pin(self.pins.button)
        pin.drive_low()
        # Held briefly, not released at once, so code that reads is_pressed sees it too.
        release = threading.Timer(hold_s, pin.drive_high)
        release.daemon = True
        release.start()

    def pin_state(self, pin: int) -> bool:
        """The level on a BCM pin (True = high)."""
        return bool(self.pin_factory.pin(pin).state)


def mock_panel(pins: PanelPins) -> MockPanel:
    """A panel on its own MockFactory, so it never touches the process-wide pin factory."""
    try:
        from gpiozero.pins.mock import MockFactory
    except ImportError as exc:
        raise GpioUnavailable(f"gpiozero cannot be loaded: {exc}") from exc
    return MockPanel(pins, MockFactory())
