"""Login by card then PIN, or by name then PIN where the profile allows; logout."""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3

from flask import Blueprint, abort, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from kiosk.context import current_kiosk
from kiosk.errors import guidance_for
from kiosk.services import auth
from kiosk.storage_faults import storage_fault

log = logging.getLogger(__name__)

bp = Blueprint("login", __name__, url_prefix="/login")


def _card_uid() -> str | None:
    watch = current_kiosk().card_watch
    card = watch.card if watch else None
    return card.uid if card else None


def _safe_next(target: str | None) -> str:
    if not target or not target.startswith("/") or target.startswith("//"):
        return url_for("main.home")
    return target


@bp.get("/")
def start() -> str | Response | tuple[str, int]:
    kiosk = current_kiosk()
    failed = kiosk.card_watch.take_failed_read() if kiosk.card_watch else None
    if failed is not None:  # a tap that was not read: say why, once, with one next action
        retry = url_for("login.start", next=request.args.get("next"))
        return render_template("guidance.html", guidance=guidance_for(failed), retry_url=retry), 503
    uid = _card_uid()
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
    uid = _card_uid()
    watch = current_kiosk().card_watch
    return jsonify(card=uid, failed=bool(watch and watch.failed_read))


@bp.get("/pin/<officer_id>")
def pin(officer_id: str, error: str | None = None, status: int = 200) -> tuple[str, int]:
    kiosk = current_kiosk()
    officer = kiosk.auth.officer(officer_id)
    if officer is None:
        abort(404)
    via_card = officer.card_uid is not None and officer.card_uid == _card_uid()
    return render_template(
        "pin.html",
        officer=officer,
        via_card=via_card,
        error=error,
        next=request.args.get("next") or request.form.get("next"),
    ), status


@bp.post("/pin/<officer_id>")
def submit_pin(officer_id: str) -> tuple[str, int] | Response:
    kiosk = current_kiosk()
    card = _card_uid() if request.form.get("via_card") == "1" else None
    try:
        login = kiosk.auth.login(officer_id, request.form.get("pin", ""), card)
    except auth.WrongPin as exc:
        return pin(
            officer_id,
            _("Wrong PIN. %(n)d attempts left before the lock.", n=exc.attempts_left),
            401,
        )
    except auth.LockedOut as exc:
        tz = kiosk.clock.now().tzinfo
        until = dt.datetime.fromtimestamp(exc.until_epoch, tz).strftime("%H:%M:%S")
        return pin(
            officer_id,
            _(
                "Too many wrong PINs: locked until %(time)s. Ask the Ketua KPPS or wait.",
                time=until,
            ),
            423,
        )
    except auth.PinOnlyNotAllowed:
        return pin(officer_id, _("Tap your card on the reader first, then enter your PIN."), 401)
    except auth.UnknownCard:
        return pin(officer_id, _("The card on the reader is not this officer's card."), 401)
    except auth.NotInTraining:
        return pin(officer_id, _("The trainer role works only in training mode."), 403)
    except auth.UnknownOfficer:
        abort(404)
    session.clear()
    session["sid"] = login.id
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/logout")
def logout() -> Response:
    sid = session.pop("sid", None)
    if sid:
        try:
            current_kiosk().auth.end(sid, "logout")
        except sqlite3.Error as exc:
            # Leaving must always work: on a full disk the session is over all the same (the
            # cookie no longer names it; its row ends by idle time once there is room).
            if storage_fault(exc) is None:
                raise
            log.warning("logout not recorded: %s", exc)
    return redirect(url_for("main.home"))
