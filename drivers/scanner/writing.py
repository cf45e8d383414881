"""A KPPS filling in a sample sheet: every number in its box and both signatures, as ink.

Two hands write the digits (``HANDS``):

- ``"glyphs"`` (the fake scanner's default): held-out MNIST glyphs pasted into the digit cells
  (glyphs.py), handwriting by real people that the digit model never saw;
- ``"strokes"``: the jittered stroke skeletons of handwriting.py, with pressure along each
  stroke; the only hand with flagged 1s and barred 7s, and the realistic corpus's default.

Both cross unused leading cells out with the stroke hand's "X" and sign with its scribble.
The result is an ink coverage layer ('L', 0 = none, 255 = full) and, for each box, where its
ink went on the unskewed page (realistic.py turns that into the scan and the ground truth).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass

from PIL import Image

from drivers.scanner import glyphs
from drivers.scanner.form_layout import PrintedBox, printed_form
from drivers.scanner.handwriting import (
    Pen,
    PixelBox,
    Point,
    Writer,
    draw_number,
    draw_signature,
    layout_cross,
    layout_number,
)
from drivers.scanner.sample_pages import (
    SIGNATURE_GAP_MM,
    SIGNATURE_X_MM,
    SampleSheet,
    cell_digits,
    cell_rects,
)

HANDS = ("glyphs", "strokes")
CORPUS_HAND = "strokes"  # corpus.py's pages (and realistic_page's): see corpus.py


@dataclass(frozen=True)
class BoxInk:
    """One box as written, on the unskewed page (pixels; x1, y1 exclusive)."""

    box: str
    value: int
    bbox: PixelBox  # all the ink in the box
    box_rect: PixelBox
    digits: tuple[tuple[str, PixelBox], ...]
    crossed: tuple[PixelBox, ...]
    glyphs: tuple[int, ...]  # held-out glyph index of each digit (glyph hand), else ()


def px(rect: tuple[float, float, float, float], px_mm: float) -> PixelBox:
    x0, y0, x1, y1 = rect
    return (round(x0 * px_mm), round(y0 * px_mm), round(x1 * px_mm), round(y1 * px_mm))


def _stroke_layout(
    box: PrintedBox, value: int, px_mm: float, writer: Writer, rng: random.Random
) -> tuple[str, list[list[list[Point]]]]:
    """What goes in the box and the strokes of each character: one digit per cell,
    right-aligned, an "X" in each unused leading cell; a one-cell box takes the whole number."""
    written = cell_digits(value, box.cells)
    if box.cells == 1:
        return written, layout_number(written, px(box.rect, px_mm), writer, rng)
    strokes: list[list[list[Point]]] = []
    for ch, cell in zip(written, cell_rects(box.rect, box.cells), strict=True):
        cell_px = px(cell, px_mm)
        if ch == "X":
            strokes += layout_cross(cell_px, writer, rng)
        else:
            strokes += layout_number(ch, cell_px, writer, rng)
    return written, strokes


def _stroke_box(
    coverage: Image.Image,
    box: PrintedBox,
    value: int,
    px_mm: float,
    writer: Writer,
    pen: Pen,
    rng: random.Random,
) -> BoxInk:
    text, strokes = _stroke_layout(box, value, px_mm, writer, rng)
    pressure = writer.pressure * rng.uniform(0.85, 1.1)
    written = draw_number(coverage, strokes, text, pen, px_mm, pressure, rng)
    digits = tuple(d for d in written.digits if d[0] != "X")
    crossed = tuple(b for ch, b in written.digits if ch == "X")
    return BoxInk(box.name, value, written.bbox, px(box.rect, px_mm), digits, crossed, ())


def _glyph_box(
    coverage: Image.Image,
    box: PrintedBox,
    value: int,
    px_mm: float,
    writer: Writer,
    pen: Pen,
    rng: random.Random,
) -> BoxInk:
    """Held-out glyphs in the digit cells, the stroke hand's "X" in each unused one. A one-cell
    box takes the number's digits side by side, each in an equal share of its width."""
    text = cell_digits(value, box.cells)
    rects = cell_rects(box.rect, box.cells if box.cells > 1 else len(text))
    pressure = writer.pressure * rng.uniform(0.85, 1.1)
    digits: list[tuple[str, PixelBox]] = []
    crossed: list[PixelBox] = []
    used: list[int] = []
    for ch, cell in zip(text, rects, strict=True):
        cell_px = px(cell, px_mm)
        if ch == "X":
            cross = draw_number(
                coverage, layout_cross(cell_px, writer, rng), "X", pen, px_mm, pressure, rng
            )
            crossed.append(cross.bbox)
            continue
        index = glyphs.pick(ch, rng)
        digits.append(
            (ch, glyphs.paste_glyph(coverage, index, cell_px, writer, pen, px_mm, pressure, rng))
        )
        used.append(index)
    inks = [b for _, b in digits] + crossed
    bbox = (
        min(b[0] for b in inks),
        min(b[1] for b in inks),
        max(b[2] for b in inks),
        max(b[3] for b in inks),
    )
    return BoxInk(
        box.name, value, bbox, px(box.rect, px_mm), tuple(digits), tuple(crossed), tuple(used)
    )


def handwrite(
    sheet: SampleSheet,
    size: tuple[int, int],
    px_mm: float,
    pen: Pen,
    rng: random.Random,
    hand: str = "glyphs",
    numbers: Mapping[str, int] | None = None,
) -> tuple[Image.Image, list[BoxInk]]:
    """Every number of ``sheet`` (``numbers`` overrides some boxes: a paper that differs from
    the sample) and both signatures as an ink coverage layer of ``size``; where each number
    went."""
    if hand not in HANDS:
        raise ValueError(f"hand {hand!r}: one of {HANDS}")
    writer = Writer.random(rng)
    coverage = Image.new("L", size, 0)
    values = {**sheet.boxes(), **(numbers or {})}
    boxes = printed_form(sheet.ballot).boxes
    unknown = set(values) - {b.name for b in boxes}
    if unknown:
        raise ValueError(f"no box {sorted(unknown)} on the {sheet.ballot} sheet")
    write = _glyph_box if hand == "glyphs" else _stroke_box
    written = [write(coverage, b, values[b.name], px_mm, writer, pen, rng) for b in boxes]
    bottom_mm = max(b.rect[3] for b in boxes)
    for x_mm in SIGNATURE_X_MM:
        origin = (x_mm * px_mm, (bottom_mm + SIGNATURE_GAP_MM) * px_mm)
        draw_signature(coverage, origin, px_mm, pen, writer.pressure, rng)
    return coverage, written
