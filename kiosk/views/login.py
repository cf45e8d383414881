"""Login by card then PIN, or by name then PIN where the profile allows; logout."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from kiosk.errors import guidance_for
from kiosk.refusals import RefusalCode, Refused
from kiosk.services.auth import AuthCode
from kiosk.views.access import safe_local_path, services

bp = Blueprint("login", __name__, url_prefix="/login")

# What each refused login answers (UNKNOWN_OFFICER: 404, no such page).
_STATUS: dict[RefusalCode, int] = {
    AuthCode.WRONG_PIN: 401,
    AuthCode.LOCKED_OUT: 423,
    AuthCode.LOCKED_OUT_KETUA: 423,
    AuthCode.PIN_ONLY_NOT_ALLOWED: 401,
    AuthCode.UNKNOWN_CARD: 401,
    AuthCode.NOT_IN_TRAINING: 403,
}


@bp.get("/")
def start() -> str | Response | tuple[str, int]:
    kiosk = services()
    failed = kiosk.cards.take_failed_read()
    if failed is not None:  # a tap that was not read: say why, once, with one next action
        retry = url_for("login.start", next=request.args.get("next"))
        return render_template("guidance.html", guidance=guidance_for(failed), retry_url=retry), 503
    uid = kiosk.cards.card_uid()
    if uid is not None:
        officer = kiosk.auth.officer_by_card(uid)
        if officer is not None:
            return redirect(
                url_for("login.pin", officer_id=officer.id, next=request.args.get("next"))
            )
    return render_template(
        "login.html",
        officers=kiosk.auth.officers(),
        unknown_card=uid,
        pin_only=kiosk.auth.allow_pin_only,
        next=request.args.get("next"),
    )


@bp.get("/card")
def card_state() -> Response:
    cards = services().cards
    return jsonify(card=cards.card_uid(), failed=cards.has_failed_read())


@bp.get("/pin/<officer_id>")
def pin(officer_id: str, error: str | None = None, status: int = 200) -> tuple[str, int]:
    kiosk = services()
    officer = kiosk.auth.officer(officer_id)
    if officer is None:
        abort(404)
    via_card = officer.card_uid is not None and officer.card_uid == kiosk.cards.card_uid()
    return render_template(
        "pin.html",
        officer=officer,
        via_card=via_card,
        error=error,
        next=request.args.get("next") or request.form.get("next"),
    ), status


@bp.post("/pin/<officer_id>")
def submit_pin(officer_id: str) -> tuple[str, int] | Response:
    kiosk = services()
    card = kiosk.cards.card_uid() if request.form.get("via_card") == "1" else None
    try:
        login = kiosk.auth.login(officer_id, request.form.get("pin", ""), card)
    except Refused as exc:
        if exc.code is AuthCode.UNKNOWN_OFFICER:
            abort(404)
        return pin(officer_id, exc.message(), _STATUS.get(exc.code, 409))
    session.clear()
    session["sid"] = login.id
    return redirect(safe_local_path(request.form.get("next"), url_for("main.home")))


@bp.post("/logout")
def logout() -> Response:
    sid = session.pop("sid", None)
    if sid:
        services().auth.logout(sid)
    return redirect(url_for("main.home"))
