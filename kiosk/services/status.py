"""What every screen shows of the day at a glance: the status strip (network, documents to
send, printers), the home screen's next step and the day banner (reminders due, time left to
count).

``StatusService`` owns no table: it asks the owners — the upload queue, the last self-test,
the checklist, the counting — all passed in by wiring, so kiosk.services never imports the
features. Nothing here asks a device: the strip shows what the kiosk already knows (the
worker's last look at the server, the queue, the last self-test, and the faults the devices
met in use since that self-test).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from kiosk.services.next_step import CountingWork, DayProgress, NextStep, next_step

if TYPE_CHECKING:
    from kiosk.checklist.model import Reminder
    from kiosk.checklist.states import StepState
    from kiosk.upload.outbox import QueueCounts

PRINTER_CHECKS = ("receipt_printer", "document_printer")


class DayChecklist(DayProgress, Protocol):
    """The day's checklist (kiosk.checklist.service.ChecklistService)."""

    def now(self) -> dt.datetime: ...

    def shown_reminders(self) -> list[Reminder]: ...

    def counting_deadline(self) -> dt.datetime | None: ...

    def counting_running(self) -> bool: ...

    def pending(self) -> StepState | None: ...


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
    # Devices that failed in use since the last self-test: role → error class name.
    faults: Mapping[str, str] = field(default_factory=dict)

    @property
    def printers_ok(self) -> bool | None:
        """Every configured printer passed the last self-test and none failed since; None:
        none was checked."""
        if any(role in self.faults for role in PRINTER_CHECKS):
            return False
        printers = [
            c["ok"]
            for c in (self.report or {}).get("checks", [])
            if c["name"] in PRINTER_CHECKS and c.get("configured", True)
        ]
        return all(printers) if printers else None

    @property
    def printers_not_ready(self) -> list[str]:
        """The printers (roles) that failed the last self-test or in use since, so the strip
        can say which one; [] when none is known to be down."""
        failed = {
            c["name"]
            for c in (self.report or {}).get("checks", [])
            if c["name"] in PRINTER_CHECKS and c.get("configured", True) and not c["ok"]
        }
        return [role for role in PRINTER_CHECKS if role in self.faults or role in failed]


@dataclass(frozen=True)
class _Fault:
    error: str  # the DeviceError class name
    report: str | None  # "created" of the self-test report in force when it failed
    where: tuple[str, str]  # the request (method, path) that met it


class DeviceFaults:
    """The last known fault of each device, met in use (a print that found no paper), kept in
    memory until the device works again: the request that met it succeeds when repeated, a
    look at the device (``look``: kiosk.services.device_look) sees it well, or a later
    self-test speaks for the device. Requests run on several threads."""

    def __init__(self, look: Callable[[str], bool | None] | None = None) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, _Fault] = {}
        self._look = look

    def failed(self, role: str, error: str, report: str | None, where: tuple[str, str]) -> None:
        with self._lock:
            self._faults[role] = _Fault(error, report, where)

    def worked(self, where: tuple[str, str]) -> None:
        with self._lock:
            for role in [r for r, f in self._faults.items() if f.where == where]:
                del self._faults[role]

    def since(self, report: str | None) -> dict[str, str]:
        """The faults met since the self-test report ``report`` (its "created"), less those
        of devices seen well again."""
        with self._lock:
            found = {r: f for r, f in self._faults.items() if f.report == report}
        if self._look is not None:  # outside the lock: a look may wait on the device
            for role, fault in list(found.items()):
                if self._look(role):
                    del found[role]
                    with self._lock:  # unless it failed again meanwhile
                        if self._faults.get(role) is fault:
                            del self._faults[role]
        return {r: f.error for r, f in found.items()}


def _created(report: dict[str, Any] | None) -> str | None:
    """Which self-test report is in force (its "created"); None: never checked."""
    return str(report["created"]) if report else None


@dataclass(frozen=True)
class DayBanner:
    reminders: list[Reminder]  # due now and not tapped away, newest first
    # until counting must end; None: not counting (not begun, signed off, or nobody logged in)
    counting_left: dt.timedelta | None


class StatusService:
    def __init__(
        self,
        checklist: DayChecklist,
        counting: CountingWork,
        queue: UploadQueue,
        selftest: LastSelftest,
        look: Callable[[str], bool | None] | None = None,
    ) -> None:
        self._checklist = checklist
        self._counting = counting
        self._queue = queue
        self._selftest = selftest
        self._faults = DeviceFaults(look)  # look: kiosk.services.device_look

    def glance(self) -> Glance:
        uplink = self._queue.uplink()
        report = self._selftest.last_report()
        return Glance(
            report,
            self._queue.counts().unsent,
            uplink[0] if uplink else None,
            self._faults.since(_created(report)),
        )

    def device_failed(self, role: str, error: str, where: tuple[str, str]) -> None:
        """Device ``role`` failed with ``error`` (a DeviceError class name) during request
        ``where`` (method, path): the strip shows it until ``device_worked(where)`` or a newer
        self-test."""
        self._faults.failed(role, error, _created(self._selftest.last_report()), where)

    def device_worked(self, where: tuple[str, str]) -> None:
        """Request ``where`` succeeded: the devices that failed in it work again."""
        self._faults.worked(where)

    def next_step(self, glance: Glance, logged_in: bool) -> NextStep:
        """The home screen's one next thing to do (kiosk.services.next_step): a checklist step
        opens on its own screen, and a time to wait for carries the kiosk's zone (WITA ...)."""
        step = next_step(self._checklist, self._counting, glance.report, logged_in, glance.unsent)
        if step.kind == "checklist":
            pending = self._checklist.pending()
            if pending is not None and pending.status == "open":
                return replace(step, endpoint="checklist.step", values={"step_id": pending.step.id})
        if step.kind == "wait" and step.at is not None and step.at.tzinfo is None:
            return replace(step, at=step.at.replace(tzinfo=self._checklist.now().tzinfo))
        return step

    def day_banner(self, logged_in: bool) -> DayBanner:
        """The reminders to show and, to the officers at work, the time left to count."""
        checklist = self._checklist
        if not checklist.provisioned:
            return DayBanner([], None)
        left = None
        if logged_in and checklist.counting_running():
            deadline = checklist.counting_deadline()
            left = deadline - checklist.now() if deadline else None
        return DayBanner(checklist.shown_reminders(), left)
