"""The outbox in SQLite: a job per document, states, triggers, bundles, scheduling."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import sqlite3
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.clock import ManualClock, OffsetClock
from kiosk.db import MIGRATIONS, Database
from kiosk.upload.bundle import open_bundle
from kiosk.upload.outbox import DocumentChanged, Outbox, Receipt
from kiosk.upload.refusals import UploadProblem
from kiosk.upload.worker import Backoff
from tests.upload.docs import signed_documents

WITA = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def outbox(tmp_path):
    signed_documents(tmp_path, 3)
    db = Database(tmp_path / "kiosk.sqlite3")
    clock = OffsetClock(ManualClock(dt.datetime(2024, 2, 14, 15, 0, tzinfo=WITA)))
    yield Outbox(db, clock, tmp_path)
    db.close()


def test_every_signed_document_has_one_pending_job(outbox):
    jobs = outbox.jobs()
    assert [j.state for j in jobs] == ["pending"] * 3
    assert len({j.key for j in jobs}) == 3
    assert outbox.counts().unsent == 3
    for job in jobs:  # the key is the SHA-256 of the signed manifest file
        assert job.key == hashlib.sha256((job.folder / "manifest.json").read_bytes()).hexdigest()


def schema_5_copy(new: Path, old: Path) -> None:
    """At ``old``, a database of schema 5 (before the queue existed) holding the rows of the
    schema-5 tables of ``new``, as an older kiosk had them."""
    conn = sqlite3.connect(old, isolation_level=None)
    try:
        for step in MIGRATIONS[:5]:
            for statement in step:
                conn.execute(statement)
        conn.execute("PRAGMA user_version = 5")
        conn.execute("ATTACH DATABASE ? AS new", (str(new),))
        tables = conn.execute(
            "SELECT name FROM main.sqlite_master WHERE type = 'table' ORDER BY rowid"
        ).fetchall()
        kept = {n for (n,) in conn.execute("SELECT name FROM new.sqlite_master")}
        for (table,) in tables:
            if table not in kept:  # dropped by a later step (device_event, never written)
                continue
            cols = ", ".join(r[1] for r in conn.execute(f"PRAGMA main.table_info({table})"))
            conn.execute(f"INSERT INTO main.{table} ({cols}) SELECT {cols} FROM new.{table}")
        conn.execute("DETACH DATABASE new")
    finally:
        conn.close()


def test_migration_queues_documents_signed_before_the_queue_existed(tmp_path):
    signed_documents(tmp_path / "new", 2)
    schema_5_copy(tmp_path / "new" / "kiosk.sqlite3", tmp_path / "kiosk.sqlite3")
    db = Database(tmp_path / "kiosk.sqlite3")
    assert db.migrate() == 5
    assert db.read("PRAGMA user_version")[0][0] == len(MIGRATIONS)
    jobs = db.read("SELECT * FROM upload_job WHERE state = 'pending'")
    assert len(jobs) == 2
    assert all(j["delivered_wall"] == "" and j["receipt_polls"] == 0 for j in jobs)
    db.close()


def test_the_delivered_step_marks_jobs_that_already_waited_for_a_receipt(tmp_path):
    """A job an older kiosk left waiting for its receipt had every byte acknowledged: after
    the step it is delivered, so it is never sent again."""
    signed_documents(tmp_path, 2)
    (step,) = [s for s in MIGRATIONS if any("ADD COLUMN delivered_wall" in x for x in s)]
    db = Database(tmp_path / "kiosk.sqlite3")
    with db.write() as conn:  # the two jobs as the older kiosk had them
        conn.execute("ALTER TABLE upload_job DROP COLUMN delivered_wall")
        conn.execute("ALTER TABLE upload_job DROP COLUMN receipt_polls")
        conn.execute(
            "UPDATE upload_job SET error_code = 'no_receipt', offset = 9, bundle_size = 9,"
            " attempts = 40 WHERE id = 1"
        )
        conn.execute("UPDATE upload_job SET error_code = 'network' WHERE id = 2")
        for statement in step:
            conn.execute(statement)
    rows = db.read("SELECT id, delivered_wall, updated_wall FROM upload_job ORDER BY id")
    assert rows[0]["delivered_wall"] == rows[0]["updated_wall"] != ""
    assert rows[1]["delivered_wall"] == ""
    db.close()


def test_a_job_without_receipt_cannot_be_deleted_and_a_sent_one_stays_sent(outbox):
    job = outbox.jobs()[0]
    with pytest.raises(sqlite3.IntegrityError, match="kept until"), outbox.db.write() as conn:
        conn.execute("DELETE FROM upload_job WHERE id = ?", (job.id,))
    outbox.sent(job.id, Receipt("42", "ab" * 32))
    with pytest.raises(sqlite3.IntegrityError, match="stays sent"), outbox.db.write() as conn:
        conn.execute("UPDATE upload_job SET state = 'pending' WHERE id = ?", (job.id,))
    assert outbox.retry_now(job.id) == 0
    assert outbox.job(job.id).state == "sent"


def test_bundle_is_deterministic_and_verifies(outbox):
    job = outbox.jobs()[0]
    first = outbox.ensure_bundle(job)
    job = outbox.job(job.id)
    assert (job.bundle_sha256, job.bundle_size) == (first.sha256, first.size)
    first.path.unlink()
    again = outbox.ensure_bundle(job)
    assert again.sha256 == first.sha256
    opened = open_bundle(again.path.read_bytes())
    assert opened.key == job.key
    assert opened.tps_code == "6474010001005"
    assert not opened.training
    with zipfile.ZipFile(again.path) as zf:
        assert sorted(zf.namelist()) == ["document.pdf", "manifest.json"]


def test_a_document_changed_on_disk_is_never_sent(outbox):
    job = outbox.jobs()[0]
    built = outbox.ensure_bundle(job)
    built.path.unlink()
    pdf = job.folder / "document.pdf"
    pdf.write_bytes(pdf.read_bytes() + b"%tampered")
    with pytest.raises(DocumentChanged):
        outbox.ensure_bundle(outbox.job(job.id))


def test_scheduling_retry_now_and_the_network_coming_back(outbox):
    a, b, c = outbox.jobs()
    assert outbox.next_due().id == a.id
    outbox.start(a)
    outbox.retry_later(a.id, UploadProblem.NETWORK, "refused", 600)
    outbox.start(b)
    outbox.retry_later(b.id, UploadProblem.SERVER_BUSY, "HTTP 503", 600)
    outbox.start(c)
    outbox.fail(c.id, UploadProblem.REJECTED, "signature")
    assert outbox.next_due() is None
    assert outbox.counts().failed == 1
    later = outbox.next_attempt_at(outbox.job(a.id)) - outbox.clock.now()
    assert later == dt.timedelta(seconds=600)
    assert outbox.network_back() == 2  # the failed one waits for a person
    assert outbox.next_due().id == a.id
    assert outbox.retry_now() == 3
    assert outbox.job(c.id).state == "pending"


def test_a_worker_that_died_while_sending_leaves_the_job_resumable(outbox):
    job = outbox.start(outbox.jobs()[0])
    outbox.progress(job.id, "http://127.0.0.1:1/files/abc", 4096)
    assert outbox.requeue_interrupted() == 1
    job = outbox.job(job.id)
    assert (job.state, job.upload_url, job.offset, job.attempts) == (
        "pending",
        "http://127.0.0.1:1/files/abc",
        4096,
        1,
    )


def test_shown_times_follow_the_ketua_clock_correction(outbox):
    job = outbox.start(outbox.jobs()[0])
    outbox.retry_later(job.id, UploadProblem.NETWORK, "", 60)
    before = outbox.next_attempt_at(outbox.job(job.id))
    outbox.clock.offset_s = 3600.0  # the Ketua moved the clock an hour on
    assert outbox.next_attempt_at(outbox.job(job.id)) - before == dt.timedelta(hours=1)
    assert outbox.next_due().id != job.id  # scheduling itself did not move


@given(attempts=st.integers(1, 40), seed=st.integers(0, 2**32))
def test_backoff_full_jitter_within_bounds(attempts, seed):
    backoff = Backoff(base_s=5, cap_s=600, floor_s=1)
    delay = backoff.delay(attempts, random.Random(seed))
    assert 1 <= delay <= min(600, 5 * 2 ** (attempts - 1)) or delay == 1


def test_backoff_spreads_kiosks_apart():
    """Full jitter: after the 13.00 rush, 300 kiosks must not retry in lockstep."""
    rng = random.Random(7)
    delays = [Backoff().delay(6, rng) for _ in range(300)]
    assert max(delays) <= 160 and min(delays) < 20
    assert len({round(d) for d in delays}) > 100
