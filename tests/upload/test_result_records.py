# ruff: noqa: F811  (the kiosk fixture shares its name with the package)
"""The numbers go first: the Ketua's confirmation signs a result record of at most 2 KB, queued
in the same transaction, sent before any document with its own receipt, stored and listed by
the collector at once and linked to its document when that arrives."""

from __future__ import annotations

import hashlib
import json
import sqlite3

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.chasil.checks import Sheet
from kiosk.chasil.result_record import MAX_RECORD_BYTES, Confirmed, sign_record
from kiosk.collector.records import box_names, check_record, numbers
from kiosk.upload.bundle import BundleInvalid
from kiosk.upload.record_sender import RecordsBusy
from tests.kiosk.conftest import kiosk, settings  # noqa: F401  (shared fixtures)
from tests.kiosk.conftest import login as tlogin
from tests.stacks.collector import run_collector_cli
from tests.upload.records import (
    BALLOTS,
    SHEETS,
    collector_records,
    confirm,
    correct_and_confirm,
    drain_all,
    ketua,
    kiosk_records,
    record_worker,
    register,
)

LONG_NOTE = "Satu surat suara robek saat dibuka; saksi paslon 02 minta dicatat. " * 12


def _data(kiosk):
    return kiosk.core.data_dir


def test_each_sample_ballots_record_is_at_most_2_kb(kiosk):
    sizes = {}
    for ballot in BALLOTS:
        confirm(kiosk, ballot, note=LONG_NOTE if ballot == "DPR" else "")
    for row in kiosk_records(_data(kiosk)):
        sizes[row["ballot"]] = len(row["data"])
        fields = json.loads(row["data"])["r"]
        assert numbers(fields) == SHEETS[row["ballot"]], "every number, in its box"
    print("record bytes:", sizes)
    assert set(sizes) == set(BALLOTS)
    assert max(sizes.values()) <= MAX_RECORD_BYTES


def test_the_largest_real_ballot_fits_and_a_long_note_is_cut_not_the_numbers():
    """A DPRD sheet of 18 parties of 12 candidates, every count three digits, and a note of
    2,000 characters: still 2 KB, every number kept, the note marked as cut."""
    parties = (12,) * 18
    sheet = Sheet("DPRD_KAB", {}, parties=parties)
    boxes = {box: 900 + i % 99 for i, box in enumerate(sheet.all_boxes())}
    sheet = Sheet("DPRD_KAB", boxes, parties=parties)
    confirmed = Confirmed(
        "6474010001005",
        sheet,
        [10, 12, 15],
        "x" * 2000,
        "kpps1",
        "Siti Aminah",
        "ketua",
        "2024-02-14T19:05:00+08:00",
        "WITA",
        False,
    )
    signed = sign_record(confirmed, 1, "", Ed25519PrivateKey.generate())
    fields, _public = check_record(signed.key, signed.data, accept_training=False)
    print("DPRD 18x12 record bytes:", signed.size)
    assert signed.size <= MAX_RECORD_BYTES
    assert numbers(fields) == boxes and fields["nt"] == 1 and fields["note"].startswith("xxx")


def test_the_collector_reads_the_boxes_in_the_kiosks_order():
    for shape in ({"c": 3}, {"p": [2, 3]}, {"p": [0, 12, 1]}):
        sheet = Sheet("X", {}, candidates=shape.get("c", 0), parties=shape.get("p", ()))
        assert box_names(shape) == sheet.all_boxes()


def test_the_confirmation_names_its_record_and_a_correction_supersedes_it(kiosk):
    first = confirm(kiosk, "PPWP")
    second = correct_and_confirm(kiosk, "PPWP", 2)
    rows = kiosk_records(_data(kiosk))
    assert [(r["ballot"], r["seq"], r["key"]) for r in rows] == [
        ("PPWP", 1, first),
        ("PPWP", 2, second),
    ]
    fields = json.loads(rows[1]["data"])["r"]
    assert fields["prev"] == first and fields["by"]["id"] == "kpps1" and fields["tr"] is True
    assert fields["z"] == "WITA" and fields["at"].endswith("+08:00")
    confirmed = kiosk.services.chasil.confirmed("PPWP")
    assert confirmed.as_manifest()["record"] == second  # the document will name it


def test_a_refused_confirmation_queues_no_record(kiosk):
    chasil, login = kiosk.services.chasil, ketua(kiosk)
    chasil.save_entry("PPWP", 1, {**SHEETS["PPWP"], "SS2": 1}, login)
    with pytest.raises(Exception):  # noqa: B017 - the refusal itself is tested elsewhere
        chasil.confirm("PPWP", login, "")
    assert kiosk_records(_data(kiosk)) == []


def test_an_unsent_record_cannot_be_deleted(kiosk):
    confirm(kiosk, "PPWP")
    with sqlite3.connect(_data(kiosk) / "kiosk.sqlite3") as conn:
        conn.execute("UPDATE result_record SET training = 0")
        with pytest.raises(sqlite3.IntegrityError, match="kept until"):
            conn.execute("DELETE FROM result_record")


def test_the_collector_refuses_a_forged_or_reshaped_record(kiosk):
    key = confirm(kiosk, "PPWP")
    data = kiosk_records(_data(kiosk))[0]["data"]
    check_record(key, data, accept_training=True)
    envelope = json.loads(data)
    envelope["r"]["n"][-1] += 1  # one number changed after signing
    forged = json.dumps(envelope, sort_keys=True, separators=(",", ":")).encode()
    with pytest.raises(BundleInvalid) as refused:
        check_record(hashlib.sha256(forged).hexdigest(), forged, accept_training=True)
    assert refused.value.reason == "signature"
    with pytest.raises(BundleInvalid) as refused:
        check_record(key, data, accept_training=False)
    assert refused.value.reason == "training"
    spaced = json.dumps(json.loads(data), indent=1).encode()
    with pytest.raises(BundleInvalid) as refused:
        check_record(hashlib.sha256(spaced).hexdigest(), spaced, accept_training=True)
    assert refused.value.reason == "record"


def test_records_go_before_documents_and_the_document_links_to_its_record(kiosk, collector_factory):
    collector = collector_factory(accept_training=True)
    data = _data(kiosk)
    register(collector, data)
    s, login = kiosk.services, ketua(kiosk)
    key = confirm(kiosk, "PPWP")
    assert s.documents.scan("PPWP", login, feeder=True).accepted == 2
    doc = s.documents.finish("PPWP", login)
    key_dpd = confirm(kiosk, "DPD")  # confirmed after the PPWP document was signed
    worker = record_worker(data, collector.files_url)
    sent_order = []
    original = worker.send

    def send(job):
        sent_order.append(("document", job.ballot))
        original(job)

    worker.send = send
    put = worker.records.poster.put

    def put_record(record):
        sent_order.append(("record", record.ballot))
        return put(record)

    worker.records.poster.put = put_record
    drain_all(worker)
    assert sent_order == [("record", "PPWP"), ("record", "DPD"), ("document", "PPWP")]
    rows = {r["key"]: r for r in kiosk_records(data)}
    assert {k: (r["state"], r["receipt_sha256"]) for k, r in rows.items()} == {
        key: ("sent", key),
        key_dpd: ("sent", key_dpd),
    }
    stored = {r["key"]: r for r in collector_records(collector.data_dir)}
    assert set(stored) == {key, key_dpd}
    manifest = json.loads(doc.manifest.read_text())["manifest"]
    assert stored[key]["document_key"] and manifest["confirmed"]["record"] == key
    assert stored[key_dpd]["document_key"] == ""
    listing = requests.get(collector.url + "/", timeout=5).text
    assert "hasil diterima, pindaian menyusul" in listing  # DPD: numbers only
    health = requests.get(collector.url + "/health", timeout=5).json()
    assert (health["records"], health["records_without_scan"]) == (2, 1)
    listed = run_collector_cli("records", "--data", str(collector.data_dir)).stdout
    assert [line.split("  ")[1].strip() for line in listed.splitlines()] == ["DPD", "PPWP"]
    assert "DPD" in listed.splitlines()[0] and "pindaian menyusul" in listed.splitlines()[0]
    assert "hasil dan pindaian diterima" in listed.splitlines()[1]
    again = requests.put(
        f"{collector.url}/records/{key}", data=rows[key]["data"], timeout=5
    )  # idempotent: the same receipt, nothing stored twice
    assert again.status_code == 200 and again.json()["sha256"] == key
    assert len(collector_records(collector.data_dir)) == 2


def test_an_unregistered_device_is_refused_and_the_record_waits_for_a_person(
    kiosk, collector_factory
):
    collector = collector_factory(accept_training=True)  # no trust on first use
    confirm(kiosk, "PPWP")
    worker = record_worker(_data(kiosk), collector.files_url)
    drain_all(worker)
    (row,) = kiosk_records(_data(kiosk))
    assert (row["state"], row["error_code"]) == ("failed", "rejected")
    assert "device_unregistered" in row["error_detail"]
    assert collector_records(collector.data_dir) == []


def test_a_busy_collector_is_waited_for_as_long_as_it_says(kiosk, collector_factory):
    confirm(kiosk, "PPWP")
    worker = record_worker(_data(kiosk), "http://127.0.0.1:9/files/")

    def busy(record):
        raise RecordsBusy("records: HTTP 503", 120.0)

    worker.records.poster.put = busy
    worker.step()
    (row,) = kiosk_records(_data(kiosk))
    waits = row["next_attempt"] - worker.outbox._now()
    assert row["state"] == "pending" and row["error_code"] == "server_busy"
    assert 115 < waits <= 121


def test_the_queue_screen_shows_the_numbers_and_the_scan_per_ballot(kiosk, client):
    confirm(kiosk, "PPWP")
    confirm(kiosk, "DPR")
    s, login = kiosk.services, ketua(kiosk)
    assert s.documents.scan("PPWP", login, feeder=True).accepted == 2
    s.documents.finish("PPWP", login)
    with sqlite3.connect(_data(kiosk) / "kiosk.sqlite3") as conn:  # as the worker records it
        conn.execute("UPDATE result_record SET state = 'sent' WHERE ballot = 'PPWP'")
    tlogin(client, "kpps1")
    html = client.get("/antrian").get_data(as_text=True)
    assert 'data-unsent="1">1 dokumen belum diterima server.' in html  # as before
    assert "Hasil angka dari 1 konfirmasi belum diterima server." in html
    # DPR: numbers waiting, no document yet; PPWP: numbers received, document waiting.
    assert 'data-record-only data-ballot="DPR" data-record-state="pending"' in html
    dpr = html.split('data-ballot="DPR"')[1].split("</tr>")[0]
    assert "angka menunggu" in dpr and "pindaian menyusul" in dpr
    ppwp = html.split('data-state="pending"')[1].split("</tr>")[0]
    assert 'data-record-state="sent"' in ppwp and "angka diterima" in ppwp
    assert "menunggu" in ppwp.split("angka diterima")[1]
