"""The checklist one step per screen (issue 16): home's "Lanjut" opens the step itself, each
step says where it is ("Langkah n dari N") and has one primary action, saving goes straight on
to the next step (or to the day's summary, saying when the next one opens, with the zone), the
sign-off shows what it signs and is signed with one tap, and the day fits one summary screen."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from kiosk import create_app
from kiosk.clock import ManualClock
from kiosk.tps import SAMPLE_PROFILE
from tests.kiosk.conftest import csrf_token, login
from tests.kiosk.day import day_settings

WITA = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def day(tmp_path):
    clock = ManualClock(dt.datetime(2024, 2, 14, 6, 40, tzinfo=WITA))
    settings = day_settings(tmp_path / "data")
    app = create_app(settings, provision_from=SAMPLE_PROFILE, clock=clock)
    runtime = app.extensions["kiosk"]
    runtime.app, runtime.manual = app, clock
    runtime.ketua = app.test_client()
    login(runtime.ketua, "kpps1")
    runtime.ketua.post("/selftest/", data={"csrf_token": csrf_token(runtime.ketua, "/selftest/")})
    yield runtime
    runtime.close()


def post(client, step, **data):
    token = csrf_token(client, "/checklist/")
    resp = client.post(f"/checklist/{step}", data={"csrf_token": token, **data})
    assert resp.status_code == 302
    return resp.headers["Location"]


def page(client, url):
    resp = client.get(url)
    assert resp.status_code == 200, url
    return resp.get_data(as_text=True)


def primaries(html):
    return re.findall(r"<(?:a|button)[^>]*data-primary[^>]*>([^<]*)<", html)


def home_button(client):
    tag = re.search(r'<a [^>]*id="next-button"[^>]*>', page(client, "/"))
    return re.search(r'href="([^"]*)"', tag.group(0)).group(1) if tag else None


def test_lanjut_opens_the_step_and_each_step_goes_on_to_the_next(day):
    ketua = day.ketua
    assert home_button(ketua) == "/checklist/step/tps_didirikan"
    html = page(ketua, "/checklist/step/tps_didirikan")
    assert "Persiapan · Langkah 1 dari 5" in html
    assert primaries(html) == ["Selesai"]  # one tap, nothing else to fill
    assert post(ketua, "tps_didirikan") == "/checklist/step/daftar_diumumkan"
    assert post(ketua, "daftar_diumumkan") == "/checklist/step/logistik"
    assert post(ketua, "logistik") == "/checklist/step/mandat_saksi"
    html = page(ketua, "/checklist/step/mandat_saksi")
    assert "Langkah 4 dari 5" in html and primaries(html) == ["Simpan"]
    # The number is typed on the keypad beside its box, not the text keyboard.
    assert 'class="keypad"' in html and 'data-osk="numeric"' not in html
    assert post(ketua, "mandat_saksi", value="3") == "/checklist/step/persiapan_ditandatangani"
    # The sign-off leads into the next phase.
    assert post(ketua, "persiapan_ditandatangani") == "/checklist/step/jam_dikonfirmasi"
    assert home_button(ketua) == "/checklist/step/jam_dikonfirmasi"


def test_a_step_that_waits_is_announced_with_its_time_and_zone(day):
    ketua = day.ketua
    for step in ("tps_didirikan", "daftar_diumumkan", "logistik"):
        post(ketua, step)
    post(ketua, "mandat_saksi", value="3")
    post(ketua, "persiapan_ditandatangani")
    assert post(ketua, "jam_dikonfirmasi", action="confirm") == "/checklist/"
    summary = page(ketua, "/checklist/")
    assert (
        "Tersimpan. Berikutnya, mulai pukul 07:00 WITA: Ketua KPPS membuka rapat pemungutan "
        "suara." in summary
    )
    assert "dibuka pukul 07:00 WITA" in summary.split('data-phase="pembukaan"')[1]
    assert primaries(summary) == ["Layar utama"]  # nothing to do here until then
    assert home_button(ketua) is None  # nor on the home screen
    waiting = page(ketua, "/checklist/step/rapat_dibuka")
    assert 'data-status="waiting"' in waiting
    assert "Belum waktunya: langkah ini dibuka pukul 07:00 WITA." in waiting
    # The home screen's wait carries the kiosk's zone for its time.
    services = day.services
    with day.app.test_request_context():
        glance = services.status.glance()
        step = services.status.next_step(glance, logged_in=True)
    assert step.kind == "wait" and step.at.strftime("%H:%M %Z") == "07:00 WITA"
    day.manual.advance(20 * 60)  # 07.00
    assert home_button(ketua) == "/checklist/step/rapat_dibuka"


def test_the_sign_off_shows_what_it_signs_and_is_one_tap(day):
    ketua = day.ketua
    for step in ("tps_didirikan", "daftar_diumumkan"):
        post(ketua, step)
    html = page(ketua, "/checklist/step/persiapan_ditandatangani")
    # Not signable yet: the missing steps are named and "Lanjut" goes to the first of them.
    assert 'data-entry="logistik" data-status="open"' in html and "belum" in html
    assert "Tanda tangani" not in html
    assert re.search(r'data-primary href="/checklist/step/logistik"', html)
    post(ketua, "logistik")
    post(ketua, "mandat_saksi", value="3")
    html = page(ketua, "/checklist/step/persiapan_ditandatangani")
    entries = re.findall(r"<li data-entry=.*?</li>", html, re.S)
    assert len(entries) == 4
    for entry in entries:  # who and when, on the TPS's clock
        assert "✔" in entry and "06:40 WITA · Siti Aminah" in entry
    assert "<strong>3</strong>" in entries[3]  # the saksi count, as signed
    assert primaries(html) == ["Tanda tangani"]
    # The screen is the confirmation: the one tap signs.
    post(ketua, "persiapan_ditandatangani")
    assert "persiapan_ditandatangani" in day.services.checklist.records()
    html = page(ketua, "/checklist/step/persiapan_ditandatangani")
    assert "Ditandatangani 06:40 WITA" in html


def test_the_day_is_one_summary_screen(day):
    ketua = day.ketua
    post(ketua, "tps_didirikan")
    html = page(ketua, "/checklist/")
    tiles = re.findall(r'<li class="tile (\w+)" data-phase="(\w+)"', html)
    assert tiles == [
        ("open", "persiapan"),
        ("locked", "pembukaan"),
        ("locked", "pemungutan"),
        ("locked", "penutupan"),
        ("locked", "penghitungan"),
        ("locked", "penyerahan"),
    ]
    assert "1 dari 5 selesai" in html
    assert 'href="/checklist/step/persiapan_ditandatangani"' in html  # a phase opens its steps
    assert primaries(html) == ["Lanjut ›"]
    assert re.search(r'id="checklist-next"[^>]*href="/checklist/step/daftar_diumumkan"', html)
    assert "Cetak laporan pembukaan" in html and "Cetak laporan penutupan" in html
    assert "<form" not in html.split('class="phase-tiles"')[1].split("</ol>")[0]
