"""Receipt printer contract, against the real stacks and the fake.

python-escpos over TCP into a listener on 127.0.0.1:9100 that answers DLE EOT status
requests like a printer (bytes, raster and status checked), and through a raw CUPS queue into the
same listener. The fake runs the same tests.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops, ImageDraw

from drivers.errors import PaperOut, PrinterCoverOpen, PrinterOffline
from drivers.printer import PrinterState
from drivers.printer.escpos_adapter import encode_image, printed_dots
from drivers.printer.escpos_link import parse_status
from drivers.printer.fake import FakeReceiptPrinter
from tests.contract.escpos_raster import decode_raster
from tests.stacks import printers as stack

PROFILE = "TM-T20II"  # 576 dots, 80 mm at 203 dpi
CUT = b"\x1dV\x00"  # GS V 0: full cut (python-escpos feeds with ESC d 6 first)
INIT = b"\x1b@"  # ESC @: initialize, so no mode left over from another host's job applies
GS_V_0 = b"\x1dv0"
ROOT = Path(__file__).resolve().parents[2]


def receipt_image(width: int = 576, height: int = 1200) -> Image.Image:
    """Black and white only (no dithering to argue about), taller than one 960-dot fragment."""
    img = Image.new("1", (width, height), 1)
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, width - 1, height - 1), outline=0, width=3)
    draw.text((20, 20), "TPS 6474010001005 SALINAN 1/5", fill=0)
    for y in range(60, height - 40, 37):
        draw.line((10, y, width - 10, y + 20), fill=0, width=2)
    return img


def grey_image(width: int = 576, height: int = 1000) -> Image.Image:
    """A grey ramp with a transparent hole: dithering and alpha must come out as printed."""
    img = Image.linear_gradient("L").resize((width, height)).convert("RGBA")
    ImageDraw.Draw(img).rectangle((40, 40, 200, 200), fill=(0, 0, 0, 0))
    return img


def same_pixels(a: Image.Image, b: Image.Image) -> bool:
    return (
        a.size == b.size and ImageChops.difference(a.convert("L"), b.convert("L")).getbbox() is None
    )


# Receipt ------------------------------------------------------------------------------------------
@dataclass
class ReceiptHarness:
    printer: Any
    jobs: Any  # (count) -> the ESC/POS byte strings received, once there are count of them
    set_state: Any  # (PrinterState) -> None
    go_away: Any  # () -> None: the printer disappears


LISTENER_STATUS = {
    PrinterState.READY: stack.READY,
    PrinterState.PAPER_LOW: stack.PAPER_LOW,
    PrinterState.PAPER_OUT: stack.PAPER_OUT,
    PrinterState.COVER_OPEN: stack.COVER_OPEN,
}


def make_receipt(kind: str, request: pytest.FixtureRequest, out: Path, profile: str, paper_mm: int):
    if kind == "fake":
        fake = FakeReceiptPrinter(out, profile, paper_mm)
        return ReceiptHarness(
            fake,
            lambda count: [j.data for j in fake.jobs],
            fake.set_state,
            lambda: fake.set_state(PrinterState.OFFLINE),
        )
    from drivers.printer.escpos_adapter import EscposPrinter

    listener = request.getfixturevalue("escpos_listener")

    def set_state(state: PrinterState) -> None:
        listener.status = dict(LISTENER_STATUS[state])

    printer = EscposPrinter(f"tcp://127.0.0.1:{stack.ESCPOS_PORT}", profile, paper_mm)
    return ReceiptHarness(printer, listener.wait_for_jobs, set_state, listener.close)


@pytest.fixture(params=["escpos-tcp", "fake"])
def receipt(request, tmp_path):
    return make_receipt(request.param, request, tmp_path / "out", PROFILE, 80)


def test_receipt_width_comes_from_the_profile(receipt):
    assert receipt.printer.width_px == 576


@pytest.mark.parametrize("kind", ["escpos-tcp", "fake"])
def test_receipt_width_from_paper_when_the_profile_has_none(kind, request, tmp_path, capsys):
    # python-escpos's "default" profile has no width, and would print() on every image().
    receipt = make_receipt(kind, request, tmp_path, "default", 58)
    assert receipt.printer.width_px == 384
    receipt.printer.print_image(receipt_image(width=384, height=100))
    assert receipt.jobs(1)[0] == encode_image(receipt_image(384, 100), "default", 58)
    assert capsys.readouterr().out == ""


def test_receipt_bytes_are_exactly_the_escpos_encoding(receipt):
    img = receipt_image()
    receipt.printer.print_image(img)
    (data,) = receipt.jobs(1)
    assert data == encode_image(img, PROFILE)
    assert data.count(b"\x1dv0") == 2  # 1200 dots tall: two GS v 0 fragments
    assert data.count(CUT) == 1


def test_every_job_starts_with_esc_at_then_the_raster(receipt):
    receipt.printer.print_image(receipt_image(height=100), copies=2)
    (data,) = receipt.jobs(1)
    assert data[: len(INIT + GS_V_0)] == INIT + GS_V_0
    assert encode_image(receipt_image(height=100), PROFILE)[:2] == INIT


def test_escpos_asks_status_before_the_job(escpos_listener):
    from drivers.printer.escpos_adapter import EscposPrinter

    EscposPrinter(f"tcp://127.0.0.1:{stack.ESCPOS_PORT}", PROFILE).print_image(receipt_image())
    assert escpos_listener.wait_for_jobs(1)
    assert escpos_listener.requests == [1, 2, 4]


def test_receipt_raster_decodes_back_to_the_image(receipt):
    img = receipt_image()
    receipt.printer.print_image(img)
    assert same_pixels(decode_raster(receipt.jobs(1)[0]), img)


def test_two_copies_two_cuts(receipt):
    img = receipt_image(height=200)
    receipt.printer.print_image(img, copies=2)
    (data,) = receipt.jobs(1)
    assert data.count(CUT) == 2
    assert data == encode_image(img, PROFILE, copies=2)


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
    assert receipt.jobs(0) == []  # refused before a byte of the job was sent
    receipt.set_state(PrinterState.READY)
    receipt.printer.print_image(receipt_image(height=100))
    assert len(receipt.jobs(1)) == 1 and CUT in receipt.jobs(1)[0]


def test_receipt_paper_low_still_prints(receipt):
    receipt.set_state(PrinterState.PAPER_LOW)
    assert receipt.printer.status().state is PrinterState.PAPER_LOW
    assert receipt.printer.status().ready
    receipt.printer.print_image(receipt_image(height=100))
    assert CUT in receipt.jobs(1)[0]


def test_receipt_printer_gone(receipt):
    receipt.go_away()
    assert receipt.printer.status().state is PrinterState.OFFLINE
    with pytest.raises(PrinterOffline):
        receipt.printer.print_image(receipt_image(height=100))


def test_receipt_image_too_wide_is_a_caller_bug(receipt):
    with pytest.raises(ValueError, match="wide"):
        receipt.printer.print_image(receipt_image(width=600, height=50))
    assert receipt.jobs(0) == []


def test_escpos_printer_that_never_answers_status_still_prints(escpos_listener):
    from drivers.printer.escpos_adapter import EscposPrinter

    escpos_listener.answer_status = False
    printer = EscposPrinter(f"tcp://127.0.0.1:{stack.ESCPOS_PORT}", PROFILE)
    assert printer.status().state is PrinterState.UNKNOWN
    img = receipt_image(height=100)
    printer.print_image(img)
    assert escpos_listener.wait_for_jobs(1) == [encode_image(img, PROFILE)]


def test_escpos_printer_reporting_offline_is_refused(escpos_listener):
    from drivers.printer.escpos_adapter import EscposPrinter

    escpos_listener.status = {1: 0x1A, 2: 0x52, 4: 0x12}  # offline, "error occurred" (bit 6)
    printer = EscposPrinter(f"tcp://127.0.0.1:{stack.ESCPOS_PORT}", PROFILE)
    assert printer.status().state is PrinterState.OFFLINE
    with pytest.raises(PrinterOffline):
        printer.print_image(receipt_image(height=100))


@pytest.mark.parametrize(
    ("answers", "state"),
    [
        ((b"\x12", b"\x12", b"\x12"), PrinterState.READY),
        ((b"", b"", b""), PrinterState.UNKNOWN),
        ((b"\xff", b"", b""), PrinterState.UNKNOWN),  # not a status byte (0xx1xx10)
        ((b"\x12\x12", b"", b""), PrinterState.UNKNOWN),
        ((b"\x12", b"", b""), PrinterState.READY),  # only DLE EOT 1 answered
        ((b"\x1a", b"\x16", b"\x12"), PrinterState.COVER_OPEN),
        ((b"\x1a", b"\x32", b"\x12"), PrinterState.PAPER_OUT),
        ((b"\x12", b"\x12", b"\x72"), PrinterState.PAPER_OUT),
        ((b"\x12", b"\x12", b"\x1e"), PrinterState.PAPER_LOW),
        ((b"\x1a", b"\x12", b"\x12"), PrinterState.OFFLINE),
    ],
)
def test_dle_eot_answers(answers, state):
    assert parse_status(*answers).state is state


@pytest.mark.parametrize(
    "connection", ["lpt://x", "usb://04b8", "usb://04b8:zz", "serial:///dev/ttyS0?baudrate=fast"]
)
def test_escpos_connection_is_checked_when_configured(connection):
    from drivers.printer.escpos_adapter import EscposPrinter

    with pytest.raises(ValueError, match="connection"):
        EscposPrinter(connection)


def test_escpos_unknown_profile_is_a_configuration_error():
    from drivers.printer.escpos_adapter import EscposPrinter

    with pytest.raises(ValueError, match="profile"):
        _ = EscposPrinter("tcp://127.0.0.1:9100", "NO-SUCH-PRINTER").width_px


def test_escpos_usb_printer_not_plugged_in_is_offline():
    from drivers.printer.escpos_adapter import EscposPrinter

    printer = EscposPrinter("usb://dead:beef")  # no such device on any test machine
    assert printer.status().state is PrinterState.OFFLINE
    with pytest.raises(PrinterOffline):
        printer.print_image(receipt_image(height=50))


# Receipt through a raw CUPS queue (cups://) ------------------------------------------------------
def test_escpos_through_a_raw_cups_queue(escpos_listener, cups_queues, cups_queue_control):
    from drivers.printer.escpos_adapter import EscposPrinter

    printer = EscposPrinter(f"cups://{cups_queue_control.use(cups_queues['raw'])}", PROFILE)
    assert printer.status().state is PrinterState.READY
    img = receipt_image(height=300)
    printer.print_image(img, copies=2)
    # CUPS passes the job through untouched, and asks nothing: no DLE EOT on a raw queue.
    (job,) = escpos_listener.wait_for_jobs(1, timeout_s=15)
    assert job == encode_image(img, PROFILE, copies=2)
    assert job[: len(INIT + GS_V_0)] == INIT + GS_V_0
    assert escpos_listener.requests == []


def test_escpos_raw_cups_queue_stopped_or_missing(cups_queues, cups_queue_control):
    from drivers.printer.escpos_adapter import EscposPrinter

    queue = cups_queues["raw"]
    cups_queue_control.disable(queue)
    printer = EscposPrinter(f"cups://{queue}", PROFILE)
    assert printer.status().state is PrinterState.OFFLINE
    with pytest.raises(PrinterOffline):
        printer.print_image(receipt_image(height=50))
    assert cups_queue_control.jobs(queue) == []
    missing = EscposPrinter("cups://NO_SUCH_QUEUE", PROFILE)
    assert missing.status().state is PrinterState.OFFLINE
    with pytest.raises(PrinterOffline):
        missing.print_image(receipt_image(height=50))


# Fake receipt printer -----------------------------------------------------------------------------
def test_fake_receipt_keeps_a_png_of_the_paper(tmp_path):
    fake = FakeReceiptPrinter(tmp_path / "simulasi", PROFILE)
    img = grey_image()
    fake.print_image(img)
    fake.print_image(receipt_image(height=100))
    first, second = fake.jobs
    assert [first.path.name, second.path.name] == ["struk-0001.png", "struk-0002.png"]
    kept = Image.open(first.path)
    assert kept.mode == "1"
    # The PNG is exactly the dots the ESC/POS bytes print, dithering included.
    assert same_pixels(kept, decode_raster(first.data))
    assert same_pixels(kept, printed_dots(img))
    assert sorted(p.name for p in (tmp_path / "simulasi").iterdir()) == [
        "struk-0001.png",
        "struk-0002.png",
    ]


def test_fake_receipt_numbers_on_after_a_restart(tmp_path):
    FakeReceiptPrinter(tmp_path, PROFILE).print_image(receipt_image(height=50))
    again = FakeReceiptPrinter(tmp_path, PROFILE)
    again.print_image(receipt_image(height=50))
    assert again.jobs[0].path.name == "struk-0002.png"


def test_fake_set_state_until_ready_again(tmp_path):
    fake = FakeReceiptPrinter(tmp_path, PROFILE)
    for state, error in [
        (PrinterState.OFFLINE, PrinterOffline),
        (PrinterState.PAPER_OUT, PaperOut),
        (PrinterState.COVER_OPEN, PrinterCoverOpen),
    ]:
        fake.set_state(state)
        assert fake.status().state is state
        with pytest.raises(error):
            fake.print_image(receipt_image(height=50))
        with pytest.raises(error):
            fake.print_image(receipt_image(height=50))
    assert fake.jobs == [] and list(tmp_path.iterdir()) == []
    fake.set_state(PrinterState.READY)
    fake.print_image(receipt_image(height=50))
    assert len(fake.jobs) == 1


def test_fake_receipt_without_python_escpos_keeps_the_png(tmp_path, monkeypatch, caplog):
    from drivers.printer import escpos_adapter, fake

    for name in ("escpos", "escpos.printer", "escpos.capabilities"):
        monkeypatch.setitem(sys.modules, name, None)  # import escpos now raises ImportError
    escpos_adapter._escpos.cache_clear()
    fake._have_escpos.cache_clear()
    try:
        printer = FakeReceiptPrinter(tmp_path, PROFILE, 58)
        with caplog.at_level(logging.WARNING, logger="drivers.printer.fake"):
            printer.print_image(receipt_image(width=384, height=50))
            printer.print_image(receipt_image(width=384, height=50))
        assert printer.width_px == 384
        assert [j.data for j in printer.jobs] == [b"", b""]
        assert all(same_pixels(Image.open(j.path), receipt_image(384, 50)) for j in printer.jobs)
        assert len([r for r in caplog.records if "python-escpos" in r.getMessage()]) == 1
    finally:
        monkeypatch.undo()
        escpos_adapter._escpos.cache_clear()
        fake._have_escpos.cache_clear()
