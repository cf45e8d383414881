"""The wrong sheet on the glass, in Chromium at 800×480 by taps: the trainer's *Lembar salah*,
then a KPPS scans PPWP and gets DPR's sheet. The page is held with what it is and what to do;
*Tetap gunakan* asks why, refuses an empty reason at its field, and keeps the page with one
(its audit row: tests/chasil/test_identify.py)."""

from __future__ import annotations

from flask import Flask
from playwright.sync_api import Page, expect

from tests.chasil.test_chasil_http import GOOD
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.flows.chasil import enter_chasil, open_entry
from tests.e2e.test_chasil_touch import counting_app, counting_url, log_in  # noqa: F401
from tests.e2e.touch import Touch


def test_the_wrong_sheet_is_held_with_its_name_and_kept_only_with_a_reason(
    page: Page,
    counting_url: str,  # noqa: F811
) -> None:
    # The trainer's panel (its screens are checked in test_screen_budget.py).
    log_in(page, counting_url, "pelatih", "Pelatih Bimtek")
    page.goto(counting_url + "/pelatih/fault")
    page.get_by_role("button", name="Lembar salah").click()
    expect(page.locator("[data-state='scanner']")).to_have_text(
        "pindaian berikutnya memasukkan lembar surat suara lain"
    )
    page.get_by_role("button", name="Keluar").click()
    touch = Touch(page, ARTIFACTS)
    log_in(page, counting_url, "kpps1", "Siti Aminah")
    page.goto(counting_url + "/chasil/PPWP/scan")
    with touch.in_flow("wrong-sheet"):
        touch.tap(page.get_by_role("button", name="Pindai satu halaman (kaca)"))
        expect(page.locator(".hold")).to_have_text(
            "Lembar ini C.HASIL-DPR, bukan lembar PPWP. Ambil lembar C.Hasil PPWP lalu pindai."
        )
        expect(page.locator("[data-primary]")).to_have_text("Pindai ulang halaman ini")
        touch.tap(page.get_by_role("link", name="Tetap gunakan"))
        expect(page.locator("[data-screen='scan-use']")).to_be_visible()
        touch.tap(page.get_by_role("button", name="Gunakan halaman ini"))
        expect(page.locator(".field-error")).to_contain_text("tulis alasannya (minimal 10 huruf)")
        touch.osk_type(page.locator("textarea[name='reason']"), "Judul salah cetak")
        touch.tap(page.get_by_role("button", name="Gunakan halaman ini"))
        expect(page.locator("[data-screen='scan-page']")).to_be_visible()
        expect(page.locator(".hold")).to_have_count(0)
    assert not touch.problems, touch.problems


def test_the_right_sheet_scanned_first_is_read_and_where_it_differs_is_shown_before_confirming(
    page: Page,
    counting_app: tuple[str, Flask],  # noqa: F811
) -> None:
    """The issue's end to end: the wrong sheet is held with its name; the right one, scanned
    before the numbers are typed, is read meanwhile; the Ketua types the sheet (with the third
    candidate's 31 as 28, the sums following) and, before the confirmation, sees each box that
    differs with its crop beside both numbers, then may go on with what was typed."""
    url, app = counting_app
    log_in(page, url, "pelatih", "Pelatih Bimtek")
    page.goto(url + "/pelatih/fault")
    page.get_by_role("button", name="Lembar salah").click()
    page.get_by_role("button", name="Keluar").click()
    touch = Touch(page, ARTIFACTS)
    log_in(page, url, "kpps1", "Siti Aminah")
    page.goto(url + "/chasil/")
    with touch.in_flow("paper-reader"):
        touch.tap(
            page.locator("li[data-ballot='PPWP']").get_by_role("link", name="Pindai lembar dulu")
        )
        touch.tap(page.get_by_role("button", name="Pindai satu halaman (kaca)"))
        expect(page.locator(".hold")).to_have_text(
            "Lembar ini C.HASIL-DPR, bukan lembar PPWP. Ambil lembar C.Hasil PPWP lalu pindai."
        )
        touch.tap(page.get_by_role("button", name="Buang"))
        touch.tap(page.get_by_role("button", name="Pindai satu halaman (kaca)"))
        expect(page.locator(".hold")).to_have_count(0)
        expect(page.locator(".wait")).to_contain_text(
            "Kiosk membaca lembar ini sambil angka diketik"
        )
        # People type while the sheet is read; here the reading is simply awaited.
        assert app.extensions["kiosk"].services.readings.wait_idle(60)
        touch.tap(page.get_by_role("link", name="Angka C.Hasil"))
        open_entry(touch, "PPWP")
        enter_chasil(touch, GOOD)
        touch.tap(page.get_by_role("button", name="Simpan"))  # the Ketua goes on: the paper first
        expect(page.locator("[data-screen='chasil-paper']")).to_be_visible()
        diffs = page.locator(".paper-diffs li")
        expect(diffs).to_have_count(3)
        third = page.locator(".paper-diffs li[data-box='V.2']")
        expect(third.locator(".vs").first).to_have_text("Kertas: 31")
        expect(third.locator(".vs.typed")).to_have_text("Diketik: 28")
        for img in page.locator(".paper-diffs img").all():  # each crop loaded, a box's shape
            size = img.evaluate("i => [i.complete, i.naturalWidth, i.naturalHeight]")
            assert size[0] and size[1] > 2 * size[2] > 20, size
        assert page.evaluate("document.documentElement.scrollHeight") <= 480
        expect(page.locator("[data-primary]")).to_have_text("Koreksi angka")
        page.screenshot(path=str(ARTIFACTS / "paper-differs-800x480.png"))
        touch.tap(page.get_by_role("link", name="Angka ketikan sudah benar"))
        expect(page.locator(".cell.paper")).to_have_count(3)
        expect(page.locator("#paper-line")).to_have_text("Kertas: beda di 3 kotak")
        touch.tap(page.get_by_role("button", name="Konfirmasi"))
        expect(page.locator("#confirmed")).to_be_visible()
    assert not touch.problems, touch.problems
