"""Is a scanned page good enough to keep? Blank, too dark, too light, blurred or skewed pages are
refused with a reason; a good page's measured skew is the turn that shows it straight
(kiosk.chasil.renditions: the pixels are not resampled).

All measures are taken on a grey copy about ``WORK_PX`` pixels tall, so the gate costs the same
at any scan resolution. Pillow only.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from PIL import Image, ImageFilter, ImageOps, ImageStat

WORK_PX = 700
MAX_SKEW_DEG = 5.0  # more than this and the operator must put the sheet straight
INK_LEVEL = 128  # darker than this counts as ink
MIN_SHARPNESS = 1.6  # calibrated on generated pages only: to be checked on real scanners


class Problem(enum.Enum):
    BLANK = "blank"
    TOO_DARK = "too_dark"
    TOO_LIGHT = "too_light"
    BLURRED = "blurred"
    SKEWED = "skewed"


@dataclass(frozen=True)
class Verdict:
    problem: Problem | None
    skew_deg: float
    ink_share: float  # fraction of the page that is ink
    mean: float  # mean grey level, 0 black .. 255 white
    sharpness: float  # mean edge strength at ink

    @property
    def ok(self) -> bool:
        return self.problem is None


def _work(page: Image.Image) -> Image.Image:
    grey = page.convert("L")
    scale = WORK_PX / grey.height
    return grey.resize((max(1, round(grey.width * scale)), WORK_PX), Image.Resampling.BOX)


def _ink_share(grey: Image.Image) -> float:
    hist = grey.histogram()
    return sum(hist[:INK_LEVEL]) / max(1, grey.width * grey.height)


def estimate_skew(grey: Image.Image, limit_deg: float = 10.0, step_deg: float = 0.5) -> float:
    """The rotation (degrees, counter-clockwise positive) that makes the text rows level: the
    angle whose row-darkness profile varies most (rows of ink and blank lines alternate).
    Nearest-neighbour rotation: each row's sum is over hundreds of pixels, so the half-pixel
    shifts bilinear would smooth do not move the peak (the same angle as bilinear on every
    page of the realistic corpus and on the gate's bad pages), at a third of the cost: this
    loop was nine tenths of the gate's time."""
    ink = ImageOps.invert(grey)
    best, best_var = 0.0, -1.0
    steps = int(limit_deg / step_deg)
    for i in range(-steps, steps + 1):
        angle = i * step_deg
        rotated = ink.rotate(angle, resample=Image.Resampling.NEAREST, fillcolor=0)
        rows = rotated.resize((1, rotated.height), Image.Resampling.BOX)
        var = ImageStat.Stat(rows).var[0]
        if var > best_var:
            best, best_var = angle, var
    return best


def sharpness(grey: Image.Image) -> float:
    """Edge contrast relative to overall contrast; the image border is left out (its edge is
    not the document's). Sharp print scores about 2, a badly out-of-focus page below 1.6."""
    inset = max(2, grey.height // 50)
    inner = grey.crop((inset, inset, grey.width - inset, grey.height - inset))
    edges = inner.filter(ImageFilter.FIND_EDGES)
    return float(ImageStat.Stat(edges).stddev[0] / max(ImageStat.Stat(inner).stddev[0], 1e-3))


def assess(page: Image.Image) -> Verdict:
    grey = _work(page)
    stat = ImageStat.Stat(grey)
    mean, spread, darkest = stat.mean[0], stat.stddev[0], stat.extrema[0][0]
    ink = _ink_share(grey)
    sharp = sharpness(grey)
    skew = estimate_skew(grey) if 0.002 < ink < 0.6 else 0.0
    problem: Problem | None = None
    if mean < 70 or ink > 0.6:
        problem = Problem.TOO_DARK
    elif spread < 4:
        problem = Problem.BLANK  # one even tone: nothing on the sheet (or the lid was scanned)
    elif sharp < MIN_SHARPNESS:
        problem = Problem.BLURRED
    elif darkest > INK_LEVEL:
        problem = Problem.TOO_LIGHT  # something is there but nothing is really dark: faint
    elif ink < 0.002:
        problem = Problem.BLANK  # only specks
    elif abs(skew) > MAX_SKEW_DEG:
        problem = Problem.SKEWED
    return Verdict(problem, skew, ink, mean, sharp)


def straighten(page: Image.Image, verdict: Verdict, margin_px: int = 12) -> Image.Image:
    """Rotate by the measured skew and crop the empty margins (keeping ``margin_px``, in pixels
    of the page's own resolution, around the ink)."""
    fill = 255 if page.mode in ("L", "1") else (255, 255, 255)
    out = page
    if abs(verdict.skew_deg) >= 0.25:
        out = page.rotate(
            verdict.skew_deg, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=fill
        )
    ink = ImageOps.invert(out.convert("L")).point(lambda v: 255 if v > 255 - INK_LEVEL else 0)
    box = ink.getbbox()
    if box is None:
        return out
    left, top, right, bottom = box
    return out.crop(
        (
            max(0, left - margin_px),
            max(0, top - margin_px),
            min(out.width, right + margin_px),
            min(out.height, bottom + margin_px),
        )
    )
