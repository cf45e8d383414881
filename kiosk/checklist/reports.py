"""The day's paper: the opening report, the closing report and C.Kejadian Khusus.

The opening report lists the steps of the preparation and opening phases, the closing report
those of every later phase; each step with its time (in the TPS's zone), value, officer and
the reason given for a late step, then every incident and objection of the day.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from flask_babel import gettext as _

from kiosk.services.report_render import clock_time

if TYPE_CHECKING:
    from kiosk.checklist.service import PhaseState
    from kiosk.tps import TpsIdentity

REPORTS = ("opening", "closing", "incidents")
OPENING = ("persiapan", "pembukaan")  # the phases the opening report covers


def day_report(
    which: str, phases: Sequence[PhaseState], tps: TpsIdentity, incidents: Sequence[str]
) -> tuple[str, list[str]]:
    """(title, lines) of report ``which`` (one of REPORTS), in the current language."""
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
                    shown = f": {s.shown}" if s.shown else ""
                    lines.append(
                        f"{clock_time(s.record['wall'], tps.code)} {s.step.title}{shown} "
                        f"({s.record['officer_id']})"
                    )
                    if s.record["reason"]:
                        lines.append(f"   {reason_label}: {s.record['reason']}")
    lines += [_("Incidents and objections:")] + (list(incidents) or ["-"])
    titles = {
        "opening": _("Opening report"),
        "closing": _("Closing report"),
        "incidents": "C.Kejadian Khusus dan/atau Keberatan",
    }
    return titles[which], lines
