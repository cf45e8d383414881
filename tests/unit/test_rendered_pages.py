"""The test run's memo of the fake scanner's realistic pages (tests/rendered_pages.py) hands
out exactly what the renderer draws, each caller its own image."""

from __future__ import annotations

from drivers.scanner import fake
from drivers.scanner.realistic import render_realistic
from drivers.scanner.sample_pages import SAMPLE_SHEETS
from tests.rendered_pages import remembered


def test_the_fake_scanner_renders_through_the_memo() -> None:
    assert fake.render_realistic is remembered


def test_a_remembered_page_is_the_rendered_page_and_the_callers_own() -> None:
    sheet = SAMPLE_SHEETS[0]
    drawn = render_realistic(sheet, 100, seed=3, numbers={"V.0": 7})
    first = remembered(sheet, 100, seed=3, numbers={"V.0": 7})
    first.image.paste(0, (0, 0, 50, 50))  # a caller that draws on its page
    again = remembered(sheet, 100, seed=3, numbers={"V.0": 7})
    assert again.image is not first.image
    assert again.image.tobytes() == drawn.image.tobytes()
    assert again.numbers == drawn.numbers and again.skew_deg == drawn.skew_deg
    other = remembered(sheet, 100, seed=3, numbers={"V.0": 8})
    assert other.image.tobytes() != drawn.image.tobytes()  # another paper, not the cached one
