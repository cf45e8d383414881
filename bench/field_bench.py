"""Issue 17's "Must show" table in one run: pages, bytes that travel, links, memory.

Each figure beside its bare minimum and the issue's goal, measured in this one run:

- **pages** (bench/page_bench.py's measures): per realistic A4 scan (drivers.scanner.realistic)
  the time ``ScannedPages.keep`` takes to keep it vs the bare minimum (decode, encode both
  JPEGs, hash, fsync; goal <= 1.2x), and the rendition's bytes, what travels (goal <= 250 KB);
- **links** (bench/link_bench.py's runs through tests/stacks/links.py and a real collector):
  the time from the Ketua's confirmation (``ChasilService.confirm`` signs and queues the
  record, as on the day) to the result record's receipt on EDGE (goal <= 10 s); from queueing
  to the receipt of a 3-page document of realistic scans kept by the real pipeline on EDGE
  (goal <= 90 s) and on 3G; and the bytes re-sent on the flapping link (down 30 s every 60 s)
  by a document long enough to meet its cuts (``FLAP_PAGES`` realistic pages), beyond the same
  upload over 3G (goal <= 5 %);
- **memory** (bench/memory_bench.py's day): RSS of ``tps-kiosk serve`` and ``tps-kiosk worker``
  after a sample day through HTTP, vs a bare Flask app and a bare tuspy loop.

Run: .venv/bin/python bench/field_bench.py [--quick]  (about 10 minutes; ``--quick``, a smoke
run of ~2: one page case, the record and the 3-page document on 3G only, no flapping, no day)
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))  # the other benches, whose measures this one calls
sys.path.insert(0, str(BENCH.parent))

import link_bench  # noqa: E402
import memory_bench as mem  # noqa: E402
import page_bench  # noqa: E402
from legibility_crops import scanned_page  # noqa: E402

from kiosk.audit import AuditLog  # noqa: E402
from kiosk.chasil.legibility import assess  # noqa: E402
from kiosk.chasil.pages import ScannedPages  # noqa: E402
from kiosk.chasil.renditions import rendition_jpeg  # noqa: E402
from kiosk.clock import SystemClock  # noqa: E402
from kiosk.db import Database  # noqa: E402
from tests.stacks.collector import CollectorProcess, free_port  # noqa: E402
from tests.stacks.links import EDGE, FLAPPING, G3  # noqa: E402

FLAP_PAGES = 60  # ~9 MB, ~75 s on 3G: the upload meets the link's cuts at 30 s and 90 s
DOC3 = link_bench.Payload("3 realistic pages", 3, 0, realistic=True)
FLAPDOC = link_bench.Payload(f"{FLAP_PAGES} realistic pages", FLAP_PAGES, 0, realistic=True)
Row = tuple[str, str, str, str, str]  # what, measured, bare, ratio, goal


def pages(work: Path, quick: bool) -> list[Row]:
    db = Database(work / "k.sqlite3")
    db.migrate()
    clock = SystemClock()
    count = iter(range(10**6))
    rows: list[Row] = []
    for dpi, colour in page_bench.CASES[2:3] if quick else page_bench.CASES:
        page, _ = scanned_page("PPWP", dpi, colour, "ballpoint", seed=1)
        store = ScannedPages(db, AuditLog(db, clock), clock, work / "documents", dpi)
        skew = assess(page).skew_deg
        t_bare, t_kiosk = page_bench._alternating(
            [page_bench._bare(page, dpi, work, count), page_bench._kiosk(page, store, skew)],
            2 if quick else page_bench.REPEAT,
        )
        travels = len(rendition_jpeg(page, dpi))
        name = f"{dpi} dpi {'colour' if colour else 'grey'}"
        rows.append(
            (
                f"keep a page, {name}",
                f"{t_kiosk * 1000:.0f} ms",
                f"{t_bare * 1000:.0f} ms",
                f"{t_kiosk / t_bare:.2f}x",
                "<= 1.2x",
            )
        )
        rows.append((f"bytes that travel, {name}", f"{travels / 1000:.0f} KB", "", "", "<= 250 KB"))
    return rows


def links(work: Path, quick: bool) -> list[Row]:
    rows: list[Row] = []
    record_link, doc_links = (G3, (G3,)) if quick else (EDGE, (EDGE, G3))
    r = link_bench.run_one(work, record_link, link_bench.RECORD, 1, from_confirm=True)
    bare = record_link.ideal_s(r.size, round_trips=2)
    goal = "<= 10 s" if record_link is EDGE else "(EDGE: <= 10 s)"
    rows.append(_timed(f"confirm -> record receipt, {record_link.name}", r, bare, goal))
    for seed, link in enumerate(doc_links, start=2):
        r = link_bench.run_one(work, link, DOC3, seed)
        goal = "<= 90 s" if link is EDGE else ""
        rows.append(
            _timed(f"3-page document ({r.size / 1000:.0f} KB), {link.name}", r, *_b(link, r), goal)
        )
    if quick:
        rows.append(("re-sent on the flapping link", "skipped (--quick)", "", "", "<= 5 %"))
        return rows
    calm = link_bench.run_one(work, G3, FLAPDOC, 10)
    flap = link_bench.run_one(work, FLAPPING, FLAPDOC, 10)  # same seed: the same document bytes
    rows.append(
        _timed(
            f"{FLAP_PAGES}-page document ({flap.size / 1e6:.1f} MB), 3G", calm, *_b(G3, calm), ""
        )
    )
    rows.append(_timed(f"the same, flapping ({flap.cuts} cuts)", flap, *_b(FLAPPING, flap), ""))
    extra = flap.up_bytes - calm.up_bytes
    rows.append(
        (
            "re-sent on the flapping link",
            f"{extra / 1000:.0f} KB = {100 * extra / flap.size:.1f} %",
            "0",
            "",
            "<= 5 %",
        )
    )
    return rows


def _b(link: link_bench.Link, r: link_bench.Result) -> tuple[float]:
    return (link.ideal_s(r.size, round_trips=2),)


def _timed(what: str, r: link_bench.Result, bare: float, goal: str) -> Row:
    return (what, f"{r.seconds:.1f} s", f"{bare:.1f} s", f"{r.seconds / bare:.2f}x", goal)


def memory(work: Path) -> list[Row]:
    """memory_bench's day (fake devices): the two processes' RSS after it."""
    data_dir = work / "day"
    collector = CollectorProcess(
        work / "day-collector", free_port(), accept_training=True, trust_first_use=True
    ).start()
    try:
        port = free_port()
        env = mem.kiosk_env(data_dir, port, collector.files_url)
        kiosk = [sys.executable, "-m", "kiosk"]
        subprocess.run(
            [*kiosk, "provision", str(mem.SAMPLE_PROFILE)],
            cwd=mem.REPO,
            env=env,
            check=True,
            capture_output=True,
        )
        with (
            mem.process([*kiosk, "serve"], env, work / "web.log") as web,
            mem.process([*kiosk, "worker"], env, work / "worker.log") as worker,
        ):
            url = f"http://127.0.0.1:{port}"
            mem.wait_http(url + "/health", web)
            docs = mem.sample_day(url)
            mem.wait_sent(data_dir, len(docs))
            mem.settle()
            after = {"web app": mem.memory_kb(web.pid), "worker": mem.memory_kb(worker.pid)}
    finally:
        collector.stop()
    bare = {"web app": mem.bare_rss_kb(mem.BARE_WEB), "worker": mem.bare_rss_kb(mem.BARE_WORKER)}
    return [
        (
            f"RSS after the day, {name}",
            f"{after[name]['rss'] / 1024:.0f} MB",
            f"{bare[name] / 1024:.0f} MB",
            f"{after[name]['rss'] / bare[name]:.2f}x",
            f"<= {mem.GOAL_MB[name]} MB",
        )
        for name in ("web app", "worker")
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run (~2 minutes)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    started = time.monotonic()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="field-bench-") as tmp:
        work = Path(tmp)
        for part, run in (("pages", pages), ("links", links)):
            (work / part).mkdir()
            rows += run(work / part, args.quick)
            print(f"... {part} measured ({time.monotonic() - started:.0f} s)", flush=True)
        if args.quick:
            rows.append(("RSS after the day", "skipped (--quick)", "", "", "<= 80 / 60 MB"))
        else:
            rows += memory(work)
    print()
    print(f"Issue 17, must show ({'quick' if args.quick else 'full'} run)")
    print(f"{'':46} {'measured':>18} {'bare':>9} {'ratio':>7}  goal")
    for what, measured, bare, ratio, goal in rows:
        print(f"{what:46} {measured:>18} {bare:>9} {ratio:>7}  {goal}")
    print(
        f"links: EDGE {EDGE.describe()}; 3G {G3.describe()}; flapping {FLAPPING.describe()}; "
        f"{link_bench.CHUNK // 1024} KiB chunks. Took {time.monotonic() - started:.0f} s."
    )


if __name__ == "__main__":
    main()
