"""Contracts for both printers, against the real stacks and the fakes.

Receipt: python-escpos over TCP into a listener on 127.0.0.1:9100 (bytes and raster checked).
A4: CUPS with the cups-pdf queue (the PDF that comes out is read back with pdftotext).
"""

from __future__ import annotations

import io
import subprocess
from dataclasses import dataclass
from typing import Any

import pytest
from fpdf import FPDF
from PIL import Image, ImageChops, ImageDraw

from drivers.errors import PaperOut, PrinterCoverOpen, PrinterOffline
from drivers.printer import PrinterState
from drivers.printer.fake import FakeDocumentPrinter, FakeReceiptPrinter
from tests.contract.escpos_raster import decode_raster
from tests.stacks import printers as stack

PROFILE = "TM-T20II"
CUT = b"\x1dV\x00"  # GS V 0: full cut (python-escpos feeds with ESC d 6 first)


def receipt_image(width: int = 576, height: int = 1200) -> Image.Image:
    """Black and white only (no dithering to argue about), taller than one 960-dot fragment."""
    img = Image.new("1", (width, height), 1)
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, width - 1, height - 1), outline=0, width=3)
    draw.text((20, 20), "TPS 6474010001005 SALINAN 1/5", fill=0)
    for y in range(60, height - 40, 37):
        draw.line((10, y, width - 10, y + 20), fill=0, width=2)
    return img


@dataclass
class ReceiptHarness:
    printer: Any
    jobs: Any  # () -> list of ESC/POS byte strings received
    set_state: Any  # (PrinterState) -> None
    go_away: Any  # () -> None: the printer disappears


@pytest.fixture(params=["escpos-tcp", "fake"])
def receipt(request, tmp_path):
    if request.param == "fake":
        fake = FakeReceiptPrinter(tmp_path / "out", PROFILE)
        return ReceiptHarness(
            fake,
            lambda: [j.data for j in fake.jobs],
            fake.set_state,
            lambda: fake.set_state(PrinterState.OFFLINE),
        )
    from drivers.printer.escpos_adapter import EscposPrinter

    listener = request.getfixturevalue("escpos_listener")
    statuses = {
        PrinterState.READY: stack.READY,
        PrinterState.PAPER_OUT: stack.PAPER_OUT,
        PrinterState.COVER_OPEN: stack.COVER_OPEN,
    }

    def set_state(state):
        listener.status = dict(statuses[state])

    printer = EscposPrinter(f"tcp://127.0.0.1:{stack.ESCPOS_PORT}", PROFILE)
    return ReceiptHarness(printer, lambda: listener.wait_for_jobs(1), set_state, listener.close)


def test_receipt_width_comes_from_the_profile(receipt):
    assert receipt.printer.width_px == 576


def test_receipt_bytes_are_exactly_the_escpos_encoding(receipt):
    from drivers.printer.escpos_adapter import encode_image

    img = receipt_image()
    receipt.printer.print_image(img)
    (data,) = receipt.jobs()
    assert data == encode_image(img, PROFILE)
    assert data.count(CUT) == 1


def test_receipt_raster_decodes_back_to_the_image(receipt):
    img = receipt_image()
    receipt.printer.print_image(img)
    decoded = decode_raster(receipt.jobs()[0])
    assert decoded.size == img.size
    assert ImageChops.difference(decoded.convert("L"), img.convert("L")).getbbox() is None


def test_two_copies_two_cuts(receipt):
    receipt.printer.print_image(receipt_image(height=200), copies=2)
    assert receipt.jobs()[0].count(CUT) == 2


@pytest.mark.parametrize(
    ("state", "error"),
    [(PrinterState.PAPER_OUT, PaperOut), (PrinterState.COVER_OPEN, PrinterCoverOpen)],
)
def test_receipt_status_and_refusal(receipt, state, error):
    assert receipt.printer.status().state is PrinterState.READY
    receipt.set_state(state)
    assert receipt.printer.status().state is state
    with pytest.raises(error):
        receipt.printer.print_image(receipt_image(height=100))
    receipt.set_state(PrinterState.READY)
    receipt.printer.print_image(receipt_image(height=100))
    assert any(CUT in job for job in receipt.jobs())


def test_receipt_printer_gone(receipt):
    receipt.go_away()
    assert receipt.printer.status().state is PrinterState.OFFLINE
    with pytest.raises(PrinterOffline):
        receipt.printer.print_image(receipt_image(height=100))


def test_receipt_image_too_wide_is_a_caller_bug(receipt):
    with pytest.raises(ValueError, match="wide"):
        receipt.printer.print_image(receipt_image(width=600, height=50))


def test_escpos_printer_that_never_answers_status_still_prints(escpos_listener):
    from drivers.printer.escpos_adapter import EscposPrinter

    escpos_listener.answer_status = False
    printer = EscposPrinter(f"tcp://127.0.0.1:{stack.ESCPOS_PORT}", PROFILE)
    assert printer.status().state is PrinterState.UNKNOWN
    printer.print_image(receipt_image(height=100))
    assert CUT in escpos_listener.wait_for_jobs(2)[-1]


def test_fake_receipt_keeps_a_png_of_the_paper(tmp_path):
    fake = FakeReceiptPrinter(tmp_path, PROFILE)
    img = receipt_image(height=300)
    fake.print_image(img)
    (job,) = fake.jobs
    assert job.path.suffix == ".png"
    kept = Image.open(job.path)
    assert ImageChops.difference(kept.convert("L"), img.convert("L")).getbbox() is None


# A4 ---------------------------------------------------------------------------------------------
def make_pdf(tmp_path, text: str):
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.cell(0, 10, text)
    buf = io.BytesIO()
    pdf.output(buf)
    path = tmp_path / "doc.pdf"
    path.write_bytes(buf.getvalue())
    return path


def pdf_text(path) -> str:
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@dataclass
class A4Harness:
    printer: Any
    output: Any  # (before) -> list of PDFs that came out
    snapshot: Any  # () -> state before printing
    stop: Any  # () -> None: the printer stops accepting jobs
    start: Any


@pytest.fixture(params=["cups-pdf", "fake"])
def a4(request, tmp_path):
    if request.param == "fake":
        fake = FakeDocumentPrinter(tmp_path / "out")
        yield A4Harness(
            fake,
            lambda before: [j.path for j in fake.jobs[len(before) :]],
            lambda: list(fake.jobs),
            lambda: fake.set_state(PrinterState.OFFLINE),
            lambda: fake.set_state(PrinterState.READY),
        )
        return
    from drivers.printer.cups_adapter import CupsPrinter

    queue = request.getfixturevalue("cups_pdf_queue")

    def snapshot():
        return set(stack.CUPS_PDF_OUT.glob("*.pdf")) if stack.CUPS_PDF_OUT.exists() else set()

    harness = A4Harness(
        CupsPrinter(queue, job_timeout_s=30),
        stack.new_pdfs,
        snapshot,
        lambda: subprocess.run(["cupsdisable", queue], check=True),
        lambda: subprocess.run(["cupsenable", queue], check=True),
    )
    yield harness
    harness.start()


def test_a4_prints_the_pdf(a4, tmp_path):
    assert a4.printer.status().state is PrinterState.READY
    before = a4.snapshot()
    job = a4.printer.print_pdf(make_pdf(tmp_path, "C.Hasil salinan untuk Saksi 1"), "salinan-1")
    assert job > 0
    (out,) = a4.output(before)
    assert "C.Hasil salinan untuk Saksi 1" in pdf_text(out)


def test_a4_stopped_printer_is_offline_and_refuses(a4, tmp_path):
    a4.stop()
    assert a4.printer.status().state is PrinterState.OFFLINE
    with pytest.raises(PrinterOffline):
        a4.printer.print_pdf(make_pdf(tmp_path, "x"), "x")


def test_cups_unknown_queue_is_offline(cups_pdf_queue, tmp_path):
    from drivers.printer.cups_adapter import CupsPrinter

    printer = CupsPrinter("NO_SUCH_QUEUE")
    assert printer.status().state is PrinterState.OFFLINE
    with pytest.raises(PrinterOffline):
        printer.print_pdf(make_pdf(tmp_path, "x"), "x")
