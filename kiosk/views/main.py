"""Home screen, health URL and language switch."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, jsonify, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from werkzeug.wrappers import Response

from kiosk.app import LANGUAGES
from kiosk.context import current_kiosk
from kiosk.errors import guidance_by_name
from kiosk.services import selftest

bp = Blueprint("main", __name__)


@bp.app_context_processor
def inject_common() -> dict[str, object]:
    kiosk = current_kiosk()
    return {
        "kiosk": kiosk,
        "training": kiosk.training,
        "tps": kiosk.tps,
        "languages": LANGUAGES,
        "now": dt.datetime.now().astimezone(),
        "guidance_by_name": guidance_by_name,
        "get_locale": get_locale,
    }


@bp.get("/")
def home() -> str:
    kiosk = current_kiosk()
    return render_template("home.html", report=selftest.last_report(kiosk.db))


@bp.get("/health")
def health() -> Response:
    """For systemd and the kiosk browser: answers as soon as the app can serve pages."""
    kiosk = current_kiosk()
    kiosk.db.read("SELECT 1")
    from kiosk import __version__

    return jsonify(status="ok", version=__version__, training=kiosk.training)


@bp.post("/lang/<code>")
def set_language(code: str) -> Response:
    if code not in LANGUAGES:
        abort(404)
    session["lang"] = code
    target = request.form.get("next", "")
    # Only local paths: the language form must never become an open redirect.
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("main.home")
    return redirect(target)
