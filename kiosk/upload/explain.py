"""A job's state in words, with what happens next: for the queue screen and ``queue list``.

Needs a Flask app context with Babel (the web app, or the bare one the CLI makes), so the words
come out in the kiosk's language.
"""

from __future__ import annotations

from flask_babel import gettext as _

from kiosk.upload.outbox import FAILED, SENDING, SENT, Job

# Receipt requests without an answer before the words ask for the technician: with the default
# backoff (5 s doubling, 10 min cap) that is about ten minutes after delivery.
POLLS_BEFORE_HELP = 6


def job_message(job: Job, when: str) -> str:
    """What the job waits for; ``when`` is its next attempt on the kiosk's clock (HH:MM)."""
    if job.state == SENT:
        if job.receipt_source == "usb":
            return str(_("Received by the server (it already had the USB copy)."))
        if job.receipt_source == "tus_completion":
            return str(_("Sent in full; this server gives no receipt (tus completion)."))
        return str(_("Received by the server."))
    if job.state == SENDING:
        return str(_("Sending now…"))
    if job.state == FAILED:
        return _needs_a_person(job.error_code)
    if job.delivered:
        if job.receipt_polls >= POLLS_BEFORE_HELP:
            return str(
                _(
                    "Sent in full — still no receipt from the server after %(n)d requests; "
                    "asking again at %(time)s. It is not sent again. If this lasts, call the "
                    "technician (the server may give no receipt: setting upload_receipt).",
                    n=job.receipt_polls,
                    time=when,
                )
            )
        return str(
            _(
                "Sent in full — waiting for the server's receipt, asking again at %(time)s.",
                time=when,
            )
        )
    waiting: dict[str, str] = {
        "": _("Waiting to be sent."),
        "network": _("No network — will try again at %(time)s.", time=when),
        "server_busy": _("The server is busy — will try again at %(time)s.", time=when),
        "transfer": _("The connection broke — will continue at %(time)s.", time=when),
        "no_receipt": _("Sent; waiting for the server's receipt (%(time)s).", time=when),
        "disk_full": _("The kiosk's storage is full — call the technician. The document is safe."),
        "internal": _("A fault in the kiosk — will try again at %(time)s.", time=when),
        "not_configured": _(
            "No server address is set on this kiosk. Use USB export, or call the technician."
        ),
    }
    return str(waiting.get(job.error_code, waiting["network"]))


def _needs_a_person(code: str) -> str:
    messages: dict[str, str] = {
        "rejected": _(
            "The server refused this document. Call the technician; it stays on the kiosk."
        ),
        "receipt_mismatch": _(
            "The server's receipt does not match this document. Call the technician; "
            "it stays on the kiosk."
        ),
        "document_changed": _(
            "The document's files changed after signing. Call the technician; delete nothing."
        ),
        "document_unreadable": _(
            "The document's files cannot be read. Call the technician; delete nothing."
        ),
        "training_blocked": _("Training documents are never sent to a real server."),
    }
    return str(messages.get(code, messages["rejected"]))
