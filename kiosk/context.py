"""Transitional: the runtime as views reached it before ``Services`` (kiosk.wiring).

Removed once every view goes through ``kiosk.views.access.services()``.
"""

from __future__ import annotations

from flask import current_app

from kiosk.wiring import Runtime

Kiosk = Runtime


def current_kiosk() -> Runtime:
    kiosk: Runtime = current_app.extensions["kiosk"]
    return kiosk
