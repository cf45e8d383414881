"""The status panel contract: the real gpiozero adapter on MockFactory pins, and the fake panel.

Both run gpiozero's own device code; the assertions read the levels gpiozero put on the mock pins
(BCM numbers from PanelPins: LEDs 17/27/22, buzzer 23, button 24).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from gpiozero import Button, Device
from gpiozero.pins.mock import MockFactory

from drivers.errors import GpioUnavailable
from drivers.gpio import Led, LedState, PanelPins
from drivers.gpio.gpiozero_adapter import GpiozeroPanel, MockPanel, mock_panel

PINS = PanelPins()
LED_PINS = {Led.READY: PINS.led_ready, Led.NETWORK: PINS.led_network, Led.QUEUE: PINS.led_queue}


@pytest.fixture(params=["gpiozero-on-mockfactory", "fake"])
def panel_and_factory(request: pytest.FixtureRequest) -> Iterator[tuple[GpiozeroPanel, Any]]:
    if request.param == "fake":
        panel: GpiozeroPanel = mock_panel(PINS)
        factory = panel.pin_factory
    else:
        factory = MockFactory()
        panel = GpiozeroPanel(PINS, pin_factory=factory)
    yield panel, factory
    panel.close()


def _wait_until(condition: Callable[[], bool], timeout_s: float = 3) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


@pytest.mark.parametrize("led", list(Led))
def test_each_led_drives_its_own_pin(
    panel_and_factory: tuple[GpiozeroPanel, Any], led: Led
) -> None:
    panel, factory = panel_and_factory
    assert {pin: factory.pin(pin).state for pin in LED_PINS.values()} == dict.fromkeys(
        LED_PINS.values(), False
    )
    panel.set_led(led, LedState.ON)
    lit = {pin for pin in LED_PINS.values() if factory.pin(pin).state}
    assert lit == {LED_PINS[led]}
    assert panel.led_state(led) is LedState.ON
    panel.set_led(led, LedState.OFF)
    assert factory.pin(LED_PINS[led]).state is False
    assert panel.led_state(led) is LedState.OFF


def test_blinking_led_toggles_every_half_second(
    panel_and_factory: tuple[GpiozeroPanel, Any],
) -> None:
    panel, factory = panel_and_factory
    pin = factory.pin(PINS.led_queue)
    pin.clear_states()
    panel.set_led(Led.QUEUE, LedState.BLINK)
    assert panel.led_state(Led.QUEUE) is LedState.BLINK
    _wait_until(lambda: len(pin.states) >= 3)
    pin.assert_states([False, True, False])
    assert 0.45 <= pin.states[2].timestamp < 1.0  # seconds lit before going dark
    panel.set_led(Led.QUEUE, LedState.ON)  # stops the blinking
    pin.clear_states()
    time.sleep(0.6)  # longer than a blink period: any blinking left would show
    assert [s.state for s in pin.states] == [True]


def test_beep_sounds_the_buzzer_n_times(panel_and_factory: tuple[GpiozeroPanel, Any]) -> None:
    panel, factory = panel_and_factory
    pin = factory.pin(PINS.buzzer)
    pin.clear_states()
    started = time.monotonic()
    panel.beep(times=2, on_s=0.1, off_s=0.05)
    assert time.monotonic() - started < 0.05, "beep() must not block"
    _wait_until(lambda: len(pin.states) >= 5)
    # assert_states only compares as many states as both lists have, hence the length check.
    pin.assert_states([False, True, False, True, False])
    on_times = [pin.states[2].timestamp, pin.states[4].timestamp]
    assert all(0.09 <= t < 0.5 for t in on_times), on_times  # on_s is in seconds
    time.sleep(0.2)
    assert len(pin.states) == 5, "the buzzer went on after its two beeps"


def test_button_idles_high_and_a_press_pulls_it_low(
    panel_and_factory: tuple[GpiozeroPanel, Any],
) -> None:
    panel, factory = panel_and_factory
    pin = factory.pin(PINS.button)
    assert pin.state is True  # internal pull-up, button open
    pressed: list[bool] = []
    waiter = threading.Thread(target=lambda: pressed.append(panel.wait_for_button(5)))
    waiter.start()
    time.sleep(0.05)  # let the waiter block first; a press before the wait also counts
    pin.drive_low()  # the button shorts the pin to ground
    waiter.join(timeout=5)
    pin.drive_high()
    assert pressed == [True]


def test_button_wait_times_out(panel_and_factory: tuple[GpiozeroPanel, Any]) -> None:
    panel, _ = panel_and_factory
    started = time.monotonic()
    assert panel.wait_for_button(0.2) is False
    assert time.monotonic() - started >= 0.19


def test_close_releases_the_pins(panel_and_factory: tuple[GpiozeroPanel, Any]) -> None:
    panel, factory = panel_and_factory
    panel.close()
    again = GpiozeroPanel(PINS, pin_factory=factory)
    again.set_led(Led.READY, LedState.ON)
    assert factory.pin(PINS.led_ready).state is True
    again.close()


def test_a_beep_after_close_is_ignored(panel_and_factory: tuple[GpiozeroPanel, Any]) -> None:
    """A reminder that comes due while the kiosk shuts down must not start a blink thread on
    a closed buzzer (it used to raise in gpiozero's thread)."""
    panel, _factory = panel_and_factory
    panel.close()
    errors: list[BaseException | None] = []
    previous = threading.excepthook
    threading.excepthook = lambda args: errors.append(args.exc_value)
    try:
        panel.beep(times=3, on_s=0.05, off_s=0.05)
        time.sleep(0.4)
    finally:
        threading.excepthook = previous
    assert errors == []


def test_pin_in_use_is_unavailable_and_frees_the_pins_it_took() -> None:
    factory = MockFactory()
    other = Button(PINS.button, pin_factory=factory)  # someone else holds the button pin
    with pytest.raises(GpioUnavailable) as caught:
        GpiozeroPanel(PINS, pin_factory=factory)
    assert type(caught.value.__cause__).__name__ == "GPIOPinInUse"
    other.close()
    # The failed panel had claimed the LEDs and the buzzer before the clash, and let them go.
    panel = GpiozeroPanel(PINS, pin_factory=factory)
    panel.set_led(Led.READY, LedState.ON)
    assert factory.pin(PINS.led_ready).state is True
    panel.close()


# The fake panel: trainer verbs, and coexistence with other factories ---------------------------
def test_fake_press_button_is_seen_by_a_waiter() -> None:
    panel = mock_panel(PINS)
    try:
        pressed: list[bool] = []
        waiter = threading.Thread(target=lambda: pressed.append(panel.wait_for_button(5)))
        waiter.start()
        time.sleep(0.05)
        panel.press_button()
        waiter.join(timeout=5)
        assert pressed == [True]
        assert panel.pin_state(PINS.button) is False  # still held for hold_s
        _wait_until(lambda: panel.pin_state(PINS.button))
        assert panel.pin_state(PINS.button) is True
    finally:
        panel.close()


def test_mock_panels_do_not_touch_the_global_factory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Device, "pin_factory", None)
    first, second = mock_panel(PINS), mock_panel(PINS)  # same pins, separate factories
    try:
        assert isinstance(first, MockPanel)
        first.set_led(Led.READY, LedState.ON)
        assert first.pin_state(PINS.led_ready) is True
        assert second.pin_state(PINS.led_ready) is False
        assert Device.pin_factory is None
    finally:
        first.close()
        second.close()


# No usable GPIO ---------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore::gpiozero.exc.PinFactoryFallback")
def test_no_gpio_hardware_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    """On this amd64 machine gpiozero loads no pin factory: BadPinFactory becomes our error."""
    monkeypatch.delenv("GPIOZERO_PIN_FACTORY", raising=False)
    monkeypatch.setattr(Device, "pin_factory", None)  # whatever an earlier test left there
    with pytest.raises(GpioUnavailable) as caught:
        GpiozeroPanel(PINS)
    assert type(caught.value.__cause__).__name__ == "BadPinFactory"


def test_without_gpiozero_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    # None in sys.modules makes an import fail; submodules too, or they would still be found.
    for name in [m for m in sys.modules if m == "gpiozero" or m.startswith("gpiozero.")]:
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(GpioUnavailable):
        GpiozeroPanel(PINS)
    with pytest.raises(GpioUnavailable):
        mock_panel(PINS)
