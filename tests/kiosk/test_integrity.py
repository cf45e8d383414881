"""Start-up integrity (issue 14, finding 1): an emptied, deleted or replaced database next to a
provisioned data directory with signed documents is found; the kiosk never starts over as a new
kiosk, the self-test fails its database check, and every screen names the one next action."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk import create_app
from kiosk.db import Database
from kiosk.settings import Settings
from tests.kiosk.commands import tps_kiosk
from tests.upload.docs import signed_documents
from tests.upload.processes import ROOT


def _emptied(db: Path) -> None:
    db.write_bytes(b"")


def _deleted(db: Path) -> None:
    db.unlink()


def _replaced(db: Path) -> None:
    db.unlink()
    Database(db).migrate()  # a fresh schema: no officers, no documents


DAMAGE = {"emptied": _emptied, "deleted": _deleted, "replaced": _replaced}


@pytest.fixture(params=sorted(DAMAGE))
def damaged(request, tmp_path) -> Path:
    data = tmp_path / "kiosk"
    signed_documents(data, 2)
    for leftover in ("kiosk.sqlite3-wal", "kiosk.sqlite3-shm"):
        (data / leftover).unlink(missing_ok=True)
    DAMAGE[request.param](data / "kiosk.sqlite3")
    return data


def _settings(data: Path) -> Settings:
    return Settings.from_values(data_dir=data, hardware="fake")


def test_a_damaged_database_is_not_started_as_a_new_kiosk(damaged):
    before = (
        (damaged / "kiosk.sqlite3").read_bytes() if (damaged / "kiosk.sqlite3").exists() else None
    )
    app = create_app(_settings(damaged))
    client = app.test_client()
    for path in ("/", "/queue/", "/login/", "/selftest/", "/audit/"):
        resp = client.get(path)
        html = resp.get_data(as_text=True)
        assert resp.status_code == 503, (path, html)
        assert "Basis data kiosk hilang atau rusak" in html
        assert "tps-kiosk db restore" in html
        assert "Belum terkirim: 0" not in html
    post = client.post("/login/pin/kpps1", data={"pin": "111111"})
    assert post.status_code == 503
    health = client.get("/health")
    assert health.status_code == 503 and health.get_json()["status"] != "ok"
    # Nothing was migrated or provisioned into the damaged file: the technician finds it as
    # it was (SQLite may only have folded its own WAL back into it).
    db = damaged / "kiosk.sqlite3"
    if before is None or before == b"":
        assert (db.read_bytes() if db.exists() else None) == before
    else:
        conn = sqlite3.connect(db)
        assert conn.execute("SELECT count(*) FROM officer").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM document").fetchone()[0] == 0
        conn.close()


def test_the_database_guidance_says_simulasi_on_a_training_kiosk(damaged):
    training = create_app(Settings.from_values(data_dir=damaged, hardware="fake", training=True))
    html = training.test_client().get("/").get_data(as_text=True)
    assert "Basis data kiosk hilang atau rusak" in html and "SIMULASI" in html
    real = create_app(_settings(damaged)).test_client().get("/").get_data(as_text=True)
    assert "SIMULASI" not in real


def test_selftest_fails_its_database_check_on_a_damaged_database(damaged):
    done = tps_kiosk(damaged, "selftest", "--json")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    (check,) = [c for c in report["checks"] if c["name"] == "database"]
    assert check["ok"] is False
    assert "tps-kiosk db restore" in check["message"]


@pytest.mark.parametrize("args", [("queue", "list"), ("audit", "verify"), ("worker",)])
def test_commands_refuse_a_damaged_database(damaged, args):
    done = tps_kiosk(damaged, *args)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr, done.stderr
    assert "tps-kiosk db restore" in done.stderr
    assert "audit log intact" not in done.stdout


def test_a_fresh_data_directory_still_starts_as_a_new_kiosk(tmp_path):
    app = create_app(_settings(tmp_path / "new"))
    try:
        assert app.test_client().get("/health").status_code == 200
    finally:
        app.extensions["kiosk"].close()


def test_db_restore_without_a_backup_rebuilds_the_queue_from_the_signed_files(damaged):
    assert not (damaged / "kiosk.sqlite3.bak").exists()
    done = tps_kiosk(damaged, "db", "restore")
    assert done.returncode == 0, done.stderr
    listed = tps_kiosk(damaged, "queue", "list")
    assert listed.returncode == 0, listed.stderr
    *jobs, records = listed.stdout.splitlines()
    assert len(jobs) == 2
    assert all(" pending " in line for line in jobs)
    # The signed files carry no result record to rebuild one from (their numbers went ahead).
    assert records == "0 result record(s) without a receipt"
    db = sqlite3.connect(damaged / "kiosk.sqlite3")
    officers = {r[0] for r in db.execute("SELECT id FROM officer")}
    recovered = db.execute(
        "SELECT count(*) FROM audit_log WHERE kind = 'document_recovered'"
    ).fetchone()[0]
    db.close()
    assert {"kpps1", "teknisi"} <= officers  # the roster is back: officers can log in
    assert recovered == 2
    app = create_app(_settings(damaged))
    try:
        assert app.test_client().get("/health").status_code == 200
    finally:
        app.extensions["kiosk"].close()


def test_provisioning_and_first_boot_mark_the_data_directory(tmp_path):
    from kiosk.devicekey import fingerprint, load_key
    from kiosk.fleet.firstboot import firstboot_command

    data = tmp_path / "kiosk"
    signed_documents(data, 1)
    marker = json.loads((data / "provisioned.json").read_text())
    assert marker["tps"] == "6474010001005"
    assert marker["device_key"] == fingerprint(load_key(data))
    assert {o["id"] for o in marker["officers"]} >= {"kpps1", "teknisi"}
    assert (data / "provisioned.json").stat().st_mode & 0o077 == 0  # PIN hashes: owner only
    # A kiosk provisioned before the marker existed gets it at its next boot.
    (data / "provisioned.json").unlink()
    settings = Settings.from_values(
        data_dir=data,
        hardware="fake",
        provision_file=tmp_path / "boot" / "tps-provision.json",
        provisioning_keys=tmp_path / "keys",
    )
    assert firstboot_command(settings) == 0
    assert json.loads((data / "provisioned.json").read_text())["tps"] == "6474010001005"


def test_the_guidance_screen_carries_the_security_headers(tmp_path):
    data = tmp_path / "kiosk"
    signed_documents(data, 1)
    (data / "kiosk.sqlite3").unlink()
    resp = create_app(_settings(data)).test_client().get("/")
    assert resp.status_code == 503
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in resp.headers["Content-Security-Policy"]


def test_checking_the_database_keeps_another_process_s_writes_visible(tmp_path):
    """The self-test checks the database inside the running app; a worker started after it
    must still write into the same database the screen reads (no plain open() of the file
    dropping the app's locks)."""
    from kiosk.integrity import assess
    from kiosk.tps import SAMPLE_PROFILE

    data = tmp_path / "kiosk"
    app = create_app(
        Settings.from_values(data_dir=data, hardware="fake", training=True),
        provision_from=SAMPLE_PROFILE,
    )
    kiosk = app.extensions["kiosk"]
    try:
        with kiosk.db.write() as conn:  # the app has written since: its WAL holds frames
            conn.execute("DELETE FROM uplink")
        assert assess(data) is None
        code = (
            "import sys; from pathlib import Path; from kiosk.integrity import open_database\n"
            "db = open_database(Path(sys.argv[1]))\n"
            "with db.write() as c:\n"
            "    c.execute(\"INSERT INTO uplink (id, online, checked_wall) VALUES (1, 1, 'w')\")\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code, str(data)], cwd=ROOT, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        assert kiosk.outbox.uplink() == (True, "w")
    finally:
        kiosk.close()
