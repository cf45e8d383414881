"""The network and queue LEDs show what the queue screen shows, for a glance across the room.

Network LED: on = the server answered at the worker's last look, blinking = a document is being
sent, off = no server. Queue LED: off = nothing waiting, blinking = documents waiting, on =
a document needs a person (the server refused it).
"""

from __future__ import annotations

import logging
import threading

from drivers.gpio import Led, LedState, StatusPanel
from kiosk.upload.outbox import Outbox

log = logging.getLogger(__name__)

CHECK_EVERY_S = 2.0


def led_states(outbox: Outbox) -> dict[Led, LedState]:
    counts = outbox.counts()
    uplink = outbox.uplink()
    if counts.sending:
        network = LedState.BLINK
    elif uplink is not None and uplink[0]:
        network = LedState.ON
    else:
        network = LedState.OFF
    if counts.failed:
        queue = LedState.ON
    elif counts.unsent:
        queue = LedState.BLINK
    else:
        queue = LedState.OFF
    return {Led.NETWORK: network, Led.QUEUE: queue}


class QueueLights:
    def __init__(self, outbox: Outbox, panel: StatusPanel) -> None:
        self.outbox = outbox
        self.panel = panel
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="queue-lights", daemon=True)

    def tick(self) -> dict[Led, LedState]:
        states = led_states(self.outbox)
        for led, state in states.items():
            if self.panel.led_state(led) is not state:
                self.panel.set_led(led, state)
        return states

    def _run(self) -> None:
        while True:
            try:
                self.tick()
            except Exception:  # the lights must never take the kiosk down
                log.exception("queue lights")
            if self._stop.wait(CHECK_EVERY_S):
                return

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
