"""The TPS day on the touchscreen: phases and steps in order, incidents, reminders, reports."""

from __future__ import annotations

import io

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from drivers.errors import ScannerNotFound
from drivers.scanner import ColorMode, ScanRequest
from kiosk.audit import Event
from kiosk.checklist.service import ChecklistService, StepRefused
from kiosk.context import current_kiosk
from kiosk.roles import Permission
from kiosk.services.printing import TARGETS, print_text_report
from kiosk.services.report_render import clock_time
from kiosk.storage import write_durably
from kiosk.views.access import current_session, require

bp = Blueprint("checklist", __name__)

OPENING = ("persiapan", "pembukaan")


def service() -> ChecklistService:
    checklist = current_kiosk().checklist
    if checklist is None:
        abort(404)
    return checklist


def refused_message(exc: StepRefused) -> str:
    p = exc.params
    messages = {
        "too_early": lambda: _("Not yet: this step opens at %(time)s.", time=p["time"]),
        "phase_locked": lambda: _("The Ketua KPPS must sign off the previous phase first."),
        "already_done": lambda: _("This step is already recorded."),
        "steps_missing": lambda: _("Finish these steps first: %(steps)s", steps=p["steps"]),
        "reason_needed": lambda: _(
            "This is %(n)d minutes late: write the reason, then record it again.", n=p["minutes"]
        ),
        "ketua_only": lambda: _("Only the Ketua KPPS can do this step."),
        "numbers_missing": lambda: _("Enter a number for every ballot type."),
        "not_a_number": lambda: _("Enter whole numbers only."),
        "text_missing": lambda: _("Write the note first."),
        "scan_missing": lambda: _("Scan the page first."),
        "chasil_missing": lambda: _(
            "Counting is not finished: confirm the C.Hasil numbers and make the signed "
            "document of %(ballots)s first.",
            ballots=p["ballots"],
        ),
        "bad_time": lambda: _("Enter the time as four digits, e.g. 0705 for 07:05."),
        "clock_implausible": lambda: _(
            "The kiosk's clock looks wrong: set the right time instead of confirming it."
        ),
    }
    return str(messages[exc.code]())


@bp.get("/checklist/")
@require(Permission.CHECKLIST_TICK)
def index() -> str:
    svc = service()
    return render_template(
        "checklist.html",
        phases=svc.phases(),
        ballots=[b.type for b in svc.profile.ballots],
        implausible=svc.clock_implausible(),
        now=svc.clock.now(),
    )


def _value(kind: str, per_ballot: bool) -> object:
    form = request.form
    if kind == "number":
        if per_ballot:
            return {k[6:]: v for k, v in form.items() if k.startswith("value:")}
        return form.get("value", "")
    if kind == "text":
        return form.get("text", "")
    if kind == "clock":
        if form.get("action") == "set":
            digits = form.get("time", "")
            return {"set": f"{digits[:2]}:{digits[2:]}" if len(digits) == 4 else digits}
        return {"confirm": True}
    return True


@bp.post("/checklist/<step_id>")
@require(Permission.CHECKLIST_TICK)
def record(step_id: str) -> Response | tuple[str, int]:
    svc = service()
    login = current_session()
    assert login is not None
    try:
        _phase, step = svc.checklist.step(step_id)
    except KeyError:
        abort(404)
    if step.kind == "signoff" and not login.may(
        Permission.CHECKLIST_SIGNOFF, current_kiosk().training
    ):
        flash(_("Only the Ketua KPPS can do this step."))
        return redirect(url_for("checklist.index"))
    value = _value(step.kind, step.per_ballot)
    if step.kind == "scan":
        value = _scan_step(step_id)
    try:
        svc.record(step_id, value, login, request.form.get("reason", ""))
    except StepRefused as exc:
        flash(refused_message(exc))
    return redirect(url_for("checklist.index"))


def _scan_step(step_id: str) -> dict[str, str]:
    kiosk = current_kiosk()
    if kiosk.devices.scanner is None:
        raise ScannerNotFound("no scanner configured")
    page = next(iter(kiosk.devices.scanner.scan(ScanRequest(dpi=200, mode=ColorMode.GRAY))))
    buf = io.BytesIO()
    page.save(buf, format="PNG")
    path = kiosk.settings.data_dir / "checklist" / f"{step_id}.png"
    return {"file": str(path), "sha256": write_durably(path, buf.getvalue())}


@bp.route("/incidents/", methods=["GET", "POST"])
@require(Permission.RECORD_INCIDENT)
def incidents() -> str | Response:
    kiosk = current_kiosk()
    login = current_session()
    assert login is not None
    if request.method == "POST":
        text = request.form.get("text", "").strip()
        kind = request.form.get("kind", "kejadian")
        if kind not in ("kejadian", "keberatan") or not text:
            flash(_("Write what happened, then save."))
            return redirect(url_for("checklist.incidents"))
        reporter = request.form.get("reporter", "").strip() or login.officer.name
        now = kiosk.clock.now()
        with kiosk.db.write() as conn:
            conn.execute(
                "INSERT INTO incident (kind, reporter, text, officer_id, wall, mono,"
                " clock_offset) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    kind,
                    reporter,
                    text,
                    login.officer.id,
                    now.isoformat(),
                    kiosk.clock.monotonic(),
                    kiosk.clock.offset_s,
                ),
            )
        kiosk.audit.record_for(
            Event.INCIDENT,
            login,
            incident=kind,
            reporter=reporter,
        )
        flash(_("Recorded."))
        return redirect(url_for("checklist.incidents"))
    rows = [dict(r) for r in kiosk.db.read("SELECT * FROM incident ORDER BY id")]
    return render_template("incidents.html", incidents=rows)


def incident_lines() -> list[str]:
    kiosk = current_kiosk()
    code = kiosk.profile.identity.code if kiosk.profile else ""
    rows = kiosk.db.read("SELECT * FROM incident ORDER BY id")
    return [
        f"{clock_time(r['wall'], code)} {r['kind'].upper()} ({r['reporter']}): {r['text']}"
        for r in rows
    ]


@bp.post("/checklist/report/<which>")
@require(Permission.CHECKLIST_TICK)
def report(which: str) -> Response:
    """The opening or closing report (or the C.Kejadian Khusus list) on a printer."""
    kiosk = current_kiosk()
    svc = service()
    target = request.form.get("printer", "receipt")
    if which not in ("opening", "closing", "incidents") or target not in TARGETS:
        abort(404)
    tps = svc.profile.identity
    lines = [f"TPS {tps.code} · {tps.village}, {tps.district}"]
    reason_label = _("Reason")
    if which != "incidents":
        for phase in svc.phases():
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
    lines += [_("Incidents and objections:")] + (incident_lines() or ["-"])
    titles = {
        "opening": _("Opening report"),
        "closing": _("Closing report"),
        "incidents": "C.Kejadian Khusus dan/atau Keberatan",
    }
    print_text_report(
        kiosk.devices,
        titles[which],
        lines,
        target,
        kiosk.training,
        kiosk.settings.data_dir / "spool",
    )
    flash(_("Printed."))
    return redirect(url_for("checklist.index"))


def register_banner(app: Flask) -> None:
    @app.context_processor
    def day_banner() -> dict[str, object]:
        checklist = current_kiosk().checklist
        if checklist is None:
            return {"reminders": [], "counting_left": None}
        deadline = checklist.counting_deadline()
        left = deadline - checklist.clock.now() if deadline else None
        return {"reminders": checklist.due_reminders(), "counting_left": left}
