# ruff: noqa: F811  (the kiosk fixture shares its name with the package)
"""``tps-kiosk db restore`` and result records: each record's signed bytes are a durable file in
the data folder, written before its row; when the database is lost and rebuilt (or restored
from a backup older than the records), a record never sent is queued again and goes once, a
sent one stays sent, and the collector holds each once."""

from __future__ import annotations

import base64
import hashlib
import json
import os

import pytest

from kiosk.backup import BACKUP_FILE, backup
from kiosk.devicekey import canonical, load_key
from kiosk.upload.record_files import RECORD_DIR
from kiosk.upload.record_outbox import restore_records
from tests.kiosk.commands import tps_kiosk
from tests.kiosk.conftest import kiosk, settings  # noqa: F401  (shared fixtures)
from tests.upload.records import (
    SlowProxy,
    collector_records,
    confirm,
    correct_and_confirm,
    drain_all,
    kiosk_records,
    record_worker,
    register,
)


def lose_the_database(data, keep_backup: bool) -> None:
    for suffix in ("", "-wal", "-shm") + (() if keep_backup else (".bak",)):
        path = data / f"kiosk.sqlite3{suffix}"
        if path.exists():
            os.unlink(path)


@pytest.mark.parametrize("how", ["rebuilt", "backup"])
def test_an_unsent_record_goes_once_after_the_database_is_lost(kiosk, collector_factory, how):
    collector = collector_factory(accept_training=True)
    data = kiosk.core.data_dir
    register(collector, data)
    proxy = SlowProxy(collector.port, delay_s=0.0)
    try:
        sent_key = confirm(kiosk, "PPWP")
        drain_all(record_worker(data, proxy.url()))  # PPWP's numbers reach the collector
        assert proxy.puts == 1
        unsent_key = confirm(kiosk, "DPD")  # then the disk loses the database
        record_file = data / RECORD_DIR / f"{unsent_key}.json"
        assert record_file.read_bytes() == kiosk_records(data)[1]["data"]
        assert (data / BACKUP_FILE).exists()  # made at start: older than both records
        lose_the_database(data, keep_backup=how == "backup")

        done = tps_kiosk(data, "db", "restore")
        assert done.returncode == 0, done.stderr
        assert "1 hasil angka diantrekan lagi, 1 sudah diterima server" in done.stdout
        rows = {r["key"]: r for r in kiosk_records(data)}
        assert {k: r["state"] for k, r in rows.items()} == {
            sent_key: "sent",
            unsent_key: "pending",
        }
        assert rows[sent_key]["receipt_sha256"] == sent_key

        drain_all(record_worker(data, proxy.url()))
        assert proxy.puts == 2, "only the record never sent went again"
    finally:
        proxy.close()
    rows = {r["key"]: r for r in kiosk_records(data)}
    assert all(r["state"] == "sent" and r["receipt_sha256"] == k for k, r in rows.items())
    theirs = collector_records(collector.data_dir)
    assert sorted(r["key"] for r in theirs) == sorted([sent_key, unsent_key])


def test_a_record_file_not_signed_by_this_kiosk_is_refused(kiosk):
    data = kiosk.core.data_dir
    key = confirm(kiosk, "PPWP")
    genuine = (data / RECORD_DIR / f"{key}.json").read_bytes()
    envelope = json.loads(genuine)
    envelope["r"]["n"][-1] += 1  # a number changed after signing, the file renamed to match
    forged = canonical(envelope)
    forged_key = hashlib.sha256(forged).hexdigest()
    (data / RECORD_DIR / f"{forged_key}.json").write_bytes(forged)
    lose_the_database(data, keep_backup=False)
    done = tps_kiosk(data, "db", "restore")
    assert done.returncode == 1
    assert forged_key in done.stderr and "bukan hasil angka bertanda tangan" in done.stderr
    assert [r["key"] for r in kiosk_records(data)] == [key]


def test_an_intact_database_gets_no_record_from_a_stray_file(kiosk):
    """A record file without its row on an intact database is a confirmation whose
    transaction failed: restore leaves it alone."""
    data = kiosk.core.data_dir
    key = confirm(kiosk, "PPWP")
    with kiosk.core.db.write() as conn:
        conn.execute("UPDATE result_record SET state = 'sent'")  # as if received
        conn.execute("DELETE FROM result_record")
    assert (data / RECORD_DIR / f"{key}.json").exists()
    done = tps_kiosk(data, "db", "restore")
    assert done.returncode == 0, done.stderr
    assert kiosk_records(data) == []
    assert restore_records(kiosk.core.db, data).requeued == 1  # what a lost database gets


def test_of_two_files_for_one_ballot_and_sequence_the_newer_is_queued(kiosk):
    """A confirmation whose transaction failed after its record file was written, then the
    Ketua's retry: the same ballot and sequence, signed twice. A lost database gets the newer
    one, the records in the order they were confirmed."""
    data = kiosk.core.data_dir
    first = confirm(kiosk, "PPWP")
    second = correct_and_confirm(kiosk, "PPWP", 2)
    envelope = json.loads((data / RECORD_DIR / f"{second}.json").read_bytes())
    fields = dict(envelope["r"], at="2024-02-14T13:00:00+08:00")  # before the retry
    device = load_key(data)
    failed = canonical(
        {
            "r": fields,
            "s": base64.b64encode(device.sign(canonical(fields))).decode(),
            "k": envelope["k"],
        }
    )
    (data / RECORD_DIR / f"{hashlib.sha256(failed).hexdigest()}.json").write_bytes(failed)
    lose_the_database(data, keep_backup=False)
    done = tps_kiosk(data, "db", "restore")
    assert done.returncode == 0, done.stderr
    assert "2 hasil angka diantrekan lagi" in done.stdout
    assert [(r["seq"], r["key"]) for r in kiosk_records(data)] == [(1, first), (2, second)]


def test_a_backup_older_than_a_receipt_keeps_the_record_sent(kiosk, collector_factory):
    """The backup holds the record still waiting; its receipt came after. Restored from that
    backup, the record is sent (its receipt file says so) and goes nowhere again."""
    collector = collector_factory(accept_training=True)
    data = kiosk.core.data_dir
    register(collector, data)
    key = confirm(kiosk, "PPWP")
    backup(kiosk.core.db, data)  # the record is pending in it
    proxy = SlowProxy(collector.port, delay_s=0.0)
    try:
        drain_all(record_worker(data, proxy.url()))
        lose_the_database(data, keep_backup=True)
        done = tps_kiosk(data, "db", "restore")
        assert done.returncode == 0, done.stderr
        assert "cadangan" in done.stdout and "0 hasil angka diantrekan lagi, 1 sudah" in done.stdout
        (row,) = kiosk_records(data)
        assert (row["key"], row["state"], row["receipt_sha256"]) == (key, "sent", key)
        drain_all(record_worker(data, proxy.url()))
        assert proxy.puts == 1
    finally:
        proxy.close()
    assert [r["key"] for r in collector_records(collector.data_dir)] == [key]
