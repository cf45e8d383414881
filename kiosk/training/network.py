"""The trainer's "network down" switch, and the uploader wrapper that obeys it.

The switch is a row in the kiosk database (``training_network``, schema 7) because the upload
worker is another process (``tps-kiosk worker``): the web app sets it, the worker reads it on
every call. ``make_uploader`` wraps the real uploader in ``TrainingNetwork`` only when the kiosk
runs in training mode, so a production worker never consults the switch.
"""

from __future__ import annotations

from collections.abc import Callable

from kiosk.clock import Clock
from kiosk.db import Database
from kiosk.upload.adapter import NetworkDown, Uploader, UploadItem
from kiosk.upload.outbox import Receipt

SIMULATED = "simulasi: the trainer switched the network off"


def network_down(db: Database) -> bool:
    rows = db.read("SELECT down FROM training_network WHERE id = 1")
    return bool(rows and rows[0]["down"])


def set_network_down(db: Database, clock: Clock, down: bool, by: str) -> None:
    with db.write() as conn:
        conn.execute(
            "INSERT INTO training_network (id, down, set_by, set_wall) VALUES (1, ?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET down = excluded.down, set_by = excluded.set_by,"
            " set_wall = excluded.set_wall",
            (int(down), by, clock.now().isoformat()),
        )


class TrainingNetwork:
    """An Uploader that behaves as if the network were gone while the switch is on: the probe
    finds nothing and every server call raises NetworkDown, exactly what a pulled cable gives
    the worker. With the switch off it passes every call through."""

    def __init__(self, inner: Uploader, db: Database) -> None:
        self.inner = inner
        self.db = db

    def _check(self) -> None:
        if network_down(self.db):
            raise NetworkDown(SIMULATED)

    def probe(self) -> bool:
        if network_down(self.db):
            return False
        return self.inner.probe()

    def receipt(self, key: str) -> Receipt | None:
        self._check()
        return self.inner.receipt(key)

    def send(self, item: UploadItem, on_progress: Callable[[str, int], None]) -> Receipt:
        self._check()
        return self.inner.send(item, on_progress)
