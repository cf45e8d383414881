"""Real handwritten digits for the fake scanner: held-out MNIST glyphs pasted into digit cells.

``data/heldout_digits.png`` holds 1,000 MNIST glyphs (100 per digit, 20 x 20 px, ink bright)
that ``scripts/train-digits`` set aside: the digit model never saw them, so a page written with
them measures the reader honestly (see ``data/README.md`` for their origin and licence).

A glyph goes into a cell as a person fills a box: cropped to its ink, turned a few degrees,
sized to the writer's share of the box height (``handwriting.Writer.fill``), placed off-centre,
its grey ramp steepened to a pen's edge and its coverage scaled by the pen and the pressure
(pencil also grainy, as ``handwriting.draw_number`` does). The page module then adds paper,
skew, light and sensor noise as for the stroke hand. Each paste returns the exact box of the
ink it left, so the ground truth stays exact. Unlike the stroke hand (``handwriting.py``) a
glyph has no pressure along its stroke and MNIST's American writers seldom flag a 1.
"""

from __future__ import annotations

import functools
import math
import random
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageFilter

from drivers.scanner.handwriting import Pen, PixelBox, Writer, grain_layer

DATA_DIR = Path(__file__).resolve().parent / "data"
HELDOUT_PNG = DATA_DIR / "heldout_digits.png"
HELDOUT_TXT = DATA_DIR / "heldout_digits.txt"
SIDE = 20  # px: a glyph's side in the file
MAX_TURN_DEG = 6.0
# Grey ramp of a resized glyph -> ink coverage: MNIST's soft anti-aliased edge (a blur of a
# thick stroke) becomes a pen's narrower, sharper line; below the floor is no ink at all.
_FLOOR, _SPAN = 60, 130
_EDGE = [min(255, max(0, round((v - _FLOOR) * 255 / _SPAN))) for v in range(256)]


@dataclass(frozen=True, eq=False)
class Glyphs:
    """The held-out glyphs: ``images[i]`` (20 x 20 'L', ink bright) is digit ``labels[i]``;
    ``by_digit`` the indices of each digit's glyphs."""

    images: tuple[Image.Image, ...]
    labels: tuple[str, ...]
    by_digit: dict[str, tuple[int, ...]]

    def of(self, digit: str) -> tuple[int, ...]:
        """The indices of every glyph of ``digit`` ("0".."9")."""
        return self.by_digit[digit]


@functools.cache
def heldout() -> Glyphs:
    """The 1,000 held-out glyphs, read once per process (~2 ms)."""
    with Image.open(HELDOUT_PNG) as png:
        grid = png.convert("L")
    cols = grid.width // SIDE
    labels = tuple(HELDOUT_TXT.read_text(encoding="ascii").split())
    images = []
    for i in range(len(labels)):
        x, y = (i % cols) * SIDE, (i // cols) * SIDE
        images.append(grid.crop((x, y, x + SIDE, y + SIDE)))
    assert len(images) == len(labels) and set(labels) == set("0123456789"), HELDOUT_TXT
    by_digit = {d: tuple(i for i, label in enumerate(labels) if label == d) for d in set(labels)}
    return Glyphs(tuple(images), labels, by_digit)


def pick(digit: str, rng: random.Random) -> int:
    """A held-out glyph of ``digit``, chosen by ``rng``: its index in the file."""
    return rng.choice(heldout().of(digit))


def _shaped(index: int, height: float, max_width: float, rng: random.Random) -> Image.Image:
    """Glyph ``index`` cropped to its ink, turned, scaled to ``height`` px (narrower if the
    cell allows less than ``max_width``), as pen coverage before pressure."""
    glyph = heldout().images[index]
    turned = glyph.rotate(
        rng.uniform(-MAX_TURN_DEG, MAX_TURN_DEG), Image.Resampling.BILINEAR, expand=True
    )
    g = turned.crop(turned.getbbox() or (0, 0, turned.width, turned.height))
    width = g.width * height / g.height * rng.uniform(0.88, 1.12)
    scale = min(1.0, max_width / width)
    size = (max(2, round(width * scale)), max(2, round(height * scale)))
    return g.resize(size, Image.Resampling.BICUBIC).point(_EDGE)


def paste_glyph(
    coverage: Image.Image,
    index: int,
    cell: PixelBox,
    writer: Writer,
    pen: Pen,
    px_per_mm: float,
    pressure: float,
    rng: random.Random,
) -> PixelBox:
    """Write held-out glyph ``index`` into ``cell`` (page pixels) of the ink ``coverage`` layer
    (max-combined) and return the box of the ink it left (x1, y1 exclusive), inside the cell's
    inner area whatever the jitter."""
    x0, y0, x1, y1 = cell
    bw, bh = x1 - x0, y1 - y0
    margin = max(3.0, bh * 0.16)  # as handwriting.layout_number: clear of the printed border
    height = min(bh - 2 * margin, bh * writer.fill * rng.uniform(0.93, 1.05))
    g = _shaped(index, height, bw - 2 * margin, rng)
    # A stroke about as wide as the pen's: MNIST's strokes scale with the glyph, a pen's do not.
    stroke_px = 2.4 * g.height / SIDE  # MNIST's ~2.4 px stroke at 20 px, scaled
    if stroke_px > 1.9 * pen.width_mm * px_per_mm:
        g = g.filter(ImageFilter.MinFilter(3))
    tone = pen.coverage * (0.7 + 0.3 * min(1.0, pressure)) * rng.uniform(0.9, 1.0)
    g = g.point([round(v * tone) for v in range(256)])
    if pen.grain:
        g = ImageChops.multiply(g, grain_layer(g.size, pen, rng))
    free_x = max(0.0, bw - 2 * margin - g.width)
    free_y = max(0.0, bh - 2 * margin - g.height)
    left = x0 + margin + free_x * min(1.0, max(0.0, rng.gauss(0.5, 0.18)))
    top = y0 + margin + free_y * min(1.0, max(0.0, rng.gauss(0.5, 0.2)))
    at = (math.floor(left), math.floor(top))
    region = (at[0], at[1], at[0] + g.width, at[1] + g.height)
    coverage.paste(ImageChops.lighter(coverage.crop(region), g), region)
    ink = g.getbbox()
    assert ink is not None, f"glyph {index} left no ink"
    return (at[0] + ink[0], at[1] + ink[1], at[0] + ink[2], at[1] + ink[3])
