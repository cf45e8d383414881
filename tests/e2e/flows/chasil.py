"""C.Hasil numbers by touch: the sheet box by box on the docked keypad, what the kiosk knows
accepted with one tap where it is right, the review of every number, the Ketua's confirmation."""

from __future__ import annotations

import re
from collections.abc import Collection

from playwright.sync_api import Locator, expect

from tests.e2e.touch import Touch

DIGITS_PER_BOX = 3  # the third digit moves on by itself; a shorter number takes "Lanjut ›"


def keypad(touch: Touch) -> Locator:
    return touch.page.locator("#chasil-form .keypad")


def tile(touch: Touch, box: str) -> Locator:
    return touch.page.locator(f".tile[data-tile='{box}']")


def type_box(touch: Touch, value: int) -> None:
    """The number on the keypad; "Lanjut ›" when it is shorter than the paper's three cells."""
    touch.digits(keypad(touch), str(value))
    if len(str(value)) < DIGITS_PER_BOX:
        touch.tap(keypad(touch).locator("button[data-key='next']"))


def enter_chasil(
    touch: Touch, boxes: dict[str, int], typed: Collection[str] = (), until: str | None = None
) -> None:
    """The sheet box by box, as the screen leads, until the review (or until the box
    ``until`` is the one to fill). A box the kiosk offers is accepted with one tap when the
    offer is the sheet's number ("Pakai semua yang diketahui" for the whole section when no box
    of it is one to type by hand, ``typed``); every accepted number is then checked against the
    sheet, as the officer checks the tiles."""
    page = touch.page
    form = page.locator("#chasil-form")
    while (form.get_attribute("data-screen") or "").startswith("entry-"):
        box = page.locator("#box-code").inner_text()
        if box == until:
            return
        section = form.get_attribute("data-screen") or ""
        to_type = [
            b
            for b in typed
            if tile(touch, b).get_attribute("data-section") == section[len("entry-") :]
            and tile(touch, b).locator("b").inner_text() == ""
        ]
        offer_all, offer_one = page.locator("#offer-all"), page.locator("#offer-one")
        if offer_all.is_visible() and not to_type:
            touch.tap(offer_all)  # the review below checks every number it filled
            continue
        if (
            offer_one.is_visible()
            and box not in typed
            and page.locator("#offer-value").inner_text() == str(boxes[box])
        ):
            touch.tap(offer_one)
        else:
            type_box(touch, boxes[box])
        expect(tile(touch, box).locator("b")).to_have_text(str(boxes[box]))
    expect(form).to_have_attribute("data-screen", "review")
    for box, value in boxes.items():  # every number on the review is the sheet's
        expect(page.locator(f".cell[data-cell='{box}']")).to_have_text(str(value))


def confirm(touch: Touch, boxes: dict[str, int]) -> None:
    """The Ketua's confirmation on a sheet whose checks all pass, every number on screen."""
    page = touch.page
    expect(page.locator("main")).to_contain_text("Semua pemeriksaan lolos.")
    for box, value in boxes.items():
        expect(page.locator(f".cell[data-cell='{box}']")).to_have_text(str(value))
    touch.tap(page.get_by_role("button", name="Konfirmasi"))
    expect(page.locator(".flash")).to_have_text("Angka dikonfirmasi.")


def open_entry(touch: Touch, ballot: str) -> None:
    """On the C.Hasil list: the ballot's first entry, its one next action."""
    page = touch.page
    link = page.locator(f"li[data-ballot='{ballot}']").get_by_role("link", name="Masukkan angka")
    expect(link).to_have_attribute("data-primary", "")
    touch.tap(link)
    expect(page.locator("#chasil-form")).to_have_attribute("data-ballot", ballot)
    expect(page.locator(".ch-where")).to_contain_text(f"{ballot} · entri 1")


def save(touch: Touch) -> None:
    """ "Simpan" on the review with no finding left; the Ketua goes on to the confirmation."""
    page = touch.page
    expect(page.locator("#review-findings li")).to_have_count(0)
    expect(page.locator(".cell.bad")).to_have_count(0)
    touch.tap(page.get_by_role("button", name="Simpan"))
    expect(page.locator(".flash")).to_have_text("Tersimpan.")
    expect(page.locator("h1")).to_contain_text("Konfirmasi angka")


def first_ballot_with_a_mistake(touch: Touch, good: dict[str, int]) -> None:
    """On the C.Hasil list: PPWP typed with one ballot too few (SS2), the rule's message and the
    red box seen as it is typed, the box corrected, saved, and confirmed by the Ketua."""
    page = touch.page
    open_entry(touch, "PPWP")
    wrong = {**good, "SS2": good["SS2"] - 1}  # one ballot too few, on purpose
    enter_chasil(touch, wrong, typed={"SS2"}, until="SS3")
    rule4 = page.locator("#findings li.bad[data-rule='4']")
    expect(rule4).to_have_text(
        "Jumlah surat suara digunakan (214) tidak sama dengan jumlah pemilih (215)."
    )
    expect(tile(touch, "SS2")).to_have_class(re.compile(r"\bbad\b"))
    touch.tap(tile(touch, "SS2"))
    expect(page.locator("#box-value")).to_have_text(str(wrong["SS2"]))
    touch.digits(keypad(touch), str(good["SS2"]))  # the first digit replaces the old number
    expect(page.locator("#findings li")).to_have_count(0)  # every finding is gone
    expect(page.locator(".tile.bad")).to_have_count(0)
    enter_chasil(touch, good)
    save(touch)
    confirm(touch, good)
    expect(page.locator("#confirmed")).to_have_text(
        "Dikonfirmasi oleh Siti Aminah pukul 13:30 WITA."
    )


def ballot_without_mistakes(touch: Touch, ballot: str, boxes: dict[str, int]) -> None:
    """On the C.Hasil list: a later ballot typed right the first time, saved and confirmed."""
    open_entry(touch, ballot)
    enter_chasil(touch, boxes)
    save(touch)
    confirm(touch, boxes)
