"""What the home screen's big green button offers: the one next thing to do.

A priority ladder, first match wins: the kiosk is not provisioned → a device failed its
check → nobody is logged in → the devices were never checked → the clock needs the Ketua →
C.Hasil work of the counting phase → the first step of the day's checklist not yet done, if
it can be done now → documents still to send → what opens next and when (a step that waits
for its time is never a button) → the day is done.
Screens only render it; the order lives here, so it is tested once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:  # the checklist is passed in by wiring: kiosk.services never imports it
    from kiosk.checklist.service import PhaseState


class DayProgress(Protocol):
    """Where the day's checklist stands (kiosk.checklist.service.ChecklistService)."""

    @property
    def provisioned(self) -> bool: ...

    def clock_implausible(self) -> bool: ...

    def current(self) -> PhaseState | None: ...


class CountingWork(Protocol):
    """The one owner of "counting is finished" (kiosk.chasil.progress.Counting)."""

    def next_work(self) -> tuple[str, Literal["numbers", "document"]] | None: ...


@dataclass(frozen=True)
class NextStep:
    kind: (
        str  # provision | device | login | clock | chasil | scan | checklist | wait | queue | done
    )
    endpoint: str | None  # Flask endpoint of the big button; None: nothing to press here
    values: dict[str, str]  # URL values of the endpoint
    step_title: str = ""  # the checklist step or ballot concerned
    at: dt.time | None = None  # when a waiting step opens


def next_step(
    checklist: DayProgress,
    counting: CountingWork,
    selftest_report: dict[str, Any] | None,
    logged_in: bool,
    unsent: int,
) -> NextStep:
    if not checklist.provisioned:
        return NextStep("provision", None, {})
    if selftest_report is not None and not selftest_report.get("ready"):
        return NextStep("device", "selftest.show", {})  # a fault comes before everything
    if not logged_in:
        return NextStep("login", "login.start", {})
    if selftest_report is None:  # never checked: the first thing of the day, once logged in
        return NextStep("device", "selftest.show", {})
    if checklist.clock_implausible():
        return NextStep("clock", "checklist.index", {})
    phase = checklist.current()
    if phase is not None and phase.phase.counting and (work := _counting_work(counting)):
        return work
    # The first step not yet done, in the day's order: the checklist accepts some later steps
    # early, but a step after one that waits for its time (the sumpah before the 07.00
    # opening, the sign-off before everything else) is not "the next thing" on the home screen.
    pending = [s for s in phase.steps if s.status != "done"] if phase is not None else []
    if pending and pending[0].status == "open":
        return NextStep("checklist", "checklist.index", {}, pending[0].step.title)
    if unsent:  # while the day waits for a time, sending is something to do now
        return NextStep("queue", "queue.queue", {})
    if pending and pending[0].status == "waiting" and pending[0].step.not_before is not None:
        first = pending[0]
        # No button: the step would be refused until then; the screen says what and when.
        return NextStep("wait", None, {}, first.step.title, first.step.not_before)
    if phase is not None:
        return NextStep("checklist", "checklist.index", {}, phase.phase.title)
    return NextStep("done", None, {})


def _counting_work(counting: CountingWork) -> NextStep | None:
    """During counting, ballot by ballot in legal order: its numbers confirmed, then its
    signed document (scan and copies), then the next ballot."""
    work = counting.next_work()
    if work is None:
        return None
    ballot, what = work
    if what == "numbers":
        return NextStep("chasil", "chasil.index", {}, ballot)
    return NextStep("scan", "documents.scan_page", {"ballot_type": ballot}, ballot)
