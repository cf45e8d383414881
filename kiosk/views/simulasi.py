"""The fake devices' panel (demo and training only): tap a card, press the button, and see what
the fake printers would have printed.

The card reader, the button and the lights stand for hardware on the table that anyone at the TPS
can touch or see, so they work before a login (a card tap is how an officer logs in). What the
printers printed (C.Hasil copies, receipts, the readiness report) is for logged-in officers only.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, send_from_directory, url_for
from werkzeug.wrappers import Response

from drivers.gpio import Led
from kiosk.context import current_kiosk
from kiosk.roles import Permission
from kiosk.views.access import current_session, require

bp = Blueprint("simulasi", __name__, url_prefix="/simulasi")

# Cards a trainer can tap in demo mode (UIDs in the 7-byte NFC form).
DEMO_CARDS = (
    ("04A1B2C3D4E5F6", "Ketua KPPS"),
    ("04A1B2C3D4E5F7", "Anggota KPPS"),
    ("04A1B2C3D4E5F8", "Operator Sirekap"),
)


@bp.before_request
def only_fakes() -> None:
    if not current_kiosk().devices.all_fake:
        abort(404)


def _outputs() -> list[str]:
    out_dir = current_kiosk().devices.config.fake_output_dir
    if not out_dir.is_dir():
        return []
    files = [p for p in out_dir.iterdir() if p.suffix in (".png", ".pdf") and p.is_file()]
    return [p.name for p in sorted(files, key=lambda p: p.stat().st_mtime, reverse=True)]


@bp.get("/")
def panel() -> str:
    devices = current_kiosk().devices
    card: Any = devices.card_reader.wait_for_card(0) if devices.card_reader else None
    leds = {led.value: devices.panel.led_state(led).value for led in Led} if devices.panel else {}
    outputs = _outputs() if current_session() is not None else None
    return render_template("simulasi.html", outputs=outputs, cards=DEMO_CARDS, card=card, leds=leds)


@bp.post("/card")
def card() -> Response:
    reader: Any = current_kiosk().devices.card_reader
    uid = request.form.get("uid", "")
    if reader is not None:
        if uid and uid in {u for u, _ in DEMO_CARDS}:
            reader.insert(uid)
        else:
            reader.remove()
    return redirect(url_for("simulasi.panel"))


@bp.post("/button")
def button() -> Response:
    panel: Any = current_kiosk().devices.panel
    if panel is not None:
        panel.press_button()
    return redirect(url_for("simulasi.panel"))


@bp.get("/output/<name>")
@require(Permission.VIEW_STATUS)
def output(name: str) -> Response:
    return send_from_directory(current_kiosk().devices.config.fake_output_dir, name)
