"""Self-test page: run the readiness check, show guidance for each failure, print the report."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from kiosk.audit import Event
from kiosk.context import current_kiosk
from kiosk.devicekey import fingerprint, key_path, load_key
from kiosk.fleet.timezone import format_tps_time
from kiosk.roles import Permission
from kiosk.services import selftest
from kiosk.services.printing import TARGETS, print_text_report
from kiosk.views.access import current_session, require

bp = Blueprint("selftest", __name__, url_prefix="/selftest")


def context(test_print: bool = False) -> selftest.SelftestContext:
    kiosk = current_kiosk()
    s = kiosk.settings
    return selftest.SelftestContext(
        devices=kiosk.devices,
        db=kiosk.db,
        data_dir=s.data_dir,
        min_free_mb=s.min_free_mb,
        required=s.required,
        test_print=test_print,
    )


CHECK_NAMES = {
    "data_dir": _l("Data storage"),
    "database": _l("Database"),
    "disk": _l("Free space"),
    "clock": _l("Clock"),
    "scanner": _l("Scanner"),
    "receipt_printer": _l("Receipt printer"),
    "document_printer": _l("A4 printer"),
    "card_reader": _l("Card reader"),
    "panel": _l("Status lights and button"),
}


def report_lines(report: dict[str, Any]) -> list[str]:
    kiosk = current_kiosk()
    lines = []
    if kiosk.tps is not None:
        lines.append(f"TPS {kiosk.tps.code} — {kiosk.tps.village}")
    # On paper every time carries its zone (WIB/WITA/WIT), on the TPS's clock.
    code = kiosk.tps.code if kiosk.tps is not None else ""
    when = format_tps_time(report["created"], code, "%d-%m-%Y %H:%M:%S")
    lines.append(_("Time: %(time)s", time=when))
    if key_path(kiosk.settings.data_dir).exists():
        lines.append(_("Device key: %(fp)s", fp=fingerprint(load_key(kiosk.settings.data_dir))))
    lines.append(_("Ready") if report["ready"] else _("NOT READY"))
    for check in report["checks"]:
        mark = "OK" if check["ok"] else _("FAILED")
        lines.append(f"{mark} — {CHECK_NAMES.get(check['name'], check['name'])}: {check['detail']}")
    return lines


@bp.get("/")
@require(Permission.VIEW_STATUS)  # the report names the device key: officers only
def show() -> str:
    kiosk = current_kiosk()
    data_dir = kiosk.settings.data_dir
    key = fingerprint(load_key(data_dir)) if key_path(data_dir).exists() else None
    return render_template("selftest.html", report=selftest.last_report(kiosk.db), device_key=key)


@bp.post("/")
@require(Permission.RUN_SELFTEST)
def run() -> Response:
    report = selftest.run(context(test_print=request.form.get("test_print") == "1"))
    _audit(Event.SELFTEST, ready=report.ready, failed=[c.name for c in report.checks if not c.ok])
    return redirect(url_for("selftest.show"))


def _audit(kind: Event, **details: object) -> None:
    current_kiosk().audit.record_for(kind, current_session(), **details)


@bp.post("/print")
@require(Permission.RUN_SELFTEST)
def print_() -> Response:
    kiosk = current_kiosk()
    report = selftest.last_report(kiosk.db)
    if report is None:
        flash(_("Run the self-test first."))
        return redirect(url_for("selftest.show"))
    target = request.form.get("printer", "receipt")
    if target not in TARGETS:
        target = "receipt"
    print_text_report(
        kiosk.devices,
        _("Device readiness report"),
        report_lines(report),
        target,
        kiosk.training,
        kiosk.settings.data_dir / "spool",
    )
    _audit(Event.PRINT, document="readiness_report", printer=target)
    flash(_("The readiness report was printed."))
    return redirect(url_for("selftest.show"))
