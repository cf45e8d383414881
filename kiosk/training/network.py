"""The trainer's "network down" switch.

The switch is a row in the kiosk database (``training_network``, schema 7, owned by
``NetworkSwitch``) because the upload worker is another process (``tps-kiosk worker``): the web
app sets it, the worker reads it on every call. The worker's ``make_uploader``
(kiosk.upload.run) wraps the real uploader in ``TrainingNetwork``, which asks the switch, only
when the kiosk runs in training mode, so a production worker never consults it.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import ClassVar

from kiosk.db import Database


class NetworkSwitch:
    """The one owner of table ``training_network``: one row, the switch as last set."""

    owns: ClassVar[tuple[str, ...]] = ("training_network",)

    def __init__(self, db: Database) -> None:
        self.db = db

    def down(self) -> bool:
        rows = self.db.read("SELECT down FROM training_network WHERE id = 1")
        return bool(rows and rows[0]["down"])

    def set_down(self, down: bool, by: str, at: dt.datetime) -> None:
        """Switch the network off (``down``) or on again, as the trainer ``by`` did at ``at``."""
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO training_network (id, down, set_by, set_wall) VALUES (1, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET down = excluded.down, set_by = excluded.set_by,"
                " set_wall = excluded.set_wall",
                (int(down), by, at.isoformat()),
            )

    def clear_training_day(self, conn: sqlite3.Connection) -> dict[str, int]:
        """The network is up again for the next group."""
        return {"training_network": conn.execute("DELETE FROM training_network").rowcount}
