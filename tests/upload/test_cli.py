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
    lines = listed.stdout.splitlines()
    assert len(lines) == 2 and all(" pending " in line for line in lines)
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
