from __future__ import annotations

import threading
import time

from drivers.errors import PaperOut, ScannerJammed
from drivers.printer import PrinterState
from kiosk import create_app
from kiosk.settings import Settings
from tests.kiosk.conftest import csrf_token, login


def test_home_in_indonesian_with_simulasi_and_tps_identity(client):
    html = client.get("/").get_data(as_text=True)
    assert "SIMULASI" in html
    assert "6474010001005" in html
    assert "Periksa perangkat" in html  # Indonesian by default
    assert 'lang="id"' in html


def test_language_switch_to_english_and_back(client):
    login(client, "kpps2")  # the self-test page is for officers
    token = csrf_token(client)
    resp = client.post("/lang/en", data={"csrf_token": token, "next": "/selftest/"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/selftest/")
    assert "Device check" in client.get("/selftest/").get_data(as_text=True)
    client.post("/lang/id", data={"csrf_token": token})
    assert "Pemeriksaan perangkat" in client.get("/selftest/").get_data(as_text=True)


def test_language_switch_never_redirects_off_the_kiosk(client):
    resp = client.post(
        "/lang/en", data={"csrf_token": csrf_token(client), "next": "//evil.example/"}
    )
    assert resp.headers["Location"] == "/"


def test_post_without_csrf_token_is_refused_with_guidance(client):
    login(client, "kpps1")
    resp = client.post("/selftest/")
    assert resp.status_code == 400
    assert "kedaluwarsa" in resp.get_data(as_text=True)


def test_ready_light_is_on_once_the_app_is_up(kiosk):
    panel = kiosk.devices.panel
    assert panel.pin_state(kiosk.devices.config.pins.led_ready) is True


def test_health(client):
    assert client.get("/health").get_json()["status"] == "ok"


def test_selftest_page_runs_every_check_and_all_fakes_pass(client, kiosk):
    login(client, "kpps1")
    resp = client.post("/selftest/", data={"csrf_token": csrf_token(client, "/selftest/")})
    assert resp.status_code == 302
    html = client.get("/selftest/").get_data(as_text=True)
    for name in (
        "scanner",
        "receipt_printer",
        "document_printer",
        "card_reader",
        "panel",
        "clock",
        "disk",
        "data_dir",
        "database",
    ):
        assert f'data-check="{name}"' in html
    assert 'id="verdict">' in html and "BELUM SIAP" not in html
    rows = kiosk.db.read("SELECT ok FROM selftest_report")
    assert [r["ok"] for r in rows] == [1]
    assert "Kunci perangkat:" in html
    audited = [r for r in kiosk.audit.rows() if r["kind"] == "selftest"]
    assert audited[0]["officer"] == "kpps1" and '"ready": true' in audited[0]["details"]


def test_selftest_failure_shows_what_to_do_in_indonesian(client, kiosk):
    kiosk.devices.document_printer.set_state(PrinterState.PAPER_OUT)
    login(client, "teknisi")
    client.post("/selftest/", data={"csrf_token": csrf_token(client, "/selftest/")})
    html = client.get("/selftest/").get_data(as_text=True)
    assert "BELUM SIAP" in html
    assert "Kertas habis" in html and "tekan Ulangi" in html


def test_readiness_report_prints_on_both_printers(client, kiosk):
    login(client, "kpps1")
    token = csrf_token(client, "/selftest/")
    client.post("/selftest/", data={"csrf_token": token})
    assert (
        client.post("/selftest/print", data={"csrf_token": token, "printer": "receipt"}).status_code
        == 302
    )
    assert (
        client.post("/selftest/print", data={"csrf_token": token, "printer": "a4"}).status_code
        == 302
    )
    out = kiosk.devices.config.fake_output_dir
    assert len(list(out.glob("*.png"))) == 1
    assert len(list(out.glob("*.pdf"))) == 1


def test_device_error_becomes_a_guidance_screen_not_a_trace(app, client):
    @app.get("/boom/<kind>")
    def boom(kind: str) -> str:
        raise {"jam": ScannerJammed, "paper": PaperOut}[kind]("detail for the log")

    resp = client.get("/boom/jam")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 503
    assert "Kertas macet di pemindai" in html and "Ulangi" in html
    assert "Traceback" not in html and "detail for the log" not in html


def test_unexpected_error_says_data_is_safe(app, client):
    @app.get("/crash")
    def crash() -> str:
        raise RuntimeError("bug")

    resp = client.get("/crash")
    assert resp.status_code == 500
    assert "Data Anda aman" in resp.get_data(as_text=True)


def test_simulasi_panel_taps_a_card_and_shows_printouts(client, kiosk):
    token = csrf_token(client, "/simulasi/")
    client.post("/simulasi/card", data={"csrf_token": token, "uid": "04A1B2C3D4E5F6"})
    card = kiosk.devices.card_reader.wait_for_card(1)
    assert card is not None and card.uid == "04A1B2C3D4E5F6"
    assert "04A1B2C3D4E5F6" in client.get("/simulasi/").get_data(as_text=True)
    client.post("/simulasi/card", data={"csrf_token": token, "uid": ""})
    assert kiosk.devices.card_reader.wait_for_removal(1)
    pressed = []
    waiter = threading.Thread(target=lambda: pressed.append(kiosk.devices.panel.wait_for_button(5)))
    waiter.start()
    time.sleep(0.2)
    client.post("/simulasi/button", data={"csrf_token": token})
    waiter.join()
    assert pressed == [True]


def test_simulasi_panel_is_absent_with_real_devices(tmp_path):
    settings = Settings.from_values(
        data_dir=tmp_path,
        scanner="sane",
        receipt_printer="none",
        document_printer="none",
        card_reader="none",
        panel="none",
    )
    app = create_app(settings)
    assert app.test_client().get("/simulasi/").status_code == 404
