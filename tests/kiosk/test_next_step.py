"""The home screen's one next thing to do, along the priority ladder, through HTTP."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from drivers.printer import PrinterState
from kiosk import create_app
from kiosk.clock import ManualClock
from kiosk.settings import Settings
from kiosk.tps import SAMPLE_PROFILE
from tests.chasil.test_chasil_http import GOOD, form
from tests.kiosk.conftest import csrf_token, login

WITA = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def app(tmp_path):
    clock = ManualClock(dt.datetime(2024, 2, 14, 6, 30, tzinfo=WITA))
    settings = Settings.from_values(data_dir=tmp_path / "data", hardware="fake", training=True)
    app = create_app(settings, provision_from=SAMPLE_PROFILE, clock=clock)
    yield app
    app.extensions["kiosk"].close()


def next_of(client) -> tuple[str, str]:
    html = client.get("/").get_data(as_text=True)
    kind = html.split('data-next="', 1)[1].split('"', 1)[0]
    text = html.split('<p class="next-text">', 1)[1].split("</p>", 1)[0].strip()
    return kind, text


def next_button(client) -> str | None:
    """Where the home screen's big button goes; None: there is no button."""
    html = client.get("/").get_data(as_text=True)
    tag = re.search(r'<a [^>]*id="next-button"[^>]*>', html)
    return re.search(r'href="([^"]*)"', tag.group(0)).group(1) if tag else None


def record(app, step, value=True):
    kiosk = app.extensions["kiosk"]
    with kiosk.db.write() as conn:
        conn.execute(
            "INSERT INTO checklist_record (phase, step, value, officer_id, wall, mono,"
            " clock_offset) VALUES ('', ?, ?, 'kpps1', ?, 0, 0)",
            (step, json.dumps(value), kiosk.clock.now().isoformat()),
        )


def test_the_ladder_from_a_fresh_kiosk_to_the_counting(app):
    client = app.test_client()
    assert next_of(client)[0] == "login"
    login(client, "kpps1")
    assert next_of(client) == ("device", "Periksa perangkat sebelum mulai.")
    client.post("/selftest/", data={"csrf_token": csrf_token(client, "/selftest/")})
    kind, text = next_of(client)
    assert kind == "checklist" and text.startswith("Berikutnya: TPS sudah didirikan")
    assert next_button(client) == "/checklist/step/tps_didirikan"  # the step itself
    # Every step up to the counting phase done: the C.Hasil of each ballot, in order.
    service = app.extensions["kiosk"].services.checklist
    for phase in service.phases():
        if phase.phase.id == "penghitungan":
            break
        for state in phase.steps:
            step = state.step
            if step.kind == "number" and step.per_ballot:
                value = {b: GOOD["SS1"] for b in ("PPWP", "DPR", "DPD")}
            else:
                value = 3 if step.kind == "number" else True
            record(app, step.id, value)
    assert next_of(client) == ("chasil", "Isi angka C.Hasil PPWP.")
    token = csrf_token(client, "/chasil/PPWP/1")
    client.post("/chasil/PPWP/1", data=form(GOOD, token))
    client.post("/chasil/PPWP/confirm", data={"csrf_token": token})
    # Ballot by ballot: PPWP's signed document before the numbers of DPR.
    assert next_of(client) == ("scan", "Pindai C.Hasil PPWP dan buat salinannya.")


def test_a_failed_device_check_comes_before_everything(app):
    client = app.test_client()
    login(client, "kpps1")
    app.extensions["kiosk"].devices.document_printer.set_state(PrinterState.OFFLINE)
    client.post("/selftest/", data={"csrf_token": csrf_token(client, "/selftest/")})
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    logged_out = app.test_client()
    assert next_of(logged_out)[0] == "device"
    html = logged_out.get("/").get_data(as_text=True)
    assert 'data-status="printer"' in html and "Printer A4: belum siap" in html


def test_unprovisioned_kiosk_says_call_the_technician(tmp_path):
    settings = Settings.from_values(data_dir=tmp_path / "data", hardware="fake")
    app = create_app(settings)
    try:
        kind, text = next_of(app.test_client())
        assert kind == "provision" and "Panggil teknisi" in text
        assert 'id="next-button"' not in app.test_client().get("/").get_data(as_text=True)
    finally:
        app.extensions["kiosk"].close()


def test_counting_is_signed_off_only_when_every_ballot_has_its_signed_document(app):
    client = app.test_client()
    login(client, "kpps1")
    service = app.extensions["kiosk"].services.checklist
    for phase in service.phases():
        for state in phase.steps:
            if state.step.id == "penghitungan_ditandatangani":
                break
            step = state.step
            if step.kind == "number" and step.per_ballot:
                value = {b: GOOD["SS1"] for b in ("PPWP", "DPR", "DPD")}
            elif step.kind == "scan":
                value = {"file": "x.png", "sha256": "ab" * 32}
            else:
                value = 3 if step.kind == "number" else True
            record(app, step.id, value)
        else:
            continue
        break
    token = csrf_token(client, "/checklist/")
    resp = client.post(
        "/checklist/penghitungan_ditandatangani",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    html = resp.get_data(as_text=True)
    assert "Penghitungan belum selesai" in html and "PPWP, DPR, DPD" in html
    assert "penghitungan_ditandatangani" not in {
        r["step"] for r in app.extensions["kiosk"].db.read("SELECT step FROM checklist_record")
    }
