"""Recent audit events for the Ketua KPPS and the Teknisi, with the chain's state."""

from __future__ import annotations

from flask import Blueprint, render_template

from kiosk.roles import Permission
from kiosk.views.access import require, services

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.get("/")
@require(Permission.VIEW_AUDIT)
def recent() -> str:
    trail = services().audit_trail
    return render_template("audit.html", rows=trail.recent(limit=100), broken=trail.verify())
