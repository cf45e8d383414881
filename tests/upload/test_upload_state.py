"""One set of state changes for both of the queue's tables (kiosk.upload.upload_state): a
document's job and a result record go ``pending → sending → sent | failed`` the same way,
keep the same error detail, and come back the same way after a dead worker or "Coba sekarang"."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3

import pytest

from kiosk.clock import ManualClock, OffsetClock
from kiosk.db import Database
from kiosk.upload.outbox import Outbox, Receipt
from kiosk.upload.record_outbox import RecordOutbox, enqueue_record
from kiosk.upload.refusals import UploadProblem
from kiosk.upload.upload_state import DETAIL_CHARS
from tests.upload.docs import signed_documents

WITA = dt.timezone(dt.timedelta(hours=8))
LONG = "the collector said: " + "x" * 2000


@pytest.fixture
def outbox(tmp_path):
    signed_documents(tmp_path, 1)
    db = Database(tmp_path / "kiosk.sqlite3")
    clock = OffsetClock(ManualClock(dt.datetime(2024, 2, 14, 15, 0, tzinfo=WITA)))
    data = b'{"r":{"tps":"6474010001005"}}'
    with db.write() as conn:
        key = hashlib.sha256(data).hexdigest()
        enqueue_record(conn, tmp_path, "PPWP", 1, key, data, False, "2024-02-14T15:00")
    yield Outbox(db, clock, tmp_path)
    db.close()


class Both:
    """The document's job and the record, driven through their owners' verbs."""

    def __init__(self, outbox: Outbox) -> None:
        self.jobs, self.records = outbox, RecordOutbox(outbox)
        self.job, self.record = outbox.jobs()[0], self.records.records()[0]

    def rows(self) -> list[sqlite3.Row]:
        return [
            self.jobs.db.read("SELECT * FROM upload_job")[0],
            self.jobs.db.read("SELECT * FROM result_record")[0],
        ]

    def start(self) -> None:
        self.jobs.start(self.job)
        self.records.start_record(self.record)

    def fail(self, detail: str) -> None:
        self.jobs.fail(self.job.id, UploadProblem.REJECTED, detail)
        self.records.record_failed(self.record.id, UploadProblem.REJECTED, detail)

    def retry(self, detail: str, delay_s: float) -> None:
        self.jobs.retry_later(self.job.id, UploadProblem.NETWORK, detail, delay_s)
        self.records.record_retry(self.record.id, UploadProblem.NETWORK, detail, delay_s)


def same(rows: list[sqlite3.Row], *columns: str) -> tuple[object, ...]:
    job, record = ({c: r[c] for c in columns} for r in rows)
    assert job == record
    return tuple(job.values())


def test_a_refusal_keeps_the_same_detail_for_a_record_as_for_a_document(outbox):
    both = Both(outbox)
    both.start()
    both.fail(LONG)
    state, code, detail = same(both.rows(), "state", "error_code", "error_detail")
    assert (state, code) == ("failed", "rejected")
    assert detail == LONG[:DETAIL_CHARS]


def test_retry_requeue_and_try_now_move_both_alike(outbox):
    both = Both(outbox)
    both.start()
    assert same(both.rows(), "state", "attempts") == ("sending", 1)
    assert outbox.requeue_interrupted() == 1
    assert both.records.requeue_interrupted_records() == 1
    assert same(both.rows(), "state", "attempts") == ("pending", 1)
    both.start()
    both.retry(LONG, 120.0)
    state, code, detail, due = same(
        both.rows(), "state", "error_code", "error_detail", "next_attempt"
    )
    assert (state, code, len(detail)) == ("pending", "network", DETAIL_CHARS)
    assert due == pytest.approx(outbox._now() + 120.0)
    both.fail("refused")
    assert outbox.retry_now() == 1 and both.records.retry_records_now() == 1
    assert same(both.rows(), "state", "next_attempt")[0] == "pending"
    assert same(both.rows(), "updated_wall")  # every change stamps it, in both tables


def test_a_receipt_makes_both_sent_and_clears_the_error(outbox):
    both = Both(outbox)
    both.start()
    both.retry("no network", 0)
    both.start()
    outbox.sent(both.job.id, Receipt("doc-1", "ab" * 32, "tus"))
    both.records.record_sent(both.record.id, Receipt("rec-1", both.record.key, "record"))
    assert same(both.rows(), "state", "error_code", "error_detail") == ("sent", "", "")
    job, record = both.rows()
    assert (job["receipt_id"], record["receipt_id"]) == ("doc-1", "rec-1")
    assert job["receipt_wall"] and record["receipt_wall"]
    assert job["offset"] == job["bundle_size"] and job["receipt_source"] == "tus"
