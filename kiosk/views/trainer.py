"""The trainer's panel (``/pelatih``): simulated device faults, C.Hasil practice sheets and
"Reset latihan". Only the Pelatih, and only on a kiosk in training mode whose devices are all
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

from kiosk.chasil.service import ChasilService
from kiosk.context import current_kiosk
from kiosk.roles import Permission
from kiosk.services.auth import ActiveSession
from kiosk.training import NotTraining
from kiosk.training.faults import Fault, FaultUnavailable, apply_fault, fault_state
from kiosk.training.reset import RealDocumentsKept, reset_training_day
from kiosk.training.scenarios import EXPECTED_RULES, Scenario, ScenarioUnavailable, load
from kiosk.views.access import current_session, require

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
    Fault.SCANNER_READY: _l("The scanner is ready again."),
    Fault.CARD_REMOVED: _l(
        "The card was pulled out; the next card tapped is pulled out too early."
    ),
    Fault.CARD_READY: _l("The card reader is ready again."),
    Fault.NETWORK_DOWN: _l("The network is down: nothing is sent until it is back."),
    Fault.NETWORK_UP: _l("The network is back."),
}


def training_kiosk(view: F) -> F:
    """404 unless the kiosk runs in training mode with every device fake."""

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        kiosk = current_kiosk()
        if not kiosk.training or not kiosk.devices.all_fake or kiosk.profile is None:
            abort(404)
        return view(*args, **kwargs)

    return checked  # type: ignore[return-value]


def _me() -> ActiveSession:
    login = current_session()
    assert login is not None  # require() let the request through
    return login


def _chasil() -> ChasilService:
    kiosk = current_kiosk()
    assert kiosk.profile is not None
    counts = kiosk.checklist.received_at_opening if kiosk.checklist else None
    return ChasilService(kiosk.db, kiosk.audit, kiosk.clock, kiosk.profile, counts)


@bp.get("/")
@require(Permission.TRAINING_PANEL)
@training_kiosk
def panel() -> str:
    kiosk = current_kiosk()
    return render_template(
        "trainer.html",
        state=fault_state(kiosk.devices, kiosk.db),
        scenarios=[(s.value, sorted(EXPECTED_RULES[s])) for s in Scenario],
    )


@bp.post("/fault")
@require(Permission.TRAINING_PANEL)
@training_kiosk
def fault() -> Response:
    kiosk = current_kiosk()
    try:
        chosen = Fault(request.form.get("fault", ""))
    except ValueError:
        flash(_("Choose a fault on the panel."))
        return redirect(url_for("trainer.panel"))
    try:
        apply_fault(
            chosen, kiosk.devices, kiosk.db, kiosk.clock, kiosk.audit, _me(), kiosk.training
        )
    except FaultUnavailable:
        flash(_("This device is not simulated on this kiosk."))
    except NotTraining:
        abort(404)
    else:
        flash(str(FAULT_DONE[chosen]))
    return redirect(url_for("trainer.panel"))


@bp.post("/scenario")
@require(Permission.TRAINING_PANEL)
@training_kiosk
def scenario() -> Response:
    try:
        chosen = Scenario(request.form.get("scenario", ""))
    except ValueError:
        flash(_("Choose a scenario on the panel."))
        return redirect(url_for("trainer.panel"))
    try:
        loaded = load(chosen, _chasil(), _me(), current_kiosk().training)
    except ScenarioUnavailable:
        flash(_("This scenario does not fit this TPS profile."))
        return redirect(url_for("trainer.panel"))
    except NotTraining:
        abort(404)
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
    return render_template("trainer.html", confirm_reset=True)


@bp.post("/reset")
@require(Permission.TRAINING_PANEL)
@training_kiosk
def reset() -> Response:
    try:
        done = reset_training_day(current_kiosk(), _me())
    except RealDocumentsKept:
        flash(_("Reset refused: this kiosk holds documents made outside training."))
        return redirect(url_for("trainer.panel"))
    except NotTraining:
        abort(404)
    flash(
        _(
            "The training day was reset. %(n)d officer(s) were logged out; the next group "
            "starts by logging in.",
            n=done.logged_out,
        )
    )
    return redirect(url_for("trainer.panel"))
