"""Why the C.Hasil features say no: numbers (``ChasilCode``), scanned pages and signed
documents (``DocumentCode``), printed copies (``CopyCode``), each with its wording."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from kiosk.refusals import RefusalCode, wording


class ChasilCode(RefusalCode):
    """Refusals of ``ChasilService`` (kiosk.chasil.service)."""

    SAME_OFFICER = "same_officer"  # the blind second entry by the first entry's officer
    NO_NUMBERS = "no_numbers"  # confirm: nothing entered for this ballot yet
    DO_NOT_ADD_UP = "do_not_add_up"  # confirm: a blocking finding
    NOTE_NEEDED = "note_needed"  # confirm: warnings without a kejadian khusus note
    # A signed document carries the confirmed numbers (and copies were printed from it): they
    # no longer change on the kiosk; the correction goes on paper to the PPS.
    ALREADY_SIGNED = "already_signed"  # params: ballot
    KETUA_CORRECTS = "ketua_corrects"  # a change after the confirmation, by a non-Ketua
    REASON_NEEDED = "reason_needed"  # the Ketua's change after the confirmation, no reason


class DocumentCode(RefusalCode):
    """Refusals of ``DocumentService`` (kiosk.chasil.documents)."""

    NOT_CONFIRMED = "not_confirmed"  # the Ketua has not confirmed the numbers
    PAGES_NOT_READY = "pages_not_ready"  # no page scanned, or a page held by the gate
    UNKNOWN_PAGE = "unknown_page"  # params: ballot, page (discarded, replaced or never one)
    UNKNOWN_DOCUMENT = "unknown_document"  # params: document
    PDF_INTERRUPTED = "pdf_interrupted"  # the child process making the PDF ended before it did
    REASON_NEEDED = "reason_needed"  # params: ballot (a page held for its form kept without one)


class CopyCode(RefusalCode):
    """Refusals of ``CopyService`` (kiosk.chasil.copies)."""

    UNKNOWN_RECIPIENT = "unknown_recipient"  # params: recipient
    UNKNOWN_COPY = "unknown_copy"  # params: copy (a print job id)


CHASIL_WORDING = wording(
    ChasilCode,
    {
        ChasilCode.SAME_OFFICER: _l(
            "You made the first entry of %(ballot)s: the second entry must be made by another"
            " officer. Log out, then another officer logs in and enters the sheet."
        ),
        ChasilCode.NO_NUMBERS: _l("No numbers have been entered for this ballot yet."),
        ChasilCode.DO_NOT_ADD_UP: _l(
            "Cannot confirm: the numbers do not add up. Recount the red boxes."
        ),
        ChasilCode.NOTE_NEEDED: _l(
            "Write a special incident note explaining the warnings, then confirm."
        ),
        ChasilCode.ALREADY_SIGNED: _l(
            "The numbers of %(ballot)s are in its signed document and its copies: they can no"
            " longer be changed here. Record the correction as a special incident; it goes to"
            " the PPS with the documents."
        ),
        ChasilCode.KETUA_CORRECTS: _l(
            "The Ketua KPPS has confirmed the numbers of %(ballot)s: only the Ketua can change"
            " them now, with a reason. Ask the Ketua KPPS to log in."
        ),
        ChasilCode.REASON_NEEDED: _l(
            "The numbers of %(ballot)s were confirmed: write why they change, then save. The"
            " Ketua confirms them again afterwards."
        ),
    },
)

DOCUMENT_WORDING = wording(
    DocumentCode,
    {
        DocumentCode.NOT_CONFIRMED: _l(
            "The Ketua KPPS must confirm the numbers before the document is made."
        ),
        DocumentCode.PAGES_NOT_READY: _l(
            "Scan the sheet first, and rescan or discard every page marked in red."
        ),
        DocumentCode.UNKNOWN_PAGE: _l("This page is no longer in the list"),
        DocumentCode.UNKNOWN_DOCUMENT: _l("There is no signed document %(document)s."),
        DocumentCode.PDF_INTERRUPTED: _l(
            "The document was not made: making its PDF stopped halfway. The scanned pages are"
            " kept. Press “Done: make the signed document” again."
        ),
        DocumentCode.REASON_NEEDED: _l(
            "This page is not the %(ballot)s sheet as far as the kiosk can read. To use it"
            " anyway, write why (at least 10 letters); it is recorded in the audit log."
        ),
    },
)

COPY_WORDING = wording(
    CopyCode,
    {
        CopyCode.UNKNOWN_RECIPIENT: _l("The list of recipients could not be read"),
        CopyCode.UNKNOWN_COPY: _l("There is no printed copy %(copy)s of this document."),
    },
)
