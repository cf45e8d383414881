"""What every screen shows of the day at a glance: the status strip (network, documents to
send, printers), the home screen's next step and the day banner (reminders due, time left to
count).

``StatusService`` owns no table: it asks the owners — the upload queue, the last self-test,
the checklist, the counting — all passed in by wiring, so kiosk.services never imports the
features. Nothing here asks a device: the strip shows what the kiosk already knows (the
worker's last look at the server, the queue, the last self-test).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from kiosk.services.next_step import CountingWork, DayProgress, NextStep, next_step

if TYPE_CHECKING:
    from kiosk.checklist.model import Reminder
    from kiosk.upload.outbox import QueueCounts

PRINTER_CHECKS = ("receipt_printer", "document_printer")


class DayChecklist(DayProgress, Protocol):
    """The day's checklist (kiosk.checklist.service.ChecklistService)."""

    def now(self) -> dt.datetime: ...

    def due_reminders(self) -> list[Reminder]: ...

    def counting_deadline(self) -> dt.datetime | None: ...


class UploadQueue(Protocol):
    """The upload queue's owner (kiosk.upload.queue.QueueService)."""

    def counts(self) -> QueueCounts: ...

    def uplink(self) -> tuple[bool, str] | None: ...


class LastSelftest(Protocol):
    """The self-test's owner (kiosk.services.selftest.SelftestService)."""

    def last_report(self) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class Glance:
    """What one page needs to know, read once per request (the home screen and the status
    strip of every page both use it)."""

    report: dict[str, Any] | None  # the last self-test report; None: never checked
    unsent: int  # documents not yet at the server
    online: bool | None  # the server answered at the worker's last look; None: never looked

    @property
    def printers_ok(self) -> bool | None:
        """Every configured printer passed the last self-test; None: none was checked."""
        printers = [
            c["ok"]
            for c in (self.report or {}).get("checks", [])
            if c["name"] in PRINTER_CHECKS and c.get("configured", True)
        ]
        return all(printers) if printers else None


@dataclass(frozen=True)
class DayBanner:
    reminders: list[Reminder]  # due now, shown for a while after their time
    counting_left: dt.timedelta | None  # until counting must end; None: not counting yet


class StatusService:
    def __init__(
        self,
        checklist: DayChecklist,
        counting: CountingWork,
        queue: UploadQueue,
        selftest: LastSelftest,
    ) -> None:
        self._checklist = checklist
        self._counting = counting
        self._queue = queue
        self._selftest = selftest

    def glance(self) -> Glance:
        uplink = self._queue.uplink()
        return Glance(
            self._selftest.last_report(),
            self._queue.counts().unsent,
            uplink[0] if uplink else None,
        )

    def next_step(self, glance: Glance, logged_in: bool) -> NextStep:
        """The home screen's one next thing to do (kiosk.services.next_step)."""
        return next_step(self._checklist, self._counting, glance.report, logged_in, glance.unsent)

    def day_banner(self) -> DayBanner:
        checklist = self._checklist
        if not checklist.provisioned:
            return DayBanner([], None)
        deadline = checklist.counting_deadline()
        left = deadline - checklist.now() if deadline else None
        return DayBanner(checklist.due_reminders(), left)
