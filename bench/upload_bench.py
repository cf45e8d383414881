"""Upload queue benchmarks (issue 5), as ratios to the bare minimum.

1. Throughput: drain 200 queued documents of about 1 MB to the collector (tuspyserver) on
   127.0.0.1 through the kiosk's worker (SQLite outbox, tus with checksums, receipt check),
   against a bare tuspy loop uploading the same bundle files to a fresh collector of its own.
   Goal: worker throughput >= 0.9 x bare.
2. Resends: the same drain through a TCP proxy that cuts every connection 20 times; the bytes
   the kiosk sent, beyond what a run without cuts sends, as a share of the bundle bytes.
   Goal: <= 5 %.

Run: .venv/bin/python bench/upload_bench.py [--documents 200]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from tusclient.client import TusClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' helpers, reused

from kiosk.upload.bundle import upload_metadata
from kiosk.upload.outbox import Outbox
from tests.stacks.collector import CollectorProcess, free_port
from tests.upload.docs import signed_documents
from tests.upload.test_worker import drain, in_process_worker, register

TPS = "6474010001005"
CHUNK = 256 * 1024  # the upload_chunk_kb default


def fresh_collector(root: Path, name: str, kiosk: Path) -> CollectorProcess:
    collector = CollectorProcess(root / name, free_port()).start()
    register(collector, kiosk)
    return collector


def bundles(outbox: Outbox) -> list[tuple[Path, dict[str, str], int]]:
    """Build every job's bundle once, as the worker would, for the bare loop to send."""
    out = []
    for job in outbox.jobs():
        built = outbox.ensure_bundle(job)
        meta = upload_metadata(built, (job.folder / "manifest.json").read_bytes())
        out.append((built.path, meta, built.size))
    return out


def bare_loop(collector: CollectorProcess, files: list[tuple[Path, dict[str, str], int]]) -> float:
    client = TusClient(collector.files_url)
    start = time.perf_counter()
    for path, meta, _size in files:
        client.uploader(
            file_path=str(path), chunk_size=CHUNK, metadata=meta, upload_checksum=True
        ).upload()
    return time.perf_counter() - start


def worker_drain(kiosk: Path, endpoint: str) -> float:
    worker = in_process_worker(kiosk, endpoint, chunk=CHUNK)
    with worker.outbox.db.write() as conn:  # a new run: every job pending, no upload yet
        conn.execute("DROP TRIGGER IF EXISTS upload_receipt_kept")
        conn.execute(
            "UPDATE upload_job SET state = 'pending', upload_url = '', offset = 0, attempts = 0,"
            " next_attempt = 0, receipt_id = '', receipt_sha256 = ''"
        )
    start = time.perf_counter()
    drain(worker, limit_s=3600)
    elapsed = time.perf_counter() - start
    assert worker.outbox.counts().unsent == 0, "the drain did not finish"
    return elapsed


class CuttingProxy:
    """127.0.0.1:port -> target; counts client bytes; ``cut()`` closes every connection."""

    def __init__(self, target_port: int, cut_at: list[int]) -> None:
        self.target_port = target_port
        self.cut_at = sorted(cut_at)
        self.port = free_port()
        self.sent = 0
        self.cuts = 0
        self._writers: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        threading.Thread(target=self._loop.run_forever, daemon=True).start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result()

    async def _serve(self) -> None:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", self.port)

    async def _pipe(self, r: asyncio.StreamReader, w: asyncio.StreamWriter, up: bool) -> None:
        try:
            while data := await r.read(65536):
                if up:
                    self.sent += len(data)
                    if self.cut_at and self.sent >= self.cut_at[0]:
                        self.cut_at.pop(0)
                        self.cut()  # in the middle of whatever is being sent
                        return
                w.write(data)
                await w.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            w.close()

    async def _client(self, cr: asyncio.StreamReader, cw: asyncio.StreamWriter) -> None:
        sr, sw = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._writers |= {cw, sw}
        await asyncio.gather(self._pipe(cr, sw, True), self._pipe(sr, cw, False))
        self._writers -= {cw, sw}

    def cut(self) -> None:
        """Abort every connection (called in the proxy's loop)."""
        for w in list(self._writers):
            w.transport.abort()
        self.cuts += 1


def proxied_drain(kiosk: Path, collector: CollectorProcess, cuts: int, total: int) -> int:
    """Drain through the proxy, cut ``cuts`` times, evenly over the bytes; return bytes sent."""
    proxy = CuttingProxy(collector.port, [total * k // (cuts + 1) for k in range(1, cuts + 1)])
    worker_drain(kiosk, f"http://127.0.0.1:{proxy.port}/files/")
    assert proxy.cuts == cuts, f"only {proxy.cuts} cuts happened"
    return proxy.sent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="upload-bench-") as tmp:
        root = Path(tmp)
        kiosk = root / "kiosk"
        t0 = time.perf_counter()
        signed_documents(kiosk, args.documents, page_px=1000)  # ~1 MB of incompressible pixels
        worker = in_process_worker(kiosk, "http://127.0.0.1:9/files/")
        files = bundles(worker.outbox)
        total = sum(size for _p, _m, size in files)
        print(
            f"{len(files)} documents, {total / 1e6:.1f} MB of bundles "
            f"(made in {time.perf_counter() - t0:.0f} s)"
        )
        digest = hashlib.sha256(b"".join(p.read_bytes()[:64] for p, _m, _s in files))
        print(f"bundle set {digest.hexdigest()[:12]}")

        results: dict[str, list[float]] = {"bare": [], "worker": []}
        for round_ in range(3):
            # Alternate who goes first, and start each run with the disk settled: the
            # collector writes every bundle twice, and writeback must not bill the next run.
            order = ("bare", "worker") if round_ % 2 == 0 else ("worker", "bare")
            for name in order:
                collector = fresh_collector(root, f"{name}{round_}", kiosk)
                os.sync()
                if name == "bare":
                    results[name].append(bare_loop(collector, files))
                else:
                    results[name].append(worker_drain(kiosk, collector.files_url))
                collector.kill()
                shutil.rmtree(collector.data_dir)
        runs = "; ".join(f"{k} {', '.join(f'{t:.2f}' for t in v)}" for k, v in results.items())
        print(f"runs (s): {runs}")
        bare, ours = min(results["bare"]), min(results["worker"])
        print(f"bare tuspy loop: {bare:.2f} s = {total / bare / 1e6:.1f} MB/s")
        print(f"kiosk worker:    {ours:.2f} s = {total / ours / 1e6:.1f} MB/s")
        print(f"throughput ratio worker/bare: {bare / ours:.2f}  (goal >= 0.9)")

        clean = fresh_collector(root, "clean", kiosk)
        baseline = proxied_drain(kiosk, clean, 0, total)
        clean.kill()
        cut = fresh_collector(root, "cut", kiosk)
        with_cuts = proxied_drain(kiosk, cut, 20, total)
        cut.kill()
        extra = with_cuts - baseline
        print(
            f"bytes sent: {baseline / 1e6:.1f} MB without cuts, {with_cuts / 1e6:.1f} MB with "
            f"20 cuts: {extra / 1e3:.0f} kB re-sent = {100 * extra / total:.2f} % (goal <= 5 %)"
        )


if __name__ == "__main__":
    main()
