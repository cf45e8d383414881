"""Card login through the real stack: pcscd + vpcd + our scripted card, pyscard adapter, app."""

from __future__ import annotations

import time

from drivers.registry import DeviceConfig
from kiosk import create_app
from kiosk.devices import open_devices
from kiosk.settings import Settings
from kiosk.tps import SAMPLE_PROFILE
from tests.kiosk.conftest import PINS, csrf_token


def test_card_login_and_logout_by_removal_over_pcsc(tmp_path, pcscd, virtual_card):
    devices = open_devices(
        DeviceConfig(
            card_reader="pcsc",
            card_reader_name=pcscd,
            scanner="none",
            receipt_printer="none",
            document_printer="none",
            panel="none",
        )
    )
    app = create_app(
        Settings.from_values(data_dir=tmp_path), devices=devices, provision_from=SAMPLE_PROFILE
    )
    kiosk = app.extensions["kiosk"]
    client = app.test_client()
    try:
        card = virtual_card("04A1B2C3D4E5F6")  # the Ketua's card in the sample profile
        card.insert()
        assert kiosk.card_watch.wait_for(present=True, timeout_s=10)
        assert client.get("/login/").headers["Location"].endswith("/login/pin/kpps1")
        resp = client.post(
            "/login/pin/kpps1",
            data={
                "csrf_token": csrf_token(client, "/login/pin/kpps1"),
                "pin": PINS["kpps1"],
                "via_card": "1",
            },
        )
        assert resp.status_code == 302
        assert "Siti Aminah" in client.get("/").get_data(as_text=True)
        card.remove()
        assert kiosk.card_watch.wait_for(present=False, timeout_s=10)
        deadline = time.monotonic() + 5
        while "Siti Aminah" in client.get("/").get_data(as_text=True):
            assert time.monotonic() < deadline, "still logged in after the card left"
            time.sleep(0.05)
        logout = [r for r in kiosk.audit.rows() if r["kind"] == "logout"]
        assert '"reason": "card_removed"' in logout[0]["details"]
    finally:
        kiosk.close()
