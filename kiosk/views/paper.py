"""The paper as a third reader, on the screens: where the scanned C.Hasil sheet and the typed
numbers differ, each box is shown with its crop beside the typed number ("Kertas: 84 ·
Diketik: 884") before the Ketua confirms, or before the document is signed when the sheet was
scanned after the confirmation.

The reader (kiosk/chasil/readings.py) is advisory: these screens never fill or change a number.
They send the Ketua to the entry to correct it, or on to the confirmation.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, render_template, send_file, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from kiosk.chasil.messages import BOX_SHORT, box_words
from kiosk.chasil.readings import BallotPaper, PaperDifference
from kiosk.roles import Permission
from kiosk.views.access import require, services

bp = Blueprint("paper", __name__)

# Differences shown at once on the step screen (two columns of two at 800×480); more than that
# and the sheet or its reading is likely wrong as a whole: the screen says how many more.
SHOWN = 4


@dataclass(frozen=True)
class PaperStatus:
    """What the side of the confirmation (or the scan screen) says about the paper."""

    paper: BallotPaper
    differences: list[PaperDifference]

    @property
    def scanned(self) -> bool:
        return bool(self.paper.pages_read or self.paper.pending or self.paper.failed)

    @property
    def differs(self) -> list[PaperDifference]:
        return [d for d in self.differences if d.kind == "differs"]

    def line(self) -> str:
        """What the paper says, in a few words, for the side of the confirmation."""
        if not self.scanned:
            said = _("Paper: not scanned")
        elif self.paper.pending:
            said = _("Paper: being read")
        elif self.differences:
            said = _("Paper: differs in %(n)d box(es)", n=len(self.differences))
        elif not self.paper.boxes:
            said = _("Paper: unreadable")
        else:
            said = _("Paper: agrees")
        return str(said)


def paper_status(ballot_type: str, typed: dict[str, int | None] | None) -> PaperStatus:
    readings = services().readings
    diffs = readings.differences(ballot_type, typed) if typed else []
    return PaperStatus(readings.paper(ballot_type), diffs)


def mark_differences(marked: dict[str, str], status: PaperStatus) -> dict[str, str]:
    """The grids' box classes with "paper" added to each box the paper differs in."""
    out = dict(marked)
    for d in status.differences:
        out[d.box] = f"{out.get(d.box, '')} paper".strip()
    return out


@bp.get("/chasil/<ballot_type>/paper")
@require(Permission.CHASIL_ENTER)
def differences(ballot_type: str) -> str | Response:
    """Each box where the paper differs from the numbers (the confirmed ones, else the first
    entry), its crop beside both numbers; correct the numbers, or go on as typed."""
    chasil = services().chasil
    ballot = chasil.ballot(ballot_type)
    confirmed = chasil.confirmed(ballot_type)
    typed = confirmed.numbers if confirmed else chasil.latest(ballot_type, 1)
    status = paper_status(ballot_type, typed)
    words = box_words(ballot)
    if confirmed:
        onward = url_for("documents.scan_page", ballot_type=ballot_type, paper="seen")
    else:
        onward = url_for("chasil.confirm_page", ballot_type=ballot_type, paper="seen")
    rows = [
        {
            "d": d,
            "label": str(BOX_SHORT.get(d.box, d.box)),
            "words": words.get(d.box, d.box),
            "crop": url_for("paper.crop", ballot_type=ballot_type, page_id=d.page_id, box=d.box),
        }
        for d in status.differences
    ]
    return render_template(
        "chasil_paper.html",
        ballot=ballot,
        rows=rows[:SHOWN],
        more=max(0, len(rows) - SHOWN),
        confirmed=confirmed,
        onward=onward,
    )


@bp.get("/chasil/<ballot_type>/paper/<int:page_id>/<box>.png")
@require(Permission.CHASIL_ENTER)
def crop(ballot_type: str, page_id: int, box: str) -> Response:
    """A number box as scanned, cut by the reader."""
    path = services().readings.crop(page_id, box)
    if path is None:
        abort(404)
    return send_file(path, mimetype="image/png", max_age=3600)
