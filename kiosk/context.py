"""What one running kiosk holds: settings, database, devices, TPS identity.

Built by ``create_app`` and kept in ``app.extensions["kiosk"]``; never a module global.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from kiosk.db import Database
from kiosk.devices import Devices
from kiosk.settings import Settings
from kiosk.tps import TpsIdentity


@dataclass
class Kiosk:
    settings: Settings
    db: Database
    devices: Devices
    tps: TpsIdentity | None

    @property
    def training(self) -> bool:
        return bool(self.settings.training)


def current_kiosk() -> Kiosk:
    kiosk: Kiosk = current_app.extensions["kiosk"]
    return kiosk
