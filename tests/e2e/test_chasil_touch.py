"""C.Hasil entry by touch in Chromium at 800×480: one box at a time beside the docked keypad,
what the kiosk knows offered and accepted with a tap, the live check as the box is typed, the
review and the confirmation showing every number, all without scrolling, taps counted."""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import waitress
from flask import Flask
from playwright.sync_api import Page, expect

from kiosk import create_app
from kiosk.clock import ManualClock
from kiosk.tps import SAMPLE_PROFILE
from tests.chasil.test_chasil_http import GOOD
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.flows.chasil import confirm, enter_chasil, open_entry, save, tile, type_box
from tests.e2e.touch import Touch
from tests.kiosk.conftest import PINS
from tests.kiosk.day import day_settings, to_counting

WITA = dt.timezone(dt.timedelta(hours=8))
# Before: 28 boxes of 2-3 digits each, a "Kotak berikutnya" after every box, "Simpan" and
# "Konfirmasi": 92 taps. Now: the entry opened from the list, the digits of the 12 boxes typed
# with "Lanjut ›" after the short ones, one tap per offer accepted (the A row, B1.J, B2.J, B3.J
# with B4, D.J, section II, S, U), Simpan and Konfirmasi.
GOOD_TAPS = 40


@pytest.fixture
def counting_app(tmp_path: Path) -> Iterator[tuple[str, Flask]]:
    """The sample day's kiosk served on 127.0.0.1 with counting begun: (its URL, the app)."""
    settings = day_settings(tmp_path / "data")
    clock = ManualClock(dt.datetime(2024, 2, 14, 6, 30, tzinfo=WITA))
    app = create_app(settings, provision_from=SAMPLE_PROFILE, clock=clock)
    to_counting(app, clock)
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    yield f"http://127.0.0.1:{server.effective_port}", app  # type: ignore[union-attr]
    server.close()
    app.extensions["kiosk"].close()


@pytest.fixture
def counting_url(counting_app: tuple[str, Flask]) -> str:
    return counting_app[0]


def log_in(page: Page, url: str, officer: str, name: str) -> None:
    page.set_viewport_size({"width": 800, "height": 480})
    page.goto(url + "/login/")
    page.get_by_role("link", name=name).click()
    for key in PINS[officer]:
        page.locator(f".keypad button[data-key='{key}']").click()
    page.locator(".keypad button[type=submit]").click()
    expect(page.locator(".who")).to_contain_text(name)


def test_a_sheet_box_by_box_with_offers_review_and_confirmation(
    page: Page, counting_url: str
) -> None:
    log_in(page, counting_url, "kpps1", "Siti Aminah")
    page.goto(counting_url + "/chasil/")
    touch = Touch(page, ARTIFACTS)
    with touch.in_flow("chasil-touch"):
        open_entry(touch, "PPWP")
        # The box in words, its place in the section and in the sheet, the keypad beside it.
        expect(page.locator("#box-name")).to_have_text("Pemilih dalam DPT · Laki-laki")
        expect(page.locator("#box-where")).to_have_text("Bagian I · Pemilih · kotak 1 dari 18")
        expect(page.locator("#box-step")).to_have_text("Langkah 1 dari 28")
        box = page.locator("#box-value").bounding_box()
        pad = page.locator("#chasil-form .keypad").bounding_box()
        assert box and pad and pad["x"] > box["x"] + box["width"]  # beside, not below
        # A from the DPT, offered, not filled.
        expect(tile(touch, "A.L").locator("b")).to_have_text("")
        expect(page.locator("#offer-value")).to_have_text("140")
        expect(page.locator("#offer-source")).to_have_text("dari DPT")
        enter_chasil(touch, GOOD)
        assert page.evaluate("document.documentElement.scrollHeight") <= 480  # review fits
        save(touch)
        confirm(touch, GOOD)
        assert page.evaluate("document.documentElement.scrollHeight") <= 480
    taps = touch.taps_by_flow["chasil-touch"]
    print(f"PPWP by touch: {taps} taps, {len(touch.screens)} screens")
    assert not touch.problems, touch.problems
    assert taps <= GOOD_TAPS, taps
    touch.contact_sheets()


def test_a_slip_is_marked_as_it_is_typed_and_corrected_in_place(
    page: Page, counting_url: str
) -> None:
    log_in(page, counting_url, "kpps2", "Budi Santoso")
    page.goto(counting_url + "/chasil/PPWP/1")
    touch = Touch(page, ARTIFACTS)
    for value in (140, 139, 280):  # typed by hand instead of taking the DPT: a wrong total
        type_box(touch, value)
    finding = page.locator("#findings li[data-rule='1']")
    expect(finding).to_contain_text(
        "laki-laki (140) + perempuan (139) tidak sama dengan jumlah (280)"
    )
    expect(tile(touch, "A.J")).to_have_class(re.compile(r"\bbad\b"))
    touch.tap(tile(touch, "A.J"))
    touch.digits(page.locator("#chasil-form .keypad"), "279")  # replaces 280
    expect(finding).to_have_count(0)
    expect(tile(touch, "A.J")).not_to_have_class(re.compile(r"\bbad\b"))
    page.screenshot(path=str(ARTIFACTS / "chasil-entry-800x480.png"))
