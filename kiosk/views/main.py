"""Home screen, health URL and language switch."""

from __future__ import annotations

from flask import Blueprint, abort, g, jsonify, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from werkzeug.wrappers import Response

from kiosk.errors import guidance_by_name
from kiosk.i18n import LANGUAGES
from kiosk.services.status import Glance
from kiosk.views.access import current_session, safe_local_path, services

bp = Blueprint("main", __name__)


@bp.app_context_processor
def inject_common() -> dict[str, object]:
    info = services().kiosk
    return {
        "training": info.training,
        "tps": info.tps,
        "all_fake": info.all_fake,
        "languages": LANGUAGES,
        "now": info.now(),
        "guidance_by_name": guidance_by_name,
        "get_locale": get_locale,
        "status_strip": _glance(),  # not "status": views pass their own "status"
    }


@bp.get("/")
def home() -> str:
    glance = _glance()
    step = services().status.next_step(glance, current_session() is not None)
    return render_template("home.html", report=glance.report, step=step)


def _glance() -> Glance:
    """The last self-test report, the unsent count and the network, read once per request (the
    home screen and the status strip of every page both need them)."""
    if "kiosk_glance" not in g:
        g.kiosk_glance = services().status.glance()
    glance: Glance = g.kiosk_glance
    return glance


@bp.get("/health")
def health() -> Response:
    """For systemd and the kiosk browser: answers as soon as the app can serve pages."""
    return jsonify(services().kiosk.health())


@bp.post("/lang/<code>")
def set_language(code: str) -> Response:
    if code not in LANGUAGES:
        abort(404)
    session["lang"] = code
    # Only local paths: the language form must never become an open redirect.
    return redirect(safe_local_path(request.form.get("next"), url_for("main.home")))
