"""The checklist's ``clock`` step: the Ketua confirms the kiosk's clock or sets it.

A clock before the election date, or earlier than something already recorded, is implausible:
it cannot be confirmed, only set. Setting it keeps a correction with the clock's owner
(``ClockCorrection``) and audits the new offset.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from kiosk.audit import AuditLog, Event
from kiosk.checklist.refusals import ChecklistCode
from kiosk.clock import ClockCorrection, OffsetClock
from kiosk.refusals import Refused
from kiosk.roles import Role
from kiosk.services.auth import ActiveSession

CLOCK_JUMP_S = 120  # the clock going back more than this since the last record is implausible


@dataclass(frozen=True)
class ClockStep:
    """The kiosk's clock, the owner of its correction and the audit log (given by the
    checklist service)."""

    clock: OffsetClock
    correction: ClockCorrection
    audit: AuditLog

    def implausible(self, election_date: dt.date, last_record: str | None) -> bool:
        """Before ``election_date``, or earlier than ``last_record`` (the wall time of the
        latest step recorded, None before the first)."""
        now = self.clock.now()
        if now.date() < election_date:
            return True
        return bool(
            last_record
            and dt.datetime.fromisoformat(last_record) - now > dt.timedelta(seconds=CLOCK_JUMP_S)
        )

    def take(
        self, value: Any, by: ActiveSession, election_date: dt.date, last_record: str | None
    ) -> Any:
        """``{"confirm": true}`` or ``{"set": "HH:MM"}`` (today's date kept) as recorded.
        Ketua only."""
        if by.officer.role is not Role.KETUA:
            raise Refused(ChecklistCode.KETUA_ONLY)
        if isinstance(value, dict) and isinstance(value.get("set"), str):
            try:
                hh, mm = (int(x) for x in value["set"].split(":"))
                wanted = self.clock.now().replace(hour=hh, minute=mm, second=0, microsecond=0)
            except ValueError as exc:
                raise Refused(ChecklistCode.BAD_TIME) from exc
            if self.clock.now().date() < election_date:
                wanted = wanted.replace(
                    year=election_date.year, month=election_date.month, day=election_date.day
                )
            self.set(wanted, by)
            return {"set": wanted.isoformat(timespec="minutes")}
        if isinstance(value, dict) and value.get("confirm") is True:
            if self.implausible(election_date, last_record):
                raise Refused(ChecklistCode.CLOCK_IMPLAUSIBLE)
            return {"confirm": self.clock.now().isoformat(timespec="minutes")}
        raise Refused(ChecklistCode.BAD_TIME)

    def set(self, wanted: dt.datetime, by: ActiveSession) -> None:
        """Have the clock's owner keep the correction that makes the kiosk read ``wanted``."""
        offset = self.correction.save(wanted, by.officer.id)
        self.audit.record_for(
            Event.CLOCK_SET,
            by,
            offset_s=round(offset, 1),
            wall=wanted.isoformat(),
        )
