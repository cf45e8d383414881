"""The training kiosk the day tests run: fake devices, SIMULASI, and logins that survive the
tests' jumps of the clock (hours at a time); and the checklist walked to the start of
counting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from kiosk.clock import ManualClock
from kiosk.settings import Settings
from tests.chasil.test_chasil_http import GOOD
from tests.kiosk.conftest import csrf_token, login

BALLOTS = ("PPWP", "DPR", "DPD")


def day_settings(data_dir: Path, **extra: Any) -> Settings:
    """Settings of a training kiosk whose logins last the whole day."""
    return Settings.from_values(
        data_dir=data_dir,
        hardware="fake",
        training=True,
        idle_timeout_min=24 * 60,
        session_max_hours=24,
        **extra,
    )


def checklist_step(client: FlaskClient, step_id: str, **data: str) -> None:
    """Save one checklist step as its screen's form does."""
    token = csrf_token(client, "/checklist/")
    resp = client.post(f"/checklist/{step_id}", data={"csrf_token": token, **data})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    assert "/checklist/" in resp.headers["Location"]


def to_counting(app: Flask, clock: ManualClock) -> None:
    """The checklist from 06.55 (``clock``) through opening (ballots received), voting and
    closing (unused and damaged ballots, as on GOOD) to the start of counting at 13.00."""
    ketua, anggota = app.test_client(), app.test_client()
    assert login(ketua, "kpps1").status_code == 302
    assert login(anggota, "kpps2").status_code == 302
    for step_id in ("tps_didirikan", "daftar_diumumkan", "logistik"):
        checklist_step(anggota, step_id)
    checklist_step(anggota, "mandat_saksi", value="3")
    checklist_step(ketua, "persiapan_ditandatangani")
    checklist_step(ketua, "jam_dikonfirmasi", action="set", time="0655")
    clock.advance(5 * 60)  # 07.00
    for step_id in ("rapat_dibuka", "sumpah", "kotak_kosong"):
        checklist_step(anggota, step_id)
    counts = {f"value:{b}": str(GOOD["SS1"]) for b in BALLOTS}
    checklist_step(anggota, "surat_suara_diterima", **counts)
    checklist_step(ketua, "pembukaan_ditandatangani")
    checklist_step(anggota, "pemungutan_berjalan")
    clock.advance(6 * 3600)  # 13.00
    checklist_step(ketua, "pemungutan_ditutup")
    checklist_step(anggota, "surat_suara_sisa", **{k: str(GOOD["SS4"]) for k in counts})
    checklist_step(anggota, "surat_suara_rusak", **{k: str(GOOD["SS3"]) for k in counts})
    checklist_step(anggota, "daftar_hadir")
    checklist_step(ketua, "penutupan_ditandatangani")
    checklist_step(anggota, "penghitungan_dimulai")
