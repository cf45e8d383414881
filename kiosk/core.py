"""What every process of one kiosk shares: the database, the kiosk's clock, the audit log.

The web app (kiosk.wiring), the upload worker and the technician's commands all open it with
``open_core``, so none audits on a clock that ignores the Ketua's correction (or the trainer's
clock) or reads the time in another zone than the TPS's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kiosk.audit import AuditLog
from kiosk.clock import Clock, OffsetClock, SystemClock, saved_offset
from kiosk.db import Database
from kiosk.integrity import open_database
from kiosk.settings import Settings
from kiosk.tps_time import tps_tzinfo


@dataclass
class Core:
    """The database, the kiosk's clock and the audit log of one data directory."""

    settings: Settings
    data_dir: Path
    db: Database
    clock: OffsetClock
    audit: AuditLog

    def use_zone(self, tps_code: str) -> None:
        """Read the kiosk's time in the zone of TPS ``tps_code`` (WIB, WITA or WIT); a province
        the zone table does not know keeps the system's zone."""
        self.clock.tz = tps_tzinfo(tps_code) or self.clock.tz

    def refresh_clock(self) -> None:
        """Take up a clock correction another process (the web app) saved meanwhile."""
        self.clock.offset_s = saved_offset(self.db)

    def close(self) -> None:
        self.db.close()


def open_core(settings: Settings, clock: Clock | None = None, need_officers: bool = True) -> Core:
    """Open the data directory's database (migrated; refuses a missing or damaged one with
    DatabaseMissing/DatabaseCorrupt/StorageFull, see kiosk.integrity) with the kiosk's clock."""
    data_dir = Path(settings.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    db = open_database(data_dir, need_officers)
    kiosk_clock = OffsetClock(clock or SystemClock(), saved_offset(db))
    core = Core(settings, data_dir, db, kiosk_clock, AuditLog(db, kiosk_clock))
    # Imported here: kiosk.services' modules build on the core, never the other way round.
    from kiosk.services.provisioning import installed_profile

    profile = installed_profile(data_dir)
    if profile is not None:
        core.use_zone(profile.identity.code)
    return core
