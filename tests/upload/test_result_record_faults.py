"""A result record is at the collector exactly once, with the kiosk's hash and its own receipt,
across kill -9 of the worker and of the collector: while the Ketua keeps correcting and
confirming (each confirmation a new record that supersedes the last), the worker process is
SIGKILLed at random moments, and in the other test the collector is.

Answers are held back by a slow proxy, so kills land in the middle of a request: the record
is then sent again, and the collector keeps it once (``PUT /records/<key>`` is idempotent).
"""

# ruff: noqa: F811  (the kiosk fixture shares its name with the package)
from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections import defaultdict
from pathlib import Path

import pytest

from tests.kiosk.conftest import kiosk, settings  # noqa: F401  (shared fixtures)
from tests.stacks.collector import CollectorProcess
from tests.upload.records import (
    Ketua,
    SlowProxy,
    collector_records,
    kill_while_confirming,
    kiosk_records,
    record_worker,
    register,
    sending,
    unsent,
)

WORKER_KILLS = 40
COLLECTOR_KILLS = 20


def check_exactly_once(data: Path, collector: CollectorProcess) -> None:
    for db in (data / "kiosk.sqlite3", collector.data_dir / "collector.sqlite3"):
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    mine = kiosk_records(data)
    problems = [f"{r['ballot']} #{r['seq']}: {r['state']} {r['error_code']}" for r in mine]
    assert all(r["state"] == "sent" for r in mine), problems
    assert all(r["receipt_sha256"] == r["key"] for r in mine), "a receipt is not our hash"
    theirs = collector_records(collector.data_dir)
    assert sorted(r["key"] for r in theirs) == sorted(r["key"] for r in mine), "lost or extra"
    assert len(theirs) == len(mine)
    newest: dict[str, sqlite3.Row] = {}
    for r in mine:  # oldest first: the last of a ballot is its current record
        newest[r["ballot"]] = r
    by_ballot: dict[str, list[sqlite3.Row]] = defaultdict(list)
    for r in theirs:
        by_ballot[r["ballot"]].append(r)
    for ballot, rows in by_ballot.items():
        current = newest[ballot]["key"]
        assert {r["key"]: r["superseded_by"] for r in rows} == {
            r["key"]: ("" if r["key"] == current else current) for r in rows
        }, f"{ballot}: the newest confirmation must be the current record"


@pytest.mark.timeout(600)
def test_records_arrive_once_across_sigkills_of_the_worker(kiosk, collector_factory):
    collector = collector_factory(accept_training=True)
    data = kiosk.core.data_dir
    register(collector, data)
    kills_while_sending, proxy = kill_while_confirming(
        kiosk, collector.port, WORKER_KILLS, 0.5, training="1"
    )
    records = len(kiosk_records(data))
    print(
        f"worker kills: {WORKER_KILLS}, while sending a record: {kills_while_sending}, "
        f"records: {records}, PUTs: {proxy.puts}"
    )
    check_exactly_once(data, collector)
    assert kills_while_sending >= WORKER_KILLS // 4, "kills must land mid-request"
    assert proxy.puts > records, "some records were sent again (and kept once)"


@pytest.mark.timeout(600)
def test_records_arrive_once_across_sigkills_of_the_collector(kiosk, collector_factory):
    collector = collector_factory(accept_training=True)
    data = kiosk.core.data_dir
    register(collector, data)
    proxy = SlowProxy(collector.port, delay_s=0.1)
    worker = record_worker(data, proxy.url())
    stop = threading.Event()
    runner = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    ketua, rng, kills_while_sending = Ketua(kiosk), random.Random(23), 0
    runner.start()
    try:
        for _ in range(COLLECTOR_KILLS):
            ketua.round()
            time.sleep(rng.uniform(0.05, 0.4))
            kills_while_sending += sending(data)
            collector.kill()
            time.sleep(rng.uniform(0.0, 0.3))
            collector.start()
        deadline = time.monotonic() + 90
        while unsent(data) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        stop.set()
        runner.join(timeout=30)
        proxy.close()
    records = len(kiosk_records(data))
    print(
        f"collector kills: {COLLECTOR_KILLS}, while sending a record: {kills_while_sending}, "
        f"records: {records}, PUTs: {proxy.puts}"
    )
    check_exactly_once(data, collector)
    assert kills_while_sending >= 1, "a kill must land mid-request"
