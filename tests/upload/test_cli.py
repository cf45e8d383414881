"""``tps-kiosk worker``, ``queue list|retry|export`` and ``key`` as a technician runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from kiosk.devicekey import ensure_key, fingerprint, public_b64
from tests.upload.docs import signed_documents
from tests.upload.processes import ROOT, WorkerProcess


def tps_kiosk(data, *args, **env):
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "KIOSK_DATA_DIR": str(data), **env},
        timeout=60,
        check=False,
    )


def test_only_one_worker_per_data_directory(tmp_path):
    data = tmp_path / "kiosk"
    signed_documents(data, 1)
    first = WorkerProcess(data)
    first.start()
    try:
        first.wait_ready()
        second = tps_kiosk(data, "worker")
        assert second.returncode == 1
        assert "another upload worker is running" in second.stderr
        assert first.stop() == 0
    finally:
        first.kill()


def test_queue_list_retry_export_and_key(tmp_path, mount_tmpfs):
    data = tmp_path / "kiosk"
    signed_documents(data, 2)
    listed = tps_kiosk(data, "queue", "list")
    assert listed.returncode == 0
    *lines, records = listed.stdout.splitlines()
    assert len(lines) == 2 and all(" pending " in line for line in lines)
    assert records == "0 result record(s) without a receipt"
    retried = tps_kiosk(data, "queue", "retry")
    assert retried.returncode == 0 and "2 document(s) due now" in retried.stdout
    drive = mount_tmpfs(tmp_path / "usb", "8m")
    exported = tps_kiosk(data, "queue", "export", str(drive))
    assert exported.returncode == 0, exported.stderr
    (folder,) = drive.iterdir()
    assert len(json.loads((folder / "index.json").read_text())["index"]["bundles"]) == 2
    key = tps_kiosk(data, "key")
    assert key.returncode == 0
    assert f"public_key = {public_b64(ensure_key(data))}" in key.stdout
    assert f"fingerprint = {fingerprint(ensure_key(data))}" in key.stdout
    assert "tps = 6474010001005" in key.stdout


def test_queue_list_and_export_show_the_result_records(tmp_path):
    from kiosk import create_app
    from kiosk.settings import Settings
    from kiosk.tps import SAMPLE_PROFILE
    from tests.upload.records import confirm

    data = tmp_path / "kiosk"
    settings = Settings.from_values(data_dir=data, hardware="fake", training=True)
    app = create_app(settings, provision_from=SAMPLE_PROFILE)
    try:
        keys = {b: confirm(app.extensions["kiosk"], b) for b in ("PPWP", "DPD")}
    finally:
        app.extensions["kiosk"].close()
    listed = tps_kiosk(data, "queue", "list", KIOSK_TRAINING="1")
    assert listed.returncode == 0, listed.stderr
    *rows, total = listed.stdout.splitlines()
    assert [row.split()[:5] for row in rows] == [
        ["record", "DPD", "#1", "pending", "0x"],
        ["record", "PPWP", "#1", "pending", "0x"],
    ]
    assert keys["DPD"][:12] in rows[0] and keys["PPWP"][:12] in rows[1]
    assert total == "2 result record(s) without a receipt"
    exported = tps_kiosk(data, "queue", "export", str(tmp_path / "usb"), KIOSK_TRAINING="1")
    assert exported.returncode == 0, exported.stderr
    assert "0 document(s) and 2 result record(s) written to" in exported.stdout


def test_export_to_a_full_drive_fails_with_the_reason(tmp_path, mount_tmpfs):
    data = tmp_path / "kiosk"
    signed_documents(data, 2, page_px=600)
    drive = mount_tmpfs(tmp_path / "usb", "100k")
    exported = tps_kiosk(data, "queue", "export", str(drive))
    assert exported.returncode == 1 and "drive_full" in exported.stderr


def test_worker_without_a_server_keeps_documents_waiting(tmp_path):
    """An unprovisioned kiosk has no collector URL: documents wait, explained, none lost."""
    data = tmp_path / "kiosk"
    signed_documents(data, 1)
    (data / "profile.toml").unlink(missing_ok=True)
    worker = WorkerProcess(data)
    worker.start()
    try:
        worker.wait_ready()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            listed = tps_kiosk(data, "queue", "list").stdout
            if "not_configured" in listed:
                break
            time.sleep(0.2)
        assert "not_configured" in listed and " pending " in listed
        assert worker.stop() == 0
    finally:
        worker.kill()
