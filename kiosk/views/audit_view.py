"""Recent audit events for the Ketua KPPS and the Teknisi, with the chain's state."""

from __future__ import annotations

from flask import Blueprint, render_template

from kiosk.context import current_kiosk
from kiosk.roles import Permission
from kiosk.views.access import require

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.get("/")
@require(Permission.VIEW_AUDIT)
def recent() -> str:
    kiosk = current_kiosk()
    return render_template(
        "audit.html", rows=kiosk.audit.rows(limit=100), broken=kiosk.audit.verify()
    )
