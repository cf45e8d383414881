"""Where the TPS day stands, and recording its steps.

Progress is derived from the records in SQLite, never kept in memory, so a kiosk restarted in
the middle of a phase shows exactly where it was. Every record and sign-off is audited with the
officer, wall and monotonic time and the clock offset in force.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from kiosk.audit import AuditLog, Event
from kiosk.checklist.model import Checklist, Phase, Reminder, Step
from kiosk.clock import OffsetClock
from kiosk.db import Database
from kiosk.profile import Profile
from kiosk.roles import Role
from kiosk.services.auth import ActiveSession

REMINDER_SHOWN_MIN = 30  # a reminder stays on screen this long after its time
CLOCK_JUMP_S = 120  # the clock going back more than this since the last record is implausible


COUNTING_PHASE = "penghitungan"  # its sign-off needs every ballot's C.Hasil confirmed and signed


class StepRefused(Exception):
    """A step cannot be recorded now; ``code`` says why (the view words it)."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class StepState:
    step: Step
    status: str  # done | open | waiting (a time) | locked (an earlier phase)
    record: dict[str, Any] | None = None

    @property
    def value(self) -> Any:
        return json.loads(self.record["value"]) if self.record else None

    @property
    def shown(self) -> str:
        """The recorded value as a person reads it ("" for a tick): numbers per ballot as
        ``PPWP 285 · DPR 285``, a scan by the start of its SHA-256."""
        value = self.value
        if value is True or value is None:
            return ""
        if isinstance(value, dict) and "sha256" in value:
            return "#" + str(value["sha256"])[:12].upper()
        if isinstance(value, dict):
            return " · ".join(f"{k} {v}" for k, v in value.items())
        return str(value)


@dataclass(frozen=True)
class PhaseState:
    phase: Phase
    status: str  # done | open | locked
    steps: tuple[StepState, ...]


class ChecklistService:
    def __init__(
        self,
        db: Database,
        audit: AuditLog,
        clock: OffsetClock,
        checklist: Checklist,
        profile: Profile,
    ) -> None:
        self.db = db
        self.audit = audit
        self.clock = clock
        self.checklist = checklist
        self.profile = profile

    def records(self) -> dict[str, dict[str, Any]]:
        return {r["step"]: dict(r) for r in self.db.read("SELECT * FROM checklist_record")}

    def phases(self) -> list[PhaseState]:
        records = self.records()
        now = self.clock.now().time()
        out: list[PhaseState] = []
        previous_done = True
        for phase in self.checklist.phases:
            steps = []
            for step in phase.steps:
                if step.id in records:
                    status = "done"
                elif not previous_done:
                    status = "locked"
                elif step.not_before is not None and now < step.not_before:
                    status = "waiting"
                else:
                    status = "open"
                steps.append(StepState(step, status, records.get(step.id)))
            done = phase.steps[-1].id in records
            out.append(
                PhaseState(
                    phase, "done" if done else "open" if previous_done else "locked", tuple(steps)
                )
            )
            previous_done = done
        return out

    def current(self) -> PhaseState | None:
        return next((p for p in self.phases() if p.status == "open"), None)

    def clock_implausible(self) -> bool:
        """Before the election date, or earlier than something already recorded."""
        now = self.clock.now()
        if now.date() < self.profile.election_date:
            return True
        last = self.db.read("SELECT max(wall) AS w FROM checklist_record")[0]["w"]
        return bool(
            last and dt.datetime.fromisoformat(last) - now > dt.timedelta(seconds=CLOCK_JUMP_S)
        )

    def _validate(self, step: Step, value: Any, reason: str, by: ActiveSession) -> Any:
        if step.kind == "signoff" and by.officer.role is not Role.KETUA:
            raise StepRefused("ketua_only")
        if step.kind in {"tick", "signoff"}:
            return True
        if step.kind == "number":
            if step.per_ballot:
                types = [b.type for b in self.profile.ballots]
                if not isinstance(value, dict) or sorted(value) != sorted(types):
                    raise StepRefused("numbers_missing")
                return {t: _whole(value[t]) for t in types}
            return _whole(value)
        if step.kind == "text":
            if not isinstance(value, str) or not value.strip():
                raise StepRefused("text_missing")
            return value.strip()
        if step.kind == "clock":
            return self._clock_step(value, by)
        if step.kind == "scan":
            if not isinstance(value, dict) or "sha256" not in value:
                raise StepRefused("scan_missing")
            return value
        raise AssertionError(step.kind)

    def _clock_step(self, value: Any, by: ActiveSession) -> Any:
        """``{"confirm": true}`` or ``{"set": "HH:MM"}`` (today's date kept). Ketua only."""
        if by.officer.role is not Role.KETUA:
            raise StepRefused("ketua_only")
        if isinstance(value, dict) and isinstance(value.get("set"), str):
            try:
                hh, mm = (int(x) for x in value["set"].split(":"))
                wanted = self.clock.now().replace(hour=hh, minute=mm, second=0, microsecond=0)
            except ValueError as exc:
                raise StepRefused("bad_time") from exc
            if self.clock.now().date() < self.profile.election_date:
                wanted = wanted.replace(
                    year=self.profile.election_date.year,
                    month=self.profile.election_date.month,
                    day=self.profile.election_date.day,
                )
            self.set_clock(wanted, by)
            return {"set": wanted.isoformat(timespec="minutes")}
        if isinstance(value, dict) and value.get("confirm") is True:
            if self.clock_implausible():
                raise StepRefused("clock_implausible")
            return {"confirm": self.clock.now().isoformat(timespec="minutes")}
        raise StepRefused("bad_time")

    def set_clock(self, wanted: dt.datetime, by: ActiveSession) -> None:
        offset = (wanted - self.clock.base.now()).total_seconds()
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO clock_offset (id, offset_s, set_by, set_wall) VALUES"
                " (1, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET offset_s ="
                " excluded.offset_s, set_by = excluded.set_by, set_wall ="
                " excluded.set_wall",
                (offset, by.officer.id, wanted.isoformat()),
            )
        self.clock.offset_s = offset
        self.audit.record_for(
            Event.CLOCK_SET,
            by,
            offset_s=round(offset, 1),
            wall=wanted.isoformat(),
        )

    def record(self, step_id: str, value: Any, by: ActiveSession, reason: str = "") -> None:
        phase, step = self.checklist.step(step_id)
        state = next(
            s
            for p in self.phases()
            if p.phase.id == phase.id
            for s in p.steps
            if s.step.id == step_id
        )
        if state.status == "done":
            raise StepRefused("already_done")
        if state.status == "locked":
            raise StepRefused("phase_locked")
        if step.kind == "signoff":
            records = self.records()
            missing = [s.title for s in phase.steps if s.id != step.id and s.id not in records]
            if missing:
                raise StepRefused("steps_missing", steps="; ".join(missing))
            if phase.id == COUNTING_PHASE:
                unfinished = self._ballots_without_document()
                if unfinished:
                    raise StepRefused("chasil_missing", ballots=", ".join(unfinished))
        if state.status == "waiting":
            assert step.not_before is not None
            raise StepRefused("too_early", time=step.not_before.strftime("%H:%M"))
        now = self.clock.now()
        late_min = 0
        if step.late_after is not None:
            late_after = dt.datetime.combine(now.date(), step.late_after, now.tzinfo)
            late_min = int((now - late_after).total_seconds() // 60)
            if late_min >= 1 and not reason.strip():
                raise StepRefused("reason_needed", minutes=late_min)
        stored = self._validate(step, value, reason, by)
        now = self.clock.now()  # again: a clock step has just corrected it
        with self.db.write() as conn:
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
                    self.clock.monotonic(),
                    self.clock.offset_s,
                ),
            )
        self.audit.record_for(
            Event.CHECKLIST_STEP,
            by,
            phase=phase.id,
            step=step.id,
            value=stored,
            reason=reason.strip(),
            late_minutes=max(0, late_min),
            beyond_allowed=late_min > step.max_late_minutes if step.late_after else False,
            clock_offset=self.clock.offset_s,
        )

    def counted_ballots(self) -> tuple[set[str], set[str]]:
        """(ballot types with confirmed C.Hasil numbers, ballot types with a signed document)."""
        confirmed = {r["ballot"] for r in self.db.read("SELECT ballot FROM chasil_confirmed")}
        signed = {r["ballot"] for r in self.db.read("SELECT DISTINCT ballot FROM document")}
        return confirmed, signed

    def _ballots_without_document(self) -> list[str]:
        """Ballot types whose C.Hasil is not yet confirmed and signed: counting is not over."""
        confirmed, signed = self.counted_ballots()
        return [
            b.type for b in self.profile.ballots if b.type not in confirmed or b.type not in signed
        ]

    def received_at_opening(self, ballot: str) -> int | None:
        """The ballots counted at opening for ``ballot`` (C.Hasil rule 9), once recorded."""
        for phase in self.checklist.phases:
            for step in phase.steps:
                if step.feeds == "ballots_received":
                    rows = self.db.read(
                        "SELECT value FROM checklist_record WHERE step = ?", (step.id,)
                    )
                    if rows:
                        counts = json.loads(rows[0]["value"])
                        value = counts.get(ballot)
                        return int(value) if isinstance(value, int) else None
        return None

    def due_reminders(self) -> list[Reminder]:
        now = self.clock.now()
        out = []
        for r in self.checklist.reminders:
            at = dt.datetime.combine(now.date(), r.at, now.tzinfo)
            if at <= now < at + dt.timedelta(minutes=REMINDER_SHOWN_MIN):
                out.append(r)
        return out

    def counting_deadline(self) -> dt.datetime | None:
        """Counting must end by midnight of the day it began, extended by at most the limit."""
        for phase in self.checklist.phases:
            if phase.counting:
                rows = self.db.read(
                    "SELECT min(wall) AS w FROM checklist_record WHERE phase = ?", (phase.id,)
                )
                if rows and rows[0]["w"]:
                    began = dt.datetime.fromisoformat(rows[0]["w"])
                    midnight = dt.datetime.combine(
                        began.date() + dt.timedelta(days=1), dt.time(0), began.tzinfo
                    )
                    return midnight + dt.timedelta(hours=self.checklist.counting_limit_hours)
        return None


def _whole(value: Any) -> int:
    if isinstance(value, bool):
        raise StepRefused("not_a_number")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or value < 0:
        raise StepRefused("not_a_number")
    return value
