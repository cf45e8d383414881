"""Touch layout in Chromium: every screen at both official Pi panel sizes, in landscape and
portrait, with touch targets of at least 48 px, nothing wider than the screen, nothing loaded
from anywhere but the kiosk, and the on-screen keyboard instead of a physical one."""

from __future__ import annotations

import pytest

SIZES = [(800, 480), (1280, 800), (480, 800), (800, 1280)]
PAGES = [
    "/",
    "/checklist/",
    "/checklist/step/tps_didirikan",
    "/checklist/step/persiapan_ditandatangani",
    "/incidents/",
    "/chasil/",
    "/chasil/PPWP/1",
    "/chasil/PPWP/confirm",
    "/chasil/PPWP/scan",
    "/antrian",
    "/selftest/",
    "/login/",
]
TARGETS = (
    "button, a.big, a.lang, label.toggle, select, textarea, "
    "input:not([type=hidden]):not([type=checkbox]):not([type=radio])"
)


def login_by_touch(page, base, pin="111111", name="Siti Aminah"):
    page.goto(base + "/login/")
    page.get_by_role("link", name=name).click()
    for key in pin:
        page.locator(f".keypad button[data-key='{key}']").click()
    page.get_by_role("button", name="OK").click()


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_every_screen_fits_and_every_target_is_finger_sized(page, demo_url, shot, width, height):
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.set_viewport_size({"width": width, "height": height})
    login_by_touch(page, demo_url)
    assert page.locator(".who").inner_text().startswith("Siti Aminah")
    for path in PAGES:
        page.goto(demo_url + path)
        assert page.url == demo_url + path, f"{path} went to {page.url}"
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, f"{path} is {overflow} px wider than {width}x{height}"
        small = []
        for el in page.locator(TARGETS).all():
            if not el.is_visible():
                continue
            box = el.bounding_box()
            if box and (box["height"] < 48 or box["width"] < 48):
                small.append(f"{el.evaluate('e => e.outerHTML')[:80]} {box}")
        assert not small, f"{path} at {width}x{height}: " + "\n".join(small)
        if path == "/chasil/PPWP/1":
            shot(page, f"chasil-entry-{width}x{height}")
    foreign = [u for u in requested if not u.startswith(demo_url)]
    assert not foreign, foreign


def test_on_screen_keyboard_fills_text_and_numbers(page, demo_url, shot):
    page.set_viewport_size({"width": 800, "height": 480})
    login_by_touch(page, demo_url)
    page.goto(demo_url + "/incidents/")
    assert page.locator(".osk").is_hidden()
    page.locator("input[name=reporter]").click()
    assert page.locator(".osk.osk-text").is_visible()
    field, keys = (
        page.locator("input[name=reporter]").bounding_box(),
        page.locator(".osk").bounding_box(),
    )
    assert field and keys and field["y"] >= 0 and field["y"] + field["height"] <= keys["y"]
    for key in "budi":
        page.locator(f".osk button[data-osk-key='{key}']").click()
    assert page.locator("input[name=reporter]").input_value() == "Budi"
    page.locator("textarea[name=text]").click()
    for key in ["k", "o", "t", "a", "k", "space", "3"]:
        page.locator(f".osk button[data-osk-key='{key}']").click()
    page.locator(".osk button[data-osk-key='back']").click()
    page.locator(".osk button[data-osk-key='4']").click()
    assert page.locator("textarea[name=text]").input_value() == "Kotak 4"
    shot(page, "keyboard-text-800x480")
    page.locator(".osk button[data-osk-key='done']").click()
    assert page.locator(".osk").is_hidden()

    # A checklist number: on the keypad docked beside its box, no keyboard popping up.
    page.goto(demo_url + "/checklist/step/mandat_saksi")
    field = page.locator("section[data-step='mandat_saksi'] input[name=value]")
    field.click()
    assert page.locator(".osk").is_hidden()
    page.locator(".step-form .keypad button[data-key='3']").click()
    assert field.input_value() == "3"
    shot(page, "keyboard-numbers-800x480")
