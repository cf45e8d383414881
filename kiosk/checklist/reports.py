"""The day's paper: the opening report, the closing report and C.Kejadian Khusus.

The opening report lists the steps of the preparation and opening phases, the closing report
those of every later phase; each step with its time (in the TPS's zone), value, officer and
the reason given for a late step, then every incident and objection of the day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from flask_babel import gettext as _

from kiosk.services.report_render import clock_time

if TYPE_CHECKING:
    from kiosk.checklist.service import PhaseState, StepState
    from kiosk.tps import TpsIdentity

REPORTS = ("opening", "closing", "incidents")
OPENING = ("persiapan", "pembukaan")  # the phases the opening report covers


def shown_value(state: StepState, tps_code: str) -> str:
    """A recorded step's value as a person reads it, in the current language: the clock step's
    time on the TPS's clock with its zone ("clock set to 06:50 WITA"), else ``state.shown``."""
    value = state.value
    if state.step.kind == "clock" and isinstance(value, dict):
        if isinstance(value.get("set"), str):
            return str(_("clock set to %(time)s", time=clock_time(value["set"], tps_code)))
        if isinstance(value.get("confirm"), str):
            confirmed = clock_time(value["confirm"], tps_code)
            return str(_("clock confirmed at %(time)s", time=confirmed))
    return state.shown


def day_report(
    which: str,
    phases: Sequence[PhaseState],
    tps: TpsIdentity,
    incidents: Sequence[str],
    names: Mapping[str, str] | None = None,
) -> tuple[str, list[str]]:
    """(title, lines) of report ``which`` (one of REPORTS), in the current language. ``names``
    gives each officer id's name (people are printed by name, never by id)."""
    if which not in REPORTS:
        raise ValueError(f"unknown report {which!r}")
    lines = [f"TPS {tps.code} · {tps.village}, {tps.district}"]
    reason_label = _("Reason")
    if which != "incidents":
        for phase in phases:
            if (phase.phase.id in OPENING) != (which == "opening"):
                continue
            lines.append(f"— {phase.phase.title} —")
            for s in phase.steps:
                if s.record:
                    value = shown_value(s, tps.code)
                    shown = f": {value}" if value else ""
                    who = (names or {}).get(s.record["officer_id"], s.record["officer_id"])
                    lines.append(
                        f"{clock_time(s.record['wall'], tps.code)} {s.step.title}{shown} ({who})"
                    )
                    if s.record["reason"]:
                        lines.append(f"   {reason_label}: {s.record['reason']}")
    lines += [_("Incidents and objections:")] + (list(incidents) or ["-"])
    titles = {
        "opening": _("Opening report"),
        "closing": _("Closing report"),
        "incidents": _("Form C.Kejadian Khusus: special incidents and objections"),
    }
    return titles[which], lines
