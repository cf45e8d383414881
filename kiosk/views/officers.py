"""The roster and card enrolment (Ketua KPPS and Teknisi)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from kiosk.context import current_kiosk
from kiosk.roles import Permission
from kiosk.services.auth import UnknownCard
from kiosk.views.access import current_session, require

bp = Blueprint("officers", __name__, url_prefix="/officers")


@bp.get("/")
@require(Permission.ENROL_CARDS)
def roster() -> str:
    kiosk = current_kiosk()
    watch = kiosk.card_watch
    login = current_session()
    return render_template(
        "officers.html",
        officers=kiosk.auth.officers(),
        card=watch.card if watch else None,
        via_card=login is not None and login.card_uid is not None,
    )


@bp.post("/<officer_id>/enrol")
@require(Permission.ENROL_CARDS)
def enrol(officer_id: str) -> Response:
    kiosk = current_kiosk()
    login = current_session()
    assert login is not None
    if kiosk.auth.officer(officer_id) is None:
        abort(404)
    card = kiosk.card_watch.card if kiosk.card_watch else None
    if card is None:
        flash(
            _(
                "No card on the reader. Put the officer's card on the reader, then press "
                "Enrol again."
            )
        )
    else:
        try:
            kiosk.auth.enrol_card(officer_id, card.uid, by=login)
            flash(_("Card enrolled."))
        except UnknownCard:
            flash(_("This card already belongs to another officer."))
    return redirect(url_for("officers.roster"))
