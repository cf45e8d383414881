"""The rendition that travels keeps every handwritten digit legible: crops of the smallest
digits of realistic scans, original and rendition side by side at 100 %, are written to
artifacts/legibility/ and measured (bench/legibility_crops.py says how).

Bounds: the rendition's ink must overlap the original's by at least 85 % (q70 at 200 dpi gives
92-100 %) with a mean error on the ink of at most 8 grey levels per digit (q70 gives 2-6.5 on
the corpus; q30 up to 11, q15 8.5-14: blocky strokes), and the smallest digit must still be
24 pixels tall in the rendition
(200 dpi gives 32; 100 dpi, 16, would fail): about the size at which handwritten digits are
still read reliably.
"""

from __future__ import annotations

import pytest
from PIL import Image

from bench.legibility_crops import legibility_sheet, scanned_page, write_sheet
from kiosk.chasil.renditions import RENDITION_DPI, rendition_jpeg

MIN_INK_IOU = 0.85
MAX_INK_ERROR = 8.0
MIN_DIGIT_PX = 24


@pytest.mark.parametrize(
    ("dpi", "colour", "pen"),
    [(300, False, "pencil"), (300, True, "ballpoint"), (200, False, "ballpoint")],
)
def test_the_smallest_digits_stay_legible_in_the_rendition(dpi, colour, pen):
    page, numbers = scanned_page("DPD", dpi, colour, pen, seed=3)
    rendition = rendition_jpeg(page, dpi)
    assert len(rendition) <= 250 * 1024
    sheet, checks = legibility_sheet(page, dpi, rendition, numbers, count=8)
    path = write_sheet(f"{dpi}dpi-{'colour' if colour else 'grey'}-{pen}", sheet)
    with Image.open(path) as written:
        assert written.size == sheet.size and written.height > 8 * 30
    assert len(checks) == 8
    for c in checks:
        assert c.ink_iou >= MIN_INK_IOU, c
        assert c.ink_error <= MAX_INK_ERROR, c
        assert c.height_px * min(dpi, RENDITION_DPI) / dpi >= MIN_DIGIT_PX, c


def test_a_heavily_compressed_rendition_fails_the_bound(monkeypatch):
    """The measure can fail: the same page at JPEG quality 15."""
    monkeypatch.setattr("kiosk.chasil.renditions.RENDITION_QUALITY", 15)
    page, numbers = scanned_page("DPD", 200, False, "ballpoint", seed=3)
    _, checks = legibility_sheet(page, 200, rendition_jpeg(page, 200), numbers, count=8)
    assert max(c.ink_error for c in checks) > MAX_INK_ERROR
