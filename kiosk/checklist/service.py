"""Where the TPS day stands, and recording its steps.

Progress is derived from the records in SQLite, never kept in memory, so a kiosk restarted in
the middle of a phase shows exactly where it was. Every record and sign-off is audited with the
officer, wall and monotonic time and the clock offset in force.

``ChecklistService`` owns tables ``checklist_record`` and ``reminder_dismissed`` (the reminders
tapped away today). It asks the owners of everything else:
``Counting`` (kiosk.chasil.progress, passed in by wiring) whether counting is finished, the
clock's ``ClockCorrection`` to keep a correction, the incidents' owner for the report's lines.
The clock step lives in kiosk.checklist.clock_step, the reminders (and the SQL of
``reminder_dismissed``) in kiosk.checklist.reminders.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable
from typing import Any, ClassVar, Protocol

from kiosk.audit import AuditLog, Event
from kiosk.checklist.clock_step import ClockStep
from kiosk.checklist.corrections import CORRECTABLE, ExpectedCount, check_received, parse_entry
from kiosk.checklist.model import Checklist, Reminder, Step
from kiosk.checklist.refusals import ChecklistCode
from kiosk.checklist.reminders import Reminders
from kiosk.checklist.reports import day_report
from kiosk.checklist.scan_step import ScanStep
from kiosk.checklist.states import PhaseState, StepPlace, StepState, phase_states
from kiosk.clock import ClockCorrection, OffsetClock
from kiosk.db import Database
from kiosk.profile import Profile
from kiosk.refusals import KioskCode, Refused
from kiosk.roles import Permission, Role
from kiosk.services.auth import ActiveSession
from kiosk.services.printing import ReportPrinter
from kiosk.tps_time import format_tps_time

# The states are re-exported: the screens, reports and the next-step ladder read them here.
__all__ = ["ChecklistService", "CountingProgress", "PhaseState", "StepPlace", "StepState"]


class CountingProgress(Protocol):
    """The one owner of "counting is finished" (kiosk.chasil.progress.Counting)."""

    def unfinished(self) -> list[str]:
        """Ballot types (profile order) still lacking confirmed numbers or a signed document."""
        ...


class ChecklistService:
    """The day's checklist of this TPS. Without a TPS profile (``checklist``/``profile`` None)
    every use refuses with ``KioskCode.NOT_PROVISIONED``."""

    owns: ClassVar[tuple[str, ...]] = ("checklist_record", "reminder_dismissed")

    def __init__(
        self,
        db: Database,
        audit: AuditLog,
        clock: OffsetClock,
        correction: ClockCorrection,
        checklist: Checklist | None,
        profile: Profile | None,
        counting: CountingProgress,
        scan: ScanStep,
        printer: ReportPrinter,
        incident_lines: Callable[[], list[str]],
        training: bool,
    ) -> None:
        self._db = db
        self._audit = audit
        self._clock = clock
        self._clock_step = ClockStep(clock, correction, audit)
        self._reminders = Reminders(db, clock)
        self._checklist = checklist
        self._profile = profile
        self._counting = counting
        self._scan = scan
        self._printer = printer
        self._incident_lines = incident_lines
        self._training = training
        self._day_cleared: list[Callable[[], None]] = []

    @property
    def provisioned(self) -> bool:
        return self._checklist is not None and self._profile is not None

    @property
    def checklist(self) -> Checklist:
        if self._checklist is None:
            raise Refused(KioskCode.NOT_PROVISIONED)
        return self._checklist

    @property
    def profile(self) -> Profile:
        if self._profile is None:
            raise Refused(KioskCode.NOT_PROVISIONED)
        return self._profile

    def now(self) -> dt.datetime:
        """The kiosk's time (with the Ketua's correction)."""
        return self._clock.now()

    def ballot_types(self) -> list[str]:
        return [b.type for b in self.profile.ballots]

    def find_step(self, step_id: str) -> Step | None:
        """The step of the day's checklist with this id; None if there is none."""
        for phase in self.checklist.phases:
            for step in phase.steps:
                if step.id == step_id:
                    return step
        return None

    def records(self) -> dict[str, dict[str, Any]]:
        return {r["step"]: dict(r) for r in self._db.read("SELECT * FROM checklist_record")}

    def phases(self) -> list[PhaseState]:
        return phase_states(self.checklist, self.records(), self._clock.now().time())

    def current(self) -> PhaseState | None:
        return next((p for p in self.phases() if p.status == "open"), None)

    def place(self, step_id: str) -> StepPlace | None:
        """Step ``step_id`` in its phase as it stands now; None if there is no such step."""
        for phase in self.phases():
            for i, state in enumerate(phase.steps):
                if state.step.id == step_id:
                    return StepPlace(phase, state, i + 1)
        return None

    def pending(self) -> StepState | None:
        """The first step of the day not yet done (open, or waiting for its time), as the home
        screen's next-step ladder reads it; None when every phase is signed off."""
        phase = self.current()
        if phase is None:
            return None
        return next((s for s in phase.steps if s.status != "done"), None)

    def expected_received(self) -> ExpectedCount:
        """The ballots of each type the TPS should have received: DPT + reserve."""
        profile = self.profile
        return ExpectedCount(profile.dpt_l + profile.dpt_p, profile.reserve_percent)

    def at_shown(self, at: dt.time) -> str:
        """Today's ``at`` as the wall shows it, with the TPS's zone: "07:00 WITA"."""
        now = self._clock.now()
        moment = dt.datetime.combine(now.date(), at, now.tzinfo)
        return format_tps_time(moment, self.profile.identity.code, "%H:%M")

    def minutes_late(self, step: Step) -> int:
        """How late the step would be if recorded now (0: on time, or no deadline)."""
        if step.late_after is None:
            return 0
        now = self._clock.now()
        late_after = dt.datetime.combine(now.date(), step.late_after, now.tzinfo)
        return max(0, int((now - late_after).total_seconds() // 60))

    def clock_implausible(self) -> bool:
        """Before the election date, or earlier than something already recorded."""
        return self._clock_step.implausible(self.profile.election_date, self._last_record())

    def _last_record(self) -> str | None:
        """The wall time of the latest step recorded; None before the first."""
        last: str | None = self._db.read("SELECT max(wall) AS w FROM checklist_record")[0]["w"]
        return last

    def _validate(self, step: Step, value: Any, by: ActiveSession) -> Any:
        if step.kind == "signoff" and by.officer.role is not Role.KETUA:
            raise Refused(ChecklistCode.KETUA_ONLY)
        if step.kind in {"tick", "signoff"}:
            return True
        if step.kind in CORRECTABLE:
            return parse_entry(step, value, self.ballot_types())
        if step.kind == "clock":
            election_date = self.profile.election_date
            return self._clock_step.take(value, by, election_date, self._last_record())
        if step.kind == "scan":
            return self._scan.scan(step.id)
        raise AssertionError(step.kind)  # model.KINDS lists every kind handled above

    def set_clock(self, wanted: dt.datetime, by: ActiveSession) -> None:
        """Have the clock's owner keep the correction that makes the kiosk read ``wanted``."""
        self._clock_step.set(wanted, by)

    def record(
        self,
        step_id: str,
        value: Any,
        by: ActiveSession,
        reason: str = "",
        accept_warning: bool = False,
    ) -> None:
        """Record step ``step_id`` by ``by``, or raise ``Refused(ChecklistCode.…)``.

        ``value`` as the step's kind needs it: ignored for tick, signoff and scan (the page is
        scanned here, once every rule allowed the step); a whole number or one per ballot type;
        a note; ``{"confirm": True}`` or ``{"set": "HH:MM"}`` for the clock. A count off what
        is expected is refused as a warning (``RECEIVED_UNEXPECTED``) unless ``accept_warning``:
        the officer looked again and keeps it."""
        phase, step = self.checklist.step(step_id)
        # The sign-off is the Ketua's before anything else is said about it.
        if step.kind == "signoff" and not by.may(Permission.CHECKLIST_SIGNOFF, self._training):
            raise Refused(ChecklistCode.KETUA_ONLY)
        state = next(
            s
            for p in self.phases()
            if p.phase.id == phase.id
            for s in p.steps
            if s.step.id == step_id
        )
        if state.status == "done":
            raise Refused(ChecklistCode.ALREADY_DONE)
        if state.status == "locked":
            raise Refused(ChecklistCode.PHASE_LOCKED)
        if step.kind == "signoff":
            records = self.records()
            # str(): a title in the screen language (joined as it is, it would be the Indonesian)
            missing = [str(s.title) for s in phase.steps if s.id != step.id and s.id not in records]
            if missing:
                raise Refused(ChecklistCode.STEPS_MISSING, steps="; ".join(missing))
            if phase.counting:  # its sign-off waits for every ballot's signed C.Hasil
                unfinished = self._counting.unfinished()
                if unfinished:
                    raise Refused(ChecklistCode.CHASIL_MISSING, ballots=", ".join(unfinished))
        if state.status == "waiting":
            assert step.not_before is not None  # "waiting" means a not_before still ahead
            raise Refused(ChecklistCode.TOO_EARLY, time=self.at_shown(step.not_before))
        now = self._clock.now()
        late_min = 0
        if step.late_after is not None:
            late_after = dt.datetime.combine(now.date(), step.late_after, now.tzinfo)
            late_min = int((now - late_after).total_seconds() // 60)
            if late_min >= 1 and not reason.strip():
                raise Refused(ChecklistCode.REASON_NEEDED, n=late_min)
        stored = self._validate(step, value, by)
        self._warn(step, stored, accept_warning)
        now = self._clock.now()  # again: a clock step has just corrected it
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO checklist_record (phase, step, value, reason, officer_id, wall, mono,"
                " clock_offset) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    phase.id,
                    step.id,
                    json.dumps(stored),
                    reason.strip(),
                    by.officer.id,
                    now.isoformat(),
                    self._clock.monotonic(),
                    self._clock.offset_s,
                ),
            )
        self._audit.record_for(
            Event.CHECKLIST_STEP,
            by,
            phase=phase.id,
            step=step.id,
            value=stored,
            reason=reason.strip(),
            late_minutes=max(0, late_min),
            beyond_allowed=late_min > step.max_late_minutes if step.late_after else False,
            clock_offset=self._clock.offset_s,
        )

    def _warn(self, step: Step, stored: Any, accept_warning: bool) -> None:
        if step.feeds == "ballots_received" and not accept_warning:
            check_received(stored, self.expected_received())

    def correct(
        self,
        step_id: str,
        value: Any,
        by: ActiveSession,
        reason: str = "",
        accept_warning: bool = False,
    ) -> None:
        """Change the recorded number(s) or note of ``step_id``: anyone who ticks steps may
        until the phase is signed off; after that only the Ketua KPPS, with a ``reason``. The
        new value is the record from now on (C.Hasil rule 9 reads it); the audit log keeps the
        previous one, who changed it, when and why."""
        phase, step = self.checklist.step(step_id)
        if step.kind not in CORRECTABLE:
            raise Refused(ChecklistCode.NOT_CORRECTABLE)
        records = self.records()
        previous = records.get(step_id)
        if previous is None:
            raise Refused(ChecklistCode.NOT_RECORDED)
        signed = phase.steps[-1].id in records
        if signed and not by.may(Permission.CHECKLIST_SIGNOFF, self._training):
            raise Refused(ChecklistCode.SIGNED_KETUA_ONLY)
        if signed and not reason.strip():
            raise Refused(ChecklistCode.CORRECTION_REASON_NEEDED)
        stored = self._validate(step, value, by)
        self._warn(step, stored, accept_warning)
        now = self._clock.now()
        # The record is the value in force and who set it when; the history is the audit's.
        with self._db.write() as conn:
            conn.execute(
                "UPDATE checklist_record SET value = ?, officer_id = ?, wall = ?, mono = ?,"
                " clock_offset = ? WHERE step = ?",
                (
                    json.dumps(stored),
                    by.officer.id,
                    now.isoformat(),
                    self._clock.monotonic(),
                    self._clock.offset_s,
                    step.id,
                ),
            )
        self._audit.record_for(
            Event.CHECKLIST_CORRECTED,
            by,
            phase=phase.id,
            step=step.id,
            previous=json.loads(previous["value"]),
            value=stored,
            previous_officer=previous["officer_id"],
            reason=reason.strip(),
            after_signoff=signed,
        )

    def received_at_opening(self, ballot: str) -> int | None:
        """The ballots counted at opening for ``ballot`` (C.Hasil rule 9), once recorded; None
        before, and on a kiosk without a profile (nothing was counted)."""
        if self._checklist is None:
            return None
        for phase in self._checklist.phases:
            for step in phase.steps:
                if step.feeds == "ballots_received":
                    rows = self._db.read(
                        "SELECT value FROM checklist_record WHERE step = ?", (step.id,)
                    )
                    if rows:
                        counts = json.loads(rows[0]["value"])
                        value = counts.get(ballot)
                        return int(value) if isinstance(value, int) else None
        return None

    def due_reminders(self) -> list[Reminder]:
        """The reminders that fell due in the last minutes, tapped away or not."""
        return self._reminders.due(self.checklist.reminders)

    def shown_reminders(self) -> list[Reminder]:
        """The due reminders nobody has tapped away today, newest first."""
        return self._reminders.shown(self.checklist.reminders)

    def dismiss_reminder(self, at: dt.time) -> bool:
        """Tap today's reminder of ``at`` away for good; False if no reminder is due then."""
        return self._reminders.dismiss(self.checklist.reminders, at)

    def counting_running(self) -> bool:
        """The counting phase has begun and is not signed off yet."""
        for phase in self.checklist.phases:
            if phase.counting:
                rows = self._db.read(
                    "SELECT step FROM checklist_record WHERE phase = ?", (phase.id,)
                )
                done = {r["step"] for r in rows}
                return bool(done) and phase.steps[-1].id not in done
        return False

    def counting_deadline(self) -> dt.datetime | None:
        """Counting must end by midnight of the day it began, extended by at most the limit."""
        checklist = self.checklist
        for phase in checklist.phases:
            if phase.counting:
                rows = self._db.read(
                    "SELECT min(wall) AS w FROM checklist_record WHERE phase = ?", (phase.id,)
                )
                if rows and rows[0]["w"]:
                    began = dt.datetime.fromisoformat(rows[0]["w"])
                    midnight = dt.datetime.combine(
                        began.date() + dt.timedelta(days=1), dt.time(0), began.tzinfo
                    )
                    return midnight + dt.timedelta(hours=checklist.counting_limit_hours)
        return None

    def print_report(self, which: str, target: str, by: ActiveSession) -> None:
        """Print the opening or closing report, or the incidents list (``which``: one of
        kiosk.checklist.reports.REPORTS) on ``target`` ("receipt" or "a4")."""
        names = {o.id: o.name for o in self.profile.officers}
        title, lines = day_report(
            which, self.phases(), self.profile.identity, self._incident_lines(), names
        )
        self._printer.print(title, lines, target)

    def when_day_cleared(self, forget: Callable[[], None]) -> None:
        """Call ``forget`` when the training day is cleared (the bell forgets what it rang)."""
        self._day_cleared.append(forget)

    def clear_training_day(self, conn: sqlite3.Connection) -> dict[str, int]:
        deleted = conn.execute("DELETE FROM checklist_record").rowcount
        dismissed = conn.execute("DELETE FROM reminder_dismissed").rowcount
        for forget in self._day_cleared:
            forget()
        return {"checklist_record": deleted, "reminder_dismissed": dismissed}
