"""The rendered sample sheets are the shipped definitions: the boxes, their digit cells and the
corner marks are found on the image where the definition says (within a pixel or two on a clean
render, within the skew on a realistic one), and each digit is written in its own cell, with an
"X" in each unused leading cell."""

from __future__ import annotations

import pytest
from PIL import Image

from drivers.scanner.realistic import render_realistic
from drivers.scanner.sample_pages import SAMPLE_SHEETS, cell_digits, render_sheet
from kiosk.forms import FormPage, shipped_forms

DARK = 100


def form_of(ballot: str) -> FormPage:
    return next(f for f in shipped_forms() if f.ballot == ballot)


def dark_run(img: Image.Image, points: list[tuple[int, int]]) -> float:
    """Share of ``points`` that are dark (grey below DARK)."""
    px = img.load()
    return sum(1 for p in points if px[p] < DARK) / len(points)


def vertical_line_near(img: Image.Image, x: int, y0: int, y1: int, reach: int = 4) -> list[int]:
    """Columns within ``reach`` of ``x`` that are dark over the middle of y0..y1."""
    ys = range(y0 + 3, y1 - 3)
    return [
        c for c in range(x - reach, x + reach + 1) if dark_run(img, [(c, y) for y in ys]) > 0.95
    ]


def horizontal_line_near(img: Image.Image, y: int, x0: int, x1: int, reach: int = 4) -> list[int]:
    xs = range(x0 + 3, x1 - 3)
    return [
        r for r in range(y - reach, y + reach + 1) if dark_run(img, [(x, r) for x in xs]) > 0.95
    ]


@pytest.mark.parametrize("dpi", [200, 300])
@pytest.mark.parametrize("sheet", SAMPLE_SHEETS, ids=lambda s: s.ballot)
def test_a_clean_render_has_each_box_cell_and_anchor_where_the_definition_says(sheet, dpi):
    page = render_sheet(sheet, dpi, seed=3)
    form = form_of(sheet.ballot)
    px = dpi / 25.4
    for box in form.boxes:
        x0, y0, x1, y1 = (round(v * px) for v in box.rect_mm)
        for edge in (x0, x1):
            found = vertical_line_near(page, edge, y0, y1)
            assert found and min(abs(c - edge) for c in found) <= 2, (box.name, edge, found)
        for edge in (y0, y1):
            found = horizontal_line_near(page, edge, x0, x1)
            assert found and min(abs(r - edge) for r in found) <= 2, (box.name, edge, found)
        for i in range(1, box.cells):
            edge = round(box.cell_mm(i)[0] * px)
            found = vertical_line_near(page, edge, y0, y1)
            assert found and min(abs(c - edge) for c in found) <= 2, (box.name, i, found)
        # Nothing else drawn across the middle of a cell: no divider the definition lacks.
        for i in range(box.cells):
            cx0, _, cx1, _ = (round(v * px) for v in box.cell_mm(i))
            assert not vertical_line_near(page, (cx0 + cx1) // 2, y0, y1, reach=(cx1 - cx0) // 4)
    for name, rect in form.anchors:
        x0, y0, x1, y1 = (round(v * px) for v in rect)
        inside = [(x, y) for x in range(x0 + 2, x1 - 2) for y in range(y0 + 2, y1 - 2)]
        assert dark_run(page, inside) == 1.0, name
        ring = [(x, y0 - 3) for x in range(x0, x1)] + [(x, y1 + 2) for x in range(x0, x1)]
        ring += [(x0 - 3, y) for y in range(y0, y1)] + [(x1 + 2, y) for y in range(y0, y1)]
        assert dark_run(page, ring) == 0.0, name


def test_a_clean_render_writes_in_every_cell_and_nowhere_between_the_boxes():
    sheet = SAMPLE_SHEETS[0]
    page = render_sheet(sheet, 200, seed=5)
    form = form_of(sheet.ballot)
    px = 200 / 25.4
    for box in form.boxes:
        for i in range(box.cells):
            x0, y0, x1, y1 = (round(v * px) for v in box.cell_mm(i))
            inner = page.crop((x0 + 4, y0 + 4, x1 - 4, y1 - 4))
            assert inner.histogram()[0:DARK] and sum(inner.histogram()[:DARK]) > 20, (box.name, i)


def test_a_kpps_writes_one_digit_per_cell_right_aligned_and_crosses_the_rest():
    assert cell_digits(62, 3) == "X62"
    assert cell_digits(0, 3) == "XX0"
    assert cell_digits(285, 3) == "285"
    assert cell_digits(1234, 1) == "1234"
    with pytest.raises(ValueError):
        cell_digits(1000, 3)


@pytest.mark.parametrize(
    ("sheet", "dpi", "colour", "pen", "seed"),
    [
        (SAMPLE_SHEETS[0], 200, False, "ballpoint", 1),
        (SAMPLE_SHEETS[1], 300, True, "pencil", 2),
        (SAMPLE_SHEETS[2], 200, True, "ballpoint", 4),
    ],
    ids=["PPWP-200-grey", "DPR-300-colour-pencil", "DPD-200-colour"],
)
def test_a_realistic_render_has_its_boxes_and_anchors_where_the_skew_puts_them(
    sheet, dpi, colour, pen, seed
):
    page = render_realistic(sheet, dpi, colour=colour, pen=pen, seed=seed)
    grey = page.image.convert("L")
    form = form_of(sheet.ballot)
    px = dpi / 25.4
    pixels = grey.load()

    def darkest_near(x: float, y: float, reach: int = 2) -> int:
        sx, sy = page.on_scan(x, y)
        return min(
            pixels[round(sx) + dx, round(sy) + dy]
            for dx in range(-reach, reach + 1)
            for dy in range(-reach, reach + 1)
        )

    for box in form.boxes:
        x0, y0, x1, y1 = (v * px for v in box.rect_mm)
        # The printed border along all four sides, at the skewed place.
        for t in (0.2, 0.5, 0.8):
            for x, y in (
                (x0 + 1, y0 + t * (y1 - y0)),
                (x1 - 1, y0 + t * (y1 - y0)),
                (x0 + t * (x1 - x0), y0 + 1),
                (x0 + t * (x1 - x0), y1 - 1),
            ):
                assert darkest_near(x, y) < 90, (box.name, x, y)
    for name, rect in form.anchors:
        x0, y0, x1, y1 = (v * px for v in rect)
        assert darkest_near((x0 + x1) / 2, (y0 + y1) / 2, reach=0) < 90, name
        sx, sy = page.on_scan(x1 + 2 * px, (y0 + y1) / 2)  # 2 mm right of the mark: paper
        assert pixels[round(sx), round(sy)] > 150, name
    # Each digit's ink in its own cell, right-aligned; the crosses in the leading cells.
    numbers = sheet.boxes()
    for n in page.numbers:
        box = form.box(n.box)
        written = cell_digits(numbers[n.box], box.cells)
        assert "".join(ch for ch, _ in n.digits) == str(n.value)
        assert len(n.crossed) == written.count("X")
        inks = [b for b in n.crossed] + [b for _, b in n.digits]
        for i, (bx0, by0, bx1, by1) in enumerate(inks):
            cx0, cy0, cx1, cy1 = (v * px for v in box.cell_mm(i))
            centre = ((bx0 + bx1) / 2, (by0 + by1) / 2)
            corners = [page.on_scan(x, y) for x in (cx0, cx1) for y in (cy0, cy1)]
            xs, ys = [c[0] for c in corners], [c[1] for c in corners]
            assert min(xs) < centre[0] < max(xs) and min(ys) < centre[1] < max(ys), (n.box, i)
