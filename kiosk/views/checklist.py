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

from kiosk.checklist.refusals import ChecklistCode
from kiosk.checklist.reports import REPORTS
from kiosk.checklist.service import ChecklistService
from kiosk.refusals import Refused
from kiosk.roles import Permission
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
    svc = service()
    return render_template(
        "checklist.html",
        phases=svc.phases(),
        ballots=svc.ballot_types(),
        implausible=svc.clock_implausible(),
        field_error=session.pop(_FIELD_ERROR, None),
    )


# A number refused for one box: shown at that box (not at the top of the page) with what was
# typed in the step's other boxes, once, by the page the refusal redirects to.
_FIELD_ERROR = "checklist_field_error"


def _keep_field_error(step_id: str, exc: Refused) -> bool:
    """Keep a refusal that names its box for the next page; False when it names none."""
    if exc.code is not ChecklistCode.NOT_A_NUMBER or "field" not in exc.params:
        return False
    typed = {k: v for k, v in request.form.items() if k == "value" or k.startswith("value:")}
    field = str(exc.params["field"])
    session[_FIELD_ERROR] = {
        "step": step_id,
        "input": f"value:{field}" if field else "value",
        "field": field,
        "message": exc.message(),
        "typed": typed,
    }
    return True


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
    svc = service()
    login = me()
    step = svc.find_step(step_id)
    if step is None:
        abort(404)
    try:
        svc.record(
            step_id, _value(step.kind, step.per_ballot), login, request.form.get("reason", "")
        )
    except Refused as exc:
        if not _keep_field_error(step_id, exc):
            flash(exc.message())
    return redirect(url_for("checklist.index"))


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
    return render_template("incidents.html", incidents=desk.all())


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
