"""One contract for every scanner adapter: SANE's test backend through python-sane, and the fake."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import pytest
from PIL import ImageStat

from drivers.errors import (
    AdfEmpty,
    ScanCancelled,
    ScannerCoverOpen,
    ScannerError,
    ScannerJammed,
    ScannerLost,
    ScannerNotFound,
)
from drivers.scanner import ColorMode, ScanRequest, Source
from drivers.scanner.fake import FakeScanner
from drivers.scanner.sample_pages import SAMPLE_SHEETS

A4_300 = (2480, 3507)


@dataclass
class Harness:
    scanner: Any
    adf_pages: int
    inject: Any  # (ScannerError subclass) -> None: the next scan fails that way


SANE_STATUS = {
    ScannerJammed: "SANE_STATUS_JAMMED",
    ScannerCoverOpen: "SANE_STATUS_COVER_OPEN",
    AdfEmpty: "SANE_STATUS_NO_DOCS",
    ScanCancelled: "SANE_STATUS_CANCELLED",
    ScannerLost: "SANE_STATUS_IO_ERROR",
}


# The test backend keeps option values per device for the whole process, across handles: every
# scanner in these tests sets them all so no test inherits another's injected fault.
SANE_BASELINE = {"test_picture": "Grid", "read_return_value": "Default", "read_delay": False}


@pytest.fixture(params=["sane", "fake"])
def harness(request):
    if request.param == "sane":
        from drivers.scanner.sane_adapter import SaneScanner

        device = request.getfixturevalue("sane_test_backend")
        scanner = SaneScanner(device, dict(SANE_BASELINE))

        def inject(error):
            scanner.options["read_return_value"] = SANE_STATUS[error]

        return Harness(scanner, 10, inject)
    fake = FakeScanner(adf_pages=3)
    return Harness(fake, 3, lambda error: fake.fail_next(error("injected")))


def test_describe(harness):
    assert harness.scanner.describe()


def test_a4_gray_300_dpi(harness):
    (page,) = harness.scanner.scan(ScanRequest(dpi=300, mode=ColorMode.GRAY))
    assert page.mode == "L"
    assert abs(page.width - A4_300[0]) <= 1 and abs(page.height - A4_300[1]) <= 1


def test_colour_and_lower_resolution(harness):
    (page,) = harness.scanner.scan(ScanRequest(dpi=150, mode=ColorMode.COLOR))
    assert page.mode == "RGB"
    assert abs(page.width - 1240) <= 1 and abs(page.height - 1754) <= 1


def test_adf_gives_every_page_in_the_feeder(harness):
    pages = list(harness.scanner.scan(ScanRequest(dpi=75, source=Source.ADF)))
    assert len(pages) == harness.adf_pages


def test_pages_have_content(harness):
    (page,) = harness.scanner.scan(ScanRequest(dpi=100))
    dark = sum(ImageStat.Stat(page.point(lambda v: 255 if v < 128 else 0)).sum) / 255
    assert 0.005 < dark / (page.width * page.height) < 0.6


@pytest.mark.parametrize(
    "error", [ScannerJammed, ScannerCoverOpen, ScanCancelled, ScannerLost], ids=lambda e: e.__name__
)
def test_device_errors_are_translated(harness, error):
    harness.inject(error)
    with pytest.raises(error):
        list(harness.scanner.scan(ScanRequest(dpi=75)))


def test_empty_feeder(harness):
    harness.inject(AdfEmpty)
    with pytest.raises(AdfEmpty):
        list(harness.scanner.scan(ScanRequest(dpi=75, source=Source.ADF)))


def test_sane_missing_device(sane_test_backend):
    from drivers.scanner.sane_adapter import SaneScanner

    with pytest.raises(ScannerNotFound):
        SaneScanner("test:9").describe()
    with pytest.raises(ScannerNotFound):
        list(SaneScanner("test:9").scan(ScanRequest(dpi=75)))


@pytest.mark.parametrize("kind", ["sane", "fake"])
def test_cancel_from_another_thread(kind, request):
    if kind == "sane":
        from drivers.scanner.sane_adapter import SaneScanner

        scanner = SaneScanner(
            request.getfixturevalue("sane_test_backend"),
            {**SANE_BASELINE, "read_delay": True, "read_delay_duration": 100_000},
        )
        source = Source.FLATBED  # a slow flatbed read: about 2 minutes unless cancelled
    else:
        scanner = FakeScanner(adf_pages=50)
        source = Source.ADF
    threading.Timer(0.3, scanner.cancel).start()
    with pytest.raises(ScanCancelled):
        list(scanner.scan(ScanRequest(dpi=300, source=source)))


def test_second_scan_while_one_runs_is_busy(harness):
    # SANE: a slow scan (read_delay) holds the device; the fake: the lock is held while scanning.
    started = threading.Event()
    result: list[object] = []
    scanner = harness.scanner
    slow = ScanRequest(dpi=75)
    if hasattr(scanner, "options"):
        scanner.options.update(read_delay=True, read_delay_duration=200_000)
    else:
        scanner.load_adf(100)  # a long batch keeps the fake busy
        slow = ScanRequest(dpi=150, source=Source.ADF)

    def first():
        started.set()
        try:
            result.append(len(list(scanner.scan(slow))))
        except ScannerError as exc:  # pragma: no cover - shows up in the assert below
            result.append(exc)

    thread = threading.Thread(target=first)
    thread.start()
    started.wait()
    try:
        for _ in range(200):
            try:
                list(scanner.scan(ScanRequest(dpi=75)))
            except ScannerError as exc:
                assert type(exc).__name__ == "ScannerBusy"
                break
        else:
            pytest.fail("second scan was never refused as busy")
    finally:
        thread.join()


def test_sample_sheets_are_consistent():
    for sheet in SAMPLE_SHEETS:
        b = {k: sum(v) for k, v in sheet.voters.items()}
        assert b["B4"] == b["B1"] + b["B2"] + b["B3"]
        ss = sheet.ballots
        assert ss["SS1"] == ss["SS2"] + ss["SS3"] + ss["SS4"]
        assert ss["SS2"] == b["B4"]
        assert sheet.valid + sheet.invalid == ss["SS2"]
        assert sheet.invalid >= 0 and min(ss.values()) >= 0


def test_sane_scan_that_never_ends_counts_as_lost(sane_test_backend):
    from drivers.scanner.sane_adapter import SaneScanner

    slow = SaneScanner(
        sane_test_backend, {**SANE_BASELINE, "read_delay": True, "read_delay_duration": 1_000_000}
    )
    started = time.monotonic()
    with pytest.raises(ScannerLost):
        list(slow.scan(ScanRequest(dpi=300, timeout_s=1.0)))
    assert time.monotonic() - started < 10
