"""'Reset latihan': return a training kiosk to a clean TPS day, for the next group of trainees.

The reset is derived from the owners of the tables, not from a list: every service of
``kiosk.services.Services`` that owns tables (the ``DayOwner`` protocol) clears its day inside
one transaction (foreign keys checked at its end), and forgets its day in memory (the clock
correction, the bell's rung reminders, a failed card tap). A new table has a new owner, and the
schema test fails until that owner clears it. Then go the day's files (``DAY_FOLDERS`` below the
data directory: pages, documents, bundles, checklist scans, print spool), what the fake
printers printed, and the fake devices' faults.

Kept (their owners clear nothing): the officer roster (PIN lockouts are lifted) and the login
sessions, and the audit log, which is append-only by design: the reset is one more event in it
(``TRAINING_RESET``, with how many rows each table lost), never a hole. The TPS profile and the
device key are files outside ``DAY_FOLDERS``.

Everyone but the trainer who pressed the button is logged out (each logout audited, reason
``training_reset``): the next group starts the day by logging in, and the trainer stays on the
panel.

Production stays protected twice: the reset refuses outside training mode, and the database
trigger that keeps unsent upload jobs (schema 7) lets only *training* jobs go; a kiosk that
holds any document made outside training refuses the reset altogether.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.db import Database

if TYPE_CHECKING:
    from kiosk.services import DayOwner

log = logging.getLogger(__name__)

DAY_FOLDERS = ("documents", "outbox", "checklist", "spool", "tmp")
KEPT_TABLES = frozenset({"officer", "login_session", "audit_log", "audit_head"})
END_REASON = "training_reset"


@dataclass(frozen=True)
class ResetDone:
    deleted: dict[str, int]  # rows deleted per table
    printouts: int  # fake printer output files deleted
    logged_out: int  # sessions ended (everyone but the trainer)


def clear_tables(db: Database, owners: Iterable[DayOwner]) -> dict[str, int]:
    """Every owner clears its day in one transaction; rows deleted per table."""
    deleted: dict[str, int] = {}
    with db.write() as conn:
        # Each owner deletes its own rows, in any order: references between owners' tables
        # (print_job -> document) are checked once, at the commit.
        conn.execute("PRAGMA defer_foreign_keys = ON")
        for owner in owners:
            deleted |= owner.clear_training_day(conn)
    return deleted


def remove_day_folders(data_dir: Path) -> None:
    """The day's files, after the rows: a power cut in between leaves stray files, never rows
    without them."""
    for folder in DAY_FOLDERS:
        path = data_dir / folder
        if path.exists():
            try:
                shutil.rmtree(path)
            except OSError:
                log.exception("reset latihan: cannot remove %s", path)
