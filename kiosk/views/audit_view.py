"""Recent audit events for the Ketua KPPS and the Teknisi, with the chain's state; and the words
every screen uses for the people and times in records: officers by name, never by id, and times
on the TPS's clock with its zone (WIB, WITA, WIT).

The filters are registered by this blueprint for every template (``officer_name``,
``local_time``, ``step_value``, ``device_name``), so a record reads the same on the audit
screen, the checklist, the incidents and C.Hasil.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint, render_template

from kiosk.checklist.reports import shown_value
from kiosk.errors import DEVICE_NAMES
from kiosk.roles import Permission
from kiosk.tps_time import format_tps_time
from kiosk.views.access import require, services

if TYPE_CHECKING:
    from kiosk.checklist.service import StepState

bp = Blueprint("audit", __name__, url_prefix="/audit")


def _tps_code() -> str:
    tps = services().kiosk.tps
    return tps.code if tps is not None else ""


@bp.app_template_filter("officer_name")
def officer_name(officer_id: str | None) -> str:
    """The officer's name ("—" for nobody); an id the roster does not know stays as it is."""
    if not officer_id:
        return "—"
    officer = services().auth.officer(officer_id)
    return officer.name if officer is not None else officer_id


@bp.app_template_filter("local_time")
def local_time(wall: str | None, fmt: str = "%H:%M") -> str:
    """A recorded time (ISO 8601) on the TPS's clock with its zone: "07:05 WITA"."""
    if not wall:
        return "—"
    return format_tps_time(wall, _tps_code(), fmt)


@bp.app_template_filter("step_value")
def step_value(state: StepState) -> str:
    """A checklist record's value in words (the clock step: the time set, with its zone)."""
    return shown_value(state, _tps_code())


@bp.app_template_filter("device_name")
def device_name(role: str) -> str:
    """A device by its role, as its faults name it: "Printer A4", "Printer struk"."""
    return str(DEVICE_NAMES[role])


@bp.get("/")
@require(Permission.VIEW_AUDIT)
def recent() -> str:
    found = services()
    checklist = found.checklist

    def step_title(step_id: str) -> str | None:
        step = checklist.find_step(step_id) if checklist.provisioned else None
        return str(step.title) if step is not None else None

    names = {o.id: o.name for o in found.auth.officers()}
    trail = found.audit_trail
    return render_template(
        "audit.html",
        rows=trail.shown(_tps_code(), names, step_title, limit=100),
        broken=trail.verify(),
    )
