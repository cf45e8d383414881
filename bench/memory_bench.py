"""Memory of the kiosk's two long-running processes (issue 17), beside the bare minimum.

The web app (``tps-kiosk serve``: waitress, 8 threads) and the upload worker (``tps-kiosk
worker``) run as real processes of a training kiosk provisioned with the sample TPS, every
device fake (as ``tps-kiosk demo`` runs them), uploading to the reference collector on
127.0.0.1. A full sample day goes through HTTP as the screen sends it: the checklist from
preparation to counting (the trainer's clock jumps between the moments), a printed opening
report, a self-test, then for each of PPWP, DPR and DPD the numbers entered and confirmed, one
page scanned, the document signed, every copy printed on the receipt printer and on A4 and the
distribution receipt; the worker sends the three documents. RSS, PSS and USS
(/proc/<pid>/smaps_rollup) of each process are read at idle after start and after the day.

Goals: web app <= 80 MB RSS, worker <= 60 MB RSS after the day. Bare minimum: waitress serving
one Flask route (8 threads, after 50 requests), and a loop that imports only tuspy.

``--real`` puts the real adapters where they run on this machine: the scanner is SANE's
``test`` backend (a private configuration, as tests/stacks/sane.py makes it), the receipt
printer python-escpos over TCP to a listener on 127.0.0.1, the A4 printer CUPS with a cups-pdf
queue of the bench's own (cupsd started here unless one runs); no card reader (the officers log
in by PIN), the status panel on gpiozero's MockFactory. The trainer's clock exists only with
every device fake, so ``--real`` walks the day on the real clock: run it after 13.00 WITA
(05.00 UTC), when voting may close.

Then what takes the memory: the RSS each third-party package adds when the process's entry
module is imported (attributed to the package imported first, nested imports included), and
the C extensions mapped in the real processes after the day.

Paper (A4 reports and copies, the distribution receipt, the signed PDF) is made in the web
app's paper child (kiosk.render_worker), whose RSS is printed too, with the time each paper
request took; ``--inline`` makes it in the web app as before the child, to compare.

Run: .venv/bin/python bench/memory_bench.py [--real] [--inline]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the tests' helpers, reused

from kiosk.render_worker import KEEP_WARM_S  # noqa: E402
from kiosk.tps import SAMPLE_PROFILE  # noqa: E402
from tests.chasil.test_chasil_http import GOOD, form  # noqa: E402
from tests.e2e.test_tps_day import SHEETS  # noqa: E402
from tests.kiosk.conftest import PINS  # noqa: E402
from tests.stacks.collector import CollectorProcess, free_port  # noqa: E402
from tests.stacks.printers import CUPS_PDF_PPD, EscposListener  # noqa: E402

GOAL_MB = {"web app": 80, "worker": 60}
# What the day would load into the web app if it were made there (A4 reports and copies, the
# signed PDF, the QR codes, the receipt printer's ESC/POS), in the order the day first needs
# them. The web app loads only python-escpos of these, and only where a receipt really prints
# (--real); qrcode for a thermal copy's code (under 0.1 MB).
DAY_LIBRARIES = ("escpos.printer", "fpdf", "img2pdf", "pypdf", "qrcode")
SHEET = {"PPWP": GOOD, **SHEETS}


# -- reading memory ------------------------------------------------------------------------


def memory_kb(pid: int) -> dict[str, int]:
    """RSS, PSS and USS (private clean + dirty) of one process, in KiB."""
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0])
    uss = fields["Private_Clean"] + fields["Private_Dirty"]
    return {"rss": fields["Rss"], "pss": fields["Pss"], "uss": uss}


def child_pids(pid: int) -> list[int]:
    """The processes ``pid`` started (the web app's paper child)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


# The web app's children: the paper child (kiosk.render_worker), warm for a few minutes after
# the last print; before the child was started with subprocess, multiprocessing's resource
# tracker too, which lived as long as the web app.
CHILD_LIFE = {
    "paper": f"let go {KEEP_WARM_S / 60:.0f} min after the last print",
    "mp tracker": "for the web app's life",
}


def child_name(pid: int) -> str:
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    if b"resource_tracker" in cmdline:
        return "mp tracker"
    # kiosk.paper.child: the paper child since it is started with subprocess; spawn_main: as it
    # was started by multiprocessing (a run of an older commit, to compare).
    paper = b"kiosk.paper.child" in cmdline or b"spawn_main" in cmdline
    return "paper" if paper else f"pid {pid}"


def extensions(pid: int) -> list[str]:
    """The packages whose C extensions (or bundled libraries) the process has mapped."""
    found = set()
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        m = re.search(r"site-packages/([^/]+)/.*\.so|site-packages/_?([^/.]+)[^/]*\.so", line)
        if m:
            found.add((m.group(1) or m.group(2)).removesuffix(".libs"))
    return sorted(found)


# -- the processes -------------------------------------------------------------------------


def kiosk_env(data_dir: Path, port: int, endpoint: str) -> dict[str, str]:
    return {
        **os.environ,
        "KIOSK_DATA_DIR": str(data_dir),
        "KIOSK_TRAINING": "1",
        "KIOSK_HARDWARE": "fake",
        "KIOSK_BIND": "127.0.0.1",
        "KIOSK_PORT": str(port),
        "KIOSK_UPLOAD_ENDPOINT": endpoint,
        # Logins that last the whole day: the trainer's clock jumps hours at a time.
        "KIOSK_IDLE_TIMEOUT_MIN": str(24 * 60),
        "KIOSK_SESSION_MAX_HOURS": "24",
    }


@contextlib.contextmanager
def process(
    command: list[str], env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited with {proc.returncode}")
        with contextlib.suppress(requests.ConnectionError):
            if requests.get(url, timeout=2).status_code < 500:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer in {timeout_s} s")


@contextlib.contextmanager
def real_devices(root: Path) -> Iterator[dict[str, str]]:
    """The real stacks this machine runs, and the kiosk settings that use them."""
    conf = root / "sane.d"
    conf.mkdir()
    (conf / "dll.conf").write_text("test\n")
    stock = Path("/etc/sane.d/test.conf").read_text()
    (conf / "test.conf").write_text(
        re.sub(r"^geometry_max\s+\S+$", "geometry_max 300.0", stock, flags=re.M)
    )
    receipt_port = free_port()
    receipt = EscposListener(receipt_port)
    cupsd = None
    if (
        "scheduler is running"
        not in subprocess.run(["lpstat", "-r"], capture_output=True, text=True, check=False).stdout
    ):
        cupsd = subprocess.Popen(["cupsd", "-f"])
        time.sleep(2)
    queue = "TPS_MEMORY_BENCH"
    subprocess.run(
        ["lpadmin", "-p", queue, "-E", "-v", "cups-pdf:/", "-P", CUPS_PDF_PPD],
        check=True,
        capture_output=True,
    )
    try:
        yield {
            "SANE_CONFIG_DIR": str(conf),
            "KIOSK_HARDWARE": "",
            "KIOSK_SCANNER": "sane",
            "KIOSK_SCANNER_DEVICE": "test:0",
            "KIOSK_RECEIPT_PRINTER": "escpos",
            "KIOSK_RECEIPT_CONNECTION": f"tcp://127.0.0.1:{receipt_port}",
            "KIOSK_DOCUMENT_PRINTER": "cups",
            "KIOSK_CUPS_QUEUE": queue,
            "KIOSK_CARD_READER": "none",
            "KIOSK_PANEL": "fake",
        }
    finally:
        subprocess.run(["lpadmin", "-x", queue], check=False, capture_output=True)
        receipt.close()
        if cupsd is not None:
            cupsd.terminate()
            cupsd.wait(timeout=10)


def settle() -> None:
    """Let background threads finish their first rounds before a reading."""
    time.sleep(3)


# -- the day through HTTP ------------------------------------------------------------------


class Browser:
    """One screen's session: cookies, and a form's CSRF token read from the page."""

    def __init__(self, url: str, officer: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.post("/login/", f"/login/pin/{officer}", pin=PINS[officer])

    def token(self, page: str) -> str:
        html = self.session.get(self.url + page, timeout=30).text
        match = re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert match, f"{page} has no form"
        return match.group(1)

    def post(self, page: str, to: str, **data: object) -> requests.Response:
        resp = self.session.post(
            self.url + to,
            data={"csrf_token": self.token(page), **data},
            allow_redirects=False,
            timeout=60,
        )
        assert resp.status_code in (302, 303), f"{to}: {resp.status_code} {resp.text[:300]}"
        return resp


# Seconds each paper request took in the day (its form's GET included), by what it makes.
PAPER_TIMES: dict[str, list[float]] = {}


@contextlib.contextmanager
def timed(kind: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    PAPER_TIMES.setdefault(kind, []).append(time.perf_counter() - started)


def sample_day(url: str, trainer_clock: bool = True) -> list[int]:
    """The sample TPS's day from 06.30 to signed counting; the three documents' ids."""
    ketua, anggota, trainer = (Browser(url, o) for o in ("kpps1", "kpps2", "pelatih"))

    def jump(hhmm: str) -> None:
        if trainer_clock:
            trainer.post("/pelatih/", "/pelatih/clock", time=hhmm)

    def step(who: Browser, step_id: str, **data: object) -> None:
        who.post("/checklist/", f"/checklist/{step_id}", **data)

    jump("0630")
    for step_id in ("tps_didirikan", "daftar_diumumkan", "logistik"):
        step(anggota, step_id)
    step(anggota, "mandat_saksi", value="3")
    step(ketua, "persiapan_ditandatangani")
    step(ketua, "jam_dikonfirmasi", action="set", time="0655")
    jump("0700")
    for step_id in ("rapat_dibuka", "sumpah", "kotak_kosong"):
        step(anggota, step_id)
    counts = {f"value:{b}": str(GOOD["SS1"]) for b in SHEET}
    step(anggota, "surat_suara_diterima", **counts)
    step(ketua, "pembukaan_ditandatangani")
    with timed("opening report (receipt)"):
        ketua.post("/checklist/", "/checklist/report/opening", printer="receipt")
    ketua.post("/selftest/", "/selftest/")
    step(anggota, "pemungutan_berjalan")
    jump("1300")
    step(ketua, "pemungutan_ditutup")
    step(anggota, "surat_suara_sisa", **{k: str(GOOD["SS4"]) for k in counts})
    step(anggota, "surat_suara_rusak", **{k: str(GOOD["SS3"]) for k in counts})
    step(anggota, "daftar_hadir")
    step(ketua, "penutupan_ditandatangani")
    step(anggota, "penghitungan_dimulai")
    docs = []
    for ballot, sheet in SHEET.items():
        page = f"/chasil/{ballot}/1"
        token = ketua.token(page)
        ketua.session.post(url + page, data=form(sheet, token), allow_redirects=False)
        ketua.post(page, f"/chasil/{ballot}/confirm")
        ketua.post(page, f"/chasil/{ballot}/scan")
        # A page the gate holds (SANE's test picture is no document): use it anyway, as the
        # operator may after looking at the preview.
        scan = ketua.session.get(f"{url}/chasil/{ballot}/scan", timeout=30).text
        for held in sorted(set(re.findall(rf"/chasil/{ballot}/pages/(\d+)\"", scan))):
            ketua.post(page, f"/chasil/{ballot}/pages/{held}", action="use")
        with timed("sign (the document PDF)"):
            where = ketua.post(page, f"/chasil/{ballot}/finish").headers["Location"]
        assert "/documents/" in where, f"{ballot} not signed: {where}"
        doc = int(where.rsplit("/", 1)[1])
        for printer in ("receipt", "a4"):
            with timed(f"every copy on {printer}"):
                ketua.post(f"/documents/{doc}", f"/documents/{doc}/print", printer=printer)
        with timed("distribution receipt (A4)"):
            ketua.post(f"/documents/{doc}", f"/documents/{doc}/receipt")
        docs.append(doc)
    return docs


def wait_sent(data_dir: Path, n: int, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.closing(sqlite3.connect(data_dir / "kiosk.sqlite3", timeout=10)) as db:
            sent = db.execute("SELECT count(*) FROM upload_job WHERE state = 'sent'").fetchone()
        if sent[0] >= n:
            return
        time.sleep(0.5)
    raise RuntimeError(f"the worker did not send {n} documents in {timeout_s} s")


# -- the bare minimum and the attribution --------------------------------------------------

BARE_WEB = """
import threading, urllib.request, flask, waitress.server
app = flask.Flask("bare")
app.add_url_rule("/", "home", lambda: "ok")
server = waitress.server.create_server(app, host="127.0.0.1", port=0, threads=8)
threading.Thread(target=server.run, daemon=True).start()
for _ in range(50):
    urllib.request.urlopen(f"http://127.0.0.1:{server.effective_port}/").read()
print(open("/proc/self/status").read().split("VmRSS:")[1].split()[0])
"""
BARE_WORKER = """
import time
from tusclient.client import TusClient
TusClient("http://127.0.0.1:9/files/")
print(open("/proc/self/status").read().split("VmRSS:")[1].split()[0])
"""
# Imports a module with a finder that reads RSS around each top-level package's first import;
# prints "package kib" lines, biggest first.
ATTRIBUTE = """
import importlib.abc, importlib.machinery, sys
def rss():
    return int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0])
cost, depth = {}, [0]
class Timed(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if "." in name or depth[0]:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return None
        run = spec.loader.exec_module
        def exec_module(module, run=run, name=name):
            depth[0] += 1
            before = rss()
            try:
                run(module)
            finally:
                depth[0] -= 1
                cost[name] = rss() - before
        spec.loader.exec_module = exec_module
        return spec
sys.meta_path.insert(0, Timed())
start = rss()
for entry in sys.argv[1:]:
    before = rss()
    __import__(entry)
    print("ENTRY", entry, rss() - before)
print("TOTAL", rss() - start)
for name, kib in sorted(cost.items(), key=lambda kv: -kv[1])[:9]:
    print(name, kib)
"""


def bare_rss_kb(code: str) -> int:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[-1])


def attribution(*entries: str) -> tuple[dict[str, int], list[tuple[str, int]]]:
    """The RSS each entry adds imported in this order, and the top packages, in KiB."""
    out = subprocess.run(
        [sys.executable, "-c", ATTRIBUTE, *entries],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [line.split() for line in out.stdout.splitlines()]
    added = {w[1]: int(w[2]) for w in lines if w[0] == "ENTRY"}
    return added, [(w[0], int(w[1])) for w in lines if w[0] != "ENTRY"]


def mb(kib: int) -> str:
    return f"{kib / 1024:6.1f}"


def print_table(
    idle: dict[str, dict[str, int]],
    after: dict[str, dict[str, int]],
    bare: dict[str, int],
    children: dict[str, dict[str, int]],
) -> None:
    print(
        f"{'MB':10} {'idle RSS':>8} {'PSS':>6} {'USS':>6} | {'day RSS':>7} {'PSS':>6} "
        f"{'USS':>6} | {'goal':>4} {'bare':>6} {'x bare':>6}"
    )
    for name in ("web app", "worker"):
        i, a = idle[name], after[name]
        print(
            f"{name:10} {mb(i['rss']):>8} {mb(i['pss'])} {mb(i['uss'])} | {mb(a['rss']):>7} "
            f"{mb(a['pss'])} {mb(a['uss'])} | {GOAL_MB[name]:>4} {mb(bare[name])} "
            f"{a['rss'] / bare[name]:5.2f}x  {'ok' if a['rss'] <= GOAL_MB[name] * 1024 else 'OVER'}"
        )
    for name, child in children.items():
        print(
            f"{name:10} {'':>8} {'':>6} {'':>6} | {mb(child['rss']):>7} "
            f"{mb(child['pss'])} {mb(child['uss'])} | {CHILD_LIFE.get(name, '')}"
        )


def print_attribution(mapped: dict[str, list[str]]) -> None:
    """What each package adds when imported, and what the processes mapped after the day."""
    entries = {
        "web app": ("waitress", "kiosk.app", "kiosk.wiring"),
        "worker": ("kiosk.upload.run",),
    }
    for name, modules in entries.items():
        _, rows = attribution(*modules)
        total = rows[0][1]
        print(f"{name}: importing {' '.join(modules)} adds {mb(total).strip()} MB RSS; by package:")
        print("   " + ", ".join(f"{n} {k / 1024:.1f}" for n, k in rows[1:]))
        print(f"   C extensions mapped after the day: {', '.join(mapped[name]) or '-'}")
    web = entries["web app"]
    added, _ = attribution(*web, *DAY_LIBRARIES)
    print("web app: what the day's paper and PDF add when first used, MB RSS (after the app):")
    print("   " + ", ".join(f"{n} {added[n] / 1024:.1f}" for n in DAY_LIBRARIES))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--real", action="store_true", help="SANE test, CUPS PDF, ESC/POS TCP")
    parser.add_argument(
        "--inline", action="store_true", help="make paper in the web app (before the child)"
    )
    args = parser.parse_args()
    if args.real and not (shutil.which("cupsd") and Path(CUPS_PDF_PPD).exists()):
        parser.error("--real needs cupsd and printer-driver-cups-pdf (scripts/setup)")
    with (
        tempfile.TemporaryDirectory(prefix="memory-bench-") as tmp,
        contextlib.ExitStack() as stack,
    ):
        root = Path(tmp)
        data_dir = root / "data"
        devices = stack.enter_context(real_devices(root)) if args.real else {}
        collector = CollectorProcess(
            root / "collector", free_port(), accept_training=True, trust_first_use=True
        ).start()
        try:
            port = free_port()
            env = kiosk_env(data_dir, port, collector.files_url) | devices
            env["KIOSK_RENDER_INLINE"] = "1" if args.inline else "0"
            kiosk = [sys.executable, "-m", "kiosk"]
            subprocess.run(
                [*kiosk, "provision", str(SAMPLE_PROFILE)],
                cwd=REPO,
                env=env,
                check=True,
                capture_output=True,
            )
            with (
                process([*kiosk, "serve"], env, root / "web.log") as web,
                process([*kiosk, "worker"], env, root / "worker.log") as worker,
            ):
                url = f"http://127.0.0.1:{port}"
                wait_http(url + "/health", web)
                settle()
                idle = {"web app": memory_kb(web.pid), "worker": memory_kb(worker.pid)}
                started = time.monotonic()
                docs = sample_day(url, trainer_clock=not args.real)
                walked = time.monotonic() - started
                wait_sent(data_dir, len(docs))
                took = time.monotonic() - started
                settle()
                after = {"web app": memory_kb(web.pid), "worker": memory_kb(worker.pid)}
                mapped = {"web app": extensions(web.pid), "worker": extensions(worker.pid)}
                children = {child_name(pid): memory_kb(pid) for pid in child_pids(web.pid)}
        finally:
            collector.stop()
    bare = {"web app": bare_rss_kb(BARE_WEB), "worker": bare_rss_kb(BARE_WORKER)}
    how = "real SANE test, CUPS PDF, ESC/POS TCP" if args.real else "fake devices"
    print(f"Sample day through HTTP ({how}): {len(docs)} documents signed, printed, sent")
    print(f"in {took:.1f} s (the screens' requests {walked:.1f} s)")
    print()
    print_table(idle, after, bare, children)
    print()
    print("Paper requests, s (first; each after):")
    for kind, took_s in PAPER_TIMES.items():
        print(f"   {kind}: {' '.join(f'{t:.2f}' for t in took_s)}")
    print()
    print_attribution(mapped)


if __name__ == "__main__":
    main()
