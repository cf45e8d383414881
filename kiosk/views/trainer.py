"""The trainer's panel (``/pelatih``), one tab per tool, each on one 800x480 screen: the
trainer clock (``/pelatih/``), simulated device faults (``/pelatih/fault``), C.Hasil practice
sheets (``/pelatih/scenario``) and "Reset latihan" (``/pelatih/reset``); each tab is the GET of
its action's URL. Only the Pelatih, and only on a kiosk in training mode whose devices are all
fakes: elsewhere every route answers 404 (after the role check, so a wrong role still gets 403
and nobody logged in is asked to log in). Every action is a POST and is audited by the service.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from kiosk.refusals import Refused
from kiosk.roles import Permission
from kiosk.training.clock import MomentKind, parse_hhmm
from kiosk.training.faults import Fault
from kiosk.training.refusals import TrainingCode
from kiosk.training.scenarios import Scenario
from kiosk.views.access import me, require, services

bp = Blueprint("trainer", __name__, url_prefix="/pelatih")

F = TypeVar("F", bound=Callable[..., Any])

FAULT_DONE = {
    Fault.RECEIPT_PAPER_OUT: _l("The thermal printer is now out of paper."),
    Fault.RECEIPT_COVER_OPEN: _l("The thermal printer's cover is now open."),
    Fault.RECEIPT_READY: _l("The thermal printer is ready again."),
    Fault.A4_PAPER_OUT: _l("The A4 printer is now out of paper."),
    Fault.A4_COVER_OPEN: _l("The A4 printer's cover is now open."),
    Fault.A4_READY: _l("The A4 printer is ready again."),
    Fault.SCANNER_JAM: _l("The next scan will jam."),
    Fault.SCANNER_WRONG_SHEET: _l("The next scan feeds another ballot's C.Hasil sheet."),
    Fault.SCANNER_PAPER_DIFFERS: _l(
        "The next scan's paper differs from the sample in one box: the first vote box's last"
        " digit is one more (PPWP 62 → 63, DPR 12 → 13, DPD 40 → 41)."
    ),
    Fault.SCANNER_READY: _l("The scanner is ready again."),
    Fault.CARD_REMOVED: _l(
        "The card was pulled out; the next card tapped is pulled out too early."
    ),
    Fault.CARD_READY: _l("The card reader is ready again."),
    Fault.NETWORK_DOWN: _l("The network is down: nothing is sent until it is back."),
    Fault.NETWORK_UP: _l("The network is back."),
}


def training_kiosk(view: F) -> F:
    """404 unless the kiosk runs in training mode with every device fake and a TPS profile."""

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if not services().training.available:
            abort(404)
        try:
            return view(*args, **kwargs)
        except Refused as exc:
            if exc.code is TrainingCode.NOT_TRAINING:
                abort(404)
            raise

    return checked  # type: ignore[return-value]


MOMENT_NAMES = {
    MomentKind.PREPARATION: _l("Preparation"),
    MomentKind.OPENING: _l("Opening"),
    MomentKind.REMINDER: _l("Reminder"),
    MomentKind.CLOSING: _l("Voting closes"),
    MomentKind.COUNTING: _l("Counting"),
}


@bp.get("/")
@require(Permission.TRAINING_PANEL)
@training_kiosk
def panel() -> str:
    """The trainer clock: jump to a moment of the day, or type the time."""
    training = services().training
    return render_template(
        "trainer.html",
        tab="clock",
        clock_now=training.now(),
        moments=training.moments(),
        moment_names=MOMENT_NAMES,
    )


@bp.post("/clock")
@require(Permission.TRAINING_PANEL)
@training_kiosk
def clock() -> Response:
    training = services().training
    try:
        if request.form.get("real"):
            moved = training.real_time(me())
        else:
            moved = training.set_clock(parse_hhmm(request.form.get("time", "")), me())
    except Refused as exc:
        if exc.code is not TrainingCode.BAD_TIME:
            raise
        flash(exc.message())
        return redirect(url_for("trainer.panel"))
    said = _(
        "The kiosk's clock now reads %(after)s (it read %(before)s).",
        after=moved.after.strftime("%H:%M %Z"),
        before=moved.before.strftime("%H:%M %Z"),
    )
    if moved.later_steps:
        said += " " + _(
            "%(n)d checklist step(s) recorded after %(after)s stay recorded.",
            n=moved.later_steps,
            after=moved.after.strftime("%H:%M"),
        )
    flash(said)
    return redirect(url_for("trainer.panel"))


@bp.get("/fault")
@require(Permission.TRAINING_PANEL)
@training_kiosk
def faults() -> str:
    return render_template("trainer.html", tab="faults", state=services().training.fault_state())


@bp.get("/scenario")
@require(Permission.TRAINING_PANEL)
@training_kiosk
def scenarios() -> str:
    return render_template(
        "trainer.html", tab="scenarios", scenarios=services().training.scenarios()
    )


@bp.post("/fault")
@require(Permission.TRAINING_PANEL)
@training_kiosk
def fault() -> Response:
    try:
        chosen = Fault(request.form.get("fault", ""))
    except ValueError:
        flash(_("Choose a fault on the panel."))
        return redirect(url_for("trainer.faults"))
    try:
        services().training.apply_fault(chosen, me())
    except Refused as exc:
        if exc.code is not TrainingCode.FAULT_UNAVAILABLE:
            raise
        flash(exc.message())
    else:
        flash(str(FAULT_DONE[chosen]))
    return redirect(url_for("trainer.faults"))


@bp.post("/scenario")
@require(Permission.TRAINING_PANEL)
@training_kiosk
def scenario() -> Response:
    try:
        chosen = Scenario(request.form.get("scenario", ""))
    except ValueError:
        flash(_("Choose a scenario on the panel."))
        return redirect(url_for("trainer.scenarios"))
    try:
        loaded = services().training.load_scenario(chosen, me())
    except Refused as exc:
        if exc.code is not TrainingCode.SCENARIO_UNAVAILABLE:
            raise
        flash(exc.message())
        return redirect(url_for("trainer.scenarios"))
    rules = ", ".join(str(r) for r in sorted(loaded.rules))
    flash(
        _(
            "Practice sheet loaded for %(ballots)s. The kiosk reports check(s) %(rules)s: let "
            "the KPPS find the mistake.",
            ballots=", ".join(loaded.ballots),
            rules=rules,
        )
    )
    return redirect(url_for("chasil.entry", ballot_type=loaded.ballots[-1], entry_no=1))


@bp.get("/reset")
@require(Permission.TRAINING_PANEL)
@training_kiosk
def reset_page() -> str:
    return render_template("trainer.html", tab="reset")


@bp.post("/reset")
@require(Permission.TRAINING_PANEL)
@training_kiosk
def reset() -> Response:
    try:
        done = services().training.reset(me())
    except Refused as exc:
        if exc.code is not TrainingCode.REAL_DOCUMENTS_KEPT:
            raise
        flash(exc.message())
        return redirect(url_for("trainer.panel"))
    flash(
        _(
            "The training day was reset. %(n)d officer(s) were logged out; the next group "
            "starts by logging in.",
            n=done.logged_out,
        )
    )
    return redirect(url_for("trainer.panel"))
