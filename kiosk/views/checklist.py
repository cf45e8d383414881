"""The TPS day on the touchscreen: phases and steps in order, incidents, reminders, reports."""

from __future__ import annotations

import datetime as dt

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from kiosk.checklist.corrections import CORRECTABLE
from kiosk.checklist.refusals import ChecklistCode
from kiosk.checklist.reports import REPORTS
from kiosk.checklist.service import ChecklistService
from kiosk.checklist.states import StepState
from kiosk.refusals import Refused
from kiosk.roles import Permission, Role
from kiosk.services.printing import TARGETS
from kiosk.views.access import current_session, me, require, safe_local_path, services

bp = Blueprint("checklist", __name__)


def service() -> ChecklistService:
    checklist = services().checklist
    if not checklist.provisioned:
        abort(404)  # no TPS, no day: the page is not there (Refused(NOT_PROVISIONED) → 404)
    return checklist


@bp.get("/checklist/")
@require(Permission.CHECKLIST_TICK)
def index() -> str:
    """The day on one screen: each phase with what is done and left, "Lanjut" to the next open
    step, and the day's reports."""
    svc = service()
    pending = svc.pending()
    return render_template(
        "checklist.html",
        phases=svc.phases(),
        pending=pending,
        pending_at=_opens_at(svc, pending),
        implausible=svc.clock_implausible(),
    )


@bp.get("/checklist/step/<step_id>")
@require(Permission.CHECKLIST_TICK)
def step(step_id: str) -> str:
    """One step on one screen: where it is in its phase, what it needs, its one action. A done
    number or note is shown with "Ubah"; ``?ubah=1`` opens it again to change it."""
    svc = service()
    place = svc.place(step_id)
    if place is None:
        abort(404)
    state = place.state
    editing = request.args.get("ubah") == "1" and state.status == "done"
    field_error = session.pop(_FIELD_ERROR, None)
    if field_error and field_error.get("step") != step_id:
        field_error = None
    pending = svc.pending()
    template = "checklist_signoff.html" if state.step.kind == "signoff" else "checklist_step.html"
    return render_template(
        template,
        place=place,
        state=state,
        editing=editing or bool(field_error and field_error.get("correct")),
        correctable=state.step.kind in CORRECTABLE,
        ballots=svc.ballot_types(),
        expected=svc.expected_received() if state.step.feeds == "ballots_received" else None,
        late=svc.minutes_late(state.step) if state.status == "open" else 0,
        opens_at=_opens_at(svc, state),
        next_url=_next_url(svc, pending, step_id),
        field_error=field_error,
        implausible=svc.clock_implausible(),
    )


def _opens_at(svc: ChecklistService, state: StepState | None) -> str | None:
    """When a waiting step opens, with the zone ("07:00 WITA"); None if it does not wait."""
    if state is None or state.status != "waiting" or state.step.not_before is None:
        return None
    return svc.at_shown(state.step.not_before)


def _next_url(svc: ChecklistService, pending: StepState | None, here: str = "") -> str:
    """Where "Lanjut" goes: the next step of the day if it can be done now, else the day."""
    if pending is not None and pending.status == "open" and pending.step.id != here:
        return url_for("checklist.step", step_id=pending.step.id)
    return url_for("checklist.index")


# A number refused for one box: shown at that box (not at the top of the page) with what was
# typed in the step's other boxes, once, by the page the refusal redirects to.
_FIELD_ERROR = "checklist_field_error"
_AT_A_BOX = (ChecklistCode.NOT_A_NUMBER, ChecklistCode.RECEIVED_UNEXPECTED)


def _keep_typed(step_id: str, exc: Refused, correcting: bool) -> bool:
    """Keep what was typed for the step's screen after a refusal, once; a refusal that names
    its box is shown at that box (True), any other is for the caller to flash (False)."""
    at_a_box = exc.code in _AT_A_BOX and "field" in exc.params
    field = str(exc.params["field"]) if at_a_box else None
    session[_FIELD_ERROR] = {
        "step": step_id,
        "field": field,
        "fields": str(exc.params.get("fields", field)).split() if at_a_box else [],
        "message": exc.message() if at_a_box else "",
        "typed": {k: v for k, v in request.form.items() if k == "value" or k.startswith("value:")},
        # A warning the officer may overrule with one more tap ("Simpan juga").
        "warning": exc.code is ChecklistCode.RECEIVED_UNEXPECTED,
        "correct": correcting,
        "reason": request.form.get("reason", ""),
    }
    return at_a_box


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
    return True  # tick and signoff; a scan step scans in the service


@bp.post("/checklist/<step_id>")
@require(Permission.CHECKLIST_TICK)
def record(step_id: str) -> Response:
    """Record a step (or, with ``correct=1``, change a recorded number or note), then go on:
    to the next step of the day that can be done now, else to the day's summary (saying when
    the next step opens, with the zone, if it waits for a time). A refusal goes back to the
    step."""
    svc = service()
    login = me()
    step = svc.find_step(step_id)
    if step is None:
        abort(404)
    correcting = request.form.get("correct") == "1"
    keep = request.form.get("keep") == "1"
    value = _value(step.kind, step.per_ballot)
    reason = request.form.get("reason", "")
    try:
        if correcting:
            svc.correct(step_id, value, login, reason, accept_warning=keep)
        else:
            svc.record(step_id, value, login, reason, accept_warning=keep)
    except Refused as exc:
        if not _keep_typed(step_id, exc, correcting):
            flash(exc.message())
        if correcting:
            return redirect(url_for("checklist.step", step_id=step_id, ubah="1"))
        return redirect(url_for("checklist.step", step_id=step_id))
    if correcting:
        flash(_("Changed."))
        return redirect(url_for("checklist.step", step_id=step_id))
    pending = svc.pending()
    if pending is None:
        return redirect(url_for("checklist.index"))
    if pending.status == "waiting" and pending.step.not_before is not None:
        flash(
            _(
                "Saved. Next, from %(time)s: %(step)s.",
                time=svc.at_shown(pending.step.not_before),
                step=pending.step.title,
            )
        )
        return redirect(url_for("checklist.index"))
    return redirect(url_for("checklist.step", step_id=pending.step.id))


@bp.route("/incidents/", methods=["GET", "POST"])
@require(Permission.RECORD_INCIDENT)
def incidents() -> str | Response:
    login = me()
    desk = services().incidents
    if request.method == "POST":
        try:
            desk.record(
                request.form.get("kind", "kejadian"),
                request.form.get("text", ""),
                request.form.get("reporter", ""),
                login,
            )
        except Refused as exc:
            flash(exc.message())
        else:
            flash(_("Recorded."))
        return redirect(url_for("checklist.incidents"))
    # The KPPS on duty are offered as the reporter, one tap each; anyone else is typed.
    kpps = (Role.KETUA, Role.ANGGOTA, Role.OPERATOR)
    people = [o.name for o in services().auth.officers() if o.role in kpps]
    return render_template("incidents.html", incidents=desk.all(), people=people)


@bp.post("/checklist/report/<which>")
@require(Permission.CHECKLIST_TICK)
def report(which: str) -> Response:
    """The opening or closing report (or the C.Kejadian Khusus list) on a printer."""
    svc = service()
    login = me()
    target = request.form.get("printer", "receipt")
    if which not in REPORTS or target not in TARGETS:
        abort(404)
    svc.print_report(which, target, login)
    flash(_("Printed."))
    return redirect(url_for("checklist.index"))


@bp.post("/reminders/<hhmm>/dismiss")
def dismiss_reminder(hhmm: str) -> Response:
    """Tap a reminder away, for whoever stands at the kiosk (like the language switch): it is
    a note on the screen, not a record of the day."""
    try:
        at = dt.datetime.strptime(hhmm, "%H%M").time()
    except ValueError:
        abort(404)
    if not service().dismiss_reminder(at):
        abort(404)
    return redirect(safe_local_path(request.form.get("next"), url_for("main.home")))


def register_banner(app: Flask) -> None:
    @app.context_processor
    def day_banner() -> dict[str, object]:
        banner = services().status.day_banner(logged_in=current_session() is not None)
        return {"reminders": banner.reminders, "counting_left": banner.counting_left}
