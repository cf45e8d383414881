"""The trainer clock: the moments of the TPS day a training group jumps to, and the time a
"HH:MM" means on the TPS day.

The trainer moves the same clock everything reads: the correction ``ClockCorrection`` keeps in
table ``clock_offset`` (the web app's ``OffsetClock`` at once, the upload worker at its next
refresh). So the checklist's not-before and late rules, the reminders and their bell and the
counting countdown all follow a jump, and the audit log records every row at the time the
kiosk showed.

The moments come from the day's checklist (kiosk.checklist.model): the opening is its earliest
``not_before``, voting closes at the latest ``not_before`` before the counting phase, and each
reminder is a moment of its own. Only the start of preparation and the start of counting are
not in the checklist: see ``PREPARATION`` and ``CLOSING_TAKES``.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass

from kiosk.checklist.model import Checklist
from kiosk.refusals import Refused
from kiosk.training.refusals import TrainingCode

# KPPS set up the TPS from about 06.00; the checklist's first timed step is the opening.
PREPARATION = dt.time(6, 0)
# The Penutupan phase (unused and spoiled ballots counted, attendance totalled) takes about half
# an hour after voting closes; counting starts after it.
CLOSING_TAKES = dt.timedelta(minutes=30)


class MomentKind(enum.Enum):
    PREPARATION = "preparation"
    OPENING = "opening"
    REMINDER = "reminder"
    CLOSING = "closing"
    COUNTING = "counting"


@dataclass(frozen=True)
class Moment:
    at: dt.time
    kind: MomentKind

    @property
    def hhmm(self) -> str:
        return self.at.strftime("%H:%M")


def moments(checklist: Checklist) -> list[Moment]:
    """The moments of the day in time order, one per time (a reminder at the closing time is the
    closing): 06:00, 07:00, 11:00, 12:00, 12:55, 13:00 and 13:30 for Pemilu 2024."""
    before_counting: list[dt.time] = []
    for phase in checklist.phases:
        if phase.counting:
            break
        before_counting += [s.not_before for s in phase.steps if s.not_before is not None]
    found: dict[dt.time, MomentKind] = {PREPARATION: MomentKind.PREPARATION}
    for reminder in checklist.reminders:
        found.setdefault(reminder.at, MomentKind.REMINDER)
    if before_counting:
        found[min(before_counting)] = MomentKind.OPENING
        closing = max(before_counting)
        found[closing] = MomentKind.CLOSING
        counting = dt.datetime.combine(dt.date(2000, 1, 1), closing) + CLOSING_TAKES
        found[counting.time()] = MomentKind.COUNTING
    return [Moment(at, kind) for at, kind in sorted(found.items())]


def parse_hhmm(text: str) -> dt.time:
    """ "0705", "07:05" or "7:05" as a time of day; ``Refused(BAD_TIME)`` for anything else."""
    digits = text.strip().replace(":", "").replace(".", "")
    if len(digits) == 3:
        digits = "0" + digits
    if len(digits) != 4 or not digits.isdigit():
        raise Refused(TrainingCode.BAD_TIME)
    hh, mm = int(digits[:2]), int(digits[2:])
    if hh > 23 or mm > 59:
        raise Refused(TrainingCode.BAD_TIME)
    return dt.time(hh, mm)


def tps_day(now: dt.datetime, recorded: Iterable[dt.datetime], election_date: dt.date) -> dt.date:
    """The date the practice day runs on: the day its first checklist step was recorded (so a
    jump back to 07:00 after midnight stays on that day), else the kiosk's date today, never
    before the election date (the checklist thinks an earlier date a wrong clock)."""
    first = min((w.astimezone(now.tzinfo) for w in recorded), default=None)
    day = first.date() if first is not None else now.date()
    return max(day, election_date)


def on_day(day: dt.date, at: dt.time, now: dt.datetime) -> dt.datetime:
    """``at`` on ``day`` in the kiosk clock's zone (the TPS's)."""
    return dt.datetime.combine(day, at, now.tzinfo)
