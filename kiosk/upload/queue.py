"""The upload queue as the screen and the technician's commands see it (``services.queue``).

One service for both: the queue screen (kiosk.views.queue) and ``tps-kiosk queue list|retry|
export`` (kiosk.upload.cli) read the same counts and words and are audited the same way. It
owns the tables ``upload_job``, ``uplink`` and ``usb_export``, through the Outbox (the worker,
another process, writes them through its own Outbox).
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import sqlite3
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

from flask_babel import gettext as _

from kiosk.audit import Actor, AuditLog, Event
from kiosk.core import Core
from kiosk.devicekey import ensure_key
from kiosk.profile import Profile
from kiosk.refusals import KioskCode, Refused
from kiosk.tps_time import format_tps_time
from kiosk.upload import explain
from kiosk.upload.outbox import SENT, Job, Outbox, QueueCounts
from kiosk.upload.record_outbox import RecordJob, RecordOutbox
from kiosk.upload.refusals import UPLOAD_WORDING, ExportCode, UploadProblem
from kiosk.upload.usb_export import ExportDone, export_bundles, usb_drives

log = logging.getLogger(__name__)

# Who acts when ``by`` is a string: the technician's command line ("teknisi-cli").
By = Actor | str


class QueuedJob(NamedTuple):
    job: Job
    message: str  # what it waits for, in the current language


class BallotRecord(NamedTuple):
    """A ballot's newest result record (the numbers, sent ahead of the scan)."""

    record: RecordJob
    message: str  # what it waits for, in the current language


class LastExport(NamedTuple):
    bundles: int  # documents written and checked
    time: str  # when, on the TPS's clock with its zone: "13:40 WITA"


class NextAction(enum.Enum):
    """The queue screen's one primary action: what helps the documents on now."""

    RETRY = "retry"  # documents wait for the server: "Coba sekarang"
    USB = "usb"  # no server or no network, and a drive is plugged in: export to it
    HOME = "home"  # nothing here to do (all received, or no way to send yet): back home


class QueueService:
    """Counts, jobs in words, the uplink, "Coba sekarang" and USB export."""

    owns: ClassVar[tuple[str, ...]] = ("upload_job", "result_record", "uplink", "usb_export")

    def __init__(
        self,
        outbox: Outbox,
        audit: AuditLog,
        data_dir: Path,
        usb_root: Path,
        profile: Profile | None,
        endpoint_override: str = "",
    ) -> None:
        self._outbox = outbox
        self._records = RecordOutbox(outbox)
        self._audit = audit
        self._data_dir = data_dir
        self._usb_root = usb_root
        self._profile = profile
        self._endpoint = endpoint_override or (profile.upload_endpoint if profile else "")

    # Reading -----------------------------------------------------------------------------------
    def counts(self) -> QueueCounts:
        return self._outbox.counts()

    def jobs(self) -> list[QueuedJob]:
        """Every job (unsent first, in sending order) with what it waits for, in words (needs
        the kiosk's catalogue: a request, or ``kiosk.i18n.in_language``)."""
        return [QueuedJob(job, self.message(job)) for job in self._outbox.jobs()]

    def records(self) -> dict[str, BallotRecord]:
        """Each ballot's newest result record with what it waits for, in words."""
        newest = {r.ballot: r for r in self._records.records()}  # oldest first: last wins
        return {b: BallotRecord(r, self.record_message(r)) for b, r in newest.items()}

    def records_unsent(self) -> int:
        """Result records without a receipt (superseded ones too: they still go)."""
        return sum(r.state != SENT for r in self._records.records())

    def record_message(self, record: RecordJob) -> str:
        if record.state == SENT:
            return str(_("Numbers received by the server; the scan follows."))
        problem = UploadProblem.stored(record.error_code)
        if record.state != "failed" and problem.needs_person:
            problem = UploadProblem.NONE  # made due again by "Coba sekarang"
        when = self._time(self._records.next_attempt_at(record))
        return str(UPLOAD_WORDING[problem]) % {"time": when, "code": record.error_code}

    def message(self, job: Job) -> str:
        return explain.job_message(job, self._time(self._outbox.next_attempt_at(job)))

    def uplink(self) -> tuple[bool, str] | None:
        """(online, checked at) as the worker last saw it; None before its first look."""
        return self._outbox.uplink()

    def online(self) -> bool | None:
        uplink = self._outbox.uplink()
        return uplink[0] if uplink else None

    def server_configured(self) -> bool:
        """Is there a collector URL (setting ``upload_endpoint`` or the TPS profile's)?"""
        return bool(self._endpoint)

    def usb_drives(self) -> list[Path]:
        """The drives mounted below ``usb_export_root`` that can be written."""
        return usb_drives(self._usb_root)

    def last_export(self) -> LastExport | None:
        row = self._outbox.last_export()
        if row is None:
            return None
        return LastExport(int(row["bundles"]), self._time(row["wall"]))

    def next_action(self, drives: list[Path]) -> NextAction:
        """The screen's primary action, given the drives offered: sending when a server can be
        asked, the USB drive when the network (or the server address) is missing and a drive
        is there, else home — also when every document is received."""
        if not self.counts().unsent and not self.records_unsent():
            return NextAction.HOME
        if drives and (not self.server_configured() or self.online() is False):
            return NextAction.USB
        return NextAction.RETRY if self.server_configured() else NextAction.HOME

    # Acting ------------------------------------------------------------------------------------
    def retry_now(self, by: By) -> int:
        """ "Coba sekarang": every unsent document is due now (audited UPLOAD_RETRY)."""
        n = self._outbox.retry_now()
        self._record(Event.UPLOAD_RETRY, by, jobs=n, records=self._records.retry_records_now())
        return n

    def export_to_drive(self, chosen: str, by: By) -> ExportDone:
        """``export`` onto the offered drive the operator chose (by its path); a drive that
        is not (or no longer) offered: ``ExportCode.NO_DRIVE``."""
        self._tps_code()
        for drive in self.usb_drives():
            if str(drive) == chosen:
                return self.export(drive, by)
        raise Refused(ExportCode.NO_DRIVE, detail=f"{chosen!r} is not a mounted drive")

    def export(self, drive: Path, by: By) -> ExportDone:
        """Write and check every signed document on ``drive`` (a mounted drive, or the
        technician's folder), signed with the device key (audited USB_EXPORT). Refuses
        ``KioskCode.NOT_PROVISIONED`` or an ``ExportCode``."""
        tps_code = self._tps_code()  # before the key: an unprovisioned kiosk makes none here
        done = export_bundles(
            self._outbox,
            ensure_key(self._data_dir),
            tps_code,
            drive,
            self._outbox.clock,
            by if isinstance(by, str) else by.officer.id,
        )
        self._record(Event.USB_EXPORT, by, folder=str(done.folder), n=done.bundles)
        return done

    def clear_training_day(self, conn: sqlite3.Connection) -> dict[str, int]:
        """Reset latihan: the day's jobs, uplink and exports go (the ``upload_job_kept``
        trigger still keeps an unsent job made outside training)."""
        return self._outbox.clear_training_day(conn)

    def _time(self, when: dt.datetime | str) -> str:
        """``when`` as the wall shows it, with the TPS's zone once it is provisioned."""
        if self._profile is None:
            moment = dt.datetime.fromisoformat(when) if isinstance(when, str) else when
            return moment.strftime("%H:%M")
        return format_tps_time(when, self._profile.identity.code, "%H:%M")

    def _tps_code(self) -> str:
        if self._profile is None:
            raise Refused(KioskCode.NOT_PROVISIONED)
        return self._profile.identity.code

    def _record(self, event: Event, by: By, **details: Any) -> None:
        if isinstance(by, str):
            self._audit.record(event, officer=by, **details)
        else:
            self._audit.record_for(event, by, **details)


def queue_service(
    core: Core, profile: Profile | None, outbox: Outbox | None = None
) -> QueueService:
    """The queue of ``core``'s data directory (the web app passes the outbox its queue lights
    watch; a command makes its own)."""
    return QueueService(
        outbox or Outbox(core.db, core.clock, core.data_dir),
        core.audit,
        core.data_dir,
        Path(core.settings.usb_export_root),
        profile,
        core.settings.upload_endpoint,
    )
