"""Sound the buzzer when a reminder of the day comes due (11.00 DPTb, 12.00 DPK, ...)."""

from __future__ import annotations

import datetime as dt
import logging
import threading

from drivers.gpio import StatusPanel
from kiosk.checklist.service import ChecklistService

log = logging.getLogger(__name__)

CHECK_EVERY_S = 10.0


class ReminderBell:
    def __init__(self, checklist: ChecklistService, panel: StatusPanel) -> None:
        self.checklist = checklist
        self.panel = panel
        self._rung: set[tuple[dt.date, dt.time]] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="reminder-bell", daemon=True)
        checklist.when_day_cleared(self.forget_rung)

    def tick(self) -> int:
        """Ring once for each reminder that came due since the last tick; return how many."""
        today = self.checklist.now().date()
        rung = 0
        for reminder in self.checklist.due_reminders():
            key = (today, reminder.at)
            if key not in self._rung:
                self._rung.add(key)
                self.panel.beep(times=3, on_s=0.3, off_s=0.2)
                rung += 1
        return rung

    def forget_rung(self) -> None:
        """Ring again for reminders already rung (a training day starts over)."""
        self._rung.clear()

    def _run(self) -> None:
        while not self._stop.wait(CHECK_EVERY_S):
            try:
                self.tick()
            except Exception:  # a reminder must never take the kiosk down
                log.exception("reminder bell")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
