"""Scanning, the signed document, copies and the distribution receipt by touch."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.touch import Touch


def scan_and_sign(touch: Touch, ballot: str) -> None:
    """On the ballot's scan screen: one page from the glass, then the signed document."""
    page = touch.page
    touch.tap(page.get_by_role("button", name="Pindai satu halaman (kaca)"))
    expect(page.locator("ol.pages li")).to_have_count(1)
    held = page.locator("ol.pages li.held")
    if held.count():  # the legibility gate held the fake page: use it anyway, audited
        expect(held.locator("p.bad")).not_to_be_empty()
        touch.tap(held.get_by_role("button", name="Tetap gunakan"), swipe=True)
    else:
        expect(page.locator(".flash").first).to_have_text("1 halaman diterima.")
    expect(page.locator("ol.pages li.held")).to_have_count(0)
    touch.tap(page.get_by_role("button", name="Selesai: buat dokumen bertanda tangan"), swipe=True)
    page.wait_for_url("**/documents/*")
    expect(page.locator("h1")).to_contain_text(f"{ballot} · Dokumen")


def copies_and_receipt(touch: Touch, saksi_present: tuple[str, ...]) -> int:
    """Tick the saksi present, print one A4 copy each, then the distribution receipt. Returns
    the number of copies printed."""
    page = touch.page
    for saksi in saksi_present:
        touch.tap(page.locator("label.toggle", has_text=saksi), swipe=True)
    touch.tap(page.get_by_role("button", name="Simpan daftar"), swipe=True)
    present = page.locator("label.toggle:has(input:checked)")
    expect(present.filter(has_text=saksi_present[0])).to_have_count(1)
    copies = present.count()
    touch.tap(page.get_by_role("button", name="Cetak salinan (A4)"), swipe=True)
    expect(page.locator(".flash")).to_have_text(f"{copies} salinan dicetak.")
    jobs = page.locator("table.audit tr[data-job]")
    expect(jobs).to_have_count(copies)
    expect(page.locator("table.audit tr.printed")).to_have_count(copies)
    touch.tap(page.get_by_role("button", name="Cetak tanda terima salinan"), swipe=True)
    expect(page.locator(".flash")).to_have_text("Tanda terima salinan sudah dicetak dan disimpan.")
    return copies


def to_scan(touch: Touch) -> None:
    """From the Ketua's confirmation: straight on to the scan of this ballot."""
    touch.tap(touch.page.locator("#to-scan"))
