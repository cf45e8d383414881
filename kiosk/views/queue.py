"""The upload queue screen: what is still to send, per ballot in words, why not yet, and the
one thing that helps now ("Coba sekarang", the USB drive, or home) — one screen at 800×480."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from kiosk.refusals import Refused
from kiosk.roles import Permission
from kiosk.upload.refusals import ExportCode
from kiosk.views.access import me, require, services

bp = Blueprint("queue", __name__)


@bp.get("/antrian")
@require(Permission.UPLOAD)
def queue() -> str:
    q = services().queue
    drives = q.usb_drives()
    return render_template(
        "queue.html",
        counts=q.counts(),
        jobs=q.jobs(),
        records=q.records(),
        records_unsent=q.records_unsent(),
        online=q.online(),
        server=q.server_configured(),
        drives=drives,
        last_export=q.last_export(),
        primary=q.next_action(drives).value,
    )


@bp.post("/antrian/coba")
@require(Permission.UPLOAD)
def retry() -> Response:
    login = me()
    n = services().queue.retry_now(login)
    flash(_("%(n)d document(s) will be sent as soon as the server answers.", n=n))
    return redirect(url_for("queue.queue"))


@bp.post("/antrian/usb")
@require(Permission.UPLOAD)
def export_usb() -> Response:
    q = services().queue
    login = me()
    try:
        done = q.export_to_drive(request.form.get("drive", ""), login)
    except Refused as exc:
        if not isinstance(exc.code, ExportCode):
            abort(404)  # not provisioned: as before, no such page
        flash(exc.message())
        return redirect(url_for("queue.queue"))
    if done.records:  # the numbers not yet received went too: say so, they reach PPS first
        flash(
            _(
                "%(n)d document(s) and the numbers of %(r)d confirmation(s) written and checked"
                " on the USB drive. Take it to the PPS.",
                n=done.bundles,
                r=done.records,
            )
        )
    else:
        flash(
            _(
                "%(n)d document(s) written and checked on the USB drive. Take it to the PPS.",
                n=done.bundles,
            )
        )
    return redirect(url_for("queue.queue"))
