"""The kiosk's worker over emulated mobile links (issue 17), against the bare minimum.

Through EDGE (200 kbit/s, 300 ms RTT, 1 % loss), 3G (1 Mbit/s, 150 ms, 0.5 %) and a flapping
link (3G, down 30 s every 60 s; it comes up as the job is queued), each between the worker
and a real collector (``tests/stacks/links.py``: pacing, delay, loss as RTO stalls, cuts in an
asyncio proxy on 127.0.0.1), it measures the time from queueing to the receipt of:

- the result record (~2 KB, ``PUT /records/<key>``) of a ballot the Ketua has just confirmed
  (a training kiosk made by ``create_app``, its record sent by the worker's record queue);
- a 3-page document of realistic 300 dpi scans (drivers.scanner.realistic) kept by the real
  page pipeline (renditions of 150-180 KB; the issue's goal for a page that travels: 250 KB);
- 3 pages of the lossless PNG size of a noisy scan, ~4.9 MB a page, for comparison: a noise
  page made to measure stands in for the rendition, kept as a JPEG q90 as it is
  (``pages.rendition_jpeg`` is replaced while that document is made).

The real collector receives and checks them.

Beside each time: the bare minimum (the bytes at the link's rate plus two RTTs: a TCP
handshake and one request/answer; on the flapping link plus the down times no sender can
avoid) and the ratio. On the flapping link: the bytes re-sent
(sent upstream beyond what the same upload sends over 3G without cuts). Goals: small upload
<= 10 s on EDGE; 3-page document <= 90 s on EDGE.

The worker runs with the settings' defaults (256 KiB chunks, 30 s per request, backoff 5 s
doubling, probe every 5 s), in this process; the collector is its own process.

``--realistic N`` sends instead one document of N realistic scans (drivers.scanner.realistic)
kept by the real page pipeline; ``--chunk-kb`` sets the worker's chunk size (as
``upload_chunk_kb`` does).

Run: .venv/bin/python bench/link_bench.py [--links EDGE,3G,flapping] [--skip-png]
[--realistic N] [--chunk-kb K]
(about 25 minutes with everything; the 4.9 MB pages over EDGE alone take ~10.)
"""

from __future__ import annotations

import argparse
import io
import logging
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' helpers, reused

from kiosk.audit import AuditLog
from kiosk.chasil import pages
from kiosk.clock import OffsetClock, SystemClock
from kiosk.db import Database
from kiosk.settings import Settings
from kiosk.upload.outbox import Outbox
from kiosk.upload.record_sender import RecordPoster, RecordQueue
from kiosk.upload.tus import TusUploader
from kiosk.upload.worker import Backoff, Worker
from tests.stacks.collector import CollectorProcess, free_port
from tests.stacks.links import EDGE, FLAPPING, G3, Link, LinkProxy
from tests.upload.docs import _Login, noise_page, provisioned
from tests.upload.test_worker import register

CHUNK = Settings.upload_chunk_kb.default * 1024
TIMEOUT_S = 30.0  # upload_timeout_s's default
LINKS = {link.name: link for link in (EDGE, G3, FLAPPING)}


@dataclass(frozen=True)
class Payload:
    name: str
    pages: int
    page_px: int  # a noise page of page_px² grey pixels: PNG keeps it at ~page_px² bytes
    realistic: bool = False  # pages of drivers.scanner.realistic through the real pipeline


RECORD = Payload("result record", 0, 0)
PAYLOADS = (
    RECORD,
    Payload("3 realistic", 3, 0, True),
    Payload("3 x 4.9 MB", 3, 2490),  # noise JPEG q90: ~0.79 bytes a pixel
)


def page_as_is(page: Any, dpi: int, crop: bool = True) -> bytes:
    """The rendition replaced: the page itself as JPEG q90 (so its size is what we chose)."""
    buf = io.BytesIO()
    page.save(buf, format="JPEG", quality=90, subsampling=0, dpi=(dpi, dpi))
    return buf.getvalue()


def record_kiosk(data_dir: Path) -> Any:
    """A provisioned training kiosk (``create_app``'s services), no sheet confirmed yet."""
    from kiosk import create_app
    from kiosk.settings import Settings
    from kiosk.tps import SAMPLE_PROFILE

    settings = Settings.from_values(data_dir=data_dir, hardware="fake", training=True)
    return create_app(settings, provision_from=SAMPLE_PROFILE).extensions["kiosk"]


def make_record(data_dir: Path) -> None:
    """A training kiosk whose Ketua has confirmed the PPWP sheet: one result record queued."""
    from tests.upload.records import confirm

    kiosk = record_kiosk(data_dir)
    try:
        confirm(kiosk, "PPWP")
    finally:
        kiosk.close()


def realistic_scan(page: int, seed: int) -> tuple[Any, float]:
    """A 300 dpi grey A4 scan of the realistic corpus and its measured skew."""
    from drivers.scanner.realistic import realistic_page
    from kiosk.chasil.legibility import assess

    sheet = ("PPWP", "DPR", "DPD")[page % 3]
    scan, _ = realistic_page(sheet, 300, False, ("ballpoint", "pencil")[page % 2], seed + page)
    return scan, assess(scan).skew_deg


@dataclass
class Result:
    seconds: float
    size: int
    up_bytes: int
    observed_bps: float
    cuts: int
    stalls: int


def make_document(data_dir: Path, payload: Payload, seed: int) -> None:
    """One signed document of ``payload.pages`` pages, its upload job queued."""
    kiosk = provisioned(data_dir, by="bench")
    service, numbers = kiosk.service, kiosk.numbers
    for page in range(payload.pages):
        if payload.realistic:
            scan, skew = realistic_scan(page, seed * 100)
            service.scans.keep("PPWP", scan, _Login(), None, "", skew)
            continue
        made_to_measure = noise_page(seed * 10 + page, payload.page_px)
        pipeline, pages.rendition_jpeg = pages.rendition_jpeg, page_as_is  # type: ignore[assignment]
        try:
            service.scans.keep("PPWP", made_to_measure, _Login(), None, "")
        finally:
            pages.rendition_jpeg = pipeline
    numbers.numbers = {"suara_sah": seed}
    service.finish("PPWP", _Login())
    kiosk.db.close()


def production_worker(data_dir: Path, endpoint: str, chunk: int = CHUNK) -> Worker:
    db = Database(data_dir / "kiosk.sqlite3")
    clock = OffsetClock(SystemClock())
    return Worker(
        Outbox(db, clock, data_dir),
        TusUploader(endpoint, token="t" * 16, chunk_size=chunk, timeout_s=TIMEOUT_S),
        Backoff(base_s=5.0, cap_s=600.0),
        probe_every_s=5.0,
        audit=AuditLog(db, clock),
    )


def unsent(worker: Worker, data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "kiosk.sqlite3") as conn:
        records = conn.execute("SELECT count(*) FROM result_record WHERE state != 'sent'")
        return int(records.fetchone()[0]) + worker.outbox.counts().unsent


def payload_size(worker: Worker, data_dir: Path) -> int:
    """The bytes of the one thing queued: the bundle, or the record as stored."""
    jobs = worker.outbox.jobs()
    if jobs:
        return worker.outbox.ensure_bundle(jobs[0]).size
    with sqlite3.connect(data_dir / "kiosk.sqlite3") as conn:
        (data,) = conn.execute("SELECT data FROM result_record").fetchone()
        return len(data)


def run_one(
    root: Path,
    link: Link,
    payload: Payload,
    seed: int,
    from_confirm: bool = False,
    chunk: int = CHUNK,
) -> Result:
    """``from_confirm`` (the result record only): the clock starts before the Ketua's
    confirmation (``ChasilService.confirm``, which signs and queues the record), not after."""
    kiosk = root / f"kiosk-{link.name}-{seed}"
    app = None
    if payload is RECORD and from_confirm:
        app = record_kiosk(kiosk)
    elif payload is RECORD:
        make_record(kiosk)
    else:
        make_document(kiosk, payload, seed)
    collector = CollectorProcess(
        root / f"collector-{link.name}-{seed}", free_port(), accept_training=True
    )
    collector.data_dir.mkdir(parents=True)
    collector.start()
    register(collector, kiosk)
    proxy = LinkProxy(collector.port, link, seed=seed)
    try:
        worker = production_worker(kiosk, f"{proxy.url}/files/", chunk)
        worker.records = RecordQueue(
            worker.outbox, RecordPoster(f"{proxy.url}/files/", "t" * 16, TIMEOUT_S)
        )
        size = payload_size(worker, kiosk) if app is None else 0
        start = time.perf_counter()  # the job is queued (or about to be): the clock starts
        if app is not None:
            from tests.upload.records import confirm

            confirm(app, "PPWP")
            size = payload_size(worker, kiosk)
        while unsent(worker, kiosk):
            if time.perf_counter() - start > 3600:
                raise RuntimeError(f"{link.name} {payload.name}: not sent in an hour")
            if not worker.step():
                time.sleep(0.02)
        elapsed = time.perf_counter() - start
        for job in worker.outbox.jobs():
            assert job.state == "sent" and job.receipt_sha256 == job.bundle_sha256, job
        return Result(elapsed, size, proxy.up_bytes, proxy.observed_bps(), proxy.cuts, proxy.stalls)
    finally:
        proxy.close()
        collector.kill()
        if app is not None:
            app.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--links", default="EDGE,3G,flapping")
    parser.add_argument("--skip-png", action="store_true", help="leave out the 4.9 MB pages")
    parser.add_argument(
        "--realistic",
        type=int,
        default=0,
        metavar="N",
        help="send the record and one document of N realistic scans kept by the real page "
        "pipeline (and no other document)",
    )
    parser.add_argument("--chunk-kb", type=int, default=CHUNK // 1024, help="upload chunk size")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    links = [LINKS[name] for name in args.links.split(",")]
    payloads = PAYLOADS[:2] if args.skip_png else PAYLOADS
    if args.realistic:
        payloads = (RECORD, Payload(f"{args.realistic} realistic", args.realistic, 0, True))
    results: dict[tuple[str, str], Result] = {}
    with tempfile.TemporaryDirectory(prefix="link-bench-") as tmp:
        seed = 0
        for link in links:
            for payload in payloads:
                seed += 1
                r = run_one(Path(tmp), link, payload, seed, chunk=args.chunk_kb * 1024)
                results[link.name, payload.name] = r
                ideal = link.ideal_s(r.size, round_trips=2)
                print(
                    f"{link.name:8} {payload.name:16} {r.seconds:7.1f} s  bare {ideal:6.1f} s "
                    f"({r.seconds / ideal:4.2f}x)  payload {r.size / 1e3:7.1f} kB  sent "
                    f"{r.up_bytes / 1e3:7.1f} kB  shaped {r.observed_bps / 1e3:6.0f} kbit/s  "
                    f"cuts {r.cuts}  loss stalls {r.stalls}",
                    flush=True,
                )
    print()
    for link in links:
        print(f"{link.name}: {link.describe()}")
    print(f"{'':18}" + "".join(f"{link.name:>46}" for link in links))
    for payload in payloads:
        cells = []
        for link in links:
            r = results[link.name, payload.name]
            ideal = link.ideal_s(r.size, round_trips=2)
            cells.append(f"{r.seconds:8.1f} s vs bare {ideal:6.1f} s = {r.seconds / ideal:5.2f}x")
        print(f"{payload.name:18}" + "".join(f"{c:>46}" for c in cells))
    if FLAPPING in links and G3 in links:
        print()
        for payload in payloads:
            flap, calm = results[FLAPPING.name, payload.name], results[G3.name, payload.name]
            extra = flap.up_bytes - calm.up_bytes
            print(
                f"re-sent on the flapping link, {payload.name}: {extra / 1e3:.1f} kB = "
                f"{100 * extra / flap.size:.2f} % of {flap.size / 1e3:.0f} kB over {flap.cuts} "
                f"cut(s) (bare minimum 0; at most one {args.chunk_kb} KiB chunk per cut)"
            )
    if EDGE in links and not args.realistic:
        small = results[EDGE.name, PAYLOADS[0].name].seconds
        doc = results[EDGE.name, PAYLOADS[1].name].seconds
        print(
            f"\nEDGE goals: result record {small:.1f} s (goal <= 10 s); "
            f"3-page document {doc:.1f} s (goal <= 90 s)"
        )


if __name__ == "__main__":
    main()
