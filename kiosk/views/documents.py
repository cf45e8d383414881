"""Scanning C.Hasil sheets, making the signed document, printing copies and the receipt."""

from __future__ import annotations

import json
from pathlib import Path

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

from drivers.errors import ScannerNotFound
from drivers.scanner import Source
from kiosk.chasil.copies import PRINTERS, CopyService
from kiosk.chasil.documents import Document, DocumentRefused, DocumentStore
from kiosk.chasil.legibility import Problem
from kiosk.chasil.service import ballot_of
from kiosk.context import current_kiosk
from kiosk.devicekey import ensure_key
from kiosk.errors import Action, Guidance
from kiosk.fleet.timezone import format_tps_time
from kiosk.roles import Permission
from kiosk.services.auth import ActiveSession
from kiosk.views.access import current_session, require

bp = Blueprint("documents", __name__)

_UNREADABLE_RECIPIENTS = Guidance(
    _l("The list of recipients could not be read"),
    _l("Nothing was changed. Go back to the document, tick who is present and save the list."),
    Action.RETRY,
)


def _rejected_message(problem: Problem) -> str:
    messages: dict[Problem, str] = {
        Problem.BLANK: _(
            "The page looks empty. Put the sheet face down on the glass and scan again."
        ),
        Problem.TOO_DARK: _("The page is too dark. Close the lid fully and scan again."),
        Problem.TOO_LIGHT: _("The page is too faint. Check the sheet is face down and scan again."),
        Problem.BLURRED: _("The page is blurred. Press the sheet flat, keep it still, scan again."),
        Problem.SKEWED: _(
            "The page is crooked. Lay the sheet straight against the edge, scan again."
        ),
    }
    return messages[problem]


def store() -> DocumentStore:
    kiosk = current_kiosk()
    if kiosk.profile is None:
        abort(404)
    return DocumentStore(
        kiosk.db, kiosk.audit, kiosk.clock, kiosk.settings.data_dir, kiosk.profile, kiosk.training
    )


def copies() -> CopyService:
    kiosk = current_kiosk()
    assert kiosk.profile is not None
    return CopyService(kiosk.db, kiosk.audit, kiosk.clock, kiosk.devices, kiosk.profile)


def me() -> ActiveSession:
    login = current_session()
    assert login is not None
    return login


def _check_ballot(ballot_type: str) -> None:
    profile = current_kiosk().profile
    try:
        assert profile is not None
        ballot_of(profile, ballot_type)
    except (KeyError, AssertionError):
        abort(404)


@bp.get("/chasil/<ballot_type>/scan")
@require(Permission.CHASIL_ENTER)
def scan_page(ballot_type: str) -> str:
    _check_ballot(ballot_type)
    s = store()
    return render_template(
        "scan.html",
        ballot=ballot_type,
        pages=s.pages(ballot_type),
        documents=s.documents(ballot_type),
        problems={p.value: _rejected_message(p) for p in Problem},  # why a page is held
    )


@bp.post("/chasil/<ballot_type>/scan")
@require(Permission.CHASIL_ENTER)
def scan(ballot_type: str) -> Response:
    _check_ballot(ballot_type)
    scanner = current_kiosk().devices.scanner
    if scanner is None:
        raise ScannerNotFound("no scanner configured")
    source = Source.ADF if request.form.get("source") == "adf" else Source.FLATBED
    replace = request.form.get("replace", type=int)
    result = store().scan(scanner, ballot_type, source, me(), replace_page=replace)
    for verdict in result.rejected:
        if verdict.problem is not None:
            flash(_rejected_message(verdict.problem))
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
    s = store()
    action = request.form.get("action")
    if action == "discard":
        s.discard(page_id)
    elif action == "use":
        s.use_anyway(page_id, me())
    elif action in ("up", "down"):
        s.move(ballot_type, page_id, -1 if action == "up" else 1)
    return redirect(url_for("documents.scan_page", ballot_type=ballot_type))


@bp.get("/chasil/<ballot_type>/pages/<int:page_id>.png")
@require(Permission.CHASIL_ENTER)
def page_image(ballot_type: str, page_id: int) -> Response:
    for page in store().pages(ballot_type):
        if page["id"] == page_id:
            path = Path(page["path"])
            return send_from_directory(path.parent, path.name, mimetype="image/png")
    abort(404)


@bp.post("/chasil/<ballot_type>/finish")
@require(Permission.CHASIL_ENTER)
def finish(ballot_type: str) -> Response:
    _check_ballot(ballot_type)
    kiosk = current_kiosk()
    s = store()
    confirmed = s.confirmation(ballot_type)
    numbers = confirmed.numbers if confirmed is not None else None
    try:
        doc = s.finish(
            ballot_type, numbers, ensure_key(kiosk.settings.data_dir), me(), confirmed=confirmed
        )
    except DocumentRefused:
        if numbers is None:
            flash(_("The Ketua KPPS must confirm the numbers before the document is made."))
        else:
            flash(_("Scan the sheet first, and rescan or discard every page marked in red."))
        return redirect(url_for("documents.scan_page", ballot_type=ballot_type))
    return redirect(url_for("documents.document", doc_id=doc.id))


def _doc(doc_id: int) -> tuple[Document, list[Path]]:
    s = store()
    try:
        doc = s.document(doc_id)
    except KeyError:
        abort(404)
    manifest = json.loads(doc.manifest.read_text(encoding="utf-8"))["manifest"]
    by_sha = {
        p["sha256"]: Path(p["path"])
        for p in [dict(r) for r in current_kiosk().db.read("SELECT path, sha256 FROM scan_page")]
    }
    return doc, [by_sha[p["sha256"]] for p in manifest["pages"]]


@bp.get("/documents/<int:doc_id>")
@require(Permission.CHASIL_ENTER)
def document(doc_id: int) -> str:
    doc, _pages = _doc(doc_id)
    c = copies()
    profile = current_kiosk().profile
    assert profile is not None  # _doc() answered 404 without one
    code = profile.identity.code
    jobs = c.jobs(doc)
    for job in jobs:
        if job["state"] == "printed":
            job["printed_at"] = format_tps_time(str(job["printed_wall"]), code, "%H:%M")
    return render_template(
        "document.html", doc=doc, recipients=c.recipients(), jobs=jobs, printers=PRINTERS
    )


@bp.post("/documents/<int:doc_id>/recipients")
@require(Permission.CHASIL_ENTER)
def recipients(doc_id: int) -> Response | tuple[str, int]:
    """Tick exactly the recipients sent as ``present`` (their ids; none = nobody present)."""
    c = copies()
    try:
        c.set_present_list({_recipient_id(x) for x in request.form.getlist("present")})
    except (ValueError, KeyError):
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
    doc, pages = _doc(doc_id)
    printer = request.form.get("printer", "a4")
    if printer not in PRINTERS:
        abort(400)
    done = copies().print_copies(doc, pages, printer, me())
    flash(_("%(n)d copies printed.", n=done))
    return redirect(url_for("documents.document", doc_id=doc_id))


@bp.post("/documents/<int:doc_id>/reprint/<int:job_id>")
@require(Permission.CHASIL_ENTER)
def reprint(doc_id: int, job_id: int) -> Response:
    doc, pages = _doc(doc_id)
    try:
        copies().reprint(doc, pages, job_id, me())
    except KeyError:
        abort(404)
    flash(_("The copy was printed again, marked CETAK ULANG."))
    return redirect(url_for("documents.document", doc_id=doc_id))


@bp.post("/documents/<int:doc_id>/receipt")
@require(Permission.CHASIL_ENTER)
def receipt(doc_id: int) -> Response:
    doc, _pages = _doc(doc_id)
    path = copies().receipt_pdf(doc)
    printer = current_kiosk().devices.document_printer
    if printer is not None:
        printer.print_pdf(path, f"tanda terima {doc.ballot}")
    flash(_("The distribution receipt was printed and kept."))
    return redirect(url_for("documents.document", doc_id=doc_id))
