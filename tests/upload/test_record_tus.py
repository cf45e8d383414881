# ruff: noqa: F811  (the kiosk fixture shares its name with the package)
"""Result records to a server that speaks only tus (``upload_receipt = "tus_completion"``):
each record travels as its own small tus upload through the documents' tus client, its
metadata naming it a result record, ahead of any document; the completed upload is its
receipt. Against real tus servers (tuspyserver and @tus/server, tests/stacks/tus_servers.py),
across kill -9 of the worker process: every record is held once, complete."""

from __future__ import annotations

import json

import pytest

from kiosk.clock import OffsetClock, SystemClock
from kiosk.db import Database
from kiosk.settings import Settings
from kiosk.upload.outbox import Outbox
from kiosk.upload.record_sender import RecordQueue, RecordTus
from kiosk.upload.tus import TusUploader
from kiosk.upload.worker import Backoff, Worker
from tests.kiosk.conftest import kiosk  # noqa: F401  (shared fixture)
from tests.stacks.tus_servers import TusServer, run_tus_server, tus_server  # noqa: F401
from tests.upload.records import (
    SlowProxy,
    confirm,
    drain_all,
    ketua,
    kill_while_confirming,
    kiosk_records,
)

KILLS = 12


@pytest.fixture
def settings(tmp_path):
    # A plain tus server says nothing about training: only a production kiosk may send to it.
    return Settings.from_values(data_dir=tmp_path / "data", hardware="fake", training=False)


def tus_worker(data, endpoint: str) -> Worker:
    db = Database(data / "kiosk.sqlite3")
    outbox = Outbox(db, OffsetClock(SystemClock()), data)
    uploader = TusUploader(endpoint, timeout_s=10, receipt_mode="tus_completion")
    return Worker(
        outbox,
        uploader,
        Backoff(base_s=0.1, cap_s=0.5, floor_s=0.05),
        records=RecordQueue(outbox, RecordTus(uploader)),
    )


def held(server: TusServer, data: bytes) -> int:
    return server.complete_copies(data)


def descriptions(server: TusServer) -> list[str]:
    """The servers' upload metadata files (tuspyserver: .info, @tus/server: .json)."""
    return [p.read_text() for p in server.storage.rglob("*") if p.suffix in (".info", ".json")]


def test_records_go_as_tus_uploads_ahead_of_the_document(kiosk, tus_server):
    data = kiosk.core.data_dir
    s, login = kiosk.services, ketua(kiosk)
    key = confirm(kiosk, "PPWP")
    assert s.documents.scan("PPWP", login, feeder=True).accepted == 2
    s.documents.finish("PPWP", login)
    key_dpd = confirm(kiosk, "DPD")
    worker = tus_worker(data, tus_server.endpoint)
    order = []
    send, put = worker.send, worker.records.poster.put

    def send_document(job):
        order.append(("document", job.ballot))
        send(job)

    def put_record(record, path, progress):
        order.append(("record", record.ballot))
        return put(record, path, progress)

    worker.send, worker.records.poster.put = send_document, put_record
    drain_all(worker)
    assert order == [("record", "PPWP"), ("record", "DPD"), ("document", "PPWP")]
    rows = {r["key"]: r for r in kiosk_records(data)}
    assert set(rows) == {key, key_dpd}
    for row in rows.values():
        assert (row["state"], row["error_code"]) == ("sent", ""), dict(row)
        assert row["receipt_sha256"] == row["key"]  # our hash: the server gives none
        assert row["receipt_id"] == row["upload_url"]
        assert row["receipt_id"].startswith(tus_server.endpoint)
        assert held(tus_server, row["data"]) == 1
    (job,) = worker.outbox.jobs()
    assert job.state == "sent" and job.receipt_source == "tus_completion"
    # The upload names what it is: a result record, its key and ballot.
    described = descriptions(tus_server)
    assert any(key in text and "result_record" in text for text in described), described
    if tus_server.name == "tuspyserver":
        infos = [json.loads(t) for t in described]
        meta = next(i["metadata"] for i in infos if i["metadata"].get("key") == key_dpd)
        assert (meta["kind"], meta["ballot"], meta["seq"]) == ("result_record", "DPD", "1")
        assert meta["sha256"] == key_dpd and meta["training"] == "0"


def test_an_upload_cut_after_its_creation_is_resumed_not_made_again(kiosk, tmp_path):
    """The worker dies right after the server gave the upload URL (stored at once): the next
    attempt asks the server's offset and completes that upload; no second upload is made."""
    data = kiosk.core.data_dir
    key = confirm(kiosk, "PPWP")
    with run_tus_server("tuspyserver", tmp_path) as server:
        proxy = SlowProxy(server.port, delay_s=0.0)
        try:
            first = tus_worker(data, proxy.url())
            store = first.records.outbox.record_upload

            def store_then_die(record_id: int, url: str) -> None:
                store(record_id, url)
                raise KeyboardInterrupt  # as a kill: nothing after this runs

            first.records.outbox.record_upload = store_then_die
            with pytest.raises(KeyboardInterrupt):
                first.step()
            (row,) = kiosk_records(data)
            assert row["state"] == "sending" and row["upload_url"]
            again = tus_worker(data, proxy.url())
            again.records.requeue()  # what a restarted worker does first
            drain_all(again)
            (row,) = kiosk_records(data)
            assert (row["state"], row["receipt_sha256"]) == ("sent", key)
            assert proxy.methods["POST"] == 1, proxy.methods
            assert proxy.methods["PATCH"] == 1, proxy.methods
            assert held(server, row["data"]) == 1
        finally:
            proxy.close()


@pytest.mark.timeout(600)
def test_records_are_held_once_across_sigkills_of_the_worker(kiosk, tus_server):
    data = kiosk.core.data_dir
    kills_while_sending, proxy = kill_while_confirming(
        kiosk, tus_server.port, KILLS, 0.6, training="0", upload_receipt="tus_completion"
    )
    rows = kiosk_records(data)
    assert all(r["state"] == "sent" for r in rows), [dict(r) for r in rows]
    print(
        f"{tus_server.name}: kills {KILLS}, while sending {kills_while_sending}, "
        f"records {len(rows)}, requests {dict(proxy.methods)}"
    )
    assert len(rows) == 3 + 2 * KILLS
    for row in rows:
        assert row["receipt_sha256"] == row["key"] and row["receipt_id"] == row["upload_url"]
        assert held(tus_server, row["data"]) == 1, f"{row['ballot']} #{row['seq']}"
    assert kills_while_sending >= KILLS // 4, "kills must land mid-request"
    # A kill between the server's answer to a creation and the URL's commit can leave an
    # empty upload behind (tus cannot help that); a record's bytes never go twice whole.
    assert proxy.methods["POST"] >= len(rows)
    assert proxy.methods["PATCH"] == len(rows), "a record's bytes went twice"
