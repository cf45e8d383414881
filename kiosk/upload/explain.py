"""A job's state in words, with what happens next: for the queue screen and ``queue list``.

Needs the kiosk's catalogue (a web request, or ``kiosk.i18n.in_language`` on the command line),
so the words come out in the kiosk's language. Why a job waits is ``UploadProblem``, worded by
``kiosk.upload.refusals``' one table.
"""

from __future__ import annotations

from flask_babel import gettext as _

from kiosk.upload.outbox import FAILED, SENDING, SENT, Job
from kiosk.upload.refusals import UPLOAD_WORDING, UploadProblem

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
    if job.state != FAILED and job.delivered:
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
    return str(UPLOAD_WORDING[shown_problem(job)]) % {"time": when, "code": job.error_code}


def shown_problem(job: Job) -> UploadProblem:
    """The problem the words explain for a job that is not sent: a failed job's own (one the
    worker retries by itself cannot leave a job failed: then the stored value is not
    understood); a pending job's last one, except a person's problem after "Coba sekarang",
    which made it due again."""
    problem = job.problem
    if job.state == FAILED:
        return problem if problem.needs_person else UploadProblem.UNKNOWN
    if problem.needs_person and problem is not UploadProblem.UNKNOWN:
        return UploadProblem.NONE
    return problem
