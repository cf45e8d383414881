"""The wrong sheet on the glass, in Chromium at 800×480 by taps: the trainer's *Lembar salah*,
then a KPPS scans PPWP and gets DPR's sheet. The page is held with what it is and what to do;
*Tetap gunakan* asks why, refuses an empty reason at its field, and keeps the page with one
(its audit row: tests/chasil/test_identify.py)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_chasil_touch import counting_url, log_in  # noqa: F401  (a fixture)
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
