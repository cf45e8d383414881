"""'Reset latihan': return a training kiosk to a clean TPS day, for the next group of trainees.

Wiped: everything the day recorded (``DAY_TABLES``: checklist, incidents, the clock correction,
C.Hasil entries and confirmations, scanned pages, signed documents, recipients, print jobs,
upload jobs, the uplink as last seen, USB exports, the network switch, device check reports),
the day's files (``DAY_FOLDERS`` below the data directory: pages, documents, bundles, checklist
scans, print spool) and what the fake printers printed. PIN lockouts are lifted.

Kept: the officer roster, the TPS profile, the device key, and the audit log, which is
append-only by design: the reset is one more event in it (``TRAINING_RESET``, with how many
rows each table lost), never a hole.

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
from dataclasses import dataclass
from typing import TYPE_CHECKING

from drivers.printer.fake import FakeDocumentPrinter, FakeReceiptPrinter
from kiosk.audit import Event
from kiosk.services.auth import ActiveSession
from kiosk.training import NotTraining
from kiosk.training.faults import clear_device_faults

if TYPE_CHECKING:
    from kiosk.context import Kiosk

log = logging.getLogger(__name__)

# Children before parents (foreign keys: print_job and upload_job point at document).
DAY_TABLES = (
    "print_job",
    "upload_job",
    "document",
    "scan_page",
    "recipient",
    "chasil_entry",
    "chasil_confirmed",
    "checklist_record",
    "incident",
    "clock_offset",
    "uplink",
    "usb_export",
    "training_network",
    "selftest_report",
    "device_event",
)
DAY_FOLDERS = ("documents", "outbox", "checklist", "spool", "tmp")
END_REASON = "training_reset"


class RealDocumentsKept(Exception):
    """The kiosk holds documents made outside training: the reset would delete real results."""

    def __init__(self, count: int) -> None:
        super().__init__(f"{count} document(s) made outside training mode")
        self.count = count


@dataclass(frozen=True)
class ResetDone:
    deleted: dict[str, int]  # rows deleted per table
    printouts: int  # fake printer output files deleted
    logged_out: int  # sessions ended (everyone but the trainer)


def reset_training_day(kiosk: Kiosk, by: ActiveSession) -> ResetDone:
    """Wipe the training day (see the module docstring); audited as done by ``by``."""
    if not kiosk.training:
        raise NotTraining("reset")
    deleted: dict[str, int] = {}
    with kiosk.db.write() as conn:
        real = conn.execute("SELECT count(*) FROM document WHERE training = 0").fetchone()[0]
        if real:
            raise RealDocumentsKept(int(real))
        for table in DAY_TABLES:
            deleted[table] = conn.execute(f"DELETE FROM {table}").rowcount
        conn.execute("UPDATE officer SET failed_attempts = 0, lockouts = 0, locked_until = 0")
    # Files after the rows: a power cut in between leaves stray files, never rows without them.
    data_dir = kiosk.settings.data_dir
    for folder in DAY_FOLDERS:
        path = data_dir / folder
        if path.exists():
            try:
                shutil.rmtree(path)
            except OSError:
                log.exception("reset latihan: cannot remove %s", path)
    devices = kiosk.devices
    printouts = sum(
        printer.clear_jobs()
        for printer in (devices.receipt_printer, devices.document_printer)
        if isinstance(printer, FakeReceiptPrinter | FakeDocumentPrinter)
    )
    clear_device_faults(devices)
    if kiosk.card_watch is not None:
        kiosk.card_watch.take_failed_read()
    kiosk.clock.offset_s = 0.0  # the correction's row is gone; this process forgets it too
    if kiosk.bell is not None:
        kiosk.bell.forget_rung()
    others = kiosk.db.read("SELECT id FROM login_session WHERE ended IS NULL AND id != ?", (by.id,))
    for row in others:
        kiosk.auth.end(row["id"], END_REASON)
    kiosk.audit.record_for(
        Event.TRAINING_RESET,
        by,
        deleted={t: n for t, n in deleted.items() if n},
        printouts=printouts,
        logged_out=len(others),
    )
    log.info("reset latihan by %s: %s", by.officer.id, deleted)
    return ResetDone(deleted, printouts, len(others))
