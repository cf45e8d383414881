"""Handwritten numbers for the realistic sample scans: pen strokes with pressure, not a font.

Each digit is one to three strokes through hand-placed control points on a unit cell (x right,
y down), with two or three shapes per digit as people write them (a 1 with or without its flag,
a 7 with or without the bar, an open or closed 4). The control points are jittered, the number is
slanted and sized per writer, and the strokes are smoothed with a Catmull-Rom spline, so no two
digits on a page are the same, yet a seed gives the same page every run.

A stroke is drawn as short round-capped segments whose width and ink coverage follow the pen's
pressure: light where the pen lands and lifts, uneven along the way. Ballpoint ink is dark and
nearly even with the odd skip; pencil is lighter, wider and grainy, because graphite only catches
on the fibres that stand up. Strokes are drawn at ``SUPERSAMPLE`` times the page resolution and
reduced, which gives them soft edges as on a scan.

Everything here works on an ink *coverage* layer ('L', 0 = no ink, 255 = full ink); the page
module turns coverage into colour. Pure Pillow: no numpy on the kiosk.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageDraw

SUPERSAMPLE = 4
Point = tuple[float, float]
PixelBox = tuple[int, int, int, int]  # x0, y0, x1, y1 in page pixels; x1, y1 exclusive

# Digit shapes: each a tuple of strokes, each stroke control points on the unit cell.
_SHAPES: dict[str, tuple[tuple[tuple[Point, ...], ...], ...]] = {
    "0": (
        (
            (
                (0.55, 0.02),
                (0.2, 0.14),
                (0.05, 0.52),
                (0.25, 0.95),
                (0.65, 0.97),
                (0.93, 0.55),
                (0.8, 0.12),
                (0.48, 0.04),
            ),
        ),
    ),
    "1": (
        (((0.25, 0.22), (0.6, 0.0), (0.57, 1.0)),),
        (((0.55, 0.0), (0.52, 1.0)),),
        (((0.3, 0.2), (0.58, 0.0), (0.56, 1.0)), ((0.3, 1.0), (0.82, 0.99))),
    ),
    "2": (
        (
            ((0.12, 0.25), (0.35, 0.02), (0.7, 0.03), (0.85, 0.28), (0.6, 0.6), (0.1, 0.97)),
            ((0.1, 0.97), (0.5, 0.95), (0.92, 0.98)),
        ),
        (((0.1, 0.22), (0.45, 0.0), (0.85, 0.2), (0.55, 0.62), (0.08, 0.98), (0.9, 0.96)),),
    ),
    "3": (
        (
            (
                (0.12, 0.12),
                (0.45, 0.0),
                (0.8, 0.12),
                (0.75, 0.38),
                (0.42, 0.5),
                (0.82, 0.62),
                (0.85, 0.88),
                (0.5, 1.0),
                (0.1, 0.9),
            ),
        ),
    ),
    "4": (
        (((0.6, 0.0), (0.1, 0.68), (0.95, 0.68)), ((0.7, 0.3), (0.68, 1.0))),
        (((0.22, 0.0), (0.14, 0.6), (0.9, 0.6)), ((0.72, 0.08), (0.7, 1.0))),
    ),
    "5": (
        (
            ((0.27, 0.02), (0.18, 0.45), (0.55, 0.38), (0.85, 0.6), (0.8, 0.9), (0.45, 1.0)),
            ((0.27, 0.02), (0.84, 0.0)),
        ),
        (
            ((0.82, 0.02), (0.26, 0.03)),
            ((0.26, 0.03), (0.2, 0.46), (0.6, 0.4), (0.86, 0.65), (0.7, 0.95), (0.1, 0.9)),
        ),
    ),
    "6": (
        (
            (
                (0.78, 0.03),
                (0.4, 0.2),
                (0.12, 0.6),
                (0.25, 0.95),
                (0.62, 0.98),
                (0.85, 0.72),
                (0.6, 0.5),
                (0.25, 0.6),
                (0.15, 0.72),
            ),
        ),
    ),
    "7": (
        (((0.08, 0.05), (0.9, 0.02), (0.55, 0.5), (0.38, 1.0)),),
        (((0.08, 0.05), (0.9, 0.02), (0.55, 0.5), (0.38, 1.0)), ((0.35, 0.52), (0.82, 0.5))),
    ),
    "8": (
        (
            (
                (0.75, 0.12),
                (0.5, 0.0),
                (0.2, 0.12),
                (0.25, 0.35),
                (0.75, 0.62),
                (0.85, 0.85),
                (0.5, 1.0),
                (0.15, 0.85),
                (0.25, 0.62),
                (0.75, 0.35),
                (0.8, 0.15),
                (0.7, 0.06),
            ),
        ),
    ),
    "9": (
        (
            (
                (0.85, 0.25),
                (0.55, 0.03),
                (0.18, 0.15),
                (0.2, 0.42),
                (0.55, 0.5),
                (0.85, 0.3),
                (0.86, 0.1),
                (0.82, 0.6),
                (0.7, 1.0),
            ),
        ),
        (
            ((0.85, 0.2), (0.5, 0.02), (0.15, 0.2), (0.3, 0.48), (0.7, 0.42), (0.86, 0.15)),
            ((0.86, 0.15), (0.84, 1.0)),
        ),
    ),
}


@dataclass(frozen=True)
class Pen:
    """How a pen leaves ink: nominal stroke width (mm), coverage at full pressure (0..1), how
    much width follows pressure, and how grainy the line is (0 = even, 1 = mostly gaps)."""

    name: str
    width_mm: float
    coverage: float
    width_by_pressure: float
    grain: float
    skip_chance: float  # per segment: a ballpoint that runs dry for a moment


PENS = {
    "ballpoint": Pen("ballpoint", 0.42, 0.97, 0.35, 0.12, 0.015),
    "pencil": Pen("pencil", 0.55, 0.7, 0.7, 0.55, 0.0),
}


@dataclass(frozen=True)
class Writer:
    """One person's hand for a whole page: slant, digit proportions, size in the box, pressure."""

    slant: float  # x shift per unit of height, towards the right at the top
    aspect: float  # digit width / height
    fill: float  # digit height / box height
    spacing: float  # gap between digits / digit width
    pressure: float  # 0.5 light .. 1.0 firm
    shapes: dict[str, int]  # which shape of each digit this writer uses

    @classmethod
    def random(cls, rng: random.Random) -> Writer:
        return cls(
            slant=rng.uniform(0.04, 0.22),
            aspect=rng.uniform(0.5, 0.64),
            fill=rng.uniform(0.58, 0.74),
            spacing=rng.uniform(0.18, 0.38),
            pressure=rng.uniform(0.6, 1.0),
            shapes={d: rng.randrange(len(s)) for d, s in _SHAPES.items()},
        )


@dataclass(frozen=True)
class Written:
    """Where one number's ink ended up on the unskewed page: the whole number and each digit."""

    bbox: PixelBox
    digits: tuple[tuple[str, PixelBox], ...]


def _catmull_rom(points: Sequence[Point], per_segment: int) -> list[Point]:
    """A smooth curve through every control point (uniform Catmull-Rom, ends repeated)."""
    if len(points) < 3:
        (x0, y0), (x1, y1) = points[0], points[-1]
        n = per_segment
        return [(x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * i / n) for i in range(n + 1)]
    ext = [points[0], *points, points[-1]]
    out: list[Point] = []
    for i in range(1, len(ext) - 2):
        p0, p1, p2, p3 = ext[i - 1], ext[i], ext[i + 1], ext[i + 2]
        for k in range(per_segment):
            t = k / per_segment
            t2, t3 = t * t, t * t * t
            out.append(
                tuple(  # type: ignore[arg-type]
                    0.5
                    * (
                        2 * p1[j]
                        + (-p0[j] + p2[j]) * t
                        + (2 * p0[j] - 5 * p1[j] + 4 * p2[j] - p3[j]) * t2
                        + (-p0[j] + 3 * p1[j] - 3 * p2[j] + p3[j]) * t3
                    )
                    for j in range(2)
                )
            )
    out.append(points[-1])
    return out


def _pressure_profile(n: int, base: float, rng: random.Random) -> list[float]:
    """Pressure along a stroke of ``n`` points: lands quickly, lifts slowly, wavers between."""
    phase, freq = rng.uniform(0, math.tau), rng.uniform(1.0, 2.5)
    out = []
    for i in range(n):
        t = i / max(1, n - 1)
        land = min(1.0, t / 0.08)
        lift = min(1.0, (1 - t) / 0.22)
        waver = 1 + 0.12 * math.sin(phase + freq * math.tau * t)
        out.append(max(0.05, base * waver * (0.35 + 0.65 * min(land, lift))))
    return out


def layout_number(
    text: str, box: PixelBox, writer: Writer, rng: random.Random
) -> list[list[list[Point]]]:
    """Place ``text`` in ``box`` (pixels): per digit, its strokes as dense point lists, inside
    the box's inner area whatever the jitter."""
    x0, y0, x1, y1 = box
    bw, bh = x1 - x0, y1 - y0
    height = bh * writer.fill * rng.uniform(0.93, 1.05)
    width = height * writer.aspect
    digits: list[list[list[Point]]] = []
    x = 0.0
    for ch in text:
        size = rng.uniform(0.92, 1.06)
        dh, dw = height * size, width * size * rng.uniform(0.92, 1.08)
        base_y = rng.uniform(-0.05, 0.05) * height
        shape = _SHAPES[ch][writer.shapes[ch]]
        jit = 0.035
        strokes = []
        for stroke in shape:
            ctrl = [
                (
                    x + (px + rng.uniform(-jit, jit) + writer.slant * (1 - py)) * dw,
                    base_y + (py + rng.uniform(-jit, jit)) * dh,
                )
                for px, py in stroke
            ]
            strokes.append(_catmull_rom(ctrl, 10))
        digits.append(strokes)
        x += dw * (1 + writer.spacing * rng.uniform(0.7, 1.3))
    # Fit: shrink if the number is wider than the box allows, then centre with a hand's offset.
    pts = [p for d in digits for s in d for p in s]
    minx, maxx = min(p[0] for p in pts), max(p[0] for p in pts)
    miny, maxy = min(p[1] for p in pts), max(p[1] for p in pts)
    margin = max(3.0, bh * 0.16)  # keeps the pen's width and the printed border clear
    scale = min(1.0, (bw - 2 * margin) / (maxx - minx), (bh - 2 * margin) / (maxy - miny))
    free_x = bw - 2 * margin - (maxx - minx) * scale
    free_y = bh - 2 * margin - (maxy - miny) * scale
    ox = x0 + margin + free_x * min(1.0, max(0.0, rng.gauss(0.5, 0.15))) - minx * scale
    oy = y0 + margin + free_y * min(1.0, max(0.0, rng.gauss(0.5, 0.2))) - miny * scale
    return [[[(ox + px * scale, oy + py * scale) for px, py in s] for s in d] for d in digits]


def layout_cross(box: PixelBox, writer: Writer, rng: random.Random) -> list[list[list[Point]]]:
    """An "X" across most of ``box`` (pixels), as a KPPS crosses out an unused digit cell: two
    strokes corner to corner, each a little bowed and off the corners, with the writer's slant."""
    x0, y0, x1, y1 = box
    bw, bh = x1 - x0, y1 - y0
    margin = max(3.0, bh * 0.14)
    w = (bw - 2 * margin) * rng.uniform(0.55, 0.85)
    h = (bh - 2 * margin) * rng.uniform(0.75, 0.98)
    left = x0 + margin + (bw - 2 * margin - w) * rng.uniform(0.2, 0.8)
    top = y0 + margin + (bh - 2 * margin - h) * rng.uniform(0.2, 0.8)
    lean = writer.slant * 0.5 * w
    strokes = []
    for (ax, ay), (bx, by) in (((0.0, 0.0), (1.0, 1.0)), ((1.0, 0.0), (0.0, 1.0))):
        bow = rng.uniform(-0.06, 0.06)
        ctrl = [
            (
                left
                + (ax + (bx - ax) * t + bow * math.sin(math.pi * t)) * w
                + lean * (1 - (ay + (by - ay) * t))
                + rng.uniform(-0.03, 0.03) * w,
                top + (ay + (by - ay) * t) * h + rng.uniform(-0.03, 0.03) * h,
            )
            for t in (0.0, 0.5, 1.0)
        ]
        strokes.append(_catmull_rom(ctrl, 10))
    # Keep the pen's width clear of the printed border whatever the jitter and slant.
    pts = [p for s in strokes for p in s]
    dx = max(0.0, x0 + margin - min(p[0] for p in pts)) - max(
        0.0, max(p[0] for p in pts) - x1 + margin
    )
    return [[[(px + dx, py) for px, py in s] for s in strokes]]


def grain_layer(size: tuple[int, int], pen: Pen, rng: random.Random) -> Image.Image:
    """Per-pixel ink transfer (255 = all ink lands): pencil catches on raised fibres only."""
    lo = round(255 * (1 - pen.grain))
    lut = [lo + (255 - lo) * v // 255 for v in range(256)]
    return Image.frombytes("L", size, rng.randbytes(size[0] * size[1])).point(lut)


def draw_number(
    coverage: Image.Image,
    digits: list[list[list[Point]]],
    text: str,
    pen: Pen,
    px_per_mm: float,
    pressure: float,
    rng: random.Random,
) -> Written:
    """Draw the digits' strokes into ``coverage`` (page-sized 'L' layer, max-combined) and
    return where the ink went. Drawn per number at ``SUPERSAMPLE``x in a patch, then reduced."""
    ss = SUPERSAMPLE
    pen_px = pen.width_mm * px_per_mm
    pad = math.ceil(pen_px) + 2
    pts = [p for d in digits for s in d for p in s]
    left = max(0, math.floor(min(p[0] for p in pts)) - pad)
    top = max(0, math.floor(min(p[1] for p in pts)) - pad)
    right = min(coverage.width, math.ceil(max(p[0] for p in pts)) + pad)
    bottom = min(coverage.height, math.ceil(max(p[1] for p in pts)) + pad)
    size = ((right - left) * ss, (bottom - top) * ss)
    patch = Image.new("L", size, 0)
    boxes: list[tuple[str, PixelBox]] = []
    for ch, strokes in zip(text, digits, strict=True):
        digit_layer = Image.new("L", size, 0)
        for stroke in strokes:
            layer = Image.new("L", size, 0)
            draw = ImageDraw.Draw(layer)
            profile = _pressure_profile(len(stroke), pressure * rng.uniform(0.9, 1.1), rng)
            prev: Point | None = None
            for (x, y), p in zip(stroke, profile, strict=True):
                sx, sy = (x - left) * ss, (y - top) * ss
                w = pen_px * ss * (1 - pen.width_by_pressure * (1 - p))
                cover = pen.coverage * (0.55 + 0.45 * p)
                if rng.random() < pen.skip_chance:
                    cover *= 0.3
                fill = max(1, round(255 * min(1.0, cover)))
                r = w / 2
                draw.ellipse((sx - r, sy - r, sx + r, sy + r), fill=fill)
                if prev is not None:
                    draw.line((prev, (sx, sy)), fill=fill, width=max(1, round(w)))
                prev = (sx, sy)
            digit_layer = ImageChops.lighter(digit_layer, layer)
        box = digit_layer.getbbox()
        assert box is not None, "a digit left no ink"
        boxes.append(
            (
                ch,
                (
                    left + box[0] // ss,
                    top + box[1] // ss,
                    left + math.ceil(box[2] / ss),
                    top + math.ceil(box[3] / ss),
                ),
            )
        )
        patch = ImageChops.lighter(patch, digit_layer)
    small = patch.reduce(ss)
    if pen.grain:
        small = ImageChops.multiply(small, grain_layer(small.size, pen, rng))
    region = (left, top, right, bottom)
    coverage.paste(ImageChops.lighter(coverage.crop(region), small), region)
    whole = (
        min(b[1][0] for b in boxes),
        min(b[1][1] for b in boxes),
        max(b[1][2] for b in boxes),
        max(b[1][3] for b in boxes),
    )
    return Written(whole, tuple(boxes))


def draw_signature(
    coverage: Image.Image,
    origin: Point,
    px_per_mm: float,
    pen: Pen,
    pressure: float,
    rng: random.Random,
) -> None:
    """A looping scribble about 40 x 10 mm with its top left at ``origin`` (pixels)."""
    ox, oy = origin
    ctrl: list[Point] = []
    for i in range(18):
        ctrl.append(
            (
                ox + (i * 2.2 + rng.uniform(-1.5, 1.5)) * px_per_mm,
                oy + (5 + rng.uniform(-4.5, 4.5)) * px_per_mm,
            )
        )
    stroke = _catmull_rom(ctrl, 6)
    draw_number(coverage, [[stroke]], "~", pen, px_per_mm, pressure, rng)
