"""What every screen shows about the kiosk itself: training or not, which TPS, the kiosk's
time, whether every device is a simulation, and whether the app can serve at all."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from kiosk.clock import Clock
from kiosk.db import Database
from kiosk.i18n import LANGUAGES
from kiosk.tps import TpsIdentity


class KioskInfo:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        data_dir: Path,
        training: bool,
        tps: TpsIdentity | None,
        all_fake: bool,
    ) -> None:
        self._db = db
        self._clock = clock
        self.data_dir = data_dir  # for the error pages' storage-fault check (kiosk.storage_faults)
        self.training = training
        self.tps = tps  # None until the kiosk is provisioned
        self.all_fake = all_fake  # every device simulated: the SIMULASI panels are offered
        self.languages = LANGUAGES

    def now(self) -> dt.datetime:
        """The kiosk's time (the Ketua's clock correction applied)."""
        return self._clock.now()

    def health(self) -> dict[str, object]:
        """For systemd and the kiosk browser: raises (a storage fault) unless the database
        answers; otherwise what /health reports."""
        from kiosk import __version__

        self._db.read("SELECT 1")
        return {"status": "ok", "version": __version__, "training": self.training}
