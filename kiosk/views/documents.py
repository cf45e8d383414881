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
from kiosk.chasil.identify import FORM_PROBLEMS
from kiosk.chasil.messages import held_message
from kiosk.chasil.pages import Page
from kiosk.chasil.refusals import DocumentCode
from kiosk.chasil.signing import Document
from kiosk.errors import Action, Guidance
from kiosk.refusals import Refused
from kiosk.roles import Permission
from kiosk.views.access import me, require, services
from kiosk.views.paper import paper_status

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
    """One page at a time: the page named by ``?page=<id>``, else the newest scanned, large
    enough to read the form's title, with its strip of numbered chips and its actions."""
    docs = services().documents
    pages = docs.pages(ballot_type)
    current = _shown(pages, request.args.get("page", type=int))
    confirmed = services().chasil.confirmed(ballot_type)
    # Scanned after the confirmation: where the paper differs, that is shown before signing.
    differs = bool(
        confirmed
        and pages
        and ballot_type not in docs.signed_ballots()
        and request.args.get("paper") != "seen"
        and paper_status(ballot_type, confirmed.numbers).differences
    )
    return render_template(
        "scan.html",
        ballot=ballot_type,
        pages=pages,
        current=current,
        position=pages.index(current) + 1 if current else 0,
        any_held=any(p.problem for p in pages),
        confirmed=docs.numbers_confirmed(ballot_type),
        paper_differs=differs,
        documents=docs.documents(ballot_type),
        # Why the page shown is held, if it is.
        held_message=held_message(current.problem, ballot_type, current.form)
        if current and current.problem
        else "",
        form_held=bool(current and current.problem in FORM_PROBLEMS),
    )


def _shown(pages: list[Page], wanted: int | None) -> Page | None:
    """The page asked for if it is still kept, else the newest scanned (the highest id: a
    rescan's page replaces in place but is the newest)."""
    for page in pages:
        if page.id == wanted:
            return page
    return max(pages, key=lambda p: p.id, default=None)


def _to_page(ballot_type: str, page_id: int | None) -> Response:
    return redirect(url_for("documents.scan_page", ballot_type=ballot_type, page=page_id))


@bp.post("/chasil/<ballot_type>/scan")
@require(Permission.CHASIL_ENTER)
def scan(ballot_type: str) -> Response | tuple[str, int]:
    feeder = request.form.get("source") == "adf"  # else the glass
    replace = request.form.get("replace", type=int)
    try:
        services().documents.scan(ballot_type, me(), feeder, replace_page=replace)
    except Refused as exc:
        if exc.code is not DocumentCode.UNKNOWN_PAGE:
            raise
        # A rescan that names no kept page: nothing was scanned; back to the list.
        back = url_for("documents.scan_page", ballot_type=ballot_type)
        return render_template("guidance.html", guidance=_PAGE_GONE, retry_url=back), 404
    # No message: the newest page is shown next, with the gate's reason beside it if held.
    return redirect(url_for("documents.scan_page", ballot_type=ballot_type))


@bp.post("/chasil/<ballot_type>/pages/<int:page_id>")
@require(Permission.CHASIL_ENTER)
def page_action(ballot_type: str, page_id: int) -> Response | str:
    """Discard (then show its neighbour), use anyway, or move a page; back to the scan screen
    showing the page acted on."""
    docs = services().documents
    action = request.form.get("action")
    shown: int | None = page_id
    if action == "discard":
        ids = [p.id for p in docs.pages(ballot_type)]
        if page_id in ids:  # the next page takes its place; the last one, the one before
            i = ids.index(page_id)
            neighbours = ids[i + 1 : i + 2] or ids[max(i - 1, 0) : i]
            shown = neighbours[0] if neighbours else None
        docs.discard(page_id)
    elif action == "use":
        try:
            docs.use_anyway(page_id, me(), request.form.get("reason", ""))
        except Refused as exc:
            if exc.code is not DocumentCode.REASON_NEEDED:
                raise
            return _use_screen(ballot_type, page_id, error=exc.message())
    elif action in ("up", "down"):
        docs.move(ballot_type, page_id, -1 if action == "up" else 1)
    return _to_page(ballot_type, shown)


@bp.get("/chasil/<ballot_type>/pages/<int:page_id>/use")
@require(Permission.CHASIL_ENTER)
def use_page(ballot_type: str, page_id: int) -> Response | str:
    """Keep a page held for its form: why it is held, and the reason to write (audited)."""
    return _use_screen(ballot_type, page_id)


def _use_screen(ballot_type: str, page_id: int, error: str = "") -> Response | str:
    page = next((p for p in services().documents.pages(ballot_type) if p.id == page_id), None)
    if page is None or page.problem not in FORM_PROBLEMS:
        return _to_page(ballot_type, page_id)
    return render_template(
        "scan_use.html",
        ballot=ballot_type,
        page=page,
        held_message=held_message(page.problem, ballot_type, page.form),
        error=error,
        reason=request.form.get("reason", ""),
    )


@bp.get("/chasil/<ballot_type>/pages/<int:page_id>.png")
@require(Permission.CHASIL_ENTER)
def page_image(ballot_type: str, page_id: int) -> Response:
    try:
        path = services().documents.page_image(ballot_type, page_id)
    except Refused:
        abort(404)
    # The rendition is a JPEG; a page kept before renditions existed is a PNG. The URL keeps
    # its old ".png" name (screens link to it), so the type comes from the file, not the URL.
    mimetype = "image/jpeg" if path.suffix.lower() in (".jpg", ".jpeg") else "image/png"
    return send_from_directory(path.parent, path.name, mimetype=mimetype)


@bp.post("/chasil/<ballot_type>/finish")
@require(Permission.CHASIL_ENTER)
def finish(ballot_type: str) -> Response:
    try:
        doc = services().documents.finish(ballot_type, me())
    except Refused as exc:
        if exc.code not in (
            DocumentCode.NOT_CONFIRMED,
            DocumentCode.PAGES_NOT_READY,
            DocumentCode.PDF_INTERRUPTED,
        ):
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


STEPS = 3  # who receives a copy; print the copies; the distribution receipt


@bp.get("/documents/<int:doc_id>")
@require(Permission.CHASIL_ENTER)
def document(doc_id: int) -> str:
    """The document's copies as steps (``?step=1..3``): who receives a copy of this ballot,
    printing the copies still missing, the distribution receipt."""
    doc = _document(doc_id)
    step = request.args.get("step", default=1, type=int)
    step = step if step in range(1, STEPS + 1) else 1
    copies = services().copies
    jobs = copies.jobs(doc)
    missing = copies.missing(doc)
    failed = {str(j["recipient"]) for j in jobs if j["state"] == "failed" and not j["reprint"]}
    printed = [j for j in jobs if j["state"] == "printed"]
    originals = [j for j in printed if not j["reprint"] and not j["extra"]]
    return render_template(
        "document.html",
        doc=doc,
        step=step,
        steps=STEPS,
        recipients=copies.recipients(doc.ballot),
        printed=printed,
        waiting=[(name, name in failed) for name in missing],
        done=len(originals),
        total=len(originals) + len(missing),
        receipt_printed=request.args.get("receipt") == "1",
        printers=PRINTERS,
    )


def _step(doc_id: int, step: int, receipt: bool = False) -> Response:
    """To a step of the document's screen (``receipt``: the receipt was just printed)."""
    if receipt:
        return redirect(url_for("documents.document", doc_id=doc_id, step=step, receipt="1"))
    return redirect(url_for("documents.document", doc_id=doc_id, step=step))


@bp.post("/documents/<int:doc_id>/recipients")
@require(Permission.CHASIL_ENTER)
def recipients(doc_id: int) -> Response | tuple[str, int]:
    """Tick exactly the recipients of the document's ballot sent as ``present`` (their ids;
    none = nobody present), say so with the copies it means, and go on to printing them."""
    doc = _document(doc_id)
    try:
        present = {_recipient_id(x) for x in request.form.getlist("present")}
        to_print = services().copies.set_present_list(doc, present)
    except (ValueError, Refused):
        html = render_template(
            "guidance.html",
            guidance=_UNREADABLE_RECIPIENTS,
            retry_url=url_for("documents.document", doc_id=doc_id),
        )
        return html, 400
    if to_print:
        flash(
            _(
                "The list of recipients of %(ballot)s is saved: %(n)d copies will be printed.",
                ballot=doc.ballot,
                n=to_print,
            )
        )
    else:
        flash(
            _(
                "The list of recipients of %(ballot)s is saved: every copy is printed already.",
                ballot=doc.ballot,
            )
        )
    return _step(doc_id, 2)


def _recipient_id(text: str) -> int:
    """A recipient id from the form: ASCII digits only (ValueError otherwise)."""
    if not (text.isascii() and text.isdigit()):
        raise ValueError(text)
    return int(text)


@bp.post("/documents/<int:doc_id>/print")
@require(Permission.CHASIL_ENTER)
def print_copies(doc_id: int) -> Response:
    """Print the copies still missing for the current list (never a second original for a
    recipient who has one); on to the receipt once every copy is printed."""
    doc = _document(doc_id)
    printer = request.form.get("printer", "a4")
    if printer not in PRINTERS:
        abort(400)
    copies = services().copies
    done = copies.print_copies(doc, printer, me())
    flash(_("%(n)d copies printed.", n=done))
    return _step(doc_id, 2 if copies.missing(doc) else 3)


@bp.post("/documents/<int:doc_id>/reprint/<int:job_id>")
@require(Permission.CHASIL_ENTER)
def reprint(doc_id: int, job_id: int) -> Response:
    doc = _document(doc_id)
    try:
        services().copies.reprint(doc, job_id, me())
    except Refused:  # no such printed copy of this document
        abort(404)
    flash(_("The copy was printed again, marked CETAK ULANG."))
    return _step(doc_id, 2)


@bp.post("/documents/<int:doc_id>/receipt")
@require(Permission.CHASIL_ENTER)
def receipt(doc_id: int) -> Response:
    services().copies.print_receipt(_document(doc_id))
    flash(_("The distribution receipt was printed and kept."))
    return _step(doc_id, 3, receipt=True)
