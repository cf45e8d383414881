"""``tps-kiosk worker`` stops within its unit's stop timeout on SIGTERM and SIGINT, even in the
middle of an upload over a slow link, and the document then goes on from where it stopped."""

from __future__ import annotations

import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from kiosk.db import Database
from tests.stacks.relay import relay
from tests.upload.processes import ROOT, WorkerProcess
from tests.upload.test_worker import collector_documents, kiosk_with_documents, tus_uploads

UNIT = ROOT / "systemd" / "system" / "tps-kiosk-worker.service"
RATE = 32 * 1024  # bytes per second, kiosk → server: a weak mobile link


def stop_timeout_s(unit: Path = UNIT) -> float:
    """The unit's TimeoutStopSec= in seconds (systemd's default, 90 s, when it sets none)."""
    found = re.search(r"(?m)^TimeoutStopSec=(\d+)(s|min)?\s*$", unit.read_text())
    if found is None:
        return 90.0
    return float(found[1]) * (60 if found[2] == "min" else 1)


def job(db: Database) -> dict:
    (row,) = db.read("SELECT * FROM upload_job")
    return dict(row)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_the_worker_stops_mid_upload_within_the_units_stop_timeout(tmp_path, collector, signum):
    data = kiosk_with_documents(tmp_path, collector, 1, page_px=1500)  # about 2.2 MB
    timeout = stop_timeout_s()
    db = Database(data / "kiosk.sqlite3")
    try:
        with relay(collector.port, rate_bps=RATE) as link:
            worker = WorkerProcess(data, upload_endpoint=link.url(), upload_chunk_kb="64")
            proc = worker.start()
            try:
                worker.wait_ready()
                under_way = time.monotonic() + 60
                while job(db)["offset"] == 0:  # wait until the upload is under way
                    assert proc.poll() is None, worker.log.read_text()
                    assert time.monotonic() < under_way, worker.log.read_text()[-3000:]
                    time.sleep(0.1)
                cut = job(db)
                size = cut["bundle_size"]
                assert cut["state"] == "sending" and size - cut["offset"] > RATE * timeout, (
                    "the rest of the upload must take longer than the stop timeout"
                )
                proc.send_signal(signum)
                try:
                    code: int | None = proc.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    code = None
                assert code is not None, f"still running {timeout:g} s after {signum.name}"
                assert code == 0, worker.log.read_text()[-3000:]
            finally:
                worker.kill()
            stopped = job(db)
            assert stopped["state"] == "pending" and stopped["upload_url"], stopped
            assert stopped["offset"] < size and not stopped["delivered_wall"]
            log = worker.log.read_text()
            assert "Traceback" not in log, log[-3000:]

            # Started again, the link now fast (the upload URL names the relay), it resumes
            # the same upload and finishes it once.
            link.rate_bps = None
            worker.start()
            try:
                deadline = time.monotonic() + 60
                while job(db)["state"] != "sent" and time.monotonic() < deadline:
                    time.sleep(0.2)
                assert worker.stop() == 0
            finally:
                worker.kill()
        done = job(db)
        assert done["state"] == "sent" and done["upload_url"] == stopped["upload_url"], done
        assert len(tus_uploads(collector.data_dir)) == 1, "resumed, not made again"
        assert [r["key"] for r in collector_documents(collector.data_dir)] == [done["key"]]
    finally:
        db.close()
