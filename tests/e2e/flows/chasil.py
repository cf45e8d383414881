"""C.Hasil numbers by touch: the sheet typed on the keypad, the Ketua's confirmation."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.touch import Touch


def enter_chasil(touch: Touch, boxes: dict[str, int]) -> None:
    """Every box of the sheet in page order: keypad digits, then "Kotak berikutnya"."""
    page = touch.page
    pad = page.locator("#chasil-form .keypad")
    order = [b.get_attribute("data-box") for b in page.locator("input.box").all()]
    assert set(order) == set(boxes), order
    for name in order:
        assert name is not None
        expect(page.locator("#box-name")).to_have_text(name)
        touch.digits(pad, str(boxes[name]))
        touch.tap(page.get_by_role("button", name="Kotak berikutnya"))


def confirm(touch: Touch) -> None:
    """The Ketua's confirmation on a sheet whose checks all pass."""
    page = touch.page
    expect(page.locator("main")).to_contain_text("Semua pemeriksaan lolos.")
    touch.tap(page.get_by_role("button", name="Konfirmasi"))
    expect(page.locator(".flash")).to_have_text("Angka dikonfirmasi.")
