"""Home screen, health URL and language switch."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, jsonify, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from werkzeug.wrappers import Response

from kiosk.context import current_kiosk
from kiosk.errors import guidance_by_name
from kiosk.i18n import LANGUAGES
from kiosk.services import selftest
from kiosk.services.next_step import next_step
from kiosk.views.access import current_session, safe_local_path

bp = Blueprint("main", __name__)


@bp.app_context_processor
def inject_common() -> dict[str, object]:
    kiosk = current_kiosk()
    return {
        "kiosk": kiosk,
        "training": kiosk.training,
        "tps": kiosk.tps,
        "languages": LANGUAGES,
        "now": kiosk.clock.now(),
        "guidance_by_name": guidance_by_name,
        "get_locale": get_locale,
        "status": status_strip(),
    }


@bp.get("/")
def home() -> str:
    kiosk = current_kiosk()
    report, unsent = _known()
    step = next_step(kiosk.profile, report, current_session() is not None, kiosk.checklist, unsent)
    return render_template("home.html", report=report, step=step)


def _known() -> tuple[dict[str, Any] | None, int]:
    """The last self-test report and the unsent count, read once per request (the home screen
    and the status strip of every page both need them)."""
    if "kiosk_known" not in g:
        kiosk = current_kiosk()
        g.kiosk_known = (selftest.last_report(kiosk.db), kiosk.outbox.counts().unsent)
    known: tuple[dict[str, Any] | None, int] = g.kiosk_known
    return known


def status_strip() -> dict[str, object]:
    """Network, queue and printers at a glance, from what the kiosk already knows (the
    worker's last look at the server, the queue, the last self-test): no device is asked."""
    uplink = current_kiosk().outbox.uplink()
    report, unsent = _known()
    printers = [
        c["ok"]
        for c in (report or {}).get("checks", [])
        if c["name"] in ("receipt_printer", "document_printer") and c.get("configured", True)
    ]
    return {
        "online": uplink[0] if uplink else None,
        "unsent": unsent,
        "printers_ok": all(printers) if printers else None,
    }


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
    # Only local paths: the language form must never become an open redirect.
    return redirect(safe_local_path(request.form.get("next"), url_for("main.home")))
