"""Scanning, the signed document, copies and the distribution receipt by touch.

The scan screen shows one page at a time at the width of the panel (its title readable), the
copies are three steps: who receives a copy, print, the receipt."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.touch import Touch

# The preview fits the content area's width: the form's title is readable at 800x480.
PREVIEW_MIN_PX = 700


def scan_and_sign(touch: Touch, ballot: str) -> None:
    """On the ballot's scan screen: one page from the glass, then the signed document."""
    page = touch.page
    touch.tap(page.get_by_role("button", name="Pindai satu halaman (kaca)"))
    expect(page.locator("[data-screen='scan-page']")).to_be_visible()
    expect(page.locator("h1")).to_have_text(f"{ballot} · Halaman 1 dari 1")
    expect(page.locator(".chips .chip")).to_have_count(1)
    preview = page.locator("#preview img")
    expect(preview).to_be_visible()
    box = preview.bounding_box()
    assert box is not None and box["width"] >= PREVIEW_MIN_PX, box
    hold = page.locator(".hold")
    if hold.count():  # the legibility gate held the fake page: its reason is beside it
        expect(hold).not_to_be_empty()
        touch.tap(page.get_by_role("button", name="Tetap gunakan"))
    expect(hold).to_have_count(0)
    touch.tap(page.get_by_role("button", name="Selesai: buat dokumen bertanda tangan"))
    page.wait_for_url("**/documents/*")
    expect(page.locator("h1")).to_have_text(f"{ballot} · Penerima salinan")
    expect(page.locator(".step-no")).to_have_text("Langkah 1 dari 3")


def copies_and_receipt(touch: Touch, saksi_present: tuple[str, ...]) -> int:
    """Tick the saksi present and save the list (it says how many copies), print one A4 copy
    each, then the distribution receipt. Returns the number of copies printed."""
    page = touch.page
    for saksi in saksi_present:
        touch.tap(page.locator("label.toggle", has_text=saksi))
    touch.tap(page.get_by_role("button", name="Simpan daftar"))
    expect(page.locator(".step-no")).to_have_text("Langkah 2 dari 3")
    saved = page.locator(".flash")
    expect(saved).to_have_text(re.compile(r"^Daftar penerima \w+ disimpan: \d+ salinan akan"))
    match = re.search(r"(\d+) salinan akan dicetak\.$", saved.inner_text())
    assert match, saved.inner_text()
    copies = int(match.group(1))
    assert copies == len(saksi_present) + 4  # and Pengawas TPS, PPS, PPK, the public notice
    expect(page.locator("li[data-waiting]")).to_have_count(copies)
    for saksi in saksi_present:
        expect(page.locator(f"li[data-waiting='{saksi}']")).to_have_count(1)
    touch.tap(page.get_by_role("button", name="Cetak salinan (A4)"))
    expect(page.locator(".step-no")).to_have_text("Langkah 3 dari 3")
    expect(page.locator(".flash")).to_have_text(f"{copies} salinan dicetak.")
    expect(page.locator("li[data-copy]")).to_have_count(copies)
    expect(page.locator("li[data-waiting]")).to_have_count(0)
    touch.tap(page.get_by_role("button", name="Cetak tanda terima salinan"))
    expect(page.locator(".flash")).to_have_text("Tanda terima salinan sudah dicetak dan disimpan.")
    return copies


def to_scan(touch: Touch) -> None:
    """From the Ketua's confirmation: straight on to the scan of this ballot."""
    touch.tap(touch.page.locator("#to-scan"))
