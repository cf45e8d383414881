"""Why a document is not at the server yet, and why a USB export said no: one code each, one
wording each.

``UploadProblem``'s values are the strings ``upload_job.error_code`` holds (written by the
worker), so rows stored before this enum read the same. A stored value this kiosk does not
know (a newer or older worker wrote it) reads as ``UNKNOWN``, which says so, instead of passing
for "no network". The wording reuses the English msgids the queue screen always showed.

Parameters: ``time`` (HH:MM of the next attempt, kiosk clock), ``code`` (the stored value).
"""

from __future__ import annotations

from kiosk.lazy_text import lazy_gettext as _l  # not flask_babel's: the worker loads no Flask
from kiosk.refusals import RefusalCode, wording


class UploadProblem(RefusalCode):
    """The last attempt's outcome, as ``upload_job.error_code`` stores it."""

    NONE = ""  # not tried yet, or sent
    # The worker tries again by itself:
    NETWORK = "network"
    SERVER_BUSY = "server_busy"
    TRANSFER = "transfer"
    NO_RECEIPT = "no_receipt"
    DISK_FULL = "disk_full"
    INTERNAL = "internal"
    NOT_CONFIGURED = "not_configured"
    # A person must look ("Coba sekarang" makes it due again):
    REJECTED = "rejected"
    RECEIPT_MISMATCH = "receipt_mismatch"
    DOCUMENT_CHANGED = "document_changed"
    DOCUMENT_UNREADABLE = "document_unreadable"
    TRAINING_BLOCKED = "training_blocked"
    UNKNOWN = "unknown"  # a stored value this kiosk does not know

    @classmethod
    def stored(cls, value: str) -> UploadProblem:
        """The member of a stored ``error_code``; an unknown one is ``UNKNOWN``."""
        try:
            return cls(value)
        except ValueError:
            return cls.UNKNOWN

    @property
    def needs_person(self) -> bool:
        """The worker does not try again by itself (the job is ``failed``)."""
        return self in _NEEDS_PERSON


_NEEDS_PERSON = frozenset(
    {
        UploadProblem.REJECTED,
        UploadProblem.RECEIPT_MISMATCH,
        UploadProblem.DOCUMENT_CHANGED,
        UploadProblem.DOCUMENT_UNREADABLE,
        UploadProblem.TRAINING_BLOCKED,
        UploadProblem.UNKNOWN,
    }
)

UPLOAD_WORDING = wording(
    UploadProblem,
    {
        UploadProblem.NONE: _l("Waiting to be sent."),
        UploadProblem.NETWORK: _l("No network — will try again at %(time)s."),
        UploadProblem.SERVER_BUSY: _l("The server is busy — will try again at %(time)s."),
        UploadProblem.TRANSFER: _l("The connection broke — will continue at %(time)s."),
        UploadProblem.NO_RECEIPT: _l("Sent; waiting for the server's receipt (%(time)s)."),
        UploadProblem.DISK_FULL: _l(
            "The kiosk's storage is full — call the technician. The document is safe."
        ),
        UploadProblem.INTERNAL: _l("A fault in the kiosk — will try again at %(time)s."),
        UploadProblem.NOT_CONFIGURED: _l(
            "No server address is set on this kiosk. Use USB export, or call the technician."
        ),
        UploadProblem.REJECTED: _l(
            "The server refused this document. Call the technician; it stays on the kiosk."
        ),
        UploadProblem.RECEIPT_MISMATCH: _l(
            "The server's receipt does not match this document. Call the technician; "
            "it stays on the kiosk."
        ),
        UploadProblem.DOCUMENT_CHANGED: _l(
            "The document's files changed after signing. Call the technician; delete nothing."
        ),
        UploadProblem.DOCUMENT_UNREADABLE: _l(
            "The document's files cannot be read. Call the technician; delete nothing."
        ),
        UploadProblem.TRAINING_BLOCKED: _l("Training documents are never sent to a real server."),
        UploadProblem.UNKNOWN: _l(
            "Not sent: this kiosk does not know the reason it recorded (%(code)s). Call the "
            "technician; the document stays on the kiosk."
        ),
    },
)


class ExportCode(RefusalCode):
    """Why a USB export wrote nothing that counts (``Refused(ExportCode.X, detail=...)``)."""

    NO_DRIVE = "no_drive"
    DRIVE_FULL = "drive_full"
    DRIVE_READONLY = "drive_readonly"
    VERIFY_FAILED = "verify_failed"
    NOTHING = "nothing"


EXPORT_WORDING = wording(
    ExportCode,
    {
        ExportCode.NO_DRIVE: _l("No USB drive found. Plug it in, wait 5 seconds, and try again."),
        ExportCode.DRIVE_FULL: _l("The USB drive is full. Use another drive; nothing was lost."),
        ExportCode.DRIVE_READONLY: _l(
            "The USB drive cannot be written. Check its lock switch or use another."
        ),
        ExportCode.VERIFY_FAILED: _l(
            "The USB drive did not keep the files correctly. Use another drive."
        ),
        ExportCode.NOTHING: _l("There is no signed document to export yet."),
    },
)
