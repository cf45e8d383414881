"""At most one complete copy of a document per server, whatever the tus server.

The real ``tps-kiosk worker`` sends one document through a relay that sees every request, to
each tus server in turn (none has the collector's receipt route), for a bounded time. The
server must have been sent the document's bytes once, hold one complete copy, and the job must
end in a state the queue shows in words: delivered and waiting for a receipt (``receipt``
mode, receipt polls backing off), or received (``tus_completion`` mode).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from kiosk.db import Database
from kiosk.upload.explain import POLLS_BEFORE_HELP
from tests.stacks.relay import relay
from tests.stacks.tus_servers import TusServer, run_tus_server
from tests.upload.docs import signed_documents
from tests.upload.processes import ROOT, WorkerProcess
from tests.upload.test_worker import in_process_worker

WINDOW_S = 30  # how long the worker runs against a server that never gives a receipt
MAX_POLLS = 10  # a fixed 2 s retry asks 15 times in the window; backing off from 5 s, ~5


def queue_list(data) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "kiosk", "queue", "list"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "KIOSK_DATA_DIR": str(data)},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def job_row(data) -> dict:
    db = Database(data / "kiosk.sqlite3")
    try:
        (row,) = db.read("SELECT * FROM upload_job")
        return dict(row)
    finally:
        db.close()


@pytest.mark.parametrize("mode", ["receipt", "tus_completion"])
def test_one_document_is_sent_once_to_any_tus_server(tmp_path, any_tus_server: TusServer, mode):
    data = tmp_path / "kiosk"
    signed_documents(data, 1, page_px=1000)  # about 1 MB: four chunks
    with relay(any_tus_server.port) as seen:
        worker = WorkerProcess(
            data,
            upload_endpoint=seen.url(),
            upload_chunk_kb="256",
            upload_probe_s="1",
            upload_receipt=mode,
        )
        worker.start()
        try:
            worker.wait_ready()
            deadline = time.monotonic() + WINDOW_S
            while time.monotonic() < deadline:
                if mode == "tus_completion" and job_row(data)["state"] == "sent":
                    break
                time.sleep(0.5)
            assert worker.stop() == 0
        finally:
            worker.kill()
    job = job_row(data)
    bundle = (data / "outbox" / f"{job['key']}.zip").read_bytes()
    copies = seen.body_bytes("PATCH") / len(bundle)
    print(
        f"{any_tus_server.name} [{mode}]: {copies:.2f} copies sent, "
        f"{any_tus_server.complete_copies(bundle)} complete copies held; {seen.summary()}"
    )
    assert seen.count("POST") == 1, seen.summary()
    assert seen.body_bytes("PATCH") == len(bundle), f"{copies:.2f} copies sent"
    assert any_tus_server.complete_copies(bundle) == 1
    listed = queue_list(data)
    if mode == "tus_completion":
        assert job["state"] == "sent" and job["receipt_source"] == "tus_completion"
        assert job["receipt_sha256"] == job["bundle_sha256"]
        assert "Terkirim lengkap; server ini tidak memberi tanda terima" in listed, listed
    else:
        assert job["state"] == "pending" and job["delivered_wall"], job
        polls = seen.count("GET")
        assert 1 <= polls <= MAX_POLLS, seen.summary()
        assert job["receipt_polls"] == polls
        assert seen.count("HEAD") == 0 and seen.count("OPTIONS") == 0, seen.summary()
        # Backoff is random (full jitter): after POLLS_BEFORE_HELP unanswered polls the words
        # ask for the technician instead.
        waiting = (
            "belum ada tanda terima server setelah"
            if polls >= POLLS_BEFORE_HELP
            else "Terkirim lengkap — menunggu tanda terima server, dicoba lagi"
        )
        assert waiting in listed, listed


class PowerCut(BaseException):  # not an Exception: the worker must not handle it
    pass


def test_a_kill_right_after_delivery_sends_nothing_again(tmp_path):
    """The worker dies the instant "delivered" is committed, before it asks for a receipt; the
    next worker finds tussi's URL gone (404) and must still not send a byte again."""
    data = tmp_path / "kiosk"
    signed_documents(data, 1, page_px=600)
    with run_tus_server("tussi", tmp_path) as server, relay(server.port) as seen:
        first = in_process_worker(data, seen.url(), chunk=64 * 1024)
        record = first.outbox.delivered

        def record_then_die(job_id: int, url: str, offset: int) -> None:
            record(job_id, url, offset)
            raise PowerCut

        first.outbox.delivered = record_then_die  # type: ignore[method-assign]
        with pytest.raises(PowerCut):
            first.step()
        assert job_row(data)["state"] == "sending"  # as a SIGKILL leaves it
        again = in_process_worker(data, seen.url(), chunk=64 * 1024)
        again.outbox.requeue_interrupted()  # what a restarted worker does first
        for _ in range(5):
            again.outbox.retry_now()
            again.step()
        job = job_row(data)
        bundle = (data / "outbox" / f"{job['key']}.zip").read_bytes()
        assert seen.count("POST") == 1 and seen.body_bytes("PATCH") == len(bundle), seen.summary()
        assert seen.count("HEAD") == 0, "a delivered upload's URL is not even asked about"
        assert server.complete_copies(bundle) == 1
        assert job["state"] == "pending" and job["delivered_wall"] and job["receipt_polls"] == 5
