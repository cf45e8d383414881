"""One contract for every scanner adapter: SANE's test backend through python-sane, and the fake.

Then what only one adapter has: SANE's fault and device handling, and the fake's sample sheets.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from drivers.errors import (
    AdfEmpty,
    ScanCancelled,
    ScannerBusy,
    ScannerCoverOpen,
    ScannerError,
    ScannerJammed,
    ScannerLost,
    ScannerNotFound,
)
from drivers.scanner import ColorMode, Scanner, ScanRequest, Source
from drivers.scanner.fake import FakeScanner
from drivers.scanner.sample_pages import SAMPLE_SHEETS, number_boxes, render_sheet

A4_300 = (2480, 3507)  # 210 x 297 mm at 300 dpi, cut to whole pixels as SANE does
A4_150 = (1240, 1753)
QUICK = ScanRequest(dpi=75)


@dataclass
class Harness:
    kind: str
    scanner: Scanner
    adf_pages: int  # pages one ADF batch gives
    describes_as: str
    inject: Callable[[type[ScannerError]], None]  # the next scan fails this way
    slow_down: Callable[[], None]  # from now on each page takes far longer than a test


SANE_STATUS = {
    ScannerJammed: "SANE_STATUS_JAMMED",
    ScannerCoverOpen: "SANE_STATUS_COVER_OPEN",
    AdfEmpty: "SANE_STATUS_NO_DOCS",
    ScanCancelled: "SANE_STATUS_CANCELLED",
    ScannerLost: "SANE_STATUS_IO_ERROR",
}

# The test backend keeps option values per device for the whole process, across handles: every
# scanner in these tests sets them all so no test inherits another's injected fault.
SANE_BASELINE: dict[str, str | int | float] = {
    "test_picture": "Grid",
    "read_return_value": "Default",
    "read_delay": False,
}


def sane_scanner(device: str, **options: str | int | float):
    from drivers.scanner.sane_adapter import SaneScanner

    return SaneScanner(device, {**SANE_BASELINE, **options})


@pytest.fixture(params=["sane", "fake"])
def harness(request) -> Harness:
    if request.param == "sane":
        scanner = sane_scanner(request.getfixturevalue("sane_test_backend"))

        def inject(error: type[ScannerError]) -> None:
            scanner.options["read_return_value"] = SANE_STATUS[error]

        def slow_down() -> None:  # 0.1 s per read call: an A4 page takes minutes
            scanner.options.update(read_delay=True, read_delay_duration=100_000)

        # The backend's feeder holds 10 sheets; each scan opens a fresh handle, so it is full.
        return Harness("sane", scanner, 10, "Noname frontend-tester (test:0)", inject, slow_down)

    fake = FakeScanner(adf_pages=3)

    def slow_fake() -> None:
        fake.page_time_s = 60.0

    return Harness(
        "fake",
        fake,
        3,
        FakeScanner.name,
        lambda error: fake.fail_next(error("injected")),
        slow_fake,
    )


def dark_share(page: Image.Image) -> float:
    ink = page.convert("L").point(lambda v: 255 if v < 128 else 0)
    return ImageStat.Stat(ink).mean[0] / 255


# The contract ----------------------------------------------------------------------------------
def test_describe_names_the_device(harness):
    assert harness.scanner.describe() == harness.describes_as


def test_a4_gray_300_dpi(harness):
    (page,) = harness.scanner.scan(ScanRequest(dpi=300, mode=ColorMode.GRAY))
    assert (page.mode, page.size) == ("L", A4_300)
    assert page.info["dpi"] == (300, 300)


def test_colour_at_150_dpi_is_half_the_size(harness):
    (page,) = harness.scanner.scan(ScanRequest(dpi=150, mode=ColorMode.COLOR))
    assert (page.mode, page.size) == ("RGB", A4_150)
    assert page.info["dpi"] == (150, 150)


def test_flatbed_gives_one_page_per_scan(harness):
    for _ in range(3):
        assert len(list(harness.scanner.scan(QUICK))) == 1


def test_adf_gives_every_page_in_the_feeder(harness):
    pages = list(harness.scanner.scan(ScanRequest(dpi=75, source=Source.ADF)))
    assert len(pages) == harness.adf_pages
    assert {(p.mode, p.size) for p in pages} == {("L", (620, 876))}


def test_pages_have_content(harness):
    (page,) = harness.scanner.scan(ScanRequest(dpi=100))
    assert 0.005 < dark_share(page) < 0.6


@pytest.mark.parametrize(
    "error", [ScannerJammed, ScannerCoverOpen, ScanCancelled, ScannerLost], ids=lambda e: e.__name__
)
def test_device_errors_are_translated(harness, error):
    harness.inject(error)
    with pytest.raises(error) as caught:
        list(harness.scanner.scan(QUICK))
    assert type(caught.value) is error


def test_empty_feeder(harness):
    harness.inject(AdfEmpty)
    with pytest.raises(AdfEmpty):
        list(harness.scanner.scan(ScanRequest(dpi=75, source=Source.ADF)))


def test_cancel_from_another_thread(harness):
    harness.slow_down()
    threading.Timer(0.3, harness.scanner.cancel).start()
    started = time.monotonic()
    with pytest.raises(ScanCancelled):
        list(harness.scanner.scan(ScanRequest(dpi=300)))
    assert time.monotonic() - started < 5
    # The cancelled scan let go of the device: SANE would say "Device busy" otherwise.
    assert harness.scanner.describe() == harness.describes_as


def test_scanner_is_busy_until_the_batch_is_taken(harness):
    batch = harness.scanner.scan(ScanRequest(dpi=75, source=Source.ADF))
    first = next(batch)
    with pytest.raises(ScannerBusy):
        list(harness.scanner.scan(QUICK))
    rest = list(batch)
    assert 1 + len(rest) == harness.adf_pages and first.size == rest[-1].size
    assert len(list(harness.scanner.scan(QUICK))) == 1


def test_a_batch_left_halfway_frees_the_scanner(harness):
    batch = harness.scanner.scan(ScanRequest(dpi=75, source=Source.ADF))
    next(batch)
    batch.close()  # what happens when the caller drops the iterator
    assert len(list(harness.scanner.scan(QUICK))) == 1


def test_second_scan_from_another_thread_is_busy(harness):
    batch = harness.scanner.scan(ScanRequest(dpi=75, source=Source.ADF))
    next(batch)  # a batch is under way in this thread
    outcome: list[type[BaseException] | None] = []

    def second() -> None:
        try:
            list(harness.scanner.scan(QUICK))
            outcome.append(None)
        except ScannerError as exc:
            outcome.append(type(exc))

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(10)
    batch.close()
    assert outcome == [ScannerBusy]


# SANE only -------------------------------------------------------------------------------------
def test_sane_missing_device(sane_test_backend, caplog):
    from drivers.scanner.sane_adapter import SaneScanner

    missing = SaneScanner("test:9")
    with caplog.at_level(logging.WARNING, "drivers.scanner.sane_adapter"):
        with pytest.raises(ScannerNotFound):
            missing.describe()
        with pytest.raises(ScannerNotFound):
            list(missing.scan(QUICK))
    assert len(caplog.records) == 1, "a lost device is logged once"


def test_sane_first_device_when_none_is_named(sane_test_backend):
    from drivers.scanner.sane_adapter import SaneScanner

    scanner = SaneScanner("", dict(SANE_BASELINE))
    assert scanner.describe() == "Noname frontend-tester (test:0)"
    assert len(list(scanner.scan(QUICK))) == 1


@pytest.mark.parametrize(
    ("status", "error"),
    [("SANE_STATUS_EOF", ScannerLost), ("SANE_STATUS_DEVICE_BUSY", ScannerBusy)],
)
def test_sane_other_statuses(sane_test_backend, status, error):
    with pytest.raises(error):
        list(sane_scanner(sane_test_backend, read_return_value=status).scan(QUICK))


def test_sane_lost_and_back_are_logged_once_each(sane_test_backend, caplog):
    scanner = sane_scanner(sane_test_backend, read_return_value="SANE_STATUS_IO_ERROR")
    with caplog.at_level(logging.INFO, "drivers.scanner.sane_adapter"):
        for _ in range(2):
            with pytest.raises(ScannerLost):
                list(scanner.scan(QUICK))
        scanner.options["read_return_value"] = "Default"
        for _ in range(2):
            list(scanner.scan(QUICK))
    assert [r.levelname for r in caplog.records] == ["WARNING", "INFO"]


def test_sane_unknown_option_is_refused_not_ignored(sane_test_backend):
    scanner = sane_scanner(sane_test_backend, **{"no-such-option": 1})
    with pytest.raises(ScannerError, match="no-such-option"):
        list(scanner.scan(QUICK))


def test_sane_dashed_option_names_work(sane_test_backend):
    scanner = sane_scanner(sane_test_backend, **{"read-return-value": "SANE_STATUS_JAMMED"})
    with pytest.raises(ScannerJammed):
        list(scanner.scan(QUICK))


def test_sane_scan_that_never_ends_counts_as_lost(sane_test_backend):
    slow = sane_scanner(sane_test_backend, read_delay=True, read_delay_duration=1_000_000)
    started = time.monotonic()
    with pytest.raises(ScannerLost):
        list(slow.scan(ScanRequest(dpi=300, timeout_s=1.0)))
    assert time.monotonic() - started < 10


def test_sane_source_and_mode_names_of_real_backends():
    from drivers.scanner.sane_adapter import _choose_mode, _choose_source

    epson = ["Flatbed", "Automatic Document Feeder", "Transparency Unit"]
    assert _choose_source(epson, Source.FLATBED) == "Flatbed"
    assert _choose_source(epson, Source.ADF) == "Automatic Document Feeder"
    duplex = ["Flatbed", "ADF Duplex", "ADF Front"]
    assert _choose_source(duplex, Source.ADF) == "ADF Front"
    sheetfed = ["ADF Front", "ADF Back", "ADF Duplex"]
    assert _choose_source(sheetfed, Source.FLATBED) == "ADF Front"
    with pytest.raises(ScannerError):
        _choose_source(["Flatbed", "Transparency Adapter"], Source.ADF)
    brother = ["Black & White", "Gray[Error Diffusion]", "True Gray", "24bit Color[Fast]"]
    assert _choose_mode(brother, ColorMode.GRAY) == "True Gray"
    assert _choose_mode(brother, ColorMode.COLOR) == "24bit Color[Fast]"
    assert _choose_mode(["Lineart", "Gray", "Color"], ColorMode.GRAY) == "Gray"


# The fake only ---------------------------------------------------------------------------------
def test_fake_keeps_pages_scanned_before_a_jam():
    fake = FakeScanner(adf_pages=4)
    fake.fail_next(ScannerJammed("third sheet"), after_pages=2)
    pages = []
    with pytest.raises(ScannerJammed):
        for page in fake.scan(ScanRequest(dpi=50, source=Source.ADF)):
            pages.append(page)
    assert len(pages) == 2
    assert len(list(fake.scan(ScanRequest(dpi=50, source=Source.ADF)))) == 4  # one fault only


def test_fake_trainer_loads_the_feeder():
    fake = FakeScanner()
    assert len(list(fake.scan(ScanRequest(dpi=50, source=Source.ADF)))) == 2
    fake.load_adf(5)
    assert len(list(fake.scan(ScanRequest(dpi=50, source=Source.ADF)))) == 5
    fake.load_adf(0)
    with pytest.raises(AdfEmpty):
        list(fake.scan(ScanRequest(dpi=50, source=Source.ADF)))


def test_fake_flatbed_cycles_through_the_sample_sheets():
    fake = FakeScanner()
    pages = [next(iter(fake.scan(ScanRequest(dpi=50)))) for _ in SAMPLE_SHEETS]
    assert len({p.tobytes() for p in pages}) == len(SAMPLE_SHEETS)


def test_sample_sheets_add_up():
    for sheet in SAMPLE_SHEETS:
        n = sheet.boxes()
        for row in ("A", "B1", "B2", "B3", "B4", "D"):
            assert n[f"{row}.L"] + n[f"{row}.P"] == n[f"{row}.J"], row
        for col in "LPJ":
            assert n[f"B4.{col}"] == n[f"B1.{col}"] + n[f"B2.{col}"] + n[f"B3.{col}"]
        assert n["SS1"] == n["SS2"] + n["SS3"] + n["SS4"]
        assert n["SS2"] == n["B4.J"]
        assert n["S"] == sum(v for _, _, v in sheet.votes)
        assert n["U"] == n["S"] + n["T"] == n["SS2"]
        assert min(n.values()) >= 0


def test_sample_sheets_pass_every_kiosk_check():
    # The demo's sheets must pass the very checks KPPS see, warnings included.
    from kiosk.chasil.checks import Sheet, check_sheet, check_tps

    sheets = [
        Sheet(s.ballot, s.boxes(), candidates=0 if s.parties else len(s.votes), parties=s.parties)
        for s in SAMPLE_SHEETS
    ]
    for sheet in sheets:
        assert check_sheet(sheet, received_at_opening=285, reserve_percent=2.0) == []
    assert check_tps(sheets) == []


def test_fake_page_has_handwriting_in_every_box():
    sheet = SAMPLE_SHEETS[0]
    dpi = 100
    page = render_sheet(sheet, dpi, seed=7)
    px = dpi / 25.4
    for name, (x0, y0, x1, y1) in number_boxes(sheet).items():
        inside = page.crop(
            (round((x0 + 1) * px), round((y0 + 1) * px), round((x1 - 1) * px), round((y1 - 1) * px))
        )
        assert dark_share(inside) > 0.02, f"box {name} is empty"
    assert render_sheet(sheet, dpi, seed=7).tobytes() == page.tobytes()  # same seed, same hand
    assert render_sheet(sheet, dpi, seed=8).tobytes() != page.tobytes()


def test_fake_renders_a4_300_dpi_quickly():
    started = time.perf_counter()
    page = render_sheet(SAMPLE_SHEETS[1], 300)
    assert page.size == A4_300 and time.perf_counter() - started < 1.0


# After the scans, another thread writes to a socket whose reader is gone, as waitress does when a
# browser closes its connection mid-answer.
_SCAN_THEN_BROKEN_PIPE = """
import socket, sys, threading
from drivers.scanner import ScanRequest, Source
from drivers.scanner.sane_adapter import SaneScanner

scanner = SaneScanner(sys.argv[1], {"test_picture": "Grid", "read_return_value": "Default"})
assert len(list(scanner.scan(ScanRequest(dpi=75)))) == 1
assert len(list(scanner.scan(ScanRequest(dpi=75, source=Source.ADF)))) > 1

def write_to_a_closed_peer():
    ours, theirs = socket.socketpair()
    theirs.close()
    try:
        ours.sendall(b"x" * 65536)
    except BrokenPipeError:
        print("broken pipe is an error, not the end of the process")

worker = threading.Thread(target=write_to_a_closed_peer)
worker.start()
worker.join()
"""


def test_sane_scan_leaves_a_broken_pipe_an_error_not_a_kill(sane_test_backend):
    """libsane resets SIGPIPE to "terminate" after a read; the kiosk must not die of it."""
    done = subprocess.run(
        [sys.executable, "-c", _SCAN_THEN_BROKEN_PIPE, sane_test_backend],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).parents[2],
    )
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr}"
    assert done.stdout.strip() == "broken pipe is an error, not the end of the process"
