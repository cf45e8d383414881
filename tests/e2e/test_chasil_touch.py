"""C.Hasil entry by touch in Chromium: tap a box, type on the keypad, see the live check."""

from __future__ import annotations


def test_keypad_entry_shows_live_findings(page, demo_url, shot):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(demo_url + "/login/")
    page.get_by_role("link", name="Budi Santoso").click()
    for key in "222222":
        page.locator(f".keypad button[data-key='{key}']").click()
    page.get_by_role("button", name="OK").click()
    page.goto(demo_url + "/chasil/PPWP/1")
    page.locator("input[data-box='A.L']").click()
    for key in "140":
        page.locator(f".keypad button[data-key='{key}']").click()
    page.get_by_role("button", name="Kotak berikutnya").click()  # to A.P
    for key in "139":
        page.locator(f".keypad button[data-key='{key}']").click()
    page.get_by_role("button", name="Kotak berikutnya").click()  # to A.J: a wrong total
    for key in "280":
        page.locator(f".keypad button[data-key='{key}']").click()
    finding = page.locator("#findings li[data-rule='1']")
    finding.wait_for()
    assert "laki-laki (140) + perempuan (139) tidak sama dengan jumlah (280)" in (
        finding.inner_text()
    )
    assert "bad" in (page.locator("input[data-box='A.J']").get_attribute("class") or "")
    shot(page, "chasil-entry-1280x800")
    page.locator(".keypad button[data-key='back']").click()  # 28
    page.locator(".keypad button[data-key='clear']").click()
    for key in "279":  # the right total: the finding goes away
        page.locator(f".keypad button[data-key='{key}']").click()
    # A locator wait, not wait_for_function: the kiosk's CSP forbids eval, which that uses.
    finding.wait_for(state="detached")
    page.get_by_role("button", name="Simpan").click()
    assert page.locator("input[data-box='A.J']").input_value() == "279"
