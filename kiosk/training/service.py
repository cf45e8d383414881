"""The trainer's panel as a service: the trainer clock, simulated faults, C.Hasil practice
sheets, "Reset latihan".

Everything here is for a kiosk in training mode whose devices are all fakes and which has a
TPS profile (``available``); elsewhere every action refuses with
``Refused(TrainingCode.NOT_TRAINING)``. Every action is audited as done by the trainer.
``TrainingService`` also owns the network switch's table (``training_network``).
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from kiosk.audit import AuditLog, Event
from kiosk.clock import Clock, ClockCorrection
from kiosk.db import Database
from kiosk.devices import Devices
from kiosk.refusals import Refused
from kiosk.services.auth import ActiveSession, AuthService
from kiosk.training.clock import Moment, moments, on_day, tps_day
from kiosk.training.faults import Fault, FaultState, apply_fault, clear_device_faults, fault_state
from kiosk.training.network import NetworkSwitch
from kiosk.training.refusals import TrainingCode
from kiosk.training.reset import END_REASON, ResetDone, clear_tables, remove_day_folders
from kiosk.training.scenarios import EXPECTED_RULES, Loaded, Scenario, load

if TYPE_CHECKING:  # handed in by wiring: kiosk.training never imports kiosk.chasil
    from kiosk.chasil.service import ChasilService
    from kiosk.checklist.service import ChecklistService
    from kiosk.services import DayOwner

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClockMoved:
    before: dt.datetime  # the kiosk's time before the move
    after: dt.datetime  # and after it
    later_steps: int  # checklist steps recorded after the new time: they stay recorded


class TrainingService:
    """``owners``: the services that own the day's tables (``kiosk.services.day_owners``),
    asked at reset time; ``real_documents``: how many documents were made outside training;
    ``correction``: the one clock correction every process reads (the trainer clock moves it);
    ``checklist``: the day's checklist, whose times the trainer clock jumps to."""

    owns: ClassVar[tuple[str, ...]] = NetworkSwitch.owns

    def __init__(
        self,
        db: Database,
        audit: AuditLog,
        clock: Clock,
        devices: Devices,
        data_dir: Path,
        training: bool,
        provisioned: bool,
        auth: AuthService,
        chasil: ChasilService,
        owners: Callable[[], Sequence[DayOwner]],
        real_documents: Callable[[], int],
        correction: ClockCorrection,
        checklist: ChecklistService,
    ) -> None:
        self._db = db
        self._audit = audit
        self._clock = clock
        self._devices = devices
        self._data_dir = data_dir
        self.training = training
        self._provisioned = provisioned
        self._auth = auth
        self._chasil = chasil
        self._owners = owners
        self._real_documents = real_documents
        self._switch = NetworkSwitch(db)
        self._correction = correction
        self._checklist = checklist
        self._went_back: list[Callable[[], None]] = []

    @property
    def available(self) -> bool:
        """Training mode, every device fake, and a TPS profile: the panel is there."""
        return self.training and self._devices.all_fake and self._provisioned

    def _check(self) -> None:
        if not self.available:
            raise Refused(TrainingCode.NOT_TRAINING)

    def fault_state(self) -> FaultState:
        """Each simulated device (and the network) as it is now."""
        self._check()
        return fault_state(self._devices, self._switch)

    def apply_fault(self, fault: Fault, by: ActiveSession) -> None:
        """Set (or clear) one simulated fault; ``Refused(FAULT_UNAVAILABLE)`` when the device
        is not a fake on this kiosk."""
        self._check()
        apply_fault(fault, self._devices, self._switch, by.officer.id, self._clock.now())
        self._audit.record_for(Event.TRAINING_FAULT, by, fault=fault.value)

    def now(self) -> dt.datetime:
        """The kiosk's time, in the TPS's zone."""
        return self._clock.now()

    def moments(self) -> list[Moment]:
        """The moments of the day the trainer jumps to (kiosk.training.clock)."""
        self._check()
        return moments(self._checklist.checklist)

    def set_clock(self, at: dt.time, by: ActiveSession) -> ClockMoved:
        """Make the kiosk read ``at`` on the practice day (kiosk.training.clock.tps_day), for
        every process of the kiosk. Going back is allowed: what was recorded stays recorded,
        and reminders ring again when their time comes round."""
        self._check()
        before = self._clock.now()
        walls = [dt.datetime.fromisoformat(r["wall"]) for r in self._checklist.records().values()]
        wanted = on_day(tps_day(before, walls, self._checklist.profile.election_date), at, before)
        self._correction.save(wanted, by.officer.id)
        after = self._moved(before, by, real_time=False)
        return ClockMoved(before, after, sum(1 for w in walls if w > after))

    def real_time(self, by: ActiveSession) -> ClockMoved:
        """Back to the system's time (no correction kept), as after "Reset latihan"."""
        self._check()
        before = self._clock.now()
        self._correction.forget()
        return ClockMoved(before, self._moved(before, by, real_time=True), 0)

    def _moved(self, before: dt.datetime, by: ActiveSession, real_time: bool) -> dt.datetime:
        """Audit a move of the clock (from, to); the time now."""
        after = self._clock.now()
        self._audit.record_for(
            Event.TRAINER_CLOCK,
            by,
            real_time=real_time,
            **{"from": before.isoformat(timespec="seconds")},
            to=after.isoformat(timespec="seconds"),
        )
        if after < before:
            for went_back in self._went_back:
                went_back()
        return after

    def when_clock_went_back(self, forget: Callable[[], None]) -> None:
        """Call ``forget`` when the trainer moves the clock back (the bell rings again)."""
        self._went_back.append(forget)

    def scenarios(self) -> list[tuple[str, list[int]]]:
        """Each practice sheet and the check rules it makes the kiosk report."""
        return [(s.value, sorted(EXPECTED_RULES[s])) for s in Scenario]

    def load_scenario(self, scenario: Scenario, by: ActiveSession) -> Loaded:
        """Replace the day's C.Hasil numbers with the scenario's sheets (see
        kiosk.training.scenarios); ``Refused(SCENARIO_UNAVAILABLE)`` when this TPS profile
        cannot show its mistake."""
        self._check()
        loaded = load(scenario, self._chasil, by, self._chasil.clear_numbers)
        self._audit.record_for(
            Event.TRAINING_SCENARIO, by, scenario=scenario.value, ballots=list(loaded.ballots)
        )
        return loaded

    def reset(self, by: ActiveSession) -> ResetDone:
        """ "Reset latihan" (kiosk.training.reset), audited as done by ``by``;
        ``Refused(REAL_DOCUMENTS_KEPT)`` on a kiosk holding documents made outside training."""
        self._check()
        real = self._real_documents()
        if real:
            raise Refused(TrainingCode.REAL_DOCUMENTS_KEPT, count=real)
        deleted = clear_tables(self._db, self._owners())
        remove_day_folders(self._data_dir)
        printouts = clear_device_faults(self._devices)
        others = self._auth.open_sessions(but=by.id)
        for session_id in others:
            self._auth.end(session_id, END_REASON)
        self._audit.record_for(
            Event.TRAINING_RESET,
            by,
            deleted={t: n for t, n in deleted.items() if n},
            printouts=printouts,
            logged_out=len(others),
        )
        log.info("reset latihan by %s: %s", by.officer.id, deleted)
        return ResetDone(deleted, printouts, len(others))

    def clear_training_day(self, conn: sqlite3.Connection) -> dict[str, int]:
        """The network is up again for the next group."""
        return self._switch.clear_training_day(conn)
