"""Time as the kiosk sees it: wall clock (aware, local) and monotonic seconds.

Everything that records or compares time takes a Clock, so a test or a training scenario can
walk through a whole TPS day (07.00 opening, 13.00 closing) without waiting for it.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import TYPE_CHECKING, ClassVar, Protocol

if TYPE_CHECKING:
    import sqlite3

    from kiosk.db import Database


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """Wall-clock time, timezone-aware."""
        ...

    def monotonic(self) -> float:
        """Seconds that never jump (since boot); compare only within one boot."""
        ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now().astimezone()

    def monotonic(self) -> float:
        return time.monotonic()


class ManualClock:
    """A clock that moves only when told to (tests and training scenarios)."""

    def __init__(self, start: dt.datetime) -> None:
        assert start.tzinfo is not None, "use an aware datetime"
        self._now = start
        self._mono = 1000.0
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += dt.timedelta(seconds=seconds)
            self._mono += seconds


class OffsetClock:
    """The kiosk's clock: the system clock plus the offset the Ketua confirmed at opening (or
    the trainer set, kiosk.training.clock), read in the TPS's zone.

    A Pi without RTC or network may boot with a wrong time; rather than changing the system
    clock (the service runs unprivileged), the kiosk keeps the correction and records it with
    every entry.

    ``tz``: the TPS's zone (kiosk.tps_time.tps_tzinfo), set once the profile is known. Opening at
    07.00 and closing at 13.00 are TPS times, and a demo laptop or a Pi may run on UTC; None
    keeps the base clock's zone (no profile yet).
    """

    def __init__(self, base: Clock, offset_s: float = 0.0, tz: dt.tzinfo | None = None) -> None:
        self.base = base
        self.offset_s = offset_s
        self.tz = tz

    def now(self) -> dt.datetime:
        moment = self.base.now() + dt.timedelta(seconds=self.offset_s)
        return moment.astimezone(self.tz) if self.tz is not None else moment

    def monotonic(self) -> float:
        return self.base.monotonic()


def saved_offset(db: Database) -> float:
    """The clock correction the Ketua confirmed (0 if none): every process of the kiosk (web
    app, upload worker) reads it from the database, so all agree on the time.

    The read of ``ClockCorrection``'s table, usable before any service exists (kiosk.core)."""
    rows = db.read("SELECT offset_s FROM clock_offset WHERE id = 1")
    return float(rows[0]["offset_s"]) if rows else 0.0


class ClockCorrection:
    """The owner of table ``clock_offset``: the one correction the Ketua set, kept in the
    database for every process and applied to this process's ``OffsetClock`` at once.

    It stores; the checklist's clock step decides when and audits (kiosk.checklist.service).
    """

    owns: ClassVar[tuple[str, ...]] = ("clock_offset",)

    def __init__(self, db: Database, clock: OffsetClock) -> None:
        self._db = db
        self._clock = clock

    def saved(self) -> float:
        """The saved correction in seconds (0 if none)."""
        return saved_offset(self._db)

    def save(self, wanted: dt.datetime, officer_id: str) -> float:
        """Make the kiosk's clock read ``wanted`` now; return the offset in seconds."""
        offset = (wanted - self._clock.base.now()).total_seconds()
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO clock_offset (id, offset_s, set_by, set_wall) VALUES"
                " (1, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET offset_s ="
                " excluded.offset_s, set_by = excluded.set_by, set_wall ="
                " excluded.set_wall",
                (offset, officer_id, wanted.isoformat()),
            )
        self._clock.offset_s = offset
        return offset

    def forget(self) -> None:
        """Back to the system's time: no correction kept (the trainer's "real time")."""
        with self._db.write() as conn:
            self.clear_training_day(conn)

    def clear_training_day(self, conn: sqlite3.Connection) -> dict[str, int]:
        """Forget the correction, in the table and in this process's clock."""
        deleted = conn.execute("DELETE FROM clock_offset").rowcount
        self._clock.offset_s = 0.0
        return {"clock_offset": deleted}
