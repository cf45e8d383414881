"""Every error ends on a full screen of guidance with one next action, never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from drivers.errors import DeviceError
from kiosk.errors import Action, Guidance, KioskError, guidance_for

log = logging.getLogger(__name__)

_EXPIRED = Guidance(
    _l("This page has expired"),
    _l("Nothing was saved from it. Go back to the home screen and try again."),
    Action.CONTINUE,
)
_NOT_FOUND = Guidance(_l("Page not found"), _l("Go back to the home screen."), Action.CONTINUE)


def _render(guidance: Guidance, status: int) -> tuple[str, int]:
    try:
        html = render_template("guidance.html", guidance=guidance, retry_url=request.referrer)
    except Exception:
        # The page frame itself is broken: still say something useful, never a trace.
        log.exception("cannot render the guidance page")
        html = (
            f"<!doctype html><meta charset=utf-8><h1>{escape(str(guidance.title))}</h1>"
            f"<p>{escape(str(guidance.text))}</p><p><a href='/'>TPS Kiosk</a></p>"
        )
    return html, status


def register(app: Flask) -> None:
    @app.errorhandler(DeviceError)
    def device_error(exc: DeviceError) -> tuple[str, int]:
        log.warning("%s on %s: %s", type(exc).__name__, request.path, exc)
        return _render(guidance_for(exc), 503)

    @app.errorhandler(KioskError)
    def kiosk_error(exc: KioskError) -> tuple[str, int]:
        log.error("%s on %s: %s", type(exc).__name__, request.path, exc)
        return _render(guidance_for(exc), 503)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> tuple[str, int]:
        return _render(_EXPIRED, 400)

    @app.errorhandler(404)
    def not_found(exc: HTTPException) -> tuple[str, int]:
        return _render(_NOT_FOUND, 404)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[str, int]:
        if isinstance(exc, HTTPException):
            return _render(_NOT_FOUND if exc.code == 404 else guidance_for(exc), exc.code or 500)
        log.exception("unexpected error on %s", request.path)
        return _render(guidance_for(exc), 500)
