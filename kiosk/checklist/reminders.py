"""The day's reminders (11.00 DPTb, 12.00 DPK, ...): which are due, which were tapped away.

A reminder is due from its time for REMINDER_SHOWN_MIN minutes; the bell rings for each once
and the banner shows it until someone taps it away (kept in ``reminder_dismissed``, a table
of the checklist service, which clears it with the training day).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from kiosk.checklist.model import Reminder
from kiosk.clock import OffsetClock
from kiosk.db import Database

REMINDER_SHOWN_MIN = 30  # a reminder stays on screen this long after its time


@dataclass(frozen=True)
class Reminders:
    """The checklist's reminders, on the kiosk's clock, with the database they are tapped
    away in (the checklist service's storage)."""

    db: Database
    clock: OffsetClock

    def due(self, reminders: Sequence[Reminder]) -> list[Reminder]:
        """The reminders that fell due in the last REMINDER_SHOWN_MIN minutes, whether or not
        they were tapped away (the bell rings for each once)."""
        now = self.clock.now()
        out = []
        for r in reminders:
            at = dt.datetime.combine(now.date(), r.at, now.tzinfo)
            if at <= now < at + dt.timedelta(minutes=REMINDER_SHOWN_MIN):
                out.append(r)
        return out

    def shown(self, reminders: Sequence[Reminder]) -> list[Reminder]:
        """The due reminders nobody has tapped away today, newest first."""
        today = self.clock.now().date().isoformat()
        gone = {
            r["at"]
            for r in self.db.read("SELECT at FROM reminder_dismissed WHERE day = ?", (today,))
        }
        due = [r for r in self.due(reminders) if r.at.strftime("%H:%M") not in gone]
        return sorted(due, key=lambda r: r.at, reverse=True)

    def dismiss(self, reminders: Sequence[Reminder], at: dt.time) -> bool:
        """Tap today's reminder of ``at`` away for good; False if no reminder is due then."""
        if not any(r.at == at for r in self.due(reminders)):
            return False
        now = self.clock.now()
        with self.db.write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO reminder_dismissed (day, at, wall) VALUES (?, ?, ?)",
                (now.date().isoformat(), at.strftime("%H:%M"), now.isoformat()),
            )
        return True
