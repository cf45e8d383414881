"""The upload queue screen: what is still to send, why not yet, "Coba sekarang", USB export."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from kiosk.audit import Event
from kiosk.context import current_kiosk
from kiosk.devicekey import ensure_key
from kiosk.roles import Permission
from kiosk.upload import explain
from kiosk.upload.outbox import Job
from kiosk.upload.usb_export import ExportFailed, export_bundles, usb_drives
from kiosk.views.access import current_session, require

bp = Blueprint("queue", __name__)


def job_message(job: Job) -> str:
    """The job's state in words, with what happens next."""
    when = current_kiosk().outbox.next_attempt_at(job).strftime("%H:%M")
    return explain.job_message(job, when)


@bp.get("/antrian")
@require(Permission.UPLOAD)
def queue() -> str:
    kiosk = current_kiosk()
    outbox = kiosk.outbox
    uplink = outbox.uplink()
    return render_template(
        "queue.html",
        counts=outbox.counts(),
        jobs=[(job, job_message(job)) for job in outbox.jobs()],
        online=uplink[0] if uplink else None,
        server=bool(
            kiosk.settings.upload_endpoint or (kiosk.profile and kiosk.profile.upload_endpoint)
        ),
        drives=usb_drives(Path(kiosk.settings.usb_export_root)),
        last_export=outbox.last_export(),
    )


@bp.post("/antrian/coba")
@require(Permission.UPLOAD)
def retry() -> Response:
    kiosk = current_kiosk()
    n = kiosk.outbox.retry_now()
    kiosk.audit.record_for(Event.UPLOAD_RETRY, current_session(), jobs=n)
    flash(_("%(n)d document(s) will be sent as soon as the server answers.", n=n))
    return redirect(url_for("queue.queue"))


@bp.post("/antrian/usb")
@require(Permission.UPLOAD)
def export_usb() -> Response:
    kiosk = current_kiosk()
    drives = {str(d): d for d in usb_drives(Path(kiosk.settings.usb_export_root))}
    target = drives.get(request.form.get("drive", ""))
    if kiosk.profile is None:
        abort(404)
    login = current_session()
    assert login is not None
    messages = {
        "no_drive": _("No USB drive found. Plug it in, wait 5 seconds, and try again."),
        "drive_full": _("The USB drive is full. Use another drive; nothing was lost."),
        "drive_readonly": _(
            "The USB drive cannot be written. Check its lock switch or use another."
        ),
        "verify_failed": _("The USB drive did not keep the files correctly. Use another drive."),
        "nothing": _("There is no signed document to export yet."),
    }
    if target is None:
        flash(messages["no_drive"])
        return redirect(url_for("queue.queue"))
    try:
        done = export_bundles(
            kiosk.outbox,
            ensure_key(Path(kiosk.settings.data_dir)),
            kiosk.profile.identity.code,
            target,
            kiosk.clock,
            login.officer.id,
        )
    except ExportFailed as exc:
        flash(messages.get(exc.code, messages["verify_failed"]))
        return redirect(url_for("queue.queue"))
    kiosk.audit.record_for(Event.USB_EXPORT, login, folder=str(done.folder), n=done.bundles)
    flash(
        _(
            "%(n)d document(s) written and checked on the USB drive. Take it to the PPS.",
            n=done.bundles,
        )
    )
    return redirect(url_for("queue.queue"))
