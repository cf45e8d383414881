"""Self-test page: run the readiness check, show guidance for each failure, print the report."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from kiosk.refusals import Refused
from kiosk.roles import Permission
from kiosk.services.selftest import CHECK_NAMES
from kiosk.views.access import current_session, require, services

bp = Blueprint("selftest", __name__, url_prefix="/selftest")


@bp.get("/")
@require(Permission.VIEW_STATUS)  # the report names the device key: officers only
def show() -> str:
    selftest = services().selftest
    return render_template(
        "selftest.html",
        report=selftest.last_report(),
        device_key=selftest.device_key_fingerprint(),
        check_names=CHECK_NAMES,
    )


@bp.post("/")
@require(Permission.RUN_SELFTEST)
def run() -> Response:
    services().selftest.run(request.form.get("test_print") == "1", by=current_session())
    return redirect(url_for("selftest.show"))


@bp.post("/print")
@require(Permission.RUN_SELFTEST)
def print_() -> Response:
    try:
        services().selftest.print_report(request.form.get("printer", "receipt"), current_session())
    except Refused as exc:
        flash(exc.message())
        return redirect(url_for("selftest.show"))
    flash(_("The readiness report was printed."))
    return redirect(url_for("selftest.show"))
