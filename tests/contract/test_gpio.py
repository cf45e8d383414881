"""The status panel contract: gpiozero on MockFactory pins (real gpiozero code), and the fake."""

from __future__ import annotations

import threading
import time

import pytest
from gpiozero.pins.mock import MockFactory

from drivers.errors import GpioUnavailable
from drivers.gpio import Led, LedState, PanelPins
from drivers.gpio.gpiozero_adapter import GpiozeroPanel, mock_panel

PINS = PanelPins()


@pytest.fixture(params=["gpiozero-mockfactory", "fake"])
def panel_and_factory(request):
    if request.param == "fake":
        panel = mock_panel(PINS)
        factory = panel.pin_factory
    else:
        factory = MockFactory()
        panel = GpiozeroPanel(PINS, pin_factory=factory)
    yield panel, factory
    panel.close()


def test_leds_drive_their_pins(panel_and_factory):
    panel, factory = panel_and_factory
    panel.set_led(Led.READY, LedState.ON)
    panel.set_led(Led.NETWORK, LedState.OFF)
    assert factory.pin(PINS.led_ready).state is True
    assert factory.pin(PINS.led_network).state is False
    assert panel.led_state(Led.READY) is LedState.ON
    panel.set_led(Led.READY, LedState.OFF)
    assert factory.pin(PINS.led_ready).state is False


def test_blinking_led_toggles(panel_and_factory):
    panel, factory = panel_and_factory
    pin = factory.pin(PINS.led_queue)
    pin.clear_states()
    panel.set_led(Led.QUEUE, LedState.BLINK)
    deadline = time.monotonic() + 3
    while len(pin.states) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [s.state for s in pin.states[:3]] == [False, True, False]
    assert panel.led_state(Led.QUEUE) is LedState.BLINK


def test_beep_sounds_the_buzzer_n_times(panel_and_factory):
    panel, factory = panel_and_factory
    pin = factory.pin(PINS.buzzer)
    pin.clear_states()
    panel.beep(times=2, on_s=0.02, off_s=0.02)
    deadline = time.monotonic() + 3
    while len(pin.states) < 5 and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.1)
    pin.assert_states([False, True, False, True, False])


def test_button_press_is_seen(panel_and_factory):
    panel, factory = panel_and_factory
    pressed = []
    waiter = threading.Thread(target=lambda: pressed.append(panel.wait_for_button(5)))
    waiter.start()
    time.sleep(0.1)
    pin = factory.pin(PINS.button)
    pin.drive_low()  # the button shorts the pin to ground
    waiter.join()
    pin.drive_high()
    assert pressed == [True]


def test_button_wait_times_out(panel_and_factory):
    panel, _ = panel_and_factory
    assert panel.wait_for_button(0.2) is False


def test_fake_press_button_verb():
    panel = mock_panel(PINS)
    try:
        pressed = []
        waiter = threading.Thread(target=lambda: pressed.append(panel.wait_for_button(5)))
        waiter.start()
        time.sleep(0.1)
        panel.press_button()
        waiter.join()
        assert pressed == [True]
    finally:
        panel.close()


@pytest.mark.filterwarnings("ignore::gpiozero.exc.PinFactoryFallback")
def test_no_gpio_hardware_is_unavailable(monkeypatch):
    """On this amd64 machine gpiozero finds no pin factory: BadPinFactory becomes our error."""
    monkeypatch.delenv("GPIOZERO_PIN_FACTORY", raising=False)
    with pytest.raises(GpioUnavailable):
        GpiozeroPanel(PINS)


def test_pin_claimed_twice_is_unavailable():
    factory = MockFactory()
    first = GpiozeroPanel(PINS, pin_factory=factory)
    try:
        with pytest.raises(GpioUnavailable):
            GpiozeroPanel(PINS, pin_factory=factory)
    finally:
        first.close()
