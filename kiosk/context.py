"""What one running kiosk holds: settings, database, devices, profile, audit log, logins.

Built by ``create_app`` and kept in ``app.extensions["kiosk"]``; never a module global.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from kiosk.audit import AuditLog
from kiosk.checklist.bell import ReminderBell
from kiosk.checklist.service import ChecklistService
from kiosk.clock import OffsetClock
from kiosk.db import Database
from kiosk.devices import Devices
from kiosk.profile import Profile
from kiosk.services.auth import AuthService
from kiosk.services.card_watch import CardWatch
from kiosk.settings import Settings
from kiosk.tps import TpsIdentity
from kiosk.upload.lights import QueueLights
from kiosk.upload.outbox import Outbox


@dataclass
class Kiosk:
    settings: Settings
    db: Database
    devices: Devices
    clock: OffsetClock
    audit: AuditLog
    auth: AuthService
    profile: Profile | None
    outbox: Outbox
    card_watch: CardWatch | None = None
    checklist: ChecklistService | None = None
    bell: ReminderBell | None = None
    lights: QueueLights | None = None

    @property
    def training(self) -> bool:
        return bool(self.settings.training)

    @property
    def tps(self) -> TpsIdentity | None:
        return self.profile.identity if self.profile else None

    def close(self) -> None:
        if self.card_watch is not None:
            self.card_watch.stop()
        if self.bell is not None:
            self.bell.stop()
        if self.lights is not None:
            self.lights.stop()
        self.devices.close()


def current_kiosk() -> Kiosk:
    kiosk: Kiosk = current_app.extensions["kiosk"]
    return kiosk
