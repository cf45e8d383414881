"""A4 printer contract: CUPS with the cups-pdf queue (the PDF that comes out is read back with
pdftotext), and the fake document printer running the same tests.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fpdf import FPDF

from drivers.errors import PrinterOffline
from drivers.printer import PrinterState
from drivers.printer.fake import FakeDocumentPrinter
from tests.stacks import printers as stack

ROOT = Path(__file__).resolve().parents[2]


def make_pdf(tmp_path: Path, text: str) -> Path:
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.cell(0, 10, text)
    buf = io.BytesIO()
    pdf.output(buf)
    path = tmp_path / f"{abs(hash(text))}.pdf"
    path.write_bytes(buf.getvalue())
    return path


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@dataclass
class A4Harness:
    printer: Any
    output: Any  # (timeout_s) -> the PDFs that came out so far in this test
    stop: Any  # () -> None: the printer stops (cupsdisable)
    jobs: Any  # () -> unfinished jobs left in the printer


@pytest.fixture(params=["cups-pdf", "fake"])
def a4(request, tmp_path):
    if request.param == "fake":
        fake = FakeDocumentPrinter(tmp_path / "out")
        yield A4Harness(
            fake,
            lambda timeout_s=0: [j.path for j in fake.jobs],
            lambda: fake.set_state(PrinterState.OFFLINE),
            lambda: [],
        )
        return
    from drivers.printer.cups_adapter import CupsPrinter

    queue = request.getfixturevalue("cups_pdf_queue")
    control = request.getfixturevalue("cups_queue_control")
    before = stack.pdf_listing()
    produced: list[Path] = []

    def output(timeout_s: float = 5) -> list[Path]:
        produced[:] = stack.new_pdfs(before, timeout_s)
        return produced

    yield A4Harness(
        CupsPrinter(queue, job_timeout_s=30),
        output,
        lambda: control.disable(queue),
        lambda: control.jobs(queue),
    )
    for path in produced:  # cups-pdf's folder would otherwise grow with every test run
        path.unlink(missing_ok=True)


def test_a4_prints_the_pdf(a4, tmp_path):
    assert a4.printer.status().state is PrinterState.READY
    first = a4.printer.print_pdf(make_pdf(tmp_path, "C.Hasil salinan untuk Saksi 1"), "salinan-1")
    second = a4.printer.print_pdf(make_pdf(tmp_path, "C.Hasil salinan untuk Saksi 2"), "salinan-2")
    assert 0 < first < second
    outputs = a4.output()
    assert len(outputs) == 2
    texts = sorted(pdf_text(out) for out in outputs)
    assert "C.Hasil salinan untuk Saksi 1" in texts[0]
    assert "C.Hasil salinan untuk Saksi 2" in texts[1]
    assert a4.jobs() == []


def test_a4_stopped_printer_is_offline_and_refuses(a4, tmp_path):
    a4.stop()
    status = a4.printer.status()
    assert status.state is PrinterState.OFFLINE and not status.ready
    with pytest.raises(PrinterOffline):
        a4.printer.print_pdf(make_pdf(tmp_path, "x"), "x")
    assert a4.jobs() == []  # refused, not queued to come out later
    assert a4.output(timeout_s=0.5) == []


def test_a4_missing_pdf_is_a_caller_bug(a4, tmp_path):
    with pytest.raises(FileNotFoundError):
        a4.printer.print_pdf(tmp_path / "nothing.pdf", "x")


def test_cups_unknown_queue_is_offline(cups_pdf_queue, tmp_path):
    from drivers.printer.cups_adapter import CupsPrinter

    printer = CupsPrinter("NO_SUCH_QUEUE")
    assert printer.status().state is PrinterState.OFFLINE
    with pytest.raises(PrinterOffline, match="NO_SUCH_QUEUE"):
        printer.print_pdf(make_pdf(tmp_path, "x"), "x")


def test_cups_job_that_never_finishes_is_cancelled(cups_queues, cups_queue_control, tmp_path):
    from drivers.printer.cups_adapter import CupsPrinter

    queue = cups_queue_control.use(cups_queues["dead"])  # its printer's port refuses connections
    printer = CupsPrinter(queue, job_timeout_s=1.5)
    with pytest.raises(PrinterOffline):
        printer.print_pdf(make_pdf(tmp_path, "x"), "x")
    assert cups_queue_control.jobs(queue) == []  # cancelled: Retry will not print it twice


def test_cups_queue_stopped_while_a_job_waits(cups_queues, cups_queue_control, tmp_path):
    from drivers.printer.cups_adapter import CupsPrinter

    queue = cups_queue_control.use(cups_queues["dead"])
    printer = CupsPrinter(queue, job_timeout_s=30)
    stopper = threading.Timer(0.3, cups_queue_control.disable, [queue])
    stopper.start()
    started = time.monotonic()
    with pytest.raises(PrinterOffline, match=r"paused|stopped"):
        printer.print_pdf(make_pdf(tmp_path, "x"), "x")
    stopper.join()
    assert time.monotonic() - started < 5  # noticed, not left to the 30 s timeout
    assert cups_queue_control.jobs(queue) == []


def test_cups_server_not_running_is_offline(tmp_path):
    # libcups reads CUPS_SERVER once per process, hence a child process.
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from drivers.printer.cups_adapter import CupsPrinter\n"
        "p = CupsPrinter('TPS_PDF')\n"
        "try:\n"
        "    p.print_pdf(Path(sys.argv[1]), 'x')\n"
        "    error = None\n"
        "except Exception as exc:\n"
        "    error = type(exc).__name__\n"
        "print(json.dumps([p.status().state.value, error]))\n"
    )
    env = {**os.environ, "CUPS_SERVER": "127.0.0.1:1"}  # nothing listens on port 1
    result = subprocess.run(
        [sys.executable, "-c", script, str(make_pdf(tmp_path, "x"))],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
    )
    assert json.loads(result.stdout) == ["offline", "PrinterOffline"]
