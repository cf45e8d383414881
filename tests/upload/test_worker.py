"""The worker against the real collector (tuspyserver): receipts, resume, network, refusals."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from kiosk.audit import AuditLog, Event
from kiosk.clock import OffsetClock, SystemClock
from kiosk.core import open_core
from kiosk.db import Database
from kiosk.devicekey import ensure_key, public_b64
from kiosk.services.provisioning import provision
from kiosk.settings import Settings
from kiosk.upload.outbox import Outbox
from kiosk.upload.run import clock_follower
from kiosk.upload.tus import TusUploader
from kiosk.upload.usb_export import export_bundles
from kiosk.upload.worker import Backoff, Worker
from tests.stacks.collector import CollectorProcess, run_collector_cli
from tests.upload.docs import profile_text, signed_documents
from tests.upload.processes import WorkerProcess

TPS = "6474010001005"


def register(collector: CollectorProcess, data: Path) -> None:
    done = run_collector_cli(
        "register",
        "--data",
        str(collector.data_dir),
        "--tps",
        TPS,
        "--public-key",
        public_b64(ensure_key(data)),
    )
    assert done.returncode == 0, done.stderr


def collector_documents(data: Path) -> list[dict]:
    done = run_collector_cli("list", "--data", str(data))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    rows = []
    for line in out.splitlines():
        parts = line.split()
        rows.append({"tps": parts[0], "ballot": parts[1], "sha12": parts[4], "key": parts[5]})
    return rows


def tus_uploads(data: Path) -> list[dict]:
    """The uploads tuspyserver holds (its .info files), as metadata + offset/size."""
    found = []
    for info in (data / "tus").rglob("*.info"):
        found.append(json.loads(info.read_text()))
    return found


def kiosk_with_documents(tmp_path: Path, collector: CollectorProcess, count: int, **kw) -> Path:
    data = tmp_path / "kiosk"
    signed_documents(data, count, endpoint=collector.files_url, **kw)
    register(collector, data)
    return data


def in_process_worker(data: Path, endpoint: str, chunk: int = 512 * 1024) -> Worker:
    db = Database(data / "kiosk.sqlite3")
    clock = OffsetClock(SystemClock())
    return Worker(
        Outbox(db, clock, data),
        TusUploader(endpoint, token="t" * 16, chunk_size=chunk, timeout_s=10),
        Backoff(base_s=0.1, cap_s=0.5, floor_s=0.05),
        probe_every_s=0.2,
        audit=AuditLog(db, clock),
    )


def drain(worker: Worker, limit_s: float = 60) -> None:
    """Run the worker until no job is left to try by itself (failed ones wait for a person)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        counts = worker.outbox.counts()
        if counts.unsent == counts.failed:
            return
        if not worker.step():
            time.sleep(0.05)


def test_every_document_arrives_once_with_the_servers_matching_receipt(tmp_path, collector):
    data = kiosk_with_documents(tmp_path, collector, 3)
    worker = in_process_worker(data, collector.files_url)
    drain(worker)
    jobs = worker.outbox.jobs()
    assert [j.state for j in jobs] == ["sent"] * 3
    for job in jobs:
        assert job.receipt_sha256 == job.bundle_sha256
        assert job.receipt_source == "tus"
        assert job.attempts == 1
    rows = collector_documents(collector.data_dir)
    assert sorted(r["key"] for r in rows) == sorted(j.key for j in jobs)
    assert {r["sha12"] for r in rows} == {j.bundle_sha256[:12] for j in jobs}
    # The receipt came with the last chunk's answer; nothing had to ask for it.
    assert "GET /receipts/" not in collector.log()
    kinds = [r["kind"] for r in worker.audit.rows()]
    assert kinds.count("upload_sent") == 3
    # The document files stay on the kiosk after the upload.
    assert all((j.folder / "document.pdf").exists() for j in jobs)


def test_the_upload_carries_the_audit_head_of_when_it_was_sent(tmp_path, collector):
    """The collector learns the kiosk's history up to the upload, not only up to the signing."""
    from kiosk.audit import Event
    from kiosk.collector import store

    data = kiosk_with_documents(tmp_path, collector, 1)
    worker = in_process_worker(data, collector.files_url)
    assert worker.audit is not None
    for _ in range(3):  # what happened at the TPS after the document was signed
        worker.audit.record(Event.SELFTEST, ok=True)
    head = worker.audit.head()
    assert head is not None
    drain(worker)
    assert [j.state for j in worker.outbox.jobs()] == ["sent"]
    conn = store.connect(collector.data_dir / "collector.sqlite3")
    try:
        (latest,) = store.latest_audit_heads(conn)
    finally:
        conn.close()
    assert (latest.count, latest.hash) == (head.count, head.hash)


def test_every_chunk_is_a_heartbeat_for_the_watchdog(tmp_path, collector):
    data = kiosk_with_documents(tmp_path, collector, 1, page_px=700)  # about 500 KB
    worker = in_process_worker(data, collector.files_url, chunk=64 * 1024)
    beats = []
    worker.heartbeat = lambda: beats.append(time.monotonic())
    worker.step()  # one queue step: this document's whole upload
    (job,) = worker.outbox.jobs()
    assert job.state == "sent"
    chunks = -(-job.bundle_size // (64 * 1024))
    assert chunks >= 7
    assert len(beats) >= chunks  # a beat per chunk, not only one per document


def test_an_interrupted_upload_resumes_at_the_servers_offset(tmp_path, collector):
    data = kiosk_with_documents(tmp_path, collector, 1, page_px=700)  # about 500 KB
    worker = in_process_worker(data, collector.files_url, chunk=64 * 1024)
    job = worker.outbox.start(worker.outbox.jobs()[0])
    bundle = worker.outbox.ensure_bundle(job)

    class PowerCut(Exception):
        pass

    def cut_after_two_chunks(url: str, offset: int) -> None:
        worker.outbox.progress(job.id, url, offset)
        if offset >= 2 * 64 * 1024:
            raise PowerCut

    from kiosk.upload.adapter import UploadItem
    from kiosk.upload.bundle import upload_metadata

    item = UploadItem(
        job.key,
        bundle.path,
        bundle.size,
        bundle.sha256,
        upload_metadata(bundle, (job.folder / "manifest.json").read_bytes()),
        "",
        0,
    )
    with pytest.raises(PowerCut):
        worker.uploader.send(item, cut_after_two_chunks)
    worker.outbox.requeue_interrupted()  # what a restarted worker does first
    cut = worker.outbox.job(job.id)
    assert cut.upload_url and cut.offset == 2 * 64 * 1024
    drain(worker)
    done = worker.outbox.job(job.id)
    assert done.state == "sent" and done.upload_url == cut.upload_url
    uploads = tus_uploads(collector.data_dir)
    assert len(uploads) == 1, "the upload was resumed, not made again"


def test_network_down_then_back_resumes_within_seconds_by_itself(tmp_path, collector_factory):
    """The backoff is ten minutes; only the probe can explain the job going out earlier."""
    collector = collector_factory(start=False)
    data = kiosk_with_documents(tmp_path, collector, 2)
    worker = WorkerProcess(
        data, upload_backoff_base_s="600", upload_backoff_cap_s="600", upload_probe_s="1"
    )
    worker.start()
    db = Database(data / "kiosk.sqlite3")
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            rows = db.read("SELECT error_code FROM upload_job WHERE attempts > 0")
            if len(rows) == 2 and all(r["error_code"] == "network" for r in rows):
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"jobs never waited for the network: {worker.log.read_text()[-3000:]}")
        uplink = db.read("SELECT online FROM uplink")
        assert uplink and uplink[0]["online"] == 0
        collector.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if len(db.read("SELECT id FROM upload_job WHERE state = 'sent'")) == 2:
                break
            time.sleep(0.2)
        else:
            pytest.fail(
                f"not resumed after the network came back: {worker.log.read_text()[-3000:]}"
            )
        assert db.read("SELECT online FROM uplink")[0]["online"] == 1
        assert len(collector_documents(collector.data_dir)) == 2
        assert worker.stop() == 0
    finally:
        worker.kill()
        collector.kill()
        db.close()


def test_a_refused_document_waits_for_a_person_and_stays_on_the_kiosk(tmp_path, collector):
    data = tmp_path / "kiosk"
    signed_documents(data, 1, endpoint=collector.files_url)  # its key is not registered
    worker = in_process_worker(data, collector.files_url)
    drain(worker, limit_s=10)
    job = worker.outbox.jobs()[0]
    assert job.state == "failed" and job.error_code == "rejected"
    assert "regist" in job.error_detail or "device" in job.error_detail
    assert worker.outbox.next_due() is None  # it is not retried by itself
    assert collector_documents(collector.data_dir) == []
    register(collector, data)
    assert worker.outbox.retry_now() == 1  # "Coba sekarang" after the technician fixed it
    drain(worker)
    assert worker.outbox.job(job.id).state == "sent"


def test_documents_delivered_by_usb_are_not_uploaded_again(tmp_path, collector, mount_tmpfs):
    data = kiosk_with_documents(tmp_path, collector, 2)
    worker = in_process_worker(data, collector.files_url)
    drive = mount_tmpfs(tmp_path / "media" / "USB1", "8m")
    done = export_bundles(worker.outbox, ensure_key(data), TPS, drive, worker.outbox.clock, "kpps1")
    assert done.bundles == 2
    imported = run_collector_cli("import", "--data", str(collector.data_dir), str(done.folder))
    assert imported.returncode == 0, imported.stdout + imported.stderr
    drain(worker)
    assert {j.receipt_source for j in worker.outbox.jobs()} == {"usb"}
    assert tus_uploads(collector.data_dir) == []
    assert len(collector_documents(collector.data_dir)) == 2


def test_usb_export_to_a_full_drive_says_so_and_keeps_everything(tmp_path, mount_tmpfs):
    data = tmp_path / "kiosk"
    signed_documents(data, 2, page_px=700)
    db = Database(data / "kiosk.sqlite3")
    outbox = Outbox(db, OffsetClock(SystemClock()), data)
    drive = mount_tmpfs(tmp_path / "media" / "USB1", "300k")
    from kiosk.refusals import Refused
    from kiosk.upload.refusals import ExportCode
    from kiosk.upload.usb_export import usb_drives

    assert usb_drives(tmp_path / "media") == [drive]
    with pytest.raises(Refused) as failed:
        export_bundles(outbox, ensure_key(data), TPS, drive, outbox.clock, "kpps1")
    assert failed.value.code is ExportCode.DRIVE_FULL
    assert outbox.counts().unsent == 2
    assert outbox.last_export() is None
    db.close()


def fill(path: Path, leave: int = 0) -> None:
    """Fill the filesystem of ``path`` (a new file), then give ``leave`` bytes back."""
    with path.open("wb") as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError:
            pass
        fh.truncate(max(0, fh.tell() - leave))


def test_disk_full_in_the_data_directory_is_explained_and_the_queue_survives(
    tmp_path, collector, mount_tmpfs
):
    data = mount_tmpfs(tmp_path / "kiosk", "8m")  # archival pages ~1.3 MB each, then filled
    signed_documents(data, 2, endpoint=collector.files_url, page_px=600)  # bundles ~360 KB
    register(collector, data)
    worker = in_process_worker(data, collector.files_url)

    fill(data / "filler", leave=160 * 1024)  # room for the database, not for a bundle
    worker.step()
    job = worker.outbox.jobs()[0]
    assert (job.state, job.error_code) == ("pending", "disk_full")
    assert "No space" in job.error_detail

    fill(data / "filler2")  # now not even the database can grow
    stop = threading.Event()
    threading.Timer(1.0, stop.set).start()
    worker.run(stop)  # must neither crash nor lose anything
    (data / "filler").unlink()
    (data / "filler2").unlink()

    db = Database(data / "kiosk.sqlite3")
    assert db.read("PRAGMA integrity_check")[0][0] == "ok"
    jobs = Outbox(db, OffsetClock(SystemClock()), data).jobs()
    assert len(jobs) == 2 and all(j.state == "pending" for j in jobs)
    assert all((j.folder / "document.pdf").exists() for j in jobs)
    worker.outbox.retry_now()
    drain(worker)
    assert [j.state for j in worker.outbox.jobs()] == ["sent", "sent"]
    db.close()


def test_the_worker_takes_up_the_zone_of_a_tps_provisioned_while_it_runs(tmp_path):
    data = tmp_path / "kiosk"
    signed_documents(data, 1)  # the sample TPS in East Kalimantan: WITA
    core = open_core(Settings.from_values(data_dir=data, hardware="fake"))
    try:
        follow = clock_follower(core)
        assert core.clock.now().tzname() == "WITA"
        follow()
        assert core.clock.now().tzname() == "WITA"
        # The technician installs the profile of a TPS in Jakarta while the worker runs.
        jakarta = profile_text().replace('"6474010001005"', '"3171010001005"')
        provision(core.db, core.audit, data, jakarta, by="test")
        follow()
        assert core.clock.now().tzname() == "WIB"
        core.audit.record(Event.UPLOAD_RETRY, officer="teknisi-cli", jobs=0)
        assert core.audit.rows(1)[0]["wall"].endswith("+07:00")
    finally:
        core.close()
