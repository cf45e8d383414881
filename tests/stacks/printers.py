"""The printers' real stacks: an ESC/POS printer on 127.0.0.1:9100, and CUPS with a PDF queue.

The TCP listener stands in for an Ethernet receipt printer: it keeps the bytes of every job and
answers the real-time status requests DLE EOT n with the status byte a printer would send, so a
test can put "paper" in or take it out. cupsd is started if it is not running and stopped at the
end only if this module started it.
"""

from __future__ import annotations

import contextlib
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
# Status bytes (bit 1 and bit 4 are always set in ESC/POS real-time answers).
READY = {1: 0x12, 2: 0x12, 4: 0x12}
PAPER_OUT = {1: 0x1A, 2: 0x32, 4: 0x72}
COVER_OPEN = {1: 0x1A, 2: 0x16, 4: 0x12}
PDF_QUEUE = "TPS_PDF"
CUPS_PDF_PPD = "/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd"
CUPS_PDF_OUT = Path("/root/PDF")


class EscposListener:
    """Accepts connections on 127.0.0.1:``port``; ``jobs`` holds the bytes of each print job."""

    def __init__(self, port: int = ESCPOS_PORT) -> None:
        self.status = dict(READY)
        self.answer_status = True
        self.paper_out_after: int | None = None  # the roll runs out after this many jobs
        self.jobs: list[bytes] = []
        self._server = socket.socket()
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", port))
        self._server.listen(5)
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            with conn:
                data = self._serve(conn)
            if data:  # a connection that only asked for status printed nothing
                self.jobs.append(data)
                if self.paper_out_after is not None and len(self.jobs) >= self.paper_out_after:
                    self.status = dict(PAPER_OUT)

    def _serve(self, conn: socket.socket) -> bytes:
        data = bytearray()
        querying = True  # status requests come before the job's data
        while chunk := conn.recv(65536):
            data += chunk
            # Only leading DLE EOT n are requests: inside raster data those bytes are pixels.
            while querying and len(data) >= 3 and data[:2] == b"\x10\x04":
                n = data[2]
                del data[:3]
                if self.answer_status and n in self.status:
                    conn.sendall(bytes([self.status[n]]))
            if querying and (
                (len(data) >= 2 and data[:2] != b"\x10\x04") or data[:1] not in (b"", b"\x10")
            ):
                querying = False
        return bytes(data)

    def wait_for_jobs(self, count: int, timeout_s: float = 5) -> list[bytes]:
        deadline = time.monotonic() + timeout_s
        while len(self.jobs) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.jobs

    def close(self) -> None:
        # shutdown() wakes the thread blocked in accept(); close() alone leaves the port bound.
        with contextlib.suppress(OSError):
            self._server.shutdown(socket.SHUT_RDWR)
        self._server.close()
        self._thread.join(timeout=5)


@pytest.fixture
def escpos_listener() -> Iterator[EscposListener]:
    listener = EscposListener()
    yield listener
    listener.close()


def _lpstat_ok() -> bool:
    # lpstat -r exits 0 either way; only its words tell.
    out = subprocess.run(["lpstat", "-r"], capture_output=True, text=True, check=False).stdout
    return out.strip() == "scheduler is running"


@pytest.fixture(scope="session")
def cups_pdf_queue() -> Iterator[str]:
    """cupsd running with the cups-pdf queue TPS_PDF; yields the queue name."""
    try:
        import cups  # noqa: F401
    except ImportError:
        missing_stack("pycups is not installed")
    if not shutil.which("cupsd") or not Path(CUPS_PDF_PPD).exists():
        missing_stack("cups or printer-driver-cups-pdf is not installed")
    with daemon(["cupsd", "-f"], _lpstat_ok):
        yield from _with_pdf_queue()


def _with_pdf_queue() -> Iterator[str]:
    subprocess.run(
        [
            "lpadmin",
            "-p",
            PDF_QUEUE,
            "-E",
            "-v",
            "cups-pdf:/",
            "-P",
            CUPS_PDF_PPD,
            "-o",
            "printer-is-shared=false",
        ],
        check=True,
        capture_output=True,
    )
    yield PDF_QUEUE
    subprocess.run(["lpadmin", "-x", PDF_QUEUE], check=False, capture_output=True)


def new_pdfs(before: set[Path], timeout_s: float = 20) -> list[Path]:
    """cups-pdf output files that appeared since ``before`` (names are not predictable)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = sorted(set(CUPS_PDF_OUT.glob("*.pdf")) - before) if CUPS_PDF_OUT.exists() else []
        if found and all(p.stat().st_size > 0 for p in found):
            return found
        time.sleep(0.1)
    return []
