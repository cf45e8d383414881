"""A scanned page is registered on its form definition by the corner squares and every digit
cell is cut out around what was written in it; a page that cannot be registered says why.

The pages are the realistic corpus's (drivers.scanner.realistic: skewed up to 2 degrees,
off-place, uneven light, sensor noise, ballpoint and pencil), with their ground truth: where
each digit's and each "X"'s ink is on the scan, and the transform that made the scan.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from PIL import Image, ImageDraw

from drivers.scanner.realistic import RealisticPage, render_realistic, sheet_named
from kiosk.forms import FormPage, shipped_forms
from kiosk.reader.crops import BOX_PAD_MM, CELL_DPI, cell_rect, cut
from kiosk.reader.register import MM_PER_INCH, Registration, RegistrationFailed, register
from tests.unit.test_lazy_imports import loaded_after

BALLOTS = ("PPWP", "DPR", "DPD")
PageMap = Callable[[float, float], tuple[float, float]]


def form_of(ballot: str) -> FormPage:
    (form,) = (f for f in shipped_forms() if f.ballot == ballot)
    return form


def page(ballot: str, dpi: int, pen: str, seed: int) -> RealisticPage:
    return render_realistic(sheet_named(ballot), dpi, pen=pen, seed=seed, colour=seed % 2 == 1)


def kept(reg: Registration, ink: tuple[int, int, int, int], rect: tuple[float, ...]) -> float:
    """The share of an ink box (scan px, x1/y1 exclusive) that lands inside ``rect`` (form mm)
    by the registration: the box's corners mapped onto the form, their bounding box clipped."""
    x0, y0, x1, y1 = ink
    corners = [reg.on_form(x, y) for x in (x0, x1) for y in (y0, y1)]
    ax0, ax1 = min(c[0] for c in corners), max(c[0] for c in corners)
    ay0, ay1 = min(c[1] for c in corners), max(c[1] for c in corners)
    ix = max(0.0, min(ax1, rect[2]) - max(ax0, rect[0]))
    iy = max(0.0, min(ay1, rect[3]) - max(ay0, rect[1]))
    return ix * iy / ((ax1 - ax0) * (ay1 - ay0))


def turned_box(box: tuple[int, int, int, int], size: tuple[int, int]) -> tuple[int, int, int, int]:
    """An ink box on the page turned 180 degrees (Image.Transpose.ROTATE_180)."""
    x0, y0, x1, y1 = box
    return (size[0] - x1, size[1] - y1, size[0] - x0, size[1] - y0)


def check_every_cell_holds_its_ink(
    scan: RealisticPage, reg: Registration, turn: bool = False
) -> list[float]:
    """Every digit and every "X" of the ground truth inside its cell's crop (>= 95 % of its ink
    box); the shares, for the assertion message."""
    form = reg.form
    shares = []
    for number in scan.numbers:
        box = form.box(number.box)
        if box.cells == 1:
            placed = [(0, b) for _, b in number.digits]
        else:
            first = box.cells - len(number.digits)
            placed = [(first + k, b) for k, (_, b) in enumerate(number.digits)]
            placed += list(enumerate(number.crossed))
            assert len(number.crossed) == first, number
        for cell, ink in placed:
            ink = turned_box(ink, scan.image.size) if turn else ink
            share = kept(reg, ink, cell_rect(box, cell))
            assert share >= 0.95, f"{number.box} cell {cell}: {share:.1%} of the ink kept"
            shares.append(share)
    return shares


@pytest.mark.parametrize("ballot", BALLOTS)
@pytest.mark.parametrize("dpi", [200, 300])
@pytest.mark.parametrize("pen", ["ballpoint", "pencil"])
@pytest.mark.parametrize("seed", [0, 1])
def test_every_written_digit_and_cross_falls_inside_its_cell_crop(
    ballot: str, dpi: int, pen: str, seed: int
) -> None:
    scan = page(ballot, dpi, pen, seed)
    form = form_of(ballot)
    result = cut(scan.image, dpi, form)
    reg = result.registration
    assert not reg.turned and reg.residual_px < 1.0 and reg.line_score > 0.95
    assert abs(reg.skew_deg - scan.skew_deg) < 0.05, (reg.skew_deg, scan.skew_deg)
    # The fit against the transform that made the scan, at every box's corners.
    px_mm = dpi / MM_PER_INCH
    for box in form.boxes:
        x0, y0, x1, y1 = box.rect_mm
        for x, y in ((x0, y0), (x1, y0), (x0, y1), (x1, y1)):
            error = math.dist(reg.on_page(x, y), scan.on_scan(x * px_mm, y * px_mm))
            assert error < 0.1 * px_mm, f"{box.name} corner ({x}, {y}) off by {error:.2f} px"
    assert len(check_every_cell_holds_its_ink(scan, reg)) == sum(b.cells for b in form.boxes)
    # The crops: a fixed size at CELL_DPI, ink in every written cell, none outside the form.
    assert set(result.cells) == set(result.boxes) == {b.name for b in form.boxes}
    for box in form.boxes:
        crops = result.cells[box.name]
        assert len(crops) == box.cells
        for i, crop in enumerate(crops):
            x0, y0, x1, y1 = cell_rect(box, i)
            want = (
                round((y1 - y0) * CELL_DPI / MM_PER_INCH),
                round((x1 - x0) * CELL_DPI / MM_PER_INCH),
            )
            assert crop.shape == want and crop.dtype.name == "uint8"
            # Ink (pencil too) against paper whose noise alone reaches ~30 grey levels down.
            contrast = int(crop.max()) - int(crop.min())
            assert contrast > 50, f"{box.name} cell {i}: no ink ({contrast})"
        whole = result.boxes[box.name]
        x0, y0, x1, y1 = box.rect_mm
        assert whole.shape[1] == round((x1 - x0 + 2 * BOX_PAD_MM) * CELL_DPI / MM_PER_INCH)


def test_the_crops_sit_on_the_printed_box_and_show_little_of_its_border() -> None:
    """The margin leaves at most a sliver of the printed lines: each cell crop's outer rows and
    columns are mostly paper (what is left, kiosk.reader.cell_image strips); the box crop shows
    the printed outline exactly where the form puts it."""
    scan = page("PPWP", 200, "pencil", 4)
    result = cut(scan.image, 200, form_of("PPWP"))
    for name, crops in result.cells.items():
        for i, crop in enumerate(crops):
            paper = float(crop.max())
            edges = [crop[0, :], crop[-1, :], crop[:, 0], crop[:, -1]]
            dark = max(float((edge < 0.5 * paper).mean()) for edge in edges)
            assert dark < 0.5, f"{name} cell {i}: an edge {dark:.0%} dark, the border is in"
    # The whole box's crop: its printed outline centred in it and as far apart as the form
    # says, to a pixel (the renderer draws a line inside its rectangle: centres, not edges).
    pad = BOX_PAD_MM * CELL_DPI / MM_PER_INCH
    band = round(2 * pad)
    for name, whole in result.boxes.items():
        h, w = whole.shape
        for profile, size in ((whole.mean(axis=0), w), (whole.mean(axis=1), h)):
            first = int(profile[:band].argmin()) + 0.5
            last = size - band + int(profile[-band:].argmin()) + 0.5
            assert abs((first + last) / 2 - size / 2) <= 1.0, (name, first, last, size)
            assert abs((last - first) - (size - 2 * pad)) <= 1.5, (name, first, last, size)


@pytest.mark.parametrize("ballot", BALLOTS)
def test_a_page_scanned_upside_down_is_read_turned_back(ballot: str) -> None:
    """The corner squares are symmetric; the box lines tell the turn. The crops come out upright
    and hold the same ink as the upright scan's."""
    scan = page(ballot, 200, "ballpoint", 5)
    upside_down = scan.image.transpose(Image.Transpose.ROTATE_180)
    result = cut(upside_down, 200, form_of(ballot))
    assert result.registration.turned
    check_every_cell_holds_its_ink(scan, result.registration, turn=True)
    upright = cut(scan.image, 200, form_of(ballot))
    assert not upright.registration.turned
    for name, crops in upright.cells.items():
        for a, b in zip(crops, result.cells[name], strict=True):
            assert abs(float(a.mean()) - float(b.mean())) < 6, name


def cover(image: Image.Image, centre: tuple[float, float], dpi: int) -> Image.Image:
    """``image`` with white pasted over 9 x 9 mm around ``centre`` (px)."""
    half = 4.5 * dpi / MM_PER_INCH
    out = image.copy()
    x, y = centre
    ImageDraw.Draw(out).rectangle((x - half, y - half, x + half, y + half), fill=250)
    return out


@pytest.mark.parametrize("corner", ["top-left", "top-right", "bottom-left", "bottom-right"])
def test_a_covered_corner_square_is_refused_naming_it(corner: str) -> None:
    form = form_of("DPD")
    scan = page("DPD", 200, "pencil", 2)
    found = dict(register(scan.image, 200, form).anchors)
    with pytest.raises(RegistrationFailed) as failed:
        register(cover(scan.image, found[corner], 200), 200, form)
    assert failed.value.found[corner] is None
    assert sum(at is not None for at in failed.value.found.values()) == 3
    assert f"corner squares not found: {corner}" in str(failed.value)


def checkerboard(size: tuple[int, int], dpi: int, square_mm: float) -> Image.Image:
    """Black and white squares of ``square_mm``, as the SANE test backend's Grid picture."""
    img = Image.new("L", size, 255)
    draw = ImageDraw.Draw(img)
    px = square_mm * dpi / MM_PER_INCH
    for i in range(math.ceil(size[0] / px)):
        for j in range(math.ceil(size[1] / px)):
            if (i + j) % 2:
                box = (
                    round(i * px),
                    round(j * px),
                    round((i + 1) * px) - 1,
                    round((j + 1) * px) - 1,
                )
                draw.rectangle(box, fill=0)
    return img


@pytest.mark.parametrize(
    ("what", "make"),
    [
        ("blank", lambda size, dpi: Image.new("L", size, 238)),
        ("SANE grid", lambda size, dpi: checkerboard(size, dpi, 10.0)),
        ("5 mm checkerboard", lambda size, dpi: checkerboard(size, dpi, 5.0)),
    ],
)
def test_a_page_that_is_no_form_is_refused(
    what: str, make: Callable[[tuple[int, int], int], Image.Image]
) -> None:
    size = (1653, 2338)  # A4 at 200 dpi
    with pytest.raises(RegistrationFailed) as failed:
        register(make(size, 200), 200, form_of("PPWP"))
    assert failed.value.reason, what


@pytest.mark.parametrize(("sheet", "ballot"), [("PPWP", "DPR"), ("DPR", "DPD"), ("DPD", "PPWP")])
def test_another_forms_page_is_refused_naming_a_box_it_lacks(sheet: str, ballot: str) -> None:
    """The forms share their corner squares; their boxes tell them apart."""
    scan = page(sheet, 200, "ballpoint", 6)
    with pytest.raises(RegistrationFailed, match=r"box \S+ is not printed where the form puts it"):
        register(scan.image, 200, form_of(ballot))


def test_ink_across_a_corner_square_does_not_move_it() -> None:
    """A pencil line through a square and a ballpoint scribble touching another: the thin
    strokes fall away before the squares' centres are taken."""
    dpi, form = 300, form_of("PPWP")
    scan = page("PPWP", dpi, "pencil", 8)
    px = dpi / MM_PER_INCH
    marked = scan.image.copy()
    draw = ImageDraw.Draw(marked)
    (_, tl), (_, tr) = form.anchors[0], form.anchors[1]
    draw.line(((tl[0] - 8) * px, (tl[1] + 2) * px, (tl[2] + 30) * px, (tl[3] + 1) * px), 90, 4)
    draw.line((tr[0] * px - 40, tr[3] * px + 3, tr[2] * px + 3, tr[3] * px + 30), 50, 5)
    reg = register(marked, dpi, form)
    for x, y in ((12.5, 10.5), (197.5, 10.5), (105, 150)):
        assert math.dist(reg.on_page(x, y), scan.on_scan(x * px, y * px)) < 0.1 * px


def test_the_registration_maps_both_ways() -> None:
    reg = register(page("DPR", 200, "pencil", 9).image, 200, form_of("DPR"))
    for x, y in ((0, 0), (105, 148.5), (210, 297)):
        back = reg.on_form(*reg.on_page(x, y))
        assert math.dist(back, (x, y)) < 1e-6


def test_importing_the_register_loads_neither_numpy_nor_opencv() -> None:
    """The web app may import kiosk.reader.register (its errors, its types): numpy and OpenCV
    come with the first page registered."""
    loaded = loaded_after("""
        import sys
        from PIL import Image
        from kiosk.forms import shipped_forms
        from kiosk.reader import register
        assert not {"numpy", "cv2"} & set(sys.modules), "loaded with the import"
        try:
            register.register(Image.new("L", (400, 560), 240), 48, shipped_forms()[0])
        except register.RegistrationFailed:
            pass
    """)
    assert {"numpy", "cv2"} <= loaded


def test_a_square_mark_nearer_an_anchors_place_than_the_anchor_is_passed_over() -> None:
    """A stamp or a filled box where the corner square would be on a straight sheet: the fit
    through the real squares is the one that holds."""
    dpi, form = 200, form_of("PPWP")
    scan = page("PPWP", dpi, "ballpoint", 0)  # skewed ~2 degrees: the corners move ~5 mm
    px = dpi / MM_PER_INCH
    truth = register(scan.image, dpi, form)
    nominal = {n: ((r[0] + r[2]) / 2 * px, (r[1] + r[3]) / 2 * px) for n, r in form.anchors}
    name, real = max(truth.anchors, key=lambda a: math.dist(a[1], nominal[a[0]]))
    away = math.dist(real, nominal[name])
    assert away > 4.5 * px, "the sheet is too straight for this test"
    # A 5 mm square 1 mm past the anchor's straight place, on the side away from the anchor.
    nx, ny = nominal[name]
    cx, cy = nx + (nx - real[0]) * px / away, ny + (ny - real[1]) * px / away
    marked = scan.image.copy()
    half = 2.5 * px
    ImageDraw.Draw(marked).rectangle((cx - half, cy - half, cx + half, cy + half), fill=20)
    reg = register(marked, dpi, form)
    assert math.dist(dict(reg.anchors)[name], real) < 0.5
    assert reg.residual_px < 1.0


def test_a_sheet_off_its_place_on_a_larger_glass_registers() -> None:
    """A legal-size glass, the sheet 8 mm right and 6 mm down of the corner: the squares are
    looked for ``SEARCH_MM`` around their place, the rest of the glass is the lid's white."""
    dpi, form = 200, form_of("DPR")
    scan = page("DPR", dpi, "pencil", 10)
    px = dpi / MM_PER_INCH
    glass = Image.new("L", (round(216 * px), round(356 * px)), 250)
    dx, dy = round(8 * px), round(6 * px)
    glass.paste(scan.image, (dx, dy))
    reg = register(glass, dpi, form)
    for x, y in ((12.5, 10.5), (105, 150), (197.5, 286.5)):
        tx, ty = scan.on_scan(x * px, y * px)
        assert math.dist(reg.on_page(x, y), (tx + dx, ty + dy)) < 0.1 * px
