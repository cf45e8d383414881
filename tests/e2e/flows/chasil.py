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


def open_entry(touch: Touch, ballot: str) -> None:
    """On the C.Hasil list: the ballot's first entry."""
    page = touch.page
    touch.tap(
        page.locator(f"li[data-ballot='{ballot}']").get_by_role("link", name="Masukkan angka")
    )
    expect(page.locator("h1")).to_contain_text(ballot)


def to_confirm(touch: Touch, ballot: str) -> None:
    """From the saved entry to the Ketua's confirmation screen of the ballot."""
    page = touch.page
    touch.tap(page.get_by_role("link", name="Kembali"), swipe=True)
    touch.tap(
        page.locator(f"li[data-ballot='{ballot}']").get_by_role("link", name="Konfirmasi (Ketua)")
    )


def first_ballot_with_a_mistake(touch: Touch, good: dict[str, int]) -> None:
    """On the C.Hasil list: PPWP typed with one ballot too few (SS2), the rule's message and the
    red box seen, the box corrected, saved, and confirmed by the Ketua."""
    page = touch.page
    open_entry(touch, "PPWP")
    wrong = {**good, "SS2": good["SS2"] - 1}  # one ballot too few, on purpose
    enter_chasil(touch, wrong)
    rule4 = page.locator("#findings li.bad[data-rule='4']")
    expect(rule4).to_have_text(
        "Jumlah surat suara digunakan (214) tidak sama dengan jumlah pemilih (215)."
    )
    expect(page.locator("input[data-box='SS2']")).to_have_class("box bad")
    touch.tap(page.locator("input[data-box='SS2']"), swipe=True)
    pad = page.locator("#chasil-form .keypad")
    touch.tap(pad.locator("button[data-key='clear']"), swipe=True)
    touch.digits(pad, str(good["SS2"]))
    expect(page.locator("#findings li")).to_have_count(0)  # every finding is gone
    expect(page.locator("input.box.bad")).to_have_count(0)
    touch.tap(page.get_by_role("button", name="Simpan"))
    expect(page.locator(".flash")).to_have_text("Tersimpan.")
    expect(page.locator("input[data-box='SS2']")).to_have_value(str(good["SS2"]))
    to_confirm(touch, "PPWP")
    confirm(touch)
    expect(page.locator("#confirmed")).to_have_text(
        "Dikonfirmasi oleh Siti Aminah pukul 13:30 WITA."
    )


def ballot_without_mistakes(touch: Touch, ballot: str, boxes: dict[str, int]) -> None:
    """On the C.Hasil list: a later ballot typed right the first time, saved and confirmed."""
    page = touch.page
    open_entry(touch, ballot)
    enter_chasil(touch, boxes)
    expect(page.locator("#findings li")).to_have_count(0)
    touch.tap(page.get_by_role("button", name="Simpan"))
    to_confirm(touch, ballot)
    confirm(touch)
