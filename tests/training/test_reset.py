"""'Reset latihan' leaves a clean TPS day and keeps the roster, profile, key and audit log; it is
refused outside training, for every role but the Pelatih, and on a kiosk with real documents."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from kiosk import create_app
from kiosk.devicekey import KEY_FILE
from kiosk.refusals import Refused
from kiosk.services.provisioning import PROFILE_FILE
from kiosk.settings import Settings
from kiosk.tps import SAMPLE_PROFILE
from kiosk.training.refusals import TrainingCode
from kiosk.training.reset import DAY_FOLDERS, KEPT_TABLES
from tests.kiosk.conftest import csrf_token, login
from tests.training.conftest import logged_in, press, signed_document
from tests.upload.docs import signed_documents


def count(kiosk, table: str) -> int:
    return kiosk.db.read(f"SELECT count(*) FROM {table}")[0][0]


def day_tables(kiosk) -> list[str]:
    """Every table of the schema but the kept ones, read from SQLite."""
    rows = kiosk.db.read("SELECT name FROM sqlite_master WHERE type = 'table'")
    return [r["name"] for r in rows if not r["name"].startswith("sqlite_")]


def session_of(kiosk, client):
    with client.session_transaction() as s:
        return kiosk.auth.session(s["sid"])


def whole_day(app, kiosk, trainer):
    """Something in every table the reset wipes, made the way the kiosk makes it."""
    ketua = logged_in(app, "kpps1")
    token = csrf_token(ketua, "/checklist/")
    ketua.post("/checklist/tps_didirikan", data={"csrf_token": token})
    trainer.post("/pelatih/clock", data={"csrf_token": csrf_token(trainer), "time": "1100"})
    ketua.post("/reminders/1100/dismiss", data={"csrf_token": token})  # the DPTb reminder
    ketua.post(
        "/incidents/",
        data={"csrf_token": token, "kind": "kejadian", "text": "Kotak suara DPD terlambat."},
    )
    kiosk.services.checklist.set_clock(
        kiosk.clock.now() + dt.timedelta(minutes=7), session_of(kiosk, ketua)
    )
    ketua.post("/selftest/", data={"csrf_token": token})
    press(trainer, "scenario", "written_884")  # the trainer's practice sheet for PPWP...
    doc = signed_document(ketua)  # ...corrected, confirmed, scanned, signed, queued
    ketua.post(f"/documents/{doc}/print", data={"csrf_token": token, "printer": "a4"})
    everyone = [r["id"] for r in kiosk.db.read("SELECT id FROM recipient")]  # the saksi came
    ketua.post(f"/documents/{doc}/recipients", data={"csrf_token": token, "present": everyone})
    ketua.post(f"/documents/{doc}/print", data={"csrf_token": token, "printer": "receipt"})
    kiosk.outbox.ensure_bundle(kiosk.outbox.jobs()[0])
    kiosk.outbox.set_uplink(False, "simulasi")
    kiosk.outbox.record_export(kiosk.settings.data_dir / "usb", 1, "kpps1")
    press(trainer, "fault", "network_down")
    press(trainer, "fault", "receipt_paper_out")
    press(trainer, "fault", "scanner_jam")
    for _ in range(5):  # a trainee locks themselves out
        login(app.test_client(), "kpps3", "000000")
    return ketua


def test_reset_latihan_leaves_a_clean_day(app, kiosk, trainer):
    ketua = whole_day(app, kiosk, trainer)
    data = kiosk.settings.data_dir
    day = [t for t in day_tables(kiosk) if t not in KEPT_TABLES]
    assert {t: count(kiosk, t) for t in day if count(kiosk, t) == 0} == {}
    assert (data / "documents").is_dir() and any((data / "outbox").iterdir())
    outputs = kiosk.devices.config.fake_output_dir
    printed = sorted(p.name.split("-")[0] for p in outputs.iterdir())
    assert printed == ["a4"] * 4 + ["struk"] * 3  # the copies on both fake printers
    assert kiosk.clock.offset_s != 0

    resp = trainer.post("/pelatih/reset", data={"csrf_token": csrf_token(trainer, "/pelatih/")})
    assert resp.status_code == 302

    assert {t: count(kiosk, t) for t in day if count(kiosk, t)} == {}
    assert [f for f in DAY_FOLDERS if (data / f).exists()] == []
    assert list(outputs.iterdir()) == []
    assert kiosk.devices.receipt_printer.jobs == kiosk.devices.document_printer.jobs == []
    assert kiosk.clock.offset_s == 0
    panel = trainer.get("/pelatih/fault").get_data(as_text=True)  # the trainer is still logged in
    assert (
        'data-state="receipt_printer">siap' in panel and 'data-state="network">tersambung' in panel
    )
    assert kiosk.devices.scanner.pending_fault is None
    # Kept: roster (PINs work, lockout lifted), profile, device key, the whole audit log.
    assert count(kiosk, "officer") == 5
    assert login(app.test_client(), "kpps3").status_code == 302
    assert (data / PROFILE_FILE).exists() and (data / KEY_FILE).exists()
    assert kiosk.audit.verify() is None
    kinds = [r["kind"] for r in kiosk.audit.rows()]
    assert kinds.count("training_reset") == 1
    assert "document_signed" in kinds  # nothing before the reset was removed
    reset = next(r for r in kiosk.audit.rows() if r["kind"] == "training_reset")
    assert reset["officer"] == "pelatih" and '"logged_out": 1' in reset["details"]
    # Everyone but the trainer was logged out; the next group starts with the login.
    assert ketua.get("/antrian").status_code == 302
    logouts = [r for r in kiosk.audit.rows() if r["kind"] == "logout"]
    assert logouts[0]["officer"] == "kpps1" and "training_reset" in logouts[0]["details"]
    # A clean day: the next document starts afresh, its files where they belong.
    signed_document(logged_in(app, "kpps1"))
    assert count(kiosk, "document") == 1 and count(kiosk, "upload_job") == 1


def test_only_the_pelatih_may_reset(app, kiosk):
    for officer in ("kpps1", "kpps2", "kpps3", "teknisi"):
        client = logged_in(app, officer)
        resp = client.post("/pelatih/reset", data={"csrf_token": csrf_token(client)})
        assert resp.status_code == 403
        assert "Anda tidak berwenang melakukan ini" in resp.get_data(as_text=True)
        assert client.get("/pelatih/").status_code == 403
    assert [r for r in kiosk.audit.rows() if r["kind"] == "training_reset"] == []


def test_reset_is_refused_outside_training(tmp_path):
    app = create_app(
        Settings.from_values(data_dir=tmp_path / "data", hardware="fake"),
        provision_from=SAMPLE_PROFILE,
    )
    kiosk = app.extensions["kiosk"]
    try:
        client = app.test_client()
        assert login(client, "pelatih").status_code == 403  # no trainer outside training
        assert (
            client.post("/pelatih/reset", data={"csrf_token": csrf_token(client)}).status_code
            == 401
        )
        ketua = logged_in(app, "kpps1")
        assert (
            ketua.post("/pelatih/reset", data={"csrf_token": csrf_token(ketua)}).status_code == 403
        )
        assert ketua.get("/pelatih/").status_code == 403
        with pytest.raises(Refused) as refused:  # the service refuses on its own, too
            kiosk.services.training.reset(session_of(kiosk, ketua))
        assert refused.value.code is TrainingCode.NOT_TRAINING
    finally:
        kiosk.close()


def test_panel_is_not_found_on_a_training_kiosk_with_real_devices(tmp_path):
    app = create_app(
        Settings.from_values(
            data_dir=tmp_path / "data",
            training=True,
            scanner="sane",
            panel="fake",
            receipt_printer="fake",
            document_printer="fake",
            card_reader="fake",
        ),
        provision_from=SAMPLE_PROFILE,
    )
    try:
        trainer = logged_in(app, "pelatih")
        assert trainer.get("/pelatih/").status_code == 404
        token = csrf_token(trainer)
        for path in ("/pelatih/reset", "/pelatih/fault", "/pelatih/scenario", "/pelatih/clock"):
            assert trainer.post(path, data={"csrf_token": token}).status_code == 404
    finally:
        app.extensions["kiosk"].close()


def test_a_kiosk_with_real_documents_refuses_the_reset(tmp_path):
    data = tmp_path / "data"
    signed_documents(data, 1)  # made outside training, not yet sent
    app = create_app(
        Settings.from_values(data_dir=data, hardware="fake", training=True),
        provision_from=SAMPLE_PROFILE,
    )
    kiosk = app.extensions["kiosk"]
    try:
        trainer = logged_in(app, "pelatih")
        trainer.post("/pelatih/reset", data={"csrf_token": csrf_token(trainer)})
        html = trainer.get("/pelatih/").get_data(as_text=True)
        assert "Reset ditolak" in html
        assert count(kiosk, "document") == count(kiosk, "upload_job") == 1
        assert any((data / "documents").rglob("document.pdf"))
        # And the database itself still keeps a real unsent job, training mode or not.
        with pytest.raises(sqlite3.IntegrityError, match="kept until"), kiosk.db.write() as c:
            c.execute("DELETE FROM upload_job")
    finally:
        kiosk.close()
