"""A service's refusal that no view catches ends on the guidance page, never a 500."""

from __future__ import annotations

import pytest

from kiosk import create_app
from kiosk.refusals import KioskCode, Refused
from kiosk.services.auth import AuthCode
from kiosk.settings import Settings
from kiosk.tps import SAMPLE_PROFILE


@pytest.fixture
def refusing_app(tmp_path):
    app = create_app(
        Settings.from_values(data_dir=tmp_path / "data", hardware="fake"),
        provision_from=SAMPLE_PROFILE,
    )
    refusals = {
        "not_provisioned": Refused(KioskCode.NOT_PROVISIONED),
        "unknown_ballot": Refused(KioskCode.UNKNOWN_BALLOT, ballot="XYZ"),
        "card_taken": Refused(AuthCode.CARD_TAKEN),
    }

    def refuse(name: str) -> str:
        raise refusals[name]

    app.add_url_rule("/test-refuse/<name>", "test_refuse", refuse)
    yield app
    app.extensions["kiosk"].close()


@pytest.mark.parametrize(
    ("name", "status", "sentence"),
    [
        ("not_provisioned", 404, "Kios ini belum punya profil TPS."),
        ("unknown_ballot", 404, "Jenis surat suara XYZ tidak dikenal."),
        ("card_taken", 409, "Kartu ini sudah milik petugas lain."),
    ],
)
def test_an_uncaught_refusal_is_guidance_with_its_sentence(refusing_app, name, status, sentence):
    resp = refusing_app.test_client().get(f"/test-refuse/{name}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == status
    assert "Ini belum bisa dilakukan sekarang" in html and sentence in html
