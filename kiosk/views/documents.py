"""Scanning C.Hasil sheets, making the signed document, printing copies and the receipt."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from kiosk.chasil.copies import PRINTERS
from kiosk.chasil.legibility import Problem
from kiosk.chasil.messages import problem_message
from kiosk.chasil.refusals import DocumentCode
from kiosk.chasil.signing import Document
from kiosk.errors import Action, Guidance
from kiosk.refusals import Refused
from kiosk.roles import Permission
from kiosk.views.access import me, require, services

bp = Blueprint("documents", __name__)

_UNREADABLE_RECIPIENTS = Guidance(
    _l("The list of recipients could not be read"),
    _l("Nothing was changed. Go back to the document, tick who is present and save the list."),
    Action.RETRY,
)

_PAGE_GONE = Guidance(
    _l("This page is no longer in the list"),
    _l(
        "It was discarded or replaced already, so nothing was scanned. Press Retry to go back "
        "to the scanned pages and choose again."
    ),
    Action.RETRY,
)


@bp.get("/chasil/<ballot_type>/scan")
@require(Permission.CHASIL_ENTER)
def scan_page(ballot_type: str) -> str:
    docs = services().documents
    return render_template(
        "scan.html",
        ballot=ballot_type,
        pages=docs.pages(ballot_type),
        documents=docs.documents(ballot_type),
        problems={p.value: problem_message(p) for p in Problem},  # why a page is held
    )


@bp.post("/chasil/<ballot_type>/scan")
@require(Permission.CHASIL_ENTER)
def scan(ballot_type: str) -> Response | tuple[str, int]:
    feeder = request.form.get("source") == "adf"  # else the glass
    replace = request.form.get("replace", type=int)
    try:
        result = services().documents.scan(ballot_type, me(), feeder, replace_page=replace)
    except Refused as exc:
        if exc.code is not DocumentCode.UNKNOWN_PAGE:
            raise
        # A rescan that names no kept page: nothing was scanned; back to the list.
        back = url_for("documents.scan_page", ballot_type=ballot_type)
        return render_template("guidance.html", guidance=_PAGE_GONE, retry_url=back), 404
    for verdict in result.rejected:
        if verdict.problem is not None:
            flash(problem_message(verdict.problem))
    if result.accepted:
        flash(_("%(n)d page(s) accepted.", n=result.accepted))
    if result.rejected:
        flash(
            _(
                "Pages marked in red need a rescan. Use one anyway only if you can read every "
                "number on it."
            )
        )
    return redirect(url_for("documents.scan_page", ballot_type=ballot_type))


@bp.post("/chasil/<ballot_type>/pages/<int:page_id>")
@require(Permission.CHASIL_ENTER)
def page_action(ballot_type: str, page_id: int) -> Response:
    docs = services().documents
    action = request.form.get("action")
    if action == "discard":
        docs.discard(page_id)
    elif action == "use":
        docs.use_anyway(page_id, me())
    elif action in ("up", "down"):
        docs.move(ballot_type, page_id, -1 if action == "up" else 1)
    return redirect(url_for("documents.scan_page", ballot_type=ballot_type))


@bp.get("/chasil/<ballot_type>/pages/<int:page_id>.png")
@require(Permission.CHASIL_ENTER)
def page_image(ballot_type: str, page_id: int) -> Response:
    try:
        path = services().documents.page_image(ballot_type, page_id)
    except Refused:
        abort(404)
    return send_from_directory(path.parent, path.name, mimetype="image/png")


@bp.post("/chasil/<ballot_type>/finish")
@require(Permission.CHASIL_ENTER)
def finish(ballot_type: str) -> Response:
    try:
        doc = services().documents.finish(ballot_type, me())
    except Refused as exc:
        if exc.code not in (DocumentCode.NOT_CONFIRMED, DocumentCode.PAGES_NOT_READY):
            raise
        flash(exc.message())
        return redirect(url_for("documents.scan_page", ballot_type=ballot_type))
    return redirect(url_for("documents.document", doc_id=doc.id))


def _document(doc_id: int) -> Document:
    """The signed document of the URL; 404 when there is none."""
    try:
        return services().documents.document(doc_id)
    except Refused:
        abort(404)


@bp.get("/documents/<int:doc_id>")
@require(Permission.CHASIL_ENTER)
def document(doc_id: int) -> str:
    doc = _document(doc_id)
    copies = services().copies
    return render_template(
        "document.html",
        doc=doc,
        recipients=copies.recipients(),
        jobs=copies.jobs(doc),
        printers=PRINTERS,
    )


@bp.post("/documents/<int:doc_id>/recipients")
@require(Permission.CHASIL_ENTER)
def recipients(doc_id: int) -> Response | tuple[str, int]:
    """Tick exactly the recipients sent as ``present`` (their ids; none = nobody present)."""
    try:
        present = {_recipient_id(x) for x in request.form.getlist("present")}
        services().copies.set_present_list(present)
    except (ValueError, Refused):
        html = render_template(
            "guidance.html",
            guidance=_UNREADABLE_RECIPIENTS,
            retry_url=url_for("documents.document", doc_id=doc_id),
        )
        return html, 400
    return redirect(url_for("documents.document", doc_id=doc_id))


def _recipient_id(text: str) -> int:
    """A recipient id from the form: ASCII digits only (ValueError otherwise)."""
    if not (text.isascii() and text.isdigit()):
        raise ValueError(text)
    return int(text)


@bp.post("/documents/<int:doc_id>/print")
@require(Permission.CHASIL_ENTER)
def print_copies(doc_id: int) -> Response:
    doc = _document(doc_id)
    printer = request.form.get("printer", "a4")
    if printer not in PRINTERS:
        abort(400)
    done = services().copies.print_copies(doc, printer, me())
    flash(_("%(n)d copies printed.", n=done))
    return redirect(url_for("documents.document", doc_id=doc_id))


@bp.post("/documents/<int:doc_id>/reprint/<int:job_id>")
@require(Permission.CHASIL_ENTER)
def reprint(doc_id: int, job_id: int) -> Response:
    doc = _document(doc_id)
    try:
        services().copies.reprint(doc, job_id, me())
    except Refused:  # no such printed copy of this document
        abort(404)
    flash(_("The copy was printed again, marked CETAK ULANG."))
    return redirect(url_for("documents.document", doc_id=doc_id))


@bp.post("/documents/<int:doc_id>/receipt")
@require(Permission.CHASIL_ENTER)
def receipt(doc_id: int) -> Response:
    services().copies.print_receipt(_document(doc_id))
    flash(_("The distribution receipt was printed and kept."))
    return redirect(url_for("documents.document", doc_id=doc_id))
