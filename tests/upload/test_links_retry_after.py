"""The worker honours a busy collector's 503 + Retry-After, with jitter, and resumes the upload
from the server's offset: the shed chunk is sent again, nothing the server has."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from contextlib import ExitStack

import pytest

from kiosk.upload.tus import retry_after
from kiosk.upload.worker import Backoff, Worker
from tests.collector.test_load import busy_collector, upload_in_flight
from tests.stacks.collector import CollectorProcess
from tests.stacks.links import Link, LinkProxy
from tests.upload.test_worker import (
    collector_documents,
    drain,
    in_process_worker,
    kiosk_with_documents,
    tus_uploads,
)

COUNTING = Link("loopback", 10**9, 0.0)  # no shaping: the proxy only counts the bytes
SEED = 7


def recorded_delays(worker: Worker) -> list[float]:
    """Every retry delay the worker gives the queue, as it gives it."""
    delays: list[float] = []
    retry_later = worker.outbox.retry_later

    def record(job_id: int, problem, detail: str, delay_s: float) -> None:
        delays.append(delay_s)
        retry_later(job_id, problem, detail, delay_s)

    worker.outbox.retry_later = record  # type: ignore[method-assign]
    return delays


def busy_worker(tmp_path, collector: CollectorProcess, proxy: LinkProxy) -> Worker:
    """A worker with one document queued, sent in 5 chunks whatever its bundle's size."""
    kiosk_with_documents(tmp_path, collector, 1, page_px=600)
    worker = in_process_worker(tmp_path / "kiosk", f"{proxy.url}/files/")
    worker.uploader.chunk_size = -(-bundle_size(worker) // 5)  # type: ignore[attr-defined]
    worker.backoff = Backoff(base_s=0.1, cap_s=600.0, floor_s=0.05)
    worker.rng = random.Random(SEED)
    return worker


def bundle_size(worker: Worker) -> int:
    (job,) = worker.outbox.jobs()
    return worker.outbox.ensure_bundle(job).size


def expected_delay(retry_after_s: float) -> float:
    """Retry-After plus full jitter on top, drawn from the worker's seeded generator."""
    return retry_after_s + random.Random(SEED).uniform(0, retry_after_s)


def sent_once(worker: Worker, collector: CollectorProcess) -> None:
    (job,) = worker.outbox.jobs()
    assert job.state == "sent" and job.receipt_sha256 == job.bundle_sha256
    rows = collector_documents(collector.data_dir)
    assert [(r["key"], r["sha12"]) for r in rows] == [(job.key, job.bundle_sha256[:12])]


@pytest.fixture
def proxied(collector_factory) -> tuple[CollectorProcess, LinkProxy]:
    collector = busy_collector(collector_factory, retry_after=1)
    proxy = LinkProxy(collector.port, COUNTING)
    yield collector, proxy
    proxy.close()


def test_a_shed_chunk_waits_retry_after_plus_jitter_then_only_it_is_sent_again(
    tmp_path, proxied, monkeypatch
):
    collector, proxy = proxied
    worker = busy_worker(tmp_path, collector, proxy)
    delays = recorded_delays(worker)
    busy, taken = ExitStack(), []
    writer: Callable = worker._progress_writer

    def another_kiosk_after_the_first_chunk(job, size):
        write = writer(job, size)

        def progress(url: str, offset: int) -> None:
            write(url, offset)
            if offset > 0 and not taken:
                taken.append(offset)
                busy.enter_context(upload_in_flight(collector))  # takes the one slot

        return progress

    monkeypatch.setattr(worker, "_progress_writer", another_kiosk_after_the_first_chunk)
    assert worker.step()
    (job,) = worker.outbox.jobs()
    chunk = worker.uploader.chunk_size  # type: ignore[attr-defined]
    assert job.problem.value == "server_busy"
    (upload,) = tus_uploads(collector.data_dir)
    assert upload["offset"] == chunk  # the first chunk is there, the second was shed
    assert delays == [pytest.approx(expected_delay(1.0))]
    assert 1.0 <= delays[0] <= 2.0
    assert worker.outbox.next_due() is None  # it waits: no attempt before Retry-After
    url = job.upload_url
    busy.close()
    drain(worker, limit_s=30)
    sent_once(worker, collector)
    assert worker.outbox.jobs()[0].upload_url == url  # resumed, not started again
    assert len(tus_uploads(collector.data_dir)) == 1
    # The bytes that went: the bundle once, the shed chunk a second time, and headers.
    extra = proxy.up_bytes - bundle_size(worker)
    assert chunk <= extra < chunk + 32 * 1024, extra


def test_a_shed_creation_waits_retry_after_plus_jitter_then_creates_one_upload(tmp_path, proxied):
    collector, proxy = proxied
    worker = busy_worker(tmp_path, collector, proxy)
    delays = recorded_delays(worker)
    with upload_in_flight(collector):
        assert worker.step()
        (job,) = worker.outbox.jobs()
        assert job.problem.value == "server_busy" and job.upload_url == ""
        assert delays == [pytest.approx(expected_delay(1.0))]
        assert worker.outbox.next_due() is None
    drain(worker, limit_s=30)
    sent_once(worker, collector)
    assert len(tus_uploads(collector.data_dir)) == 1
    assert len(delays) == 1


def test_retry_after_is_read_as_seconds_or_as_an_http_date():
    now = dt.datetime(2024, 2, 14, 6, 0, 0, tzinfo=dt.UTC)
    assert retry_after("120", now) == 120.0
    assert retry_after(" 7 ", now) == 7.0
    assert retry_after("Wed, 14 Feb 2024 06:00:30 GMT", now) == 30.0
    assert retry_after("Wed, 14 Feb 2024 05:59:00 GMT", now) == 0.0  # already past
    assert retry_after("", now) is None
    assert retry_after("soon", now) is None
    assert retry_after("-5", now) is None


def test_the_wait_is_the_servers_plus_full_jitter_capped():
    backoff = Backoff(base_s=5.0, cap_s=600.0, floor_s=1.0)
    rng = random.Random(1)
    waits = [backoff.after(10.0, rng) for _ in range(500)]
    assert all(10.0 <= w <= 20.0 for w in waits)
    assert max(waits) - min(waits) > 8.0  # spread over the whole jitter range
    assert all(100.0 <= backoff.after(100.0, rng) <= 130.0 for _ in range(100))  # jitter cap
    assert all(600.0 <= backoff.after(86400.0, rng) <= 630.0 for _ in range(100))  # wild value
    assert all(1.0 <= backoff.after(0.0, rng) <= 2.0 for _ in range(100))  # never spins
