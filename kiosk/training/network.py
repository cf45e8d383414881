"""The trainer's "network down" switch, and the uploader wrapper that obeys it.

The switch is a row in the kiosk database (``training_network``, schema 7, owned by
``NetworkSwitch``) because the upload worker is another process (``tps-kiosk worker``): the web
app sets it, the worker reads it on every call. ``make_uploader`` wraps the real uploader in
``TrainingNetwork`` only when the kiosk runs in training mode, so a production worker never
consults the switch.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from typing import ClassVar

from kiosk.db import Database
from kiosk.upload.adapter import NetworkDown, Uploader, UploadItem
from kiosk.upload.outbox import Receipt

SIMULATED = "simulasi: the trainer switched the network off"


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


class TrainingNetwork:
    """An Uploader that behaves as if the network were gone while the switch is on: the probe
    finds nothing and every server call raises NetworkDown, exactly what a pulled cable gives
    the worker. With the switch off it passes every call through."""

    def __init__(self, inner: Uploader, db: Database) -> None:
        self.inner = inner
        self.switch = NetworkSwitch(db)

    def _check(self) -> None:
        if self.switch.down():
            raise NetworkDown(SIMULATED)

    def probe(self) -> bool:
        if self.switch.down():
            return False
        return self.inner.probe()

    def receipt(self, key: str) -> Receipt | None:
        self._check()
        return self.inner.receipt(key)

    def send(self, item: UploadItem, on_progress: Callable[[str, int], None]) -> Receipt:
        self._check()
        return self.inner.send(item, on_progress)
