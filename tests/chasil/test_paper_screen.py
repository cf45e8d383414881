"""The paper as a third reader on the screens (kiosk/views/paper.py): where the scanned sheet
and the typed numbers differ, the Ketua sees each box's crop beside both numbers before
confirming, or before signing when the sheet was scanned after the confirmation; the kiosk never
changes a number, and what the paper said when the Ketua confirmed is audited.

The typed sheet has the first two candidates' votes swapped (typed against each other's name):
every rule still holds, so only the paper can catch it.
"""

from __future__ import annotations

import io
import json
import re

import pytest
from PIL import Image

from drivers.scanner.realistic import sheet_named
from kiosk import create_app
from kiosk.tps import SAMPLE_PROFILE
from tests.chasil.test_readings import WAIT_S, _settings
from tests.chasil.test_services import _as
from tests.kiosk.conftest import csrf_token, login

TRUTH = sheet_named("PPWP").boxes()
SWAPPED = {**TRUTH, "V.0": TRUTH["V.1"], "V.1": TRUTH["V.0"]}


@pytest.fixture
def app(tmp_path):
    app = create_app(_settings(tmp_path / "data"), provision_from=SAMPLE_PROFILE)
    yield app
    app.extensions["kiosk"].close()


@pytest.fixture
def ketua(app):
    client = app.test_client()
    assert login(client, "kpps1").status_code == 302
    return client


def _typed_and_scanned(kiosk, boxes, confirm: bool) -> None:
    s = kiosk.services
    s.chasil.save_entry("PPWP", 1, dict(boxes), _as(kiosk, "kpps2"))
    if confirm:
        s.chasil.confirm("PPWP", _as(kiosk, "kpps1"), "")
    s.documents.scan("PPWP", _as(kiosk, "kpps1"), feeder=False)
    assert s.readings.wait_idle(WAIT_S)
    assert s.readings.paper("PPWP").pages_read == 1


def _words(html: str) -> str:
    """The text of a piece of HTML without the box's name, as a person reads the numbers."""
    strong = re.findall(r"<strong[^>]*>([^<]*)</strong>", html)
    return " ".join(s.strip() for s in strong)


def _primary(html: str) -> str:
    match = re.search(r"<(?:a|button)[^>]*data-primary[^>]*>([^<]*)<", html)
    assert match, "no primary action"
    return match.group(1).strip()


def test_the_ketua_sees_each_differing_box_with_its_crop_before_confirming(app, ketua):
    kiosk = app.extensions["kiosk"]
    _typed_and_scanned(kiosk, SWAPPED, confirm=False)
    v0, v1 = TRUTH["V.0"], TRUTH["V.1"]

    opened = ketua.get("/chasil/PPWP/confirm")
    assert opened.status_code == 302 and opened.location.endswith("/chasil/PPWP/paper")
    html = ketua.get("/chasil/PPWP/paper").get_data(as_text=True)
    said = [_words(li) for li in re.findall(r"<li data-box=.*?</li>", html, re.S)]
    assert said == [f"Kertas: {v0} Diketik: {v1}", f"Kertas: {v1} Diketik: {v0}"], said
    assert _primary(html) == "Koreksi angka"
    crops = re.findall(r'<img src="([^"]+\.png)"', html)
    assert len(crops) == 2
    for url in crops:
        image = ketua.get(url)
        assert image.status_code == 200 and image.mimetype == "image/png"
        with Image.open(io.BytesIO(image.data)) as crop:
            assert crop.width > 2 * crop.height > 20  # a number box, cut from the page
    assert ketua.get("/chasil/PPWP/paper/1/NOPE.png").status_code == 404

    # "The typed numbers are right": on to the confirmation, the two boxes marked.
    seen = ketua.get("/chasil/PPWP/confirm?paper=seen").get_data(as_text=True)
    assert len(re.findall(r'class="cell\s*paper" data-cell="V\.[01]"', seen)) == 2
    assert "Kertas: beda di 2 kotak" in seen
    token = csrf_token(ketua, "/chasil/PPWP/confirm?paper=seen")
    assert ketua.post("/chasil/PPWP/confirm", data={"csrf_token": token}).status_code == 302
    confirmed = kiosk.services.chasil.confirmed("PPWP")
    assert confirmed is not None and confirmed.numbers == SWAPPED  # never changed by the paper
    # Seen and confirmed: the scan screen does not ask again.
    after = ketua.get("/chasil/PPWP/confirm").get_data(as_text=True)
    assert 'href="/chasil/PPWP/scan?paper=seen"' in after
    row = [r for r in kiosk.audit.rows() if r["kind"] == "chasil_confirmed"][-1]
    assert json.loads(row["details"])["paper_differs"] == ["V.0", "V.1"]


def test_a_sheet_scanned_after_the_confirmation_shows_its_differences_before_signing(app, ketua):
    kiosk = app.extensions["kiosk"]
    _typed_and_scanned(kiosk, SWAPPED, confirm=True)
    scan = ketua.get("/chasil/PPWP/scan").get_data(as_text=True)
    assert _primary(scan) == "Kertas berbeda: lihat di mana"
    paper = ketua.get("/chasil/PPWP/paper").get_data(as_text=True)
    assert "/chasil/PPWP/scan?paper=seen" in paper  # "the typed numbers are right" goes back
    seen = ketua.get("/chasil/PPWP/scan?paper=seen").get_data(as_text=True)
    assert _primary(seen) == "Selesai: buat dokumen bertanda tangan"


def test_an_agreeing_sheet_goes_straight_to_the_confirmation_and_may_be_scanned_first(app, ketua):
    kiosk = app.extensions["kiosk"]
    listing = ketua.get("/chasil/").get_data(as_text=True)
    assert listing.count("Pindai lembar dulu") == 3  # every ballot, before anything is typed
    waiting = ketua.get("/chasil/PPWP/scan").get_data(as_text=True)
    _typed_and_scanned(kiosk, TRUTH, confirm=False)
    assert ketua.get("/chasil/").get_data(as_text=True).count("Pindai lembar dulu") == 2
    assert "Kiosk membaca lembar ini sambil angka diketik" not in waiting  # nothing scanned yet
    scanned = ketua.get("/chasil/PPWP/scan").get_data(as_text=True)
    assert "Kiosk membaca lembar ini sambil angka diketik" in scanned
    opened = ketua.get("/chasil/PPWP/confirm")
    assert opened.status_code == 200
    assert "Kertas: cocok" in opened.get_data(as_text=True)
