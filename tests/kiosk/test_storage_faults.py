"""Storage faults (issue 14, findings 4 and 5): a full data disk and a corrupt database end on
Bahasa guidance with one next action, never a 500 or a traceback, and forms keep what the
officer typed. The full disk is a real tmpfs (tests/stacks/disk.py); the corrupt databases are
real files damaged the way a failing SD card damages them."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest

from kiosk import create_app
from kiosk.settings import Settings
from kiosk.tps import SAMPLE_PROFILE
from tests.kiosk.commands import tps_kiosk
from tests.kiosk.conftest import csrf_token, login
from tests.upload.docs import signed_documents
from tests.upload.processes import ROOT


def _fill(folder: Path) -> None:
    """Fill the filesystem of ``folder`` to the last byte."""
    for name, chunk in (("filler", 65536), ("filler-tail", 512), ("filler-last", 1)):
        fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while os.write(fd, b"\0" * chunk):
                pass
        except OSError:
            pass
        finally:
            os.close(fd)


@pytest.fixture
def full_kiosk(tmp_path, mount_tmpfs):
    """The sample kiosk (training, fake devices) with its data directory on a tmpfs, a Ketua
    logged in, then the disk filled to the last byte."""
    data = mount_tmpfs(tmp_path / "data", "6m")
    app = create_app(
        Settings.from_values(data_dir=data, hardware="fake", training=True),
        provision_from=SAMPLE_PROFILE,
    )
    client = app.test_client()
    assert login(client, "kpps1").status_code == 302
    token = csrf_token(client, "/incidents/")
    kiosk = app.extensions["kiosk"]
    # Every later write must grow the WAL: an emptied WAL leaves no room to reuse.
    kiosk.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    _fill(data)
    yield app, client, token
    kiosk.close()


def _form_values(html: str) -> dict[str, str]:
    return {
        unescape(m.group(1)): unescape(m.group(2))
        for m in re.finditer(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html)
    }


def test_recording_an_incident_on_a_full_disk_keeps_the_text(full_kiosk):
    app, client, token = full_kiosk
    text = "Listrik padam pukul 10.15, penghitungan ditunda 20 menit"
    resp = client.post(
        "/incidents/",
        data={"csrf_token": token, "kind": "kejadian", "reporter": "Saksi A", "text": text},
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 503, html
    assert "Penyimpanan penuh" in html
    kept = _form_values(html)
    assert kept["text"] == text and kept["reporter"] == "Saksi A" and kept["kind"] == "kejadian"
    assert 'action="/incidents/"' in html and 'method="post"' in html
    # The technician makes room; the one button sends what was typed, and it is recorded.
    data = app.extensions["kiosk"].settings.data_dir
    for filler in data.glob("filler*"):
        filler.unlink()
    again = client.post("/incidents/", data=kept)
    assert again.status_code == 302
    rows = app.extensions["kiosk"].db.read("SELECT reporter, text FROM incident")
    assert [(r["reporter"], r["text"]) for r in rows] == [("Saksi A", text)]


def test_saving_chasil_numbers_on_a_full_disk_keeps_the_numbers(full_kiosk):
    _app, client, token = full_kiosk
    boxes = {"box:SS1": "250", "box:SS2": "201", "box:S": "198"}
    resp = client.post("/chasil/PPWP/1", data={"csrf_token": token, **boxes})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 503, html
    assert "Penyimpanan penuh" in html
    kept = _form_values(html)
    assert {k: kept[k] for k in boxes} == boxes


def test_login_and_queue_screen_on_a_full_disk_give_guidance_not_500(full_kiosk):
    app, client, token = full_kiosk
    # Reading needs no room: the logged-in Ketua still sees the queue (and what waits).
    queue = client.get("/antrian")
    assert queue.status_code == 200, queue.get_data(as_text=True)
    other = app.test_client()
    page = other.get("/login/pin/kpps2")
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert token
    resp = other.post("/login/pin/kpps2", data={"csrf_token": token.group(1), "pin": "222222"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 503, html
    assert "Penyimpanan penuh" in html
    assert "222222" not in html  # a PIN is never written back into a page


def test_storage_faults_map_to_kiosk_errors(tmp_path, tiny_fs):
    from kiosk.errors import DatabaseCorrupt, StorageFull
    from kiosk.storage_faults import storage_fault

    # A real "database or disk is full" from SQLite on a full tmpfs.
    conn = sqlite3.connect(tiny_fs / "x.sqlite3")
    conn.execute("CREATE TABLE t (b BLOB)")
    with pytest.raises(sqlite3.Error) as full:
        for _ in range(1000):
            conn.execute("INSERT INTO t VALUES (randomblob(8192))")
            conn.commit()
    conn.close()
    assert isinstance(storage_fault(full.value), StorageFull)
    with pytest.raises(OSError) as enospc:
        _fill(tiny_fs)
        (tiny_fs / "more").write_bytes(b"x" * 8192)
    assert isinstance(storage_fault(enospc.value), StorageFull)
    # A real "file is not a database" and "database disk image is malformed".
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"\0" * 8192)
    with pytest.raises(sqlite3.Error) as notadb:
        sqlite3.connect(bad).execute("SELECT * FROM sqlite_master").fetchall()
    assert isinstance(storage_fault(notadb.value), DatabaseCorrupt)
    assert storage_fault(ValueError("x")) is None
    assert storage_fault(sqlite3.IntegrityError("UNIQUE constraint failed")) is None


# --- corrupt databases and the technician's commands -------------------------------------------


def _truncate(db: Path) -> None:
    with db.open("r+b") as fh:
        fh.truncate(db.stat().st_size // 3)


def _zero_header(db: Path) -> None:
    with db.open("r+b") as fh:
        fh.write(b"\0" * 100)


def _overwrite_pages(db: Path) -> None:
    page = 4096
    with db.open("r+b") as fh:
        size = db.stat().st_size
        for offset in range(page, size, page * 2):  # every other page after the first
            fh.seek(offset)
            fh.write(os.urandom(page))


CORRUPTIONS = {
    "truncated": _truncate,
    "zeroed_header": _zero_header,
    "overwritten": _overwrite_pages,
}


@pytest.fixture(params=sorted(CORRUPTIONS))
def corrupt_data(request, tmp_path) -> Path:
    data = tmp_path / "kiosk"
    signed_documents(data, 3)
    CORRUPTIONS[request.param](data / "kiosk.sqlite3")
    return data


BAHASA = re.compile(r"Basis data kiosk (rusak|hilang)")


@pytest.mark.parametrize(
    "args", [("worker",), ("queue", "list"), ("audit", "verify"), ("queue", "retry")]
)
def test_commands_on_a_corrupt_database_say_what_to_do(corrupt_data, args):
    done = tps_kiosk(corrupt_data, *args)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr, done.stderr
    assert BAHASA.search(done.stderr), done.stderr
    assert "tps-kiosk db restore" in done.stderr


def test_selftest_json_reports_the_failed_database_check(corrupt_data):
    done = tps_kiosk(corrupt_data, "selftest", "--json")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr, done.stderr
    import json

    report = json.loads(done.stdout)
    (check,) = [c for c in report["checks"] if c["name"] == "database"]
    assert check["ok"] is False and report["ready"] is False
    assert "tps-kiosk db restore" in check["message"]


def test_serve_on_a_corrupt_database_shows_guidance_and_says_so(corrupt_data):
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "serve"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={
            **os.environ,
            "KIOSK_DATA_DIR": str(corrupt_data),
            "KIOSK_HARDWARE": "fake",
            "KIOSK_PORT": "0",
            "KIOSK_LOG_LEVEL": "INFO",
        },
    )
    try:
        assert proc.stderr is not None
        lines = []
        port = None
        for line in proc.stderr:
            lines.append(line)
            found = re.search(r"TPS Kiosk on http://127\.0\.0\.1:(\d+)/", line)
            if found:
                port = int(found.group(1))
                break
        assert port, "".join(lines)
        import http.client

        for path in ("/", "/antrian", "/health"):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", path)
            resp = conn.getresponse()
            body = resp.read().decode()
            assert resp.status == 503, (path, body)
            if path != "/health":
                assert "tps-kiosk db restore" in body
        said = "".join(lines)
        assert BAHASA.search(said) and "Traceback" not in said
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_commands_on_a_full_data_disk_say_so(tmp_path, mount_tmpfs):
    data = mount_tmpfs(tmp_path / "kiosk", "4m")
    signed_documents(data, 2)
    _fill(data)
    for args in (("queue", "retry"), ("db", "backup"), ("selftest", "--json")):
        done = tps_kiosk(data, *args)
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr, done.stderr
        said = done.stderr + done.stdout
        assert "Penyimpanan penuh" in said or "tidak dapat disimpan" in said, (args, said)


def test_logging_out_on_a_full_disk_logs_out(full_kiosk):
    _app, client, token = full_kiosk
    resp = client.post("/login/logout", data={"csrf_token": token})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    assert client.get("/antrian").status_code == 302  # to the login: nobody is logged in
