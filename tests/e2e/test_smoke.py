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

    page.get_by_role("link", name="Periksa perangkat").click()
    page.get_by_role("button", name="Periksa sekarang").click()
    page.wait_for_selector("#verdict.ok")
    assert page.locator(".checks li.bad").count() == 0
    shot(page, f"selftest-{width}x{height}")

    # Every touch target on the page is at least 48 px tall.
    for button in page.locator("button, a.big").all():
        box = button.bounding_box()
        assert box is not None and box["height"] >= 48, button.inner_text()


def test_switch_to_english_in_chromium(page, demo_url):
    page.set_viewport_size({"width": 800, "height": 480})
    page.goto(demo_url + "/")
    page.get_by_role("button", name="English").click()
    assert page.get_by_role("link", name="Check devices").is_visible()
