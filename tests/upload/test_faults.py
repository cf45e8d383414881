"""Fault soak: the collector killed mid-upload 50+ times, the worker SIGKILLed 200+ times.

Afterwards every document is at the collector exactly once with the SHA-256 the kiosk computed,
no job is lost, and the kiosk's database passes ``PRAGMA integrity_check``.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from kiosk.db import Database
from tests.stacks.collector import CollectorProcess
from tests.upload.docs import signed_documents
from tests.upload.processes import WorkerProcess
from tests.upload.test_worker import collector_documents, drain, in_process_worker, register

COLLECTOR_KILLS = 50
WORKER_KILLS = 200


def check_exactly_once(kiosk_data: Path, collector: CollectorProcess, documents: int) -> None:
    db = Database(kiosk_data / "kiosk.sqlite3")
    try:
        assert db.read("PRAGMA integrity_check")[0][0] == "ok"
        jobs = db.read(
            "SELECT key, state, bundle_sha256, receipt_sha256, error_code, error_detail,"
            " attempts FROM upload_job"
        )
    finally:
        db.close()
    assert len(jobs) == documents, "a job was lost"
    unsent = [
        f"{j['state']} {j['attempts']}x {j['error_code']}: {j['error_detail']}"
        for j in jobs
        if j["state"] != "sent"
    ]
    assert not unsent, "\n".join(unsent)
    assert all(j["receipt_sha256"] == j["bundle_sha256"] for j in jobs)
    rows = collector_documents(collector.data_dir)
    assert sorted(r["key"] for r in rows) == sorted(j["key"] for j in jobs), "lost or duplicated"
    assert {r["key"]: r["sha12"] for r in rows} == {j["key"]: j["bundle_sha256"][:12] for j in jobs}
    with sqlite3.connect(collector.data_dir / "collector.sqlite3") as conn:
        completed = Counter(k for (k,) in conn.execute("SELECT key FROM tus_uploads"))
    assert max(completed.values()) == 1, f"a document was uploaded twice: {completed}"


def test_collector_killed_and_restarted_mid_upload(tmp_path, collector):
    """While the collector is killed and restarted 50 times, the kiosk keeps signing documents,
    so there is always an upload under way to be cut."""
    kiosk = tmp_path / "kiosk"
    signed_documents(kiosk, 4, endpoint=collector.files_url, page_px=700)  # ~500 KB each
    register(collector, kiosk)
    worker = in_process_worker(kiosk, collector.files_url, chunk=32 * 1024)
    rng = random.Random(5)
    kills_while_sending = 0
    restarts = 0
    done = threading.Event()

    def chaos() -> None:
        nonlocal kills_while_sending, restarts
        watch = Database(kiosk / "kiosk.sqlite3")
        try:
            while restarts < COLLECTOR_KILLS and not done.is_set():
                time.sleep(rng.uniform(0.1, 0.5))
                sending = watch.read("SELECT count(*) FROM upload_job WHERE state = 'sending'")
                kills_while_sending += sending[0][0]
                collector.kill()
                collector.start()
                restarts += 1
        finally:
            watch.close()

    failures: list[BaseException] = []

    def chaos_or_record() -> None:
        try:
            chaos()
        except BaseException as exc:
            failures.append(exc)

    killer = threading.Thread(target=chaos_or_record)
    killer.start()
    try:
        deadline = time.monotonic() + 240
        while restarts < COLLECTOR_KILLS and not failures and time.monotonic() < deadline:
            if worker.outbox.counts().unsent < 2:
                signed_documents(kiosk, 2, endpoint=collector.files_url, page_px=700)
            if not worker.step():
                time.sleep(0.02)
    finally:
        done.set()
        killer.join()
    assert not failures, f"{failures[0]!r}\n{collector.log()[-4000:]}"
    # setpriv --pdeathsig fires when the *thread* that started a process ends: the collector
    # the chaos thread started last dies with it, so start the last one from this thread.
    collector.restart()
    drain(worker)
    assert collector.proc is not None and collector.proc.poll() is None, collector.log()[-6000:]
    count = len(worker.outbox.jobs())
    print(
        f"collector restarts: {restarts}, kills while sending: {kills_while_sending}, "
        f"documents: {count}"
    )
    assert restarts >= COLLECTOR_KILLS
    assert kills_while_sending >= COLLECTOR_KILLS // 2, "most kills must land mid-upload"
    check_exactly_once(kiosk, collector, count)


@pytest.mark.timeout(600)
def test_worker_sigkilled_at_random_points(tmp_path, collector):
    """The worker is killed 200 times, at random moments of its work; the kiosk keeps signing
    documents so that there is always something being sent."""
    kiosk = tmp_path / "kiosk"
    signed_documents(kiosk, 6, endpoint=collector.files_url, page_px=900)  # ~800 KB each
    register(collector, kiosk)
    worker = WorkerProcess(kiosk, upload_chunk_kb="16", upload_probe_s="1")
    rng = random.Random(11)
    db = Database(kiosk / "kiosk.sqlite3")
    kills_while_sending = 0
    try:
        for _ in range(WORKER_KILLS):
            unsent = db.read("SELECT count(*) FROM upload_job WHERE state != 'sent'")[0][0]
            if unsent < 3:
                signed_documents(kiosk, 3, endpoint=collector.files_url, page_px=900)
            worker.start()
            time.sleep(rng.uniform(0.1, 0.9))
            kills_while_sending += db.read(
                "SELECT count(*) FROM upload_job WHERE state = 'sending'"
            )[0][0]
            worker.kill()
        worker.start()
        worker.wait_ready()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if db.read("SELECT count(*) FROM upload_job WHERE state != 'sent'")[0][0] == 0:
                break
            time.sleep(0.2)
        assert worker.stop() == 0, "SIGTERM: the worker stops cleanly"
        count = db.read("SELECT count(*) FROM upload_job")[0][0]
    finally:
        worker.kill()
        db.close()
    print(f"worker kills: {WORKER_KILLS}, while sending: {kills_while_sending}, documents: {count}")
    assert kills_while_sending >= WORKER_KILLS // 2, "most kills must land mid-upload"
    check_exactly_once(kiosk, collector, count)
