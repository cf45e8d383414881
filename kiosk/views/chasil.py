"""C.Hasil numbers on the touchscreen: entry per ballot type, live checks, double entry, and the
Ketua's confirmation. ``POST /api/chasil/check`` serves the checks as JSON."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from kiosk.chasil.checks import LPJ, VOTER_ROWS, blocking
from kiosk.chasil.documents import UnknownPage
from kiosk.chasil.messages import ROW_NAMES, as_json
from kiosk.chasil.service import ChasilRefused, ChasilService, ballot_of, parse_boxes, vote_labels
from kiosk.context import current_kiosk
from kiosk.errors import Action, Guidance
from kiosk.roles import Permission
from kiosk.views.access import current_session, require

bp = Blueprint("chasil", __name__)

_PAGE_GONE = Guidance(
    _l("This page is no longer in the list"),
    _l(
        "It was discarded or replaced already, so nothing was scanned. Press Retry to go back "
        "to the scanned pages and choose again."
    ),
    Action.RETRY,
)


@bp.app_errorhandler(UnknownPage)
def page_gone(exc: UnknownPage) -> tuple[str, int]:
    """A rescan that names no kept page (any scan route, whichever blueprint raised it)."""
    back = url_for("documents.scan_page", ballot_type=exc.ballot)
    return render_template("guidance.html", guidance=_PAGE_GONE, retry_url=back), 404


def service() -> ChasilService:
    kiosk = current_kiosk()
    if kiosk.profile is None:
        abort(404)
    counts = kiosk.checklist.received_at_opening if kiosk.checklist else None
    return ChasilService(kiosk.db, kiosk.audit, kiosk.clock, kiosk.profile, counts)


def _ballot_or_404(svc: ChasilService, ballot_type: str) -> Any:
    try:
        return ballot_of(svc.profile, ballot_type)
    except KeyError:
        abort(404)


@bp.get("/chasil/")
@require(Permission.CHASIL_ENTER)
def index() -> str:
    svc = service()
    status = {
        b.type: {
            "first": svc.latest(b.type, 1) is not None,
            "second": svc.latest(b.type, 2) is not None,
            "confirmed": svc.confirmed(b.type) is not None,
        }
        for b in svc.profile.ballots
    }
    return render_template("chasil_index.html", ballots=svc.profile.ballots, status=status)


@bp.get("/chasil/<ballot_type>/<int:entry_no>")
@require(Permission.CHASIL_ENTER)
def entry(ballot_type: str, entry_no: int) -> str:
    svc = service()
    ballot = _ballot_or_404(svc, ballot_type)
    if entry_no not in (1, 2):
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
    _ballot_or_404(svc, ballot_type)
    if entry_no not in (1, 2):  # there is a first and a second (blind) entry, no other
        abort(404)
    login = current_session()
    assert login is not None
    if entry_no == 2:
        first = svc.db.read(
            "SELECT officer_id FROM chasil_entry WHERE ballot = ? AND"
            " entry_no = 1 ORDER BY id DESC LIMIT 1",
            (ballot_type,),
        )
        if first and first[0]["officer_id"] == login.officer.id:
            flash(_("The second entry must be made by another officer."))
            return redirect(url_for("chasil.entry", ballot_type=ballot_type, entry_no=2))
    boxes = parse_boxes({k[4:]: v for k, v in request.form.items() if k.startswith("box:")})
    findings = svc.save_entry(ballot_type, entry_no, boxes, login)
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
    svc = service()
    try:
        ballot_of(svc.profile, body["ballot"])
    except KeyError:
        return jsonify(error=_("Unknown ballot type %(t)s.", t=body["ballot"])), 404
    findings = svc.check(body["ballot"], parse_boxes(body.get("boxes")))
    return jsonify(blocking=blocking(findings), findings=[as_json(f) for f in findings])


@bp.get("/chasil/<ballot_type>/confirm")
@require(Permission.CHASIL_CONFIRM)
def confirm_page(ballot_type: str) -> str:
    svc = service()
    ballot = _ballot_or_404(svc, ballot_type)
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
    _ballot_or_404(svc, ballot_type)
    login = current_session()
    assert login is not None
    try:
        svc.confirm(ballot_type, login, request.form.get("note", ""))
    except KeyError:
        flash(_("No numbers have been entered for this ballot yet."))
    except ChasilRefused as exc:
        if blocking(exc.findings):
            flash(_("Cannot confirm: the numbers do not add up. Recount the red boxes."))
        else:
            flash(_("Write a kejadian khusus note explaining the warnings, then confirm."))
    else:
        flash(_("Numbers confirmed."))
    return redirect(url_for("chasil.confirm_page", ballot_type=ballot_type))
