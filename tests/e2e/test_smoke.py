"""The demo kiosk in a real browser at the official Pi touchscreen size, by touch-sized clicks."""

from __future__ import annotations

import pytest

SIZES = [(800, 480), (1280, 800)]


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_demo_home_and_selftest_in_chromium(page, demo_url, shot, width, height):
    page.set_viewport_size({"width": width, "height": height})
    page.goto(demo_url + "/")
    assert page.locator(".simulasi-banner").is_visible()
    assert "6474010001005" in page.content()
    shot(page, f"home-{width}x{height}")

    # Log in as the Ketua by touch only: name, then the PIN on the on-screen keypad.
    page.get_by_role("link", name="Masuk").click()
    page.get_by_role("link", name="Siti Aminah").click()
    for _ in range(6):
        page.locator(".keypad button[data-key='1']").click()
    assert page.locator("#pin-display").inner_text() == "●" * 6
    shot(page, f"pin-{width}x{height}")
    page.get_by_role("button", name="OK").click()
    assert page.locator(".who").inner_text().startswith("Siti Aminah")

    page.get_by_role("link", name="Periksa perangkat").click()
    page.get_by_role("button", name="Periksa sekarang").click()
    page.wait_for_selector("#verdict.ok")
    assert page.locator(".checks li.bad").count() == 0
    shot(page, f"selftest-{width}x{height}")

    # Every touch target on the page is at least 48 px tall.
    for button in page.locator("button, a.big, a.lang").all():
        box = button.bounding_box()
        assert box is not None and box["height"] >= 48, button.inner_text()


def test_switch_to_english_in_chromium(page, demo_url):
    page.set_viewport_size({"width": 800, "height": 480})
    page.goto(demo_url + "/")
    page.get_by_role("button", name="English").click()
    assert page.get_by_role("link", name="Check devices").is_visible()


def test_wrong_pin_by_touch_shows_attempts_left(page, demo_url, shot):
    page.set_viewport_size({"width": 800, "height": 480})
    page.goto(demo_url + "/login/")
    page.get_by_role("link", name="Budi Santoso").click()
    for key in "123456":
        page.locator(f".keypad button[data-key='{key}']").click()
    page.get_by_role("button", name="OK").click()
    assert "Sisa 4 kali" in page.locator("#pin-error").inner_text()
    shot(page, "pin-wrong-800x480")
