"""Crops of the smallest handwritten digits of a realistic scan, from the original and from the
rendition that travels, side by side at 100 % (each at its own resolution), with a measure of
how far the rendition strays from the original on the digit's ink.

Used by bench/page_bench.py and tests/chasil/test_pages_legibility.py; the sheets go to
``artifacts/legibility/``. The pages are the realistic corpus (drivers.scanner.realistic),
whose ground truth says where each digit was written.

The measure, per digit, at the rendition's resolution (the original box-averaged down to it,
which is what the rendition starts from): *ink* is every pixel darker than the midpoint between
the crop's paper (its 90th percentile) and its darkest pixel. ``ink_iou`` is the overlap of the
original's and the rendition's ink (1 = the same strokes), ``ink_error`` the mean absolute grey
difference over that ink (what JPEG did to the strokes; the paper band's flattening never
touches ink).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

from drivers.scanner.realistic import WrittenNumber, realistic_page
from kiosk.chasil.renditions import RENDITION_DPI, form_box

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "legibility"
MARGIN = 0.35  # of the digit's height, around its ink box


@dataclass(frozen=True)
class DigitCheck:
    digit: str
    box: str  # the form's box it was written in
    height_px: int  # in the original
    ink_iou: float
    ink_error: float


def scanned_page(
    sheet: str, dpi: int, colour: bool, pen: str, seed: int
) -> tuple[Image.Image, list[WrittenNumber]]:
    """A page of the realistic corpus and where its numbers are written."""
    return realistic_page(sheet, dpi, colour, pen, seed)


def smallest_digits(
    numbers: list[WrittenNumber], count: int
) -> list[tuple[str, str, tuple[int, int, int, int]]]:
    """The ``count`` smallest digits on the page: (digit, box name, pixel box)."""
    digits = [(ch, n.box, b) for n in numbers for ch, b in n.digits]
    return sorted(digits, key=lambda d: (d[2][3] - d[2][1], d[1]))[:count]


def _grow(box: tuple[int, int, int, int], scale: float, size: tuple[int, int]) -> tuple[int, ...]:
    x0, y0, x1, y1 = box
    m = (y1 - y0) * MARGIN
    return (
        max(0, round((x0 - m) * scale)),
        max(0, round((y0 - m) * scale)),
        min(size[0], round((x1 + m) * scale)),
        min(size[1], round((y1 + m) * scale)),
    )


def _measure(original: Image.Image, rendition: Image.Image) -> tuple[float, float]:
    o, r = list(original.convert("L").tobytes()), list(rendition.convert("L").tobytes())
    paper = sorted(o)[int(len(o) * 0.9)]
    threshold = (paper + min(o)) / 2
    ink_o = {i for i, v in enumerate(o) if v < threshold}
    ink_r = {i for i, v in enumerate(r) if v < threshold}
    union = ink_o | ink_r
    if not union:
        return 1.0, 0.0
    error = sum(abs(o[i] - r[i]) for i in union) / len(union)
    return len(ink_o & ink_r) / len(union), error


def legibility_sheet(
    original: Image.Image,
    dpi: int,
    rendition_jpeg: bytes,
    numbers: list[WrittenNumber],
    count: int = 8,
) -> tuple[Image.Image, list[DigitCheck]]:
    """One row per smallest digit: the original crop and the rendition crop at 100 %, and each
    digit's measure. The rendition may be cropped to the form (as the kiosk keeps it): its
    crop box is found as the kiosk found it."""
    rendition = Image.open(io.BytesIO(rendition_jpeg))
    rendition.load()
    scale = min(dpi, RENDITION_DPI) / dpi
    size = (round(original.width * scale), round(original.height * scale))
    down = original.resize(size, Image.Resampling.BOX) if scale < 1 else original
    dx, dy = form_box(down, round(dpi * scale))[:2] if rendition.size != down.size else (0, 0)
    rows, checks = [], []
    for digit, box_name, box in smallest_digits(numbers, count):
        big = original.crop(_grow(box, 1.0, original.size))
        small_box = _grow(box, scale, down.size)
        small = rendition.crop(
            (small_box[0] - dx, small_box[1] - dy, small_box[2] - dx, small_box[3] - dy)
        )
        iou, error = _measure(down.crop(small_box), small)
        checks.append(DigitCheck(digit, box_name, box[3] - box[1], iou, error))
        rows.append((big, small))
    gap = 8
    width = max(b.width for b, _ in rows) + max(s.width for _, s in rows) + 3 * gap
    height = sum(max(b.height, s.height) + gap for b, s in rows) + gap
    mode = "RGB" if original.mode == "RGB" else "L"
    sheet = Image.new(mode, (width, height), (128, 128, 128) if mode == "RGB" else 128)
    y = gap
    left = max(b.width for b, _ in rows)
    for big, small in rows:
        sheet.paste(big.convert(mode), (gap, y))
        sheet.paste(small.convert(mode), (left + 2 * gap, y))
        y += max(big.height, small.height) + gap
    ImageDraw.Draw(sheet).line([(left + gap * 1.5, 0), (left + gap * 1.5, height)], fill=0)
    return sheet, checks


def write_sheet(name: str, sheet: Image.Image) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    sheet.save(path)
    return path
