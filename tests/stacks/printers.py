"""The printers' real stacks: an ESC/POS printer on 127.0.0.1:9100, and CUPS with its queues.

The TCP listener stands in for an Ethernet receipt printer: it keeps the bytes of every job and
answers the real-time status requests DLE EOT n with the status byte a printer would send, so a
test can put "paper" in or take it out. cupsd is started if it is not running and stopped at the
end only if this module started it (by its PID). Queues:

- TPS_PDF: cups-pdf, writes each job as a PDF into ~/PDF of the submitting user (names are not
  predictable: diff the listing with ``new_pdfs``).
- TPS_RECEIPT_RAW: a raw queue into the 9100 listener (escpos ``cups://`` receipts).
- TPS_DEAD: a raw queue into a closed port, so its jobs never finish.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.stacks.require import daemon, missing_stack

ESCPOS_PORT = 9100
DEAD_PORT = 9  # discard: nothing listens there on the test machine
DLE_EOT = b"\x10\x04"
# Status bytes per DLE EOT n (bits 1 and 4 are always set in ESC/POS real-time answers):
# n=1 bit 3 offline; n=2 bit 2 cover open, bit 5 paper end; n=4 bits 2-3 near end, 5-6 end.
READY = {1: 0x12, 2: 0x12, 4: 0x12}
PAPER_LOW = {1: 0x12, 2: 0x12, 4: 0x1E}
PAPER_OUT = {1: 0x1A, 2: 0x32, 4: 0x72}
COVER_OPEN = {1: 0x1A, 2: 0x16, 4: 0x12}
PDF_QUEUE = "TPS_PDF"
RAW_QUEUE = "TPS_RECEIPT_RAW"
DEAD_QUEUE = "TPS_DEAD"
CUPS_PDF_PPD = "/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd"
# cups-pdf runs as the job's owner (us) and writes into that user's home from the passwd entry.
CUPS_PDF_OUT = Path(pwd.getpwuid(os.getuid()).pw_dir) / "PDF"


class EscposListener:
    """Accepts connections on 127.0.0.1:``port``, one at a time, like a printer's port 9100.

    ``jobs``: the bytes of each connection that sent more than status requests, with those
    leading requests taken off. ``requests``: every DLE EOT n asked, in order. ``status``: the
    byte answered per n; ``answer_status = False`` makes it a printer that never answers.
    ``paper_out_after``: the roll runs out once that many jobs have come in.
    """

    def __init__(self, port: int = ESCPOS_PORT) -> None:
        self.status = dict(READY)
        self.answer_status = True
        self.paper_out_after: int | None = None
        self.jobs: list[bytes] = []
        self.requests: list[int] = []
        self._server = socket.socket()
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", port))
        self._server.listen(5)
        self._thread = threading.Thread(target=self._accept, name="escpos-listener", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return  # closed
            with conn:
                data = self._serve(conn)
            if data:  # a connection that only asked for status printed nothing
                self.jobs.append(data)
                if self.paper_out_after is not None and len(self.jobs) >= self.paper_out_after:
                    self.status = dict(PAPER_OUT)

    def _serve(self, conn: socket.socket) -> bytes:
        data = bytearray()
        querying = True  # status requests come before the job; later 10 04 bytes are pixels
        while chunk := conn.recv(65536):
            data += chunk
            while querying and len(data) >= 3 and data[:2] == DLE_EOT:
                n = data[2]
                del data[:3]
                self.requests.append(n)
                if self.answer_status and n in self.status:
                    conn.sendall(bytes([self.status[n]]))
            # Anything that cannot be the start of another request ends the requests.
            if querying and data and not DLE_EOT.startswith(bytes(data[:2])):
                querying = False
        return bytes(data)

    def wait_for_jobs(self, count: int, timeout_s: float = 5) -> list[bytes]:
        """The jobs so far, once there are ``count`` of them or ``timeout_s`` seconds passed."""
        deadline = time.monotonic() + timeout_s
        while len(self.jobs) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.jobs

    def close(self) -> None:
        """The printer goes away: new connections are refused."""
        # shutdown() wakes the thread blocked in accept(); close() alone leaves it waiting.
        with contextlib.suppress(OSError):
            self._server.shutdown(socket.SHUT_RDWR)
        self._server.close()
        self._thread.join(timeout=5)


@pytest.fixture
def escpos_listener() -> Iterator[EscposListener]:
    listener = EscposListener()
    yield listener
    listener.close()


# CUPS ---------------------------------------------------------------------------------------------
def _lpstat_ok() -> bool:
    # lpstat -r exits 0 either way; only its words tell.
    out = subprocess.run(["lpstat", "-r"], capture_output=True, text=True, check=False).stdout
    return out.strip() == "scheduler is running"


def _lpadmin(queue: str, *args: str) -> None:
    result = subprocess.run(
        ["lpadmin", "-p", queue, "-E", *args, "-o", "printer-is-shared=false"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        missing_stack(f"lpadmin -p {queue}: {result.stderr.strip()}")


@pytest.fixture(scope="session")
def cupsd() -> Iterator[None]:
    """cupsd running (started here, in the foreground, unless one already runs)."""
    try:
        import cups  # noqa: F401
    except ImportError:
        missing_stack("pycups is not installed")
    if not shutil.which("cupsd") or not shutil.which("lpadmin"):
        missing_stack("cups is not installed")
    with daemon(["cupsd", "-f"], _lpstat_ok):
        yield


@pytest.fixture(scope="session")
def cups_queues(cupsd: None) -> Iterator[dict[str, str]]:
    """The test queues, created once and removed at the end: {"pdf": ..., "raw": ..., ...}."""
    if not Path(CUPS_PDF_PPD).exists():
        missing_stack("printer-driver-cups-pdf is not installed")
    _lpadmin(PDF_QUEUE, "-v", "cups-pdf:/", "-P", CUPS_PDF_PPD)
    # Raw queues: lpadmin warns that raw queues are deprecated; they still work in CUPS 2.4.
    _lpadmin(RAW_QUEUE, "-v", f"socket://127.0.0.1:{ESCPOS_PORT}", "-m", "raw")
    _lpadmin(DEAD_QUEUE, "-v", f"socket://127.0.0.1:{DEAD_PORT}", "-m", "raw")
    queues = {"pdf": PDF_QUEUE, "raw": RAW_QUEUE, "dead": DEAD_QUEUE}
    try:
        yield queues
    finally:
        for queue in queues.values():
            subprocess.run(["lpadmin", "-x", queue], check=False, capture_output=True)


@pytest.fixture(scope="session")
def cups_pdf_queue(cups_queues: dict[str, str]) -> str:
    """cupsd running with the cups-pdf queue TPS_PDF; the queue name."""
    return cups_queues["pdf"]


@pytest.fixture
def cups_queue_control(cups_queues: dict[str, str]) -> Iterator[CupsQueueControl]:
    control = CupsQueueControl()
    yield control
    control.restore()


class CupsQueueControl:
    """Stop and start queues during a test; at the end every touched queue is enabled again and
    its leftover jobs cancelled, so the next test starts clean."""

    def __init__(self) -> None:
        self._touched: set[str] = set()

    def disable(self, queue: str) -> None:
        self._touched.add(queue)
        subprocess.run(["cupsdisable", queue], check=True)

    def enable(self, queue: str) -> None:
        subprocess.run(["cupsenable", queue], check=True)

    def jobs(self, queue: str) -> list[str]:
        """Ids (QUEUE-N) of the queue's jobs that are not finished."""
        out = subprocess.run(
            ["lpstat", "-o", queue], capture_output=True, text=True, check=False
        ).stdout
        return [line.split()[0] for line in out.splitlines() if line.strip()]

    def use(self, queue: str) -> str:
        self._touched.add(queue)
        return queue

    def restore(self) -> None:
        for queue in self._touched:
            subprocess.run(["cancel", "-a", queue], check=False, capture_output=True)
            subprocess.run(["cupsenable", queue], check=False, capture_output=True)


def pdf_listing() -> set[Path]:
    """The cups-pdf output files now; pass to ``new_pdfs`` to find what a job wrote."""
    return set(CUPS_PDF_OUT.glob("*.pdf")) if CUPS_PDF_OUT.exists() else set()


def new_pdfs(before: set[Path], timeout_s: float = 20) -> list[Path]:
    """cups-pdf output files that appeared since ``before`` (names are not predictable)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = sorted(pdf_listing() - before)
        if found and all(p.stat().st_size > 0 for p in found):
            return found
        time.sleep(0.1)
    return []
