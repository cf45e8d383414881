"""The fake devices' panel (demo and training only): tap a card, press the button, and see what
the fake printers would have printed.

The card reader, the button and the lights stand for hardware on the table that anyone at the TPS
can touch or see, so they work before a login (a card tap is how an officer logs in). What the
printers printed (C.Hasil copies, receipts, the readiness report) is for logged-in officers only.
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, send_from_directory, url_for
from werkzeug.wrappers import Response

from kiosk.roles import Permission
from kiosk.views.access import current_session, require, services

bp = Blueprint("simulasi", __name__, url_prefix="/simulasi")


@bp.before_request
def only_fakes() -> None:
    if not services().simulasi.available:
        abort(404)


@bp.get("/")
def panel() -> str:
    simulasi = services().simulasi
    return render_template(
        "simulasi.html",
        outputs=simulasi.printouts() if current_session() is not None else None,
        cards=simulasi.demo_cards,
        card_uid=simulasi.card_uid(),
        leds=simulasi.leds(),
    )


@bp.post("/card")
def card() -> Response:
    services().simulasi.tap_card(request.form.get("uid", ""))
    return redirect(url_for("simulasi.panel"))


@bp.post("/button")
def button() -> Response:
    services().simulasi.press_button()
    return redirect(url_for("simulasi.panel"))


@bp.get("/output/<name>")
@require(Permission.VIEW_STATUS)
def output(name: str) -> Response:
    return send_from_directory(services().simulasi.output_dir, name)
