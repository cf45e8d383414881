"""Sample C.Hasil pages as a real flatbed or feeder delivers them, with their ground truth.

The clean sample sheet (sample_pages.py) compresses to ~100 KB and hides what real scans cost.
A real scan of a filled form has, from the paper up to the sensor:

- slightly off-white paper with low-frequency cloudiness and short fibres;
- the printed form (toner, not quite black);
- the numbers written by hand in ballpoint (blue in colour scans) or pencil, with varying
  pressure (handwriting.py);
- the sheet lying a little askew (up to ``MAX_SKEW_DEG``) and off-place on the glass;
- the optics' softness, light falling off across the page (lamp gradient and vignette);
- per-pixel sensor noise, σ between ``NOISE_SIGMA`` bounds, independent per colour channel.

Every random choice comes from one ``random.Random(seed)``: the same arguments give the same
bytes. ``WrittenNumber`` says where each handwritten number sits on the final page (after skew),
so benchmarks can crop the smallest digits and a reader can be checked against the truth.
Pillow only (no numpy): noise is random bytes mapped through a Gaussian quantile table.
"""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from statistics import NormalDist

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from drivers.scanner.handwriting import PENS, PixelBox
from drivers.scanner.sample_pages import MM_PER_INCH, SAMPLE_SHEETS, SampleSheet, render_sheet
from drivers.scanner.writing import CORPUS_HAND, HANDS, handwrite

log = logging.getLogger(__name__)

MAX_SKEW_DEG = 2.0
NOISE_SIGMA = (2.0, 8.0)  # grey levels, as flatbeds and feeders deliver
PEN_NAMES = tuple(PENS)
# Ink as the scanner sees it at full coverage: blue ballpoint, graphite; grey = its luminance.
_INK_RGB = {"ballpoint": (28, 40, 128), "pencil": (78, 78, 84)}
_TONER = 22  # printed black as scanned
_LID = 250  # the scanner lid's white where the askew sheet leaves the glass uncovered


@dataclass(frozen=True)
class WrittenNumber:
    """One handwritten number on a realistic page, in the final page's pixels (after skew).

    ``bbox`` bounds all the ink written in the box (digits and crosses), ``digits`` each digit's
    ink (the character and its box), ``crossed`` the ink of each "X" a KPPS wrote in an unused
    leading digit cell (left to right: ``crossed[i]`` is in cell ``i``), ``box_rect`` the printed
    box it was written in; boxes are (x0, y0, x1, y1) with x1, y1 exclusive. ``box`` is the
    kiosk's box name (``B1.L``, ``V.0``, ``S`` ...).
    """

    box: str
    value: int
    bbox: PixelBox
    box_rect: PixelBox
    digits: tuple[tuple[str, PixelBox], ...]
    pen: str
    crossed: tuple[PixelBox, ...] = ()
    glyphs: tuple[int, ...] = ()  # held-out glyph of each digit (writing.py's glyph hand)

    @property
    def text(self) -> str:
        return str(self.value)

    @property
    def digit_height_px(self) -> int:
        """Height of the smallest digit: the one a legibility check must keep readable."""
        return min(b[3] - b[1] for _, b in self.digits)


@dataclass(frozen=True)
class RealisticPage:
    """A realistic scan and how it was made (the ground truth of the corpus)."""

    image: Image.Image
    numbers: tuple[WrittenNumber, ...]
    sheet: str  # ballot: PPWP, DPR, DPD
    dpi: int
    colour: bool
    pen: str
    seed: int
    skew_deg: float  # counter-clockwise, as Pillow's rotate; the page as scanned
    noise_sigma: float
    shift_px: tuple[int, int] = (0, 0)  # the sheet's offset on the glass, after the turn
    hand: str = CORPUS_HAND  # who wrote the digits: writing.HANDS

    def on_scan(self, x: float, y: float) -> tuple[float, float]:
        """Where the point (x, y) of the upright page (pixels) is on this scan."""
        centre = (self.image.width / 2, self.image.height / 2)
        return _skew_point(x, y, self.skew_deg, centre, self.shift_px)


def sheet_named(ballot: str) -> SampleSheet:
    for sheet in SAMPLE_SHEETS:
        if sheet.ballot == ballot:
            return sheet
    raise ValueError(f"no sample sheet {ballot!r}: one of {[s.ballot for s in SAMPLE_SHEETS]}")


def _random_layer(size: tuple[int, int], rng: random.Random, lut: list[int]) -> Image.Image:
    return Image.frombytes("L", size, rng.randbytes(size[0] * size[1])).point(lut)


def gaussian_lut(sigma: float, mean: int = 128) -> list[int]:
    """Uniform bytes -> Gaussian grey levels around ``mean`` (inverse CDF at each byte's centre)."""
    dist = NormalDist(mean, sigma)
    return [min(255, max(0, round(dist.inv_cdf((u + 0.5) / 256)))) for u in range(256)]


def _paper(size: tuple[int, int], px_mm: float, rng: random.Random) -> Image.Image:
    """Off-white paper ('L', brightness): cloudy at the centimetre scale, mottled at the
    millimetre scale, with short faint fibres."""
    w, h = size
    level = rng.randint(236, 244)
    cloud_cells = (max(2, round(w / (9 * px_mm))), max(2, round(h / (9 * px_mm))))
    cloud = _random_layer(cloud_cells, rng, gaussian_lut(2.2, level)).resize(
        size, Image.Resampling.BICUBIC
    )
    mottle_cells = (max(2, round(w / (0.6 * px_mm))), max(2, round(h / (0.6 * px_mm))))
    mottle = _random_layer(mottle_cells, rng, gaussian_lut(1.6)).resize(
        size, Image.Resampling.BILINEAR
    )
    paper = ImageChops.add(cloud, mottle, 1.0, -128)
    draw = ImageDraw.Draw(paper)
    area_cm2 = w * h / (10 * px_mm) ** 2
    for _ in range(round(area_cm2 * 0.4)):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        angle, length = rng.uniform(0, math.pi), rng.uniform(0.8, 3.5) * px_mm
        bend = rng.uniform(-0.3, 0.3) * length
        pts = [
            (
                x + math.cos(angle) * length * t - math.sin(angle) * bend * t * (1 - t),
                y + math.sin(angle) * length * t + math.cos(angle) * bend * t * (1 - t),
            )
            for t in (0, 0.25, 0.5, 0.75, 1)
        ]
        draw.line(pts, fill=level - rng.randint(4, 9), width=max(1, round(0.05 * px_mm)))
    return paper


def _light(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """The lamp's light across the glass as a multiplier (255 = full): a gradient in a random
    direction, a vignette off one corner, and falloff along the lamp's ends."""
    gw, gh = 42, 60
    angle = rng.uniform(0, math.tau)
    slope = rng.uniform(0.02, 0.06)
    cx, cy = rng.uniform(-0.2, 1.2), rng.uniform(-0.2, 1.2)
    vignette = rng.uniform(0.02, 0.06)
    ends = rng.uniform(0.01, 0.04)
    values = []
    for j in range(gh):
        for i in range(gw):
            u, v = i / (gw - 1), j / (gh - 1)
            lin = (u - 0.5) * math.cos(angle) + (v - 0.5) * math.sin(angle)
            r2 = ((u - cx) ** 2 + (v - cy) ** 2) / 2
            edge = min(u, 1 - u)
            f = 1 - slope * (lin + 0.7) - vignette * r2 - ends * max(0.0, 1 - edge / 0.06)
            values.append(max(0, min(255, round(255 * f))))
    grid = Image.new("L", (gw, gh))
    grid.putdata(values)
    return grid.resize(size, Image.Resampling.BICUBIC)


def _sensor(page: Image.Image, px_mm: float, sigma: float, rng: random.Random) -> Image.Image:
    """What the lamp and the sensor add: uneven light, now and then the streak of a speck of
    dust on the feeder's glass (a faint line along the feed), and per-pixel noise of ``sigma``
    grey levels, independent in each colour channel."""
    light = _light(page.size, rng)
    if rng.random() < 0.35:
        x = rng.uniform(0.05, 0.95) * page.width
        width = max(1, round(rng.uniform(0.05, 0.15) * px_mm))
        ImageDraw.Draw(light).line(
            ((x, 0), (x, page.height)), fill=round(255 * rng.uniform(0.9, 0.96)), width=width
        )
    noise_lut = gaussian_lut(sigma)
    bands = [
        ImageChops.add(
            ImageChops.multiply(band, light), _random_layer(page.size, rng, noise_lut), 1, -128
        )
        for band in page.split()
    ]
    return bands[0] if len(bands) == 1 else Image.merge(page.mode, bands)


def _skew_point(
    x: float, y: float, angle_deg: float, centre: tuple[float, float], shift: tuple[float, float]
) -> tuple[float, float]:
    """Where Pillow's ``rotate(angle_deg, center=centre, translate=shift)`` moves (x, y)."""
    a = math.radians(angle_deg)
    cx, cy = centre
    dx, dy = x - cx, y - cy
    return (
        cx + dx * math.cos(a) + dy * math.sin(a) + shift[0],
        cy - dx * math.sin(a) + dy * math.cos(a) + shift[1],
    )


def _skew_box(
    box: PixelBox,
    angle: float,
    centre: tuple[float, float],
    shift: tuple[float, float],
    size: tuple[int, int],
) -> PixelBox:
    x0, y0, x1, y1 = box
    corners = [_skew_point(x, y, angle, centre, shift) for x in (x0, x1) for y in (y0, y1)]
    xs, ys = [c[0] for c in corners], [c[1] for c in corners]
    return (
        max(0, math.floor(min(xs))),
        max(0, math.floor(min(ys))),
        min(size[0], math.ceil(max(xs))),
        min(size[1], math.ceil(max(ys))),
    )


def _channel_lut(ink: int) -> list[int]:
    """Ink coverage (0..255) -> light let through (255 = paper shows) for one channel."""
    return [255 - c * (255 - ink) // 255 for c in range(256)]


def render_realistic(
    sheet: SampleSheet,
    dpi: int,
    *,
    colour: bool = False,
    pen: str = "ballpoint",
    seed: int = 0,
    width_mm: float = 210.0,
    height_mm: float = 297.0,
    noise_sigma: float | None = None,
    hand: str = CORPUS_HAND,
    numbers: Mapping[str, int] | None = None,
) -> RealisticPage:
    """Render ``sheet`` as a real scan at ``dpi`` (grey 'L' or colour 'RGB'), the numbers in
    ``pen`` ("ballpoint" or "pencil") by ``hand`` (writing.HANDS: the stroke skeletons, as the
    corpus, or held-out MNIST "glyphs", as the fake scanner); same arguments, same bytes.
    ``noise_sigma`` (grey levels) fixes the sensor noise instead of drawing it from
    ``NOISE_SIGMA``; ``numbers`` writes other values than the sample's in those boxes (a paper
    that differs from what was typed)."""
    if pen not in PENS:
        raise ValueError(f"pen {pen!r}: one of {PEN_NAMES}")
    if hand not in HANDS:
        raise ValueError(f"hand {hand!r}: one of {HANDS}")
    rng = random.Random(f"{sheet.ballot}/{dpi}/{colour}/{pen}/{seed}")
    px_mm = dpi / MM_PER_INCH
    form = render_sheet(sheet, dpi, width_mm, height_mm, handwriting=False)  # 'L', paper 246
    size = form.size
    # Printed form as light let through: paper 255, toner _TONER.
    print_lut = [min(255, max(_TONER, round(v * 255 / 246))) for v in range(256)]
    printed = form.point(print_lut)

    coverage, inks = handwrite(sheet, size, px_mm, PENS[pen], rng, hand, numbers)

    paper = _paper(size, px_mm, rng)
    ink = _INK_RGB[pen]
    if colour:
        tint = (rng.randint(1, 4), 0, -rng.randint(3, 8))  # paper is a little warm
        channels = []
        for c in range(3):
            base = paper.point([min(255, max(0, v + tint[c])) for v in range(256)])
            through = ImageChops.multiply(printed, coverage.point(_channel_lut(ink[c])))
            channels.append(ImageChops.multiply(base, through))
        page = Image.merge("RGB", channels)
    else:
        grey_ink = round(0.299 * ink[0] + 0.587 * ink[1] + 0.114 * ink[2])
        page = ImageChops.multiply(
            paper, ImageChops.multiply(printed, coverage.point(_channel_lut(grey_ink)))
        )

    # The sheet on the glass: askew and a little off-place; bilinear resampling and a 3x3
    # smoothing stand in for the optics' softness (cheaper than a Gaussian blur).
    skew = rng.uniform(-MAX_SKEW_DEG, MAX_SKEW_DEG)
    shift = (round(rng.uniform(-1.5, 1.5) * px_mm), round(rng.uniform(-1.5, 1.5) * px_mm))
    centre = (size[0] / 2, size[1] / 2)
    lid: int | tuple[int, int, int] = (_LID, _LID, _LID) if colour else _LID
    page = page.rotate(
        skew, Image.Resampling.BILINEAR, center=centre, translate=shift, fillcolor=lid
    )
    if dpi >= 250:
        page = page.filter(ImageFilter.Kernel((3, 3), (1, 2, 1, 2, 4, 2, 1, 2, 1)))
    drawn = rng.uniform(*NOISE_SIGMA)  # drawn even when fixed: the rest of the page stays
    sigma = drawn if noise_sigma is None else noise_sigma
    page = _sensor(page, px_mm, sigma, rng)
    page.info["dpi"] = (dpi, dpi)

    def on_page(b: PixelBox) -> PixelBox:
        return _skew_box(b, skew, centre, shift, size)

    written = tuple(
        WrittenNumber(
            box=ink.box,
            value=ink.value,
            bbox=on_page(ink.bbox),
            box_rect=on_page(ink.box_rect),
            digits=tuple((ch, on_page(b)) for ch, b in ink.digits),
            pen=pen,
            crossed=tuple(on_page(b) for b in ink.crossed),
            glyphs=ink.glyphs,
        )
        for ink in inks
    )
    return RealisticPage(
        page, written, sheet.ballot, dpi, colour, pen, seed, skew, sigma, shift, hand
    )


def realistic_page(
    sheet: str, dpi: int, colour: bool, pen: str, seed: int, hand: str = CORPUS_HAND
) -> tuple[Image.Image, list[WrittenNumber]]:
    """The A4 sample sheet of ballot ``sheet`` ("PPWP", "DPR", "DPD") as a realistic scan, and
    where each handwritten number is on it; written by the corpus's hand (the stroke skeletons)
    unless ``hand`` says otherwise. See ``render_realistic`` for the rest."""
    page = render_realistic(sheet_named(sheet), dpi, colour=colour, pen=pen, seed=seed, hand=hand)
    return page.image, list(page.numbers)
