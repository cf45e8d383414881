"""The trainer's panel as a service: simulated faults, C.Hasil practice sheets, "Reset latihan".

Everything here is for a kiosk in training mode whose devices are all fakes and which has a
TPS profile (``available``); elsewhere every action refuses with
``Refused(TrainingCode.NOT_TRAINING)``. Every action is audited as done by the trainer.
``TrainingService`` also owns the network switch's table (``training_network``).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from kiosk.audit import AuditLog, Event
from kiosk.clock import Clock
from kiosk.db import Database
from kiosk.devices import Devices
from kiosk.refusals import Refused
from kiosk.services.auth import ActiveSession, AuthService
from kiosk.training.faults import Fault, FaultState, apply_fault, clear_device_faults, fault_state
from kiosk.training.network import NetworkSwitch
from kiosk.training.refusals import TrainingCode
from kiosk.training.reset import END_REASON, ResetDone, clear_tables, remove_day_folders
from kiosk.training.scenarios import EXPECTED_RULES, Loaded, Scenario, load

if TYPE_CHECKING:  # handed in by wiring: kiosk.training never imports kiosk.chasil
    from kiosk.chasil.service import ChasilService
    from kiosk.services import DayOwner

log = logging.getLogger(__name__)


class TrainingService:
    """``owners``: the services that own the day's tables (``kiosk.services.day_owners``),
    asked at reset time; ``real_documents``: how many documents were made outside training."""

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
