"""The trainer clock: a group practises a whole TPS day in minutes, on the TPS's own time zone,
and the clock the trainer moves is the one every part of the kiosk (and the worker) reads."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time

import pytest

from kiosk import create_app
from kiosk.checklist.model import load as load_checklist
from kiosk.core import open_core
from kiosk.refusals import Refused
from kiosk.settings import Settings
from kiosk.tps import SAMPLE_PROFILE
from kiosk.training.clock import MomentKind, moments, parse_hhmm
from kiosk.training.refusals import TrainingCode
from tests.kiosk.conftest import csrf_token, login
from tests.training.conftest import logged_in

WITA = dt.timedelta(hours=8)  # the sample TPS is in Kalimantan Timur


def jump(trainer, hhmm: str):
    """The trainer taps a moment (or types a time) on the panel."""
    token = csrf_token(trainer, "/pelatih/")
    resp = trainer.post("/pelatih/clock", data={"csrf_token": token, "time": hhmm})
    assert resp.status_code == 302
    return resp


def step(client, step_id: str, **data):
    """An officer records a checklist step, as the checklist's form posts it."""
    resp = client.post(f"/checklist/{step_id}", data={"csrf_token": csrf_token(client), **data})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]


def recorded(kiosk) -> dict[str, str]:
    """Each recorded step's wall time as the TPS's wall clock shows it (HH:MM)."""
    return {
        sid: dt.datetime.fromisoformat(r["wall"]).strftime("%H:%M")
        for sid, r in kiosk.services.checklist.records().items()
    }


def flashed(client) -> str:
    return client.get("/pelatih/").get_data(as_text=True)


def test_the_moments_come_from_the_checklist():
    pemilu = load_checklist("pemilu")
    assert [(m.hhmm, m.kind) for m in moments(pemilu)] == [
        ("06:00", MomentKind.PREPARATION),
        ("07:00", MomentKind.OPENING),
        ("11:00", MomentKind.REMINDER),
        ("12:00", MomentKind.REMINDER),
        ("12:55", MomentKind.REMINDER),
        ("13:00", MomentKind.CLOSING),  # the 13.00 reminder is the closing itself
        ("13:30", MomentKind.COUNTING),
    ]
    # A checklist that closes voting at 14:00 moves the closing and counting moments with it.
    voting = next(p for p in pemilu.phases if p.id == "pemungutan")
    later = dataclasses.replace(
        voting,
        steps=tuple(
            dataclasses.replace(s, not_before=dt.time(14, 0)) if s.not_before else s
            for s in voting.steps
        ),
    )
    phases = tuple(later if p is voting else p for p in pemilu.phases)
    shifted = moments(dataclasses.replace(pemilu, phases=phases, reminders=()))
    assert [m.hhmm for m in shifted] == ["06:00", "07:00", "14:00", "14:30"]


@pytest.mark.parametrize(
    ("typed", "hhmm"), [("0705", "07:05"), ("07:05", "07:05"), ("705", "07:05"), ("2359", "23:59")]
)
def test_a_typed_time_is_read_as_hh_mm(typed, hhmm):
    assert parse_hhmm(typed).strftime("%H:%M") == hhmm


@pytest.mark.parametrize("typed", ["", "7", "2400", "0760", "ab:cd", "12345"])
def test_a_time_that_is_not_hh_mm_is_refused(typed):
    with pytest.raises(Refused) as refused:
        parse_hhmm(typed)
    assert refused.value.code is TrainingCode.BAD_TIME


def test_a_group_practises_the_whole_day_without_waiting(kiosk, trainer, ketua):
    started = time.monotonic()
    checklist = kiosk.services.checklist
    ballots = checklist.ballot_types()

    jump(trainer, "06:00")
    for sid in ("tps_didirikan", "daftar_diumumkan", "logistik"):
        step(ketua, sid)
    step(ketua, "mandat_saksi", value="3")
    step(ketua, "persiapan_ditandatangani")
    step(ketua, "jam_dikonfirmasi", action="confirm")
    step(ketua, "rapat_dibuka")  # 06:00: not yet
    assert "rapat_dibuka" not in recorded(kiosk)

    jump(trainer, "07:00")  # the opening, on time: no reason asked
    step(ketua, "rapat_dibuka")
    for sid in ("sumpah", "kotak_kosong"):
        step(ketua, sid)
    # 290, not the 285 expected of the DPT + reserve: kept with "Simpan juga".
    step(ketua, "surat_suara_diterima", keep="1", **{f"value:{b}": "290" for b in ballots})
    step(ketua, "pembukaan_ditandatangani")
    step(ketua, "pemungutan_berjalan")
    step(ketua, "pemungutan_ditutup")  # 07:00: voting cannot close yet
    assert "pemungutan_ditutup" not in recorded(kiosk)

    jump(trainer, "12:55")  # the reminders follow the clock
    assert [r.at.strftime("%H:%M") for r in checklist.due_reminders()][-1] == "12:55"

    jump(trainer, "13:00")
    step(ketua, "pemungutan_ditutup")
    step(ketua, "surat_suara_sisa", **{f"value:{b}": "10" for b in ballots})
    step(ketua, "surat_suara_rusak", **{f"value:{b}": "0" for b in ballots})
    step(ketua, "daftar_hadir")
    step(ketua, "penutupan_ditandatangani")

    assert checklist.counting_deadline() is None
    jump(trainer, "13:30")  # counting
    step(ketua, "penghitungan_dimulai")

    walls = recorded(kiosk)
    assert {walls[s] for s in ("tps_didirikan", "jam_dikonfirmasi")} == {"06:00"}
    assert {walls[s] for s in ("rapat_dibuka", "pembukaan_ditandatangani")} == {"07:00"}
    assert {walls[s] for s in ("pemungutan_ditutup", "penutupan_ditandatangani")} == {"13:00"}
    assert walls["penghitungan_dimulai"] == "13:30"
    opened = next(
        json.loads(r["details"])
        for r in kiosk.audit.rows()
        if r["kind"] == "checklist_step" and '"rapat_dibuka"' in r["details"]
    )
    assert opened["late_minutes"] == 0 and opened["reason"] == ""
    # The counting countdown runs from the counting's start: midnight plus 12 hours away.
    left = checklist.counting_deadline() - checklist.now()
    assert dt.timedelta(hours=22, minutes=29) < left <= dt.timedelta(hours=22, minutes=30)
    # Every jump is in the audit log, by the trainer, from and to.
    jumps = [json.loads(r["details"]) for r in kiosk.audit.rows() if r["kind"] == "trainer_clock"]
    assert [j["to"][11:16] for j in reversed(jumps)] == [
        "06:00",
        "07:00",
        "12:55",
        "13:00",
        "13:30",
    ]
    assert all(j["to"].endswith("+08:00") and "from" in j for j in jumps)
    assert time.monotonic() - started < 30  # a whole day, and no real waiting


def test_the_kiosk_runs_on_the_tps_zone_and_stores_times_with_it(kiosk, ketua):
    now = kiosk.clock.now()
    assert now.utcoffset() == WITA and now.tzname() == "WITA"
    step(ketua, "tps_didirikan")
    wall = kiosk.services.checklist.records()["tps_didirikan"]["wall"]
    assert dt.datetime.fromisoformat(wall).utcoffset() == WITA and wall.endswith("+08:00")
    assert kiosk.audit.rows(limit=1)[0]["wall"].endswith("+08:00")


def test_the_worker_reads_the_same_clock(kiosk, trainer):
    jump(trainer, "07:00")
    worker = open_core(kiosk.settings)  # what ``tps-kiosk worker`` opens
    try:
        seen = worker.clock.now()
        assert seen.tzname() == "WITA"
        assert abs(seen - kiosk.clock.now()) < dt.timedelta(seconds=5)
        assert seen.strftime("%H:%M") == "07:00"
    finally:
        worker.close()


def test_going_back_keeps_the_records_and_rings_the_reminders_again(kiosk, trainer, ketua):
    jump(trainer, "11:00")
    step(ketua, "tps_didirikan")
    bell = kiosk.bell
    assert bell is not None and bell.tick() == 1  # the DPTb reminder
    jump(trainer, "10:00")
    said = flashed(trainer)
    assert "Jam kios sekarang 10:00 WITA" in said
    assert "1 langkah daftar periksa yang tercatat setelah 10:00 tetap tercatat." in said
    assert "tps_didirikan" in kiosk.services.checklist.records()
    assert bell.tick() == 0
    jump(trainer, "11:00")
    assert bell.tick() == 1  # rung again for the next practice round


def test_the_keypad_time_and_real_time(kiosk, trainer):
    jump(trainer, "1405")  # typed on the panel's keypad
    assert kiosk.clock.now().strftime("%H:%M") == "14:05"
    assert kiosk.db.read("SELECT count(*) FROM clock_offset")[0][0] == 1
    token = csrf_token(trainer, "/pelatih/")
    trainer.post("/pelatih/clock", data={"csrf_token": token, "real": "1"})
    assert kiosk.clock.offset_s == 0
    assert kiosk.db.read("SELECT count(*) FROM clock_offset")[0][0] == 0
    last = json.loads(kiosk.audit.rows(limit=1)[0]["details"])
    assert last["real_time"] is True and last["from"][11:16] == "14:05"


def test_a_bad_time_is_refused_with_the_way_to_type_it(kiosk, trainer):
    before = kiosk.clock.offset_s
    jump(trainer, "2561")
    assert "Masukkan jam sebagai empat angka, misalnya 0705 untuk 07:05." in flashed(trainer)
    assert kiosk.clock.offset_s == before


def test_reset_latihan_returns_to_the_real_time(kiosk, trainer):
    jump(trainer, "13:00")
    assert kiosk.clock.offset_s != 0
    trainer.post("/pelatih/reset", data={"csrf_token": csrf_token(trainer, "/pelatih/")})
    assert kiosk.clock.offset_s == 0
    assert kiosk.db.read("SELECT count(*) FROM clock_offset")[0][0] == 0


def test_panel_shows_the_clock_and_every_moment(trainer):
    html = trainer.get("/pelatih/").get_data(as_text=True)
    assert 'aria-current="page">Jam latihan' in html
    for hhmm in ("06:00", "07:00", "11:00", "12:00", "12:55", "13:00", "13:30"):
        assert f'name="time" value="{hhmm}"' in html
    assert 'data-moment="counting"' in html and 'name="real"' in html
    assert "WITA" in html


def test_no_trainer_clock_outside_training(tmp_path):
    app = create_app(
        Settings.from_values(data_dir=tmp_path / "data", hardware="fake"),
        provision_from=SAMPLE_PROFILE,
    )
    kiosk = app.extensions["kiosk"]
    try:
        assert login(app.test_client(), "pelatih").status_code == 403  # no trainer at all
        ketua = logged_in(app, "kpps1")
        token = csrf_token(ketua)
        resp = ketua.post("/pelatih/clock", data={"csrf_token": token, "time": "0700"})
        assert resp.status_code == 403
        with ketua.session_transaction() as s:
            session = kiosk.auth.session(s["sid"])
        with pytest.raises(Refused) as refused:  # the service refuses on its own, too
            kiosk.services.training.set_clock(dt.time(7, 0), session)
        assert refused.value.code is TrainingCode.NOT_TRAINING
        assert kiosk.clock.offset_s == 0
        # A real kiosk runs on the TPS's zone too: opening at 07.00 is 07.00 WITA.
        assert kiosk.clock.now().tzname() == "WITA"
    finally:
        kiosk.close()
