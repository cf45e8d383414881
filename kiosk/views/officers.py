"""The roster and card enrolment (Ketua KPPS and Teknisi)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from kiosk.refusals import Refused
from kiosk.roles import Permission
from kiosk.services.auth import AuthCode
from kiosk.views.access import current_session, me, require, services

bp = Blueprint("officers", __name__, url_prefix="/officers")


@bp.get("/")
@require(Permission.ENROL_CARDS)
def roster() -> str:
    kiosk = services()
    login = current_session()
    return render_template(
        "officers.html",
        officers=kiosk.auth.officers(),
        card_uid=kiosk.cards.card_uid(),
        via_card=login is not None and login.card_uid is not None,
    )


@bp.post("/<officer_id>/enrol")
@require(Permission.ENROL_CARDS)
def enrol(officer_id: str) -> Response:
    login = me()
    try:
        services().cards.enrol_current(officer_id, by=login)
        flash(_("Card enrolled."))
    except Refused as exc:
        if exc.code is AuthCode.UNKNOWN_OFFICER:
            abort(404)
        flash(exc.message())
    return redirect(url_for("officers.roster"))
