"""Per-TPS provisioning benchmarks (kiosk/fleet), as ratios to the bare minimum.

1. ``fleet batch`` of a 1,000-row CSV (read, per-row checks, the kiosk's own profile
   validation, PINs, Ed25519 signature, one durable 0600 file per TPS, PIN list, report) against
   the bare minimum: signing the same 1,000 precomputed profile texts with Ed25519 and writing
   each durably (temp file, fsync, rename, directory fsync: the same write the batch uses).
   Goal: 1,000 rows in a few seconds.
2. ``fleet write`` of one signed file onto a card image's FAT partition with mtools (sfdisk,
   label check, mcopy, fsync, read-back), and ``fleet verify``'s read of it.

Run: .venv/bin/python bench/provision_bench.py [--rows 1000]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' builders, reused

from timing import timed_runs  # bench/timing.py

from kiosk.fleet import card
from kiosk.fleet.batch import run_batch
from kiosk.fleet.keys import generate
from kiosk.i18n import in_language
from kiosk.storage import write_durably
from tests.fleet.helpers import TEMPLATE, TEMPLATE_NAME, make_image, row, write_csv

REPEAT = 5


def timed(fn: Callable[[], object], repeat: int = REPEAT) -> list[float]:
    """Seconds of ``repeat`` runs after one warm-up."""
    return timed_runs(fn, repeat)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1000)
    rows = parser.parse_args().rows
    work = Path(tempfile.mkdtemp(prefix="tps-bench-fleet-"))
    try:
        key, _pub = generate(work / "kpu-kota.pem")
        (work / "profil").mkdir()
        (work / "profil" / TEMPLATE_NAME).write_text(TEMPLATE)
        csv_path = write_csv(work / "tps.csv", [row(i) for i in range(rows)])
        runs = iter(range(10**6))

        def batch() -> None:
            out = work / f"out{next(runs)}"
            with in_language("id"):
                result = run_batch(csv_path, key, work / "profil", out)
            assert len(result.written) == rows and not result.problems

        batch_runs = timed(batch)
        texts = [
            json.loads(p.read_text())["profile"].encode() for p in (work / "out0").glob("*.json")
        ]

        def bare() -> None:
            out = work / f"bare{next(runs)}"
            for n, text in enumerate(texts):
                write_durably(out / f"{n}.json", text + key.sign(text), mode=0o600)

        bare_runs = timed(bare)
        fmt = ", ".join
        print(f"rows: {rows}")
        print(f"batch runs (s): {fmt(f'{t:.3f}' for t in batch_runs)}")
        print(f"bare  runs (s): {fmt(f'{t:.3f}' for t in bare_runs)}")
        ours, least = statistics.median(batch_runs), statistics.median(bare_runs)
        print(f"fleet batch: {ours:.2f} s for {rows} rows = {1000 * ours / rows:.2f} ms/row")
        print(f"bare sign + durable write: {least:.2f} s")
        print(f"ratio batch/bare: {ours / least:.1f}  (goal: {rows} rows in a few seconds)")

        cli = work / "cli-out"
        t = time.perf_counter()
        done = subprocess.run(
            [
                *(sys.executable, "-m", "kiosk", "fleet", "batch", str(csv_path)),
                *("--key", str(work / "kpu-kota.pem"), "--profiles", str(work / "profil")),
                *("--out", str(cli)),
            ],
            capture_output=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        print(f"whole command (interpreter start included): {time.perf_counter() - t:.2f} s")

        image = make_image(work / "kartu.img")
        signed = next((work / "out0").glob("*.json"))
        data = signed.read_bytes()
        write_runs = timed(lambda: card.write_file(image, data), repeat=11)
        read_runs = timed(lambda: card.read_file(image), repeat=11)
        print(
            f"fleet write onto an image (mtools, read-back included): "
            f"{1000 * statistics.median(write_runs):.0f} ms; "
            f"read for verify: {1000 * statistics.median(read_runs):.0f} ms"
        )
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
