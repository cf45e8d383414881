"""C.Hasil numbers on the touchscreen: entry box by box per ballot type, live checks, double
entry, and the Ketua's confirmation. ``POST /api/chasil/check`` serves the checks (and the sums
the kiosk can offer) as JSON.

The entry is one page whose steps change without a page load (kiosk/static/chasil.js): one box
at a time with the keypad beside it, then a review of every number with "Simpan". The form
still posts every box as ``box:<name>``, so a plain HTTP client enters a sheet as before.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from kiosk.chasil.checks import blocking
from kiosk.chasil.messages import BOX_SHORT, SECTION_WORDS, as_json, box_words, known_source
from kiosk.chasil.offers import SECTIONS, relations, section_of, sum_offers
from kiosk.chasil.offers import as_json as relations_json
from kiosk.chasil.refusals import ChasilCode
from kiosk.chasil.service import ChasilService, parse_boxes
from kiosk.profile import Ballot
from kiosk.refusals import KioskCode, Refused
from kiosk.roles import Permission
from kiosk.views.access import me, require, services
from kiosk.views.audit_view import officer_name
from kiosk.views.paper import mark_differences, paper_status

bp = Blueprint("chasil", __name__)

# A request may name only the first and the (blind) second entry; any other is no page.
ENTRIES = (1, 2)


def service() -> ChasilService:
    return services().chasil


def may_confirm() -> bool:
    return me().may(Permission.CHASIL_CONFIRM, services().kiosk.training)


def sheet_sections(ballot: Ballot) -> list[dict[str, Any]]:
    """The sheet's boxes by section, in sheet order, each with its words and its place
    ("box 4 of 18", "step 4 of 28") for the step screens and the grids."""
    words = box_words(ballot)
    total = len(words)
    sections: list[dict[str, Any]] = [
        {"id": s, "words": SECTION_WORDS[s], "boxes": []} for s in SECTIONS
    ]
    by_id = {s["id"]: s for s in sections}
    for n, (box, text) in enumerate(words.items(), start=1):
        section = by_id[section_of(box)]
        label = str(BOX_SHORT.get(box, box))
        section["boxes"].append({"box": box, "words": text, "step": n, "label": label})
    for section in sections:
        size = len(section["boxes"])
        for i, b in enumerate(section["boxes"], start=1):
            b["where"] = _(
                "Section %(section)s · %(what)s · box %(n)d of %(size)d",
                section=section["id"],
                what=section["words"],
                n=i,
                size=size,
            )
            b["step_of"] = _("Step %(n)d of %(total)d", n=b["step"], total=total)
    return sections


def marked(findings: list[dict[str, Any]]) -> dict[str, str]:
    """Box -> "bad" (in a blocking finding) or "warn", for the grids."""
    out: dict[str, str] = {}
    for f in findings:
        for box in f["boxes"]:
            if f["blocking"] or out.get(box) != "bad":
                out[box] = "bad" if f["blocking"] else "warn"
    return out


def ballot_rows() -> list[dict[str, Any]]:
    """Each ballot's state and the one thing to do with it next (label, url; none when it
    waits for someone else); the first ballot not finished carries the primary action."""
    svc, me_id, ketua = service(), me().officer.id, may_confirm()
    status, signed = svc.entry_status(), services().documents.signed_ballots()
    rows: list[dict[str, Any]] = []
    for b in svc.ballots():
        st, first = status[b.type], svc.first_entry_officer(b.type)
        done = st.confirmed and b.type in signed
        action: tuple[str, str] | None = None
        if not st.first:
            state = _("not entered yet")
            action = (_("Enter numbers"), url_for("chasil.entry", ballot_type=b.type, entry_no=1))
        elif not st.confirmed:
            state = _("entered by %(who)s; the Ketua KPPS confirms", who=officer_name(first))
            if ketua:
                action = (
                    _("Check and confirm"),
                    url_for("chasil.confirm_page", ballot_type=b.type),
                )
            elif not st.second and first != me_id:
                action = (
                    _("Second entry (check)"),
                    url_for("chasil.entry", ballot_type=b.type, entry_no=2),
                )
        elif not done:
            state = _("confirmed; scan the sheet next")
            action = (
                _("Scan the C.Hasil and make the copies"),
                url_for("documents.scan_page", ballot_type=b.type),
            )
        else:
            state = _("confirmed, document signed")
            if ketua:
                action = (_("See the numbers"), url_for("chasil.confirm_page", ballot_type=b.type))
        # The sheet can be scanned before its numbers are typed: the kiosk reads the paper
        # meanwhile and shows the Ketua where it differs before the confirmation.
        scan_first = None
        if not st.confirmed and not services().documents.pages(b.type):
            scan_first = (
                _("Scan the sheet first"),
                url_for("documents.scan_page", ballot_type=b.type),
            )
        rows.append(
            {
                "type": b.type,
                "state": state,
                "action": action,
                "scan_first": scan_first,
                "done": done,
            }
        )
    lead = next((r for r in rows if not r["done"] and r["action"]), None)
    for r in rows:
        r["primary"] = r is lead
    return rows


@bp.get("/chasil/")
@require(Permission.CHASIL_ENTER)
def index() -> str:
    return render_template("chasil_index.html", rows=ballot_rows())


@bp.get("/chasil/<ballot_type>/<int:entry_no>")
@require(Permission.CHASIL_ENTER)
def entry(ballot_type: str, entry_no: int) -> str:
    svc = service()
    ballot = svc.ballot(ballot_type)
    if entry_no not in ENTRIES:
        abort(404)
    refusal = svc.entry_refusal(ballot_type, entry_no, me())
    if refusal is not None:  # said before a box is typed, with what to do instead
        return render_template(
            "chasil_entry.html", ballot=ballot, entry_no=entry_no, refusal=refusal
        )
    # The second entry is blind: it starts empty and never shows the first one.
    boxes = svc.latest(ballot_type, entry_no) or {}
    findings = [as_json(f) for f in svc.check(ballot_type, boxes)] if boxes else []
    # Offered, never filled: the blind second entry is offered nothing but the sums of what
    # its officer typed, or it would copy what it should check.
    known = svc.known(ballot_type) if entry_no == 1 else {}
    offers = {box: {"value": k.value, "source": known_source(k.source)} for box, k in known.items()}
    return render_template(
        "chasil_entry.html",
        ballot=ballot,
        entry_no=entry_no,
        refusal=None,
        boxes=boxes,
        sections=sheet_sections(ballot),
        findings=findings,
        marked=marked(findings),
        offers_json=json.dumps(offers),
        relations_json=json.dumps(relations_json(relations(svc.sheet(ballot_type, {})))),
        confirmed=svc.confirmed(ballot_type) if entry_no == 1 else None,
    )


@bp.post("/chasil/<ballot_type>/<int:entry_no>")
@require(Permission.CHASIL_ENTER)
def save(ballot_type: str, entry_no: int) -> Response:
    svc = service()
    svc.ballot(ballot_type)
    if entry_no not in ENTRIES:
        abort(404)
    boxes = parse_boxes({k[4:]: v for k, v in request.form.items() if k.startswith("box:")})
    was_confirmed = ballot_type in svc.confirmed_ballots()
    try:
        findings = svc.save_entry(
            ballot_type, entry_no, boxes, me(), request.form.get("reason", "")
        )
    except Refused as exc:  # same officer twice, signed already, a correction not allowed
        flash(exc.message())
        return redirect(url_for("chasil.entry", ballot_type=ballot_type, entry_no=entry_no))
    if blocking(findings):
        flash(_("Saved, but the numbers do not add up yet: see the red boxes."))
        return redirect(url_for("chasil.entry", ballot_type=ballot_type, entry_no=entry_no))
    if was_confirmed and ballot_type not in svc.confirmed_ballots():
        flash(_("Saved. The Ketua KPPS confirms the corrected numbers again."))
    else:
        flash(_("Saved."))
    # The next thing: the Ketua confirms the first entry; anyone else goes back to the list.
    if entry_no == 1 and may_confirm():
        return redirect(url_for("chasil.confirm_page", ballot_type=ballot_type))
    return redirect(url_for("chasil.index"))


@bp.post("/api/chasil/check")
@require(Permission.CHASIL_ENTER)
def api_check() -> Response | tuple[Response, int]:
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested deeper than any C.Hasil sheet: not ours to parse
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("ballot"), str):
        return jsonify(error=_('Send {"ballot": TYPE, "boxes": {BOX: NUMBER}}.')), 400
    svc = service()
    boxes = parse_boxes(body.get("boxes"))
    try:
        findings = svc.check(body["ballot"], boxes)
    except Refused as exc:
        if exc.code is not KioskCode.UNKNOWN_BALLOT:
            raise
        return jsonify(error=exc.message()), 404
    sheet = svc.sheet(body["ballot"], boxes)
    return jsonify(
        blocking=blocking(findings),
        findings=[as_json(f) for f in findings],
        sums=sum_offers(sheet, relations(sheet)),
    )


@bp.get("/chasil/<ballot_type>/confirm")
@require(Permission.CHASIL_CONFIRM)
def confirm_page(ballot_type: str) -> str | Response:
    svc = service()
    ballot = svc.ballot(ballot_type)
    boxes = svc.latest(ballot_type, 1)
    findings = [as_json(f) for f in svc.check(ballot_type, boxes)] if boxes else []
    confirmed = svc.confirmed(ballot_type)
    paper = paper_status(ballot_type, confirmed.numbers if confirmed else boxes)
    # Where the paper differs, the Ketua sees each box's crop before confirming.
    if paper.differences and not confirmed and request.args.get("paper") != "seen":
        return redirect(url_for("paper.differences", ballot_type=ballot_type))
    return render_template(
        "chasil_confirm.html",
        ballot=ballot,
        boxes=boxes,
        sections=sheet_sections(ballot),
        findings=findings,
        marked=mark_differences(marked(findings), paper),
        paper=paper,
        confirmed=confirmed,
        signed=ballot_type in services().documents.signed_ballots(),
    )


@bp.post("/chasil/<ballot_type>/confirm")
@require(Permission.CHASIL_CONFIRM)
def confirm(ballot_type: str) -> Response:
    svc = service()
    svc.ballot(ballot_type)
    try:
        boxes = svc.latest(ballot_type, 1)
        differs = [d.box for d in paper_status(ballot_type, boxes).differences]
        svc.confirm(ballot_type, me(), request.form.get("note", ""), differs)
    except Refused as exc:  # no numbers yet, they do not add up, or warnings need a note
        flash(exc.message())
        if exc.code is ChasilCode.DO_NOT_ADD_UP:  # the red boxes are corrected at the entry
            return redirect(url_for("chasil.entry", ballot_type=ballot_type, entry_no=1))
    else:
        flash(_("Numbers confirmed."))
    return redirect(url_for("chasil.confirm_page", ballot_type=ballot_type))
