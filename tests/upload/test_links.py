"""The worker through emulated mobile links (tests/stacks/links.py): short links, small files.

The benchmark (bench/link_bench.py) runs the issue's EDGE, 3G and 30-s-every-60-s flapping
link with real document sizes; these tests keep the same kinds of link, scaled down to seconds.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from kiosk.upload.worker import Worker
from tests.stacks.links import EDGE, Link, LinkProxy
from tests.upload.test_worker import (
    collector_documents,
    drain,
    in_process_worker,
    kiosk_with_documents,
    tus_uploads,
)


def queued_worker(tmp_path, collector, proxy: LinkProxy, chunks: int) -> tuple[Worker, int]:
    """A worker with one document queued, sent in ``chunks`` chunks; (worker, bundle size)."""
    kiosk_with_documents(tmp_path, collector, 1, page_px=400)
    worker = in_process_worker(tmp_path / "kiosk", f"{proxy.url}/files/")
    (job,) = worker.outbox.jobs()
    size = worker.outbox.ensure_bundle(job).size
    worker.uploader.chunk_size = -(-size // chunks)  # type: ignore[attr-defined]
    return worker, size


def arrived_once(worker: Worker, collector) -> None:
    (job,) = worker.outbox.jobs()
    assert job.state == "sent" and job.receipt_sha256 == job.bundle_sha256
    rows = collector_documents(collector.data_dir)
    assert [(r["key"], r["sha12"]) for r in rows] == [(job.key, job.bundle_sha256[:12])]


@pytest.fixture
def proxies():
    made: list[LinkProxy] = []
    yield made
    for proxy in made:
        proxy.close()


def test_through_edge_a_small_document_arrives_once(tmp_path, collector, proxies):
    proxies.append(proxy := LinkProxy(collector.port, EDGE, seed=3))
    worker, size = queued_worker(tmp_path, collector, proxy, chunks=2)
    drain(worker, limit_s=60)
    arrived_once(worker, collector)
    assert proxy.up_bytes >= size  # it went through the link, not around it


def test_through_a_flapping_link_it_resumes_and_resends_at_most_a_chunk_per_cut(
    tmp_path, collector, proxies
):
    flapping = Link("flapping-short", 1_000_000, 0.02, down_s=1.0, every_s=3.0)
    kiosk_with_documents(tmp_path, collector, 1, page_px=400)
    probe = in_process_worker(tmp_path / "kiosk", "http://127.0.0.1:9/files/")
    size = probe.outbox.ensure_bundle(probe.outbox.jobs()[0]).size
    # Scaled so that the transfer (with ~8 kB of headers: the creation request carries the
    # signed manifest) needs about two up-times of the link: it must be cut.
    flapping = replace(flapping, rate_bps=(size + 8_000) * 8 // 4)
    proxies.append(proxy := LinkProxy(collector.port, flapping))
    worker = in_process_worker(tmp_path / "kiosk", f"{proxy.url}/files/")
    chunk = worker.uploader.chunk_size = -(-size // 8)  # type: ignore[attr-defined]
    drain(worker, limit_s=90)
    cuts = proxy.cuts
    arrived_once(worker, collector)
    assert cuts >= 1 and worker.outbox.jobs()[0].attempts >= 2
    assert len(tus_uploads(collector.data_dir)) == 1  # resumed each time, never restarted
    extra = proxy.up_bytes - size
    assert extra <= cuts * chunk + 32 * 1024, (extra, cuts, chunk)
