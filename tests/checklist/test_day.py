"""A whole TPS day through HTTP with a clock the test moves: opening refused before 07.00, the
DPK reminder at 12.00, closing at 13.00, a restart mid-phase, and the opening count reaching the
C.Hasil checks."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest

from kiosk import create_app
from kiosk.clock import ManualClock
from kiosk.tps import SAMPLE_PROFILE
from tests.chasil.test_chasil_http import GOOD
from tests.kiosk.conftest import csrf_token, login
from tests.kiosk.day import day_settings

WITA = dt.timezone(dt.timedelta(hours=8))
DAY = dt.date(2024, 2, 14)  # the sample profile's election date


def at(hh: int, mm: int, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hh, mm), WITA)


@pytest.fixture
def day(tmp_path):
    """make(clock) -> (app, ketua client, anggota client) on one data directory."""
    apps = []

    def make(clock):
        # The test jumps hours at a time: keep the logins alive across the jumps.
        settings = day_settings(tmp_path / "data")
        app = create_app(settings, provision_from=SAMPLE_PROFILE, clock=clock)
        apps.append(app)
        ketua, anggota = app.test_client(), app.test_client()
        login(ketua, "kpps1")
        login(anggota, "kpps2")
        return app, ketua, anggota

    yield make
    for app in apps:
        app.extensions["kiosk"].close()


def post(client, step, **data):
    token = csrf_token(client, "/checklist/")
    return client.post(f"/checklist/{step}", data={"csrf_token": token, **data})


def status(client, step):
    """The step's state as its own screen shows it: done, open, waiting or locked."""
    html = client.get(f"/checklist/step/{step}").get_data(as_text=True)
    marker = f'data-step="{step}" data-status="'
    i = html.index(marker)
    return html[i + len(marker) : html.index('"', i + len(marker))]


def flashes(client):
    return client.get("/checklist/").get_data(as_text=True)


def do_persiapan(ketua, anggota):
    for step in ("tps_didirikan", "daftar_diumumkan", "logistik"):
        post(anggota, step)
    post(anggota, "mandat_saksi", value="3")
    post(anggota, "persiapan_ditandatangani")  # an Anggota may not sign off
    assert status(ketua, "persiapan_ditandatangani") == "open"
    post(ketua, "persiapan_ditandatangani")
    assert status(ketua, "persiapan_ditandatangani") == "done"


def test_signoff_needs_every_step_of_the_phase(day):
    _app, ketua, anggota = day(ManualClock(at(6, 0)))
    post(anggota, "tps_didirikan")
    post(ketua, "persiapan_ditandatangani")
    assert "Selesaikan dulu" in flashes(ketua)
    assert status(ketua, "persiapan_ditandatangani") == "open"


def test_a_whole_day(day):
    clock = ManualClock(at(6, 0))
    app, ketua, anggota = day(clock)
    kiosk = app.extensions["kiosk"]
    assert status(ketua, "rapat_dibuka") == "locked"  # pembukaan locked behind persiapan
    do_persiapan(ketua, anggota)
    post(ketua, "jam_dikonfirmasi", action="confirm")
    assert status(ketua, "jam_dikonfirmasi") == "done"

    # 06.50: the opening step is not open yet and says when it will be.
    clock.advance(50 * 60)
    assert status(ketua, "rapat_dibuka") == "waiting"
    assert "dibuka pukul 07:00" in flashes(ketua)
    post(ketua, "rapat_dibuka")
    assert status(ketua, "rapat_dibuka") == "waiting"
    clock.advance(10 * 60)  # 07.00 sharp
    post(ketua, "rapat_dibuka")
    assert status(ketua, "rapat_dibuka") == "done"
    post(anggota, "sumpah")
    post(anggota, "kotak_kosong")
    counts = {"value:PPWP": "285", "value:DPR": "285", "value:DPD": "285"}
    post(anggota, "surat_suara_diterima", **counts)
    post(ketua, "pembukaan_ditandatangani")

    # Restart in the middle of the next phase: the new app shows exactly the same progress.
    post(anggota, "pemungutan_berjalan")
    app.extensions["kiosk"].close()
    app, ketua, anggota = day(clock)
    kiosk = app.extensions["kiosk"]
    assert status(ketua, "pemungutan_berjalan") == "done"
    assert status(ketua, "pemungutan_ditutup") == "waiting"

    # The ballots counted at opening reach C.Hasil rule 9.
    token = csrf_token(anggota)
    findings = anggota.post(
        "/api/chasil/check", json={"ballot": "PPWP", "boxes": GOOD}, headers={"X-CSRFToken": token}
    ).get_json()["findings"]
    assert [f["rule"] for f in findings] == []  # GOOD has SS1 = 285
    off_by_one = {**GOOD, "SS1": 286, "SS4": GOOD["SS4"] + 1}
    findings = anggota.post(
        "/api/chasil/check",
        json={"ballot": "PPWP", "boxes": off_by_one},
        headers={"X-CSRFToken": token},
    ).get_json()["findings"]
    assert 9 in [f["rule"] for f in findings]

    # Reminders: DPTb at 11.00, DPK at 12.00, closing at 13.00; the buzzer-free page shows them.
    clock.advance(4 * 3600)  # 11.00
    assert 'data-reminder="11:00"' in ketua.get("/").get_data(as_text=True)
    clock.advance(3600)  # 12.00
    page = ketua.get("/").get_data(as_text=True)
    assert 'data-reminder="12:00"' in page and "Jam DPK dimulai" in page
    assert 'data-reminder="11:00"' not in page
    clock.advance(30 * 60)  # 12.30: too early to close
    post(ketua, "pemungutan_ditutup")
    assert status(ketua, "pemungutan_ditutup") == "waiting"
    clock.advance(30 * 60)  # 13.00
    assert 'data-reminder="13:00"' in ketua.get("/").get_data(as_text=True)
    post(ketua, "pemungutan_ditutup")
    assert status(ketua, "pemungutan_ditutup") == "done"

    # Closing and counting: the 12-hour limit counts down from the start of counting.
    post(anggota, "surat_suara_sisa", **{"value:PPWP": "68", "value:DPR": "70", "value:DPD": "69"})
    post(anggota, "surat_suara_rusak", **{"value:PPWP": "2", "value:DPR": "1", "value:DPD": "1"})
    post(anggota, "daftar_hadir")
    post(ketua, "penutupan_ditandatangani")
    clock.advance(30 * 60)  # 13.30
    post(anggota, "penghitungan_dimulai")
    assert "Penghitungan harus selesai dalam 22 jam 30 menit" in ketua.get("/").get_data(
        as_text=True
    )

    # Every tick is audited with officer and time, and the chain holds.
    steps = [r for r in kiosk.audit.rows() if r["kind"] == "checklist_step"]
    assert len(steps) == 18
    opening = next(r for r in steps if '"rapat_dibuka"' in r["details"])
    assert opening["officer"] == "kpps1" and opening["wall"].startswith("2024-02-14T07:00")
    assert kiosk.audit.verify() is None

    # The opening report prints on the (fake) thermal printer.
    token = csrf_token(ketua)
    ketua.post("/checklist/report/opening", data={"csrf_token": token, "printer": "receipt"})
    assert len(kiosk.devices.receipt_printer.jobs) == 1


def test_late_opening_needs_a_reason(day):
    clock = ManualClock(at(6, 30))
    app, ketua, anggota = day(clock)
    do_persiapan(ketua, anggota)
    post(ketua, "jam_dikonfirmasi", action="confirm")
    clock.advance(42 * 60)  # 07.12
    post(ketua, "rapat_dibuka")
    assert "Terlambat 12 menit" in flashes(ketua)
    assert status(ketua, "rapat_dibuka") == "open"
    post(ketua, "rapat_dibuka", reason="Anggota KPPS belum lengkap hadir")
    assert status(ketua, "rapat_dibuka") == "done"
    audit = next(
        r for r in app.extensions["kiosk"].audit.rows() if '"rapat_dibuka"' in r["details"]
    )
    details = json.loads(audit["details"])
    assert details["late_minutes"] == 12 and details["beyond_allowed"] is False


def test_implausible_clock_is_set_by_the_ketua(day):
    clock = ManualClock(at(9, 0, dt.date(2023, 1, 1)))  # a Pi without RTC, stale time
    app, ketua, anggota = day(clock)
    kiosk = app.extensions["kiosk"]
    assert 'id="clock-warning"' in ketua.get("/checklist/").get_data(as_text=True)
    do_persiapan(ketua, anggota)
    post(ketua, "jam_dikonfirmasi", action="confirm")
    assert "Jam kios tampak salah" in flashes(ketua)
    post(anggota, "jam_dikonfirmasi", action="set", time="0645")
    assert status(ketua, "jam_dikonfirmasi") == "open"  # only the Ketua sets the clock
    post(ketua, "jam_dikonfirmasi", action="set", time="0645")
    assert status(ketua, "jam_dikonfirmasi") == "done"
    assert kiosk.clock.now().strftime("%Y-%m-%d %H:%M") == "2024-02-14 06:45"
    assert 'id="clock-warning"' not in ketua.get("/checklist/").get_data(as_text=True)
    row = kiosk.db.read(
        "SELECT wall, clock_offset FROM checklist_record WHERE step = 'jam_dikonfirmasi'"
    )[0]
    assert row["wall"].startswith("2024-02-14T06:45") and row["clock_offset"] > 3e7
    # The correction survives a restart.
    app, ketua, anggota = day(clock)
    assert app.extensions["kiosk"].clock.now().strftime("%Y-%m-%d %H:%M") == "2024-02-14 06:45"


def test_incident_in_one_tap_listed_and_printed(day):
    app, _ketua, anggota = day(ManualClock(at(10, 15)))
    kiosk = app.extensions["kiosk"]
    assert 'class="lang incident-button"' in anggota.get("/").get_data(as_text=True)
    token = csrf_token(anggota, "/incidents/")
    anggota.post(
        "/incidents/",
        data={
            "csrf_token": token,
            "kind": "keberatan",
            "reporter": "Saksi Paslon 02",
            "text": "Pemilih DPTb diberi surat suara DPRD.",
        },
    )
    anggota.post("/incidents/", data={"csrf_token": token, "kind": "kejadian", "text": ""})
    rows = kiosk.db.read("SELECT * FROM incident")
    assert len(rows) == 1 and rows[0]["wall"].startswith("2024-02-14T10:15")
    assert "Pemilih DPTb diberi surat suara DPRD." in anggota.get("/incidents/").get_data(
        as_text=True
    )
    anggota.post("/checklist/report/incidents", data={"csrf_token": token, "printer": "a4"})
    (job,) = kiosk.devices.document_printer.jobs
    assert job.path.suffix == ".pdf"


def test_buzzer_rings_once_per_reminder(day):
    clock = ManualClock(at(11, 59))
    app, _ketua, _anggota = day(clock)
    kiosk = app.extensions["kiosk"]
    buzzer = kiosk.devices.panel.pin_factory.pin(kiosk.devices.config.pins.buzzer)
    assert kiosk.bell.tick() == 0
    clock.advance(60)  # 12.00: the DPK hour
    buzzer.clear_states()
    assert kiosk.bell.tick() == 1
    assert kiosk.bell.tick() == 0  # not again for the same reminder
    deadline = time.monotonic() + 5
    while len(buzzer.states) < 7 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [s.state for s in buzzer.states[:7]] == [False, True, False, True, False, True, False]
