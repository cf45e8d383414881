"""Every error ends on a full screen of guidance with one next action, never a stack trace.

Storage faults (a full data disk, a damaged database: kiosk.storage_faults) answer 503 on every
route. When they interrupt a form, the guidance page carries what the officer typed back in a
form whose one button ("Simpan lagi") sends it again to the same place, so nothing typed is
lost while the technician frees space. A device fault keeps the form the same way, and its
"Ulangi" sends it again: the print or scan that failed is repeated, not just the page before
it shown. A PIN is never written into a page: a login form is not kept (the officer types the
PIN again).

A device fault is also told to the status strip (StatusService.device_failed), which shows it
until the same request succeeds or a newer self-test speaks for the device.
"""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, Response, current_app, g, render_template, request
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from kiosk.errors import Action, DeviceError, Guidance, KioskError, device_role, guidance_for
from kiosk.refusals import KioskCode, Refused
from kiosk.services import Services
from kiosk.storage_faults import storage_fault
from kiosk.views.access import services

log = logging.getLogger(__name__)

_EXPIRED = Guidance(
    _l("This page has expired"),
    _l("Nothing was saved from it. Go back to the home screen and try again."),
    Action.CONTINUE,
)
_NOT_FOUND = Guidance(_l("Page not found"), _l("Go back to the home screen."), Action.CONTINUE)
_REFUSED_TITLE = _l("This cannot be done now")

# Refusals that mean "there is no such thing here" rather than "not now".
_NOT_HERE = frozenset({KioskCode.NOT_PROVISIONED, KioskCode.UNKNOWN_BALLOT})


# Form fields never echoed back into a page.
SECRET_FIELDS = frozenset({"pin", "new_pin", "password"})


def typed_form() -> list[tuple[str, str]] | None:
    """What the officer sent with this request, to offer it again; None when there is nothing
    to keep or it holds a secret."""
    if request.method != "POST" or not request.form:
        return None
    fields = list(request.form.items(multi=True))
    if any(name in SECRET_FIELDS for name, _ in fields):
        return None
    return fields


def _fallback(guidance: Guidance, kept: list[tuple[str, str]] | None) -> str:
    form = ""
    if kept is not None:
        inputs = "".join(
            f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in kept
        )
        form = (
            f'<form method="post" action="{escape(request.path)}">{inputs}'
            f"<button type=submit>{escape(str(_l('Save again')))}</button></form>"
        )
    return (
        f"<!doctype html><meta charset=utf-8><h1>{escape(str(guidance.title))}</h1>"
        f"<p>{escape(str(guidance.text))}</p>{form}<p><a href='/'>TPS Kiosk</a></p>"
    )


def _render(
    guidance: Guidance,
    status: int,
    kept: list[tuple[str, str]] | None = None,
    retry_url: str | None = None,
) -> tuple[str, int]:
    try:
        html = render_template(
            "guidance.html",
            guidance=guidance,
            retry_url=retry_url or request.referrer,
            kept_form=kept,
            # "Ulangi" repeats a device's failed action; "Simpan lagi" waits for the technician.
            kept_retry=guidance.action is Action.RETRY,
        )
    except Exception:
        # The page frame itself is broken (e.g. the database it reads is damaged): still say
        # something useful and keep what was typed, never a trace.
        log.exception("cannot render the guidance page")
        html = _fallback(guidance, kept)
    return html, status


def _device_fault(exc: DeviceError) -> tuple[str, int]:
    """The guidance naming the device, with "Ulangi" repeating the request that failed: the
    same form sent again, or the same page asked again."""
    role = device_role(exc)
    if role is not None:
        services().status.device_failed(role, type(exc).__name__, (request.method, request.path))
    g.pop("kiosk_glance", None)  # the strip of this page already shows the fault
    guidance = guidance_for(exc)
    if guidance.action is not Action.RETRY:
        return _render(guidance, 503)
    if request.method == "GET":
        return _render(guidance, 503, retry_url=request.full_path)
    return _render(guidance, 503, typed_form())


def _data_dir() -> Path | None:
    services: Services | None = current_app.extensions.get("services")
    return services.kiosk.data_dir if services is not None else None


def _storage_fault(exc: BaseException) -> tuple[str, int] | None:
    fault = storage_fault(exc, _data_dir())
    if fault is None:
        return None
    log.error("%s on %s %s: %s", type(fault).__name__, request.method, request.path, fault)
    return _render(guidance_for(fault), 503, typed_form())


def register(app: Flask) -> None:
    @app.errorhandler(DeviceError)
    def device_error(exc: DeviceError) -> tuple[str, int]:
        log.warning("%s (%s) on %s: %s", type(exc).__name__, exc.role, request.path, exc)
        return _device_fault(exc)

    @app.after_request
    def device_worked(response: Response) -> Response:
        built: Services | None = current_app.extensions.get("services")
        if built is not None and request.method == "POST" and response.status_code < 400:
            built.status.device_worked((request.method, request.path))
        return response

    @app.errorhandler(KioskError)
    def kiosk_error(exc: KioskError) -> tuple[str, int]:
        log.error("%s on %s: %s", type(exc).__name__, request.path, exc)
        kept = typed_form() if storage_fault(exc, _data_dir()) is not None else None
        return _render(guidance_for(exc), 503, kept)

    @app.errorhandler(Refused)
    def refused(exc: Refused) -> tuple[str, int]:
        """A service's "no" that no view caught: its sentence on the guidance page, never a
        500."""
        log.info("refused on %s %s: %s", request.method, request.path, exc)
        guidance = Guidance(_REFUSED_TITLE, LazyString(exc.message), Action.CONTINUE)
        return _render(guidance, 404 if exc.code in _NOT_HERE else 409)

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
        fault = _storage_fault(exc)
        if fault is not None:
            return fault
        log.exception("unexpected error on %s", request.path)
        return _render(guidance_for(exc), 500)
