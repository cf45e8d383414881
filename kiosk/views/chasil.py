"""C.Hasil numbers on the touchscreen: entry per ballot type, live checks, double entry, and the
Ketua's confirmation. ``POST /api/chasil/check`` serves the checks as JSON."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from kiosk.chasil.checks import LPJ, VOTER_ROWS, blocking
from kiosk.chasil.messages import ROW_NAMES, as_json
from kiosk.chasil.service import ChasilService, parse_boxes, vote_labels
from kiosk.refusals import KioskCode, Refused
from kiosk.roles import Permission
from kiosk.views.access import me, require, services

bp = Blueprint("chasil", __name__)

# A request may name only the first and the (blind) second entry; any other is no page.
ENTRIES = (1, 2)


def service() -> ChasilService:
    return services().chasil


@bp.get("/chasil/")
@require(Permission.CHASIL_ENTER)
def index() -> str:
    svc = service()
    return render_template("chasil_index.html", ballots=svc.ballots(), status=svc.entry_status())


@bp.get("/chasil/<ballot_type>/<int:entry_no>")
@require(Permission.CHASIL_ENTER)
def entry(ballot_type: str, entry_no: int) -> str:
    svc = service()
    ballot = svc.ballot(ballot_type)
    if entry_no not in ENTRIES:
        abort(404)
    # The second entry is blind: it starts empty and never shows the first one.
    boxes = svc.latest(ballot_type, entry_no) or {}
    findings = [as_json(f) for f in svc.check(ballot_type, boxes)] if boxes else []
    return render_template(
        "chasil_entry.html",
        ballot=ballot,
        entry_no=entry_no,
        boxes=boxes,
        votes=vote_labels(ballot),
        rows=VOTER_ROWS,
        cols=LPJ,
        row_names=ROW_NAMES,
        findings=findings,
    )


@bp.post("/chasil/<ballot_type>/<int:entry_no>")
@require(Permission.CHASIL_ENTER)
def save(ballot_type: str, entry_no: int) -> Response:
    svc = service()
    svc.ballot(ballot_type)
    if entry_no not in ENTRIES:
        abort(404)
    boxes = parse_boxes({k[4:]: v for k, v in request.form.items() if k.startswith("box:")})
    try:
        findings = svc.save_entry(ballot_type, entry_no, boxes, me())
    except Refused as exc:  # the second entry by the first entry's officer
        flash(exc.message())
        return redirect(url_for("chasil.entry", ballot_type=ballot_type, entry_no=entry_no))
    if blocking(findings):
        flash(_("Saved, but the numbers do not add up yet: see the red boxes."))
    else:
        flash(_("Saved."))
    return redirect(url_for("chasil.entry", ballot_type=ballot_type, entry_no=entry_no))


@bp.post("/api/chasil/check")
@require(Permission.CHASIL_ENTER)
def api_check() -> Response | tuple[Response, int]:
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested deeper than any C.Hasil sheet: not ours to parse
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("ballot"), str):
        return jsonify(error=_('Send {"ballot": TYPE, "boxes": {BOX: NUMBER}}.')), 400
    try:
        findings = service().check(body["ballot"], parse_boxes(body.get("boxes")))
    except Refused as exc:
        if exc.code is not KioskCode.UNKNOWN_BALLOT:
            raise
        return jsonify(error=exc.message()), 404
    return jsonify(blocking=blocking(findings), findings=[as_json(f) for f in findings])


@bp.get("/chasil/<ballot_type>/confirm")
@require(Permission.CHASIL_CONFIRM)
def confirm_page(ballot_type: str) -> str:
    svc = service()
    ballot = svc.ballot(ballot_type)
    boxes = svc.latest(ballot_type, 1)
    findings = [as_json(f) for f in svc.check(ballot_type, boxes)] if boxes else []
    return render_template(
        "chasil_confirm.html",
        ballot=ballot,
        boxes=boxes,
        findings=findings,
        confirmed=svc.confirmed(ballot_type),
    )


@bp.post("/chasil/<ballot_type>/confirm")
@require(Permission.CHASIL_CONFIRM)
def confirm(ballot_type: str) -> Response:
    svc = service()
    svc.ballot(ballot_type)
    try:
        svc.confirm(ballot_type, me(), request.form.get("note", ""))
    except Refused as exc:  # no numbers yet, they do not add up, or warnings need a note
        flash(exc.message())
    else:
        flash(_("Numbers confirmed."))
    return redirect(url_for("chasil.confirm_page", ballot_type=ballot_type))
