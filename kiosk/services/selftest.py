"""The self-test: the readiness check (kiosk.services.readiness) run by an officer or by
``tps-kiosk selftest``, its stored reports, the printed report and the device key it names."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from kiosk.audit import AuditLog, Event
from kiosk.db import Database
from kiosk.devicekey import fingerprint, key_path, load_key
from kiosk.devices import Devices
from kiosk.errors import guidance_by_name
from kiosk.refusals import RefusalCode, Refused, wording
from kiosk.services.auth import ActiveSession
from kiosk.services.printing import TARGETS, print_text_report
from kiosk.services.readiness import Report, SelftestContext, check_all
from kiosk.storage_faults import storage_fault
from kiosk.tps import TpsIdentity
from kiosk.tps_time import format_tps_time

log = logging.getLogger(__name__)


def store(db: Database, data_dir: Path, report: Report) -> None:
    """Keep ``report`` (the newest is what the home screen and the status strip show)."""
    if not next(c.ok for c in report.checks if c.name == "database"):
        return  # never write into a missing or damaged database
    try:
        with db.write() as conn:
            conn.execute(
                "INSERT INTO selftest_report (created_wall, created_mono, ok, report_json)"
                " VALUES (?, ?, ?, ?)",
                (
                    report.created.isoformat(),
                    time.monotonic(),
                    int(report.ready),
                    json.dumps(report.to_json()),
                ),
            )
    except sqlite3.Error as exc:  # a full disk: the report is still shown, only not kept
        fault = storage_fault(exc, data_dir)
        if fault is None:
            raise
        log.warning("self-test report not stored: %s", fault)


def last_report(db: Database) -> dict[str, Any] | None:
    rows = db.read("SELECT report_json FROM selftest_report ORDER BY id DESC LIMIT 1")
    if not rows:
        return None
    report: dict[str, Any] = json.loads(rows[0][0])
    return report


class SelftestCode(RefusalCode):
    NOT_RUN = "not_run"  # printing the report before any self-test


SELFTEST_WORDING = wording(SelftestCode, {SelftestCode.NOT_RUN: _l("Run the self-test first.")})

CHECK_NAMES = {
    "data_dir": _l("Data storage"),
    "database": _l("Database"),
    "disk": _l("Free space"),
    "clock": _l("Clock"),
    "scanner": _l("Scanner"),
    "title_reader": _l("Sheet title reader"),
    "receipt_printer": _l("Receipt printer"),
    "document_printer": _l("A4 printer"),
    "card_reader": _l("Card reader"),
    "panel": _l("Status lights and button"),
}

# What each check found, in words (kiosk.services.readiness.DETAIL_TEXT: the technician's).
DETAIL_WORDING = {
    "writable": _l("can be written"),
    "database_ok": _l("checked, intact"),
    "free_space": _l("%(mib)s MiB free"),
    "clock": _l("reads %(time)s"),
    "test_scan": _l("test scan %(width)s×%(height)s px at %(dpi)s dpi"),
    "receipt_ready": _l("ready; paper %(dots)s dots wide"),
    "receipt_printed": _l("ready; paper %(dots)s dots wide; test receipt printed"),
    "a4_ready": _l("ready"),
    "a4_printed": _l("ready; test page printed"),
    "card_reader": _l("answers"),
    "panel": _l("lights and button answer"),
    "title_reader": _l("Tesseract %(version)s, Indonesian"),
    "not_configured": _l("not connected to this kiosk"),
    "failed": _l("check failed"),
}


class SelftestService:
    """The self-test page's and ``tps-kiosk selftest``'s one way to the readiness check and its
    stored reports. ``audit`` is None only for the command on a missing or damaged database,
    which never records anything."""

    owns: ClassVar[tuple[str, ...]] = ("selftest_report",)

    def __init__(
        self,
        devices: Devices,
        db: Database,
        audit: AuditLog | None,
        data_dir: Path,
        min_free_mb: int,
        required: frozenset[str],
        training: bool,
        tps: TpsIdentity | None,
        now: Callable[[], dt.datetime] | None = None,
    ) -> None:
        """``now``: the kiosk's clock (with the Ketua's correction), which times the reports;
        the system's without one (the command line on a damaged database)."""
        self._now = now
        self._devices = devices
        self._db = db
        self._audit = audit
        self._data_dir = Path(data_dir)
        self._min_free_mb = min_free_mb
        self._required = required
        self._training = training
        self._tps = tps

    def check(self, test_print: bool = False) -> Report:
        """Run every check and keep the report (not audited: the command line's run)."""
        report = check_all(
            SelftestContext(
                devices=self._devices,
                db=self._db,
                data_dir=self._data_dir,
                min_free_mb=self._min_free_mb,
                required=self._required,
                test_print=test_print,
                kiosk_now=self._now,
            )
        )
        store(self._db, self._data_dir, report)
        return report

    def run(self, test_print: bool, by: ActiveSession | None) -> Report:
        """An officer's self-test: checked, kept and audited."""
        report = self.check(test_print)
        assert self._audit is not None, "an officer's self-test runs in the web app"
        failed = [c.name for c in report.checks if not c.ok]
        self._audit.record_for(Event.SELFTEST, by, ready=report.ready, failed=failed)
        return report

    def last_report(self) -> dict[str, Any] | None:
        """The newest report as the screen shows it, in the current language: each check's
        ``detail`` in words (a report stored before the detail codes keeps its own text; a
        failed check says nothing more than its guidance) and ``created_shown``, the time on
        the TPS's clock with its zone."""
        report = last_report(self._db)
        if report is None:
            return None
        for check in report["checks"]:
            if check.get("code") == "failed" and guidance_by_name(check.get("error") or ""):
                check["detail"] = ""
            else:
                check["detail"] = self.detail_words(check)
        report["created_shown"] = self._time(report["created"], "%d-%m-%Y %H:%M")
        return report

    def _time(self, when: str, fmt: str) -> str:
        return format_tps_time(when, self._tps.code if self._tps else "", fmt)

    def detail_words(self, check: dict[str, Any]) -> str:
        """What a check found, in words; a report stored before the codes: its own text."""
        code = check.get("code")
        if code not in DETAIL_WORDING:
            return str(check.get("detail", ""))
        if code == "failed":
            guidance = guidance_by_name(check.get("error") or "")
            return str(guidance.title) if guidance else str(DETAIL_WORDING[code])
        params = dict(check.get("params") or {})
        if code == "clock":
            params["time"] = self._time(str(params["time"]), "%d-%m-%Y %H:%M")
        return str(DETAIL_WORDING[code]) % params if params else str(DETAIL_WORDING[code])

    def device_key_fingerprint(self) -> str | None:
        """The device key's fingerprint; None before provisioning made the key."""
        if not key_path(self._data_dir).exists():
            return None
        return fingerprint(load_key(self._data_dir))

    def report_lines(self, report: dict[str, Any]) -> list[str]:
        """The report as printed (and as ``tps-kiosk selftest`` shows it), in the current
        language."""
        tps = self._tps
        lines = []
        if tps is not None:
            lines.append(f"TPS {tps.code} — {tps.village}")
        # On paper every time carries its zone (WIB/WITA/WIT), on the TPS's clock.
        when = self._time(report["created"], "%d-%m-%Y %H:%M:%S")
        lines.append(_("Time: %(time)s", time=when))
        key = self.device_key_fingerprint()
        if key is not None:
            lines.append(_("Device key: %(fp)s", fp=key))
        lines.append(_("Ready") if report["ready"] else _("NOT READY"))
        for check in report["checks"]:
            mark = "OK" if check["ok"] else _("FAILED")
            name = CHECK_NAMES.get(check["name"], check["name"])
            lines.append(f"{mark} — {name}: {self.detail_words(check)}")
        return lines

    def print_lines(self, lines: list[str], target: str) -> None:
        """Print a readiness report's lines on ``target`` ("receipt" or "a4")."""
        print_text_report(
            self._devices,
            _("Device readiness report"),
            lines,
            target,
            self._training,
            self._data_dir / "spool",
        )

    def print_report(self, target: str, by: ActiveSession | None) -> None:
        """Print the last report on ``target`` (anything else: the receipt printer), audited.
        Refuses NOT_RUN before the first self-test."""
        report = self.last_report()
        if report is None:
            raise Refused(SelftestCode.NOT_RUN)
        if target not in TARGETS:
            target = "receipt"
        self.print_lines(self.report_lines(report), target)
        assert self._audit is not None, "an officer's print runs in the web app"
        self._audit.record_for(Event.PRINT, by, document="readiness_report", printer=target)

    def clear_training_day(self, conn: sqlite3.Connection) -> dict[str, int]:
        return {"selftest_report": conn.execute("DELETE FROM selftest_report").rowcount}
