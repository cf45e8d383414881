"""The two files of a scanned page: the archival JPEG the kiosk keeps and the rendition that
travels in the signed PDF.

Both are encoded once, from the page as it is in memory (no file is decoded again):

- **archival**: the page as scanned (not rotated: no resampling of the record), JPEG quality
  90, no chroma subsampling, at the scan's resolution. A real scan's
  sensor noise makes a lossless PNG 4.9-5.7 MB grey / 15-16.5 MB colour at 300 dpi and 0.7-6 s
  to encode on this machine (three times that on a Pi 4), for bits that are noise: this JPEG is
  2.2-2.8 MB in 20-50 ms, and closer to the noise-free page than the scan itself was (RMS 3.9
  against the scan's own noise of 4.0 grey levels; figures in README "C.Hasil").
- **rendition**: at 200 dpi, deskewed by the legibility gate's measured angle and cropped to
  the form (rotating there costs a fifth of rotating the 300 dpi page), JPEG quality 70 (grey
  stays grey, colour stays colour so a blue ballpoint still tells the hand from the print),
  after the *paper band* is flattened: the
  grey levels within the paper's own noise around its most common level become that level.
  Sensor noise on blank paper is what makes a scan's JPEG large (250-410 KB at q70 without
  this step, 165-190 KB with it); ink, print and anything clearly lighter than the paper
  (correction fluid) keep their tones, and the curve is continuous and never reorders tones.

Pillow only.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

from PIL import Image

from kiosk.chasil.legibility import INK_LEVEL

ARCHIVAL_QUALITY = 90
RENDITION_DPI = 200
RENDITION_QUALITY = 70
MARGIN_MM = 1.0  # kept around the ink when the rendition is cropped
MIN_SKEW_DEG = 0.25  # less is not worth resampling
MIN_BAND = 4  # grey levels: the narrowest paper band flattened, for nearly noiseless scanners
MAX_BAND = 20  # the widest: scanner noise up to sigma 8; a page without one paper tone (a
# photo, a noise pattern) must not be flattened into a blank


def rendition_path(archival: Path) -> Path:
    """Where the rendition of the archival file ``archival`` is kept (beside it)."""
    return archival.with_name(f"{archival.stem}.r{RENDITION_DPI}.jpg")


def _plain(page: Image.Image) -> Image.Image:
    """Grey or RGB, the two modes JPEG keeps as they are (a lineart or palette scan: grey)."""
    return page if page.mode in ("L", "RGB") else page.convert("L")


def archival_jpeg(page: Image.Image, dpi: int) -> bytes:
    """The page as kept on the kiosk: JPEG q90, 4:4:4, at ``dpi`` dots per inch."""
    buf = io.BytesIO()
    _plain(page).save(buf, format="JPEG", quality=ARCHIVAL_QUALITY, subsampling=0, dpi=(dpi, dpi))
    return buf.getvalue()


def paper_band_lut(histogram: list[int]) -> list[int]:
    """A tone curve (256 entries) for one channel that flattens its paper band.

    The paper is the most common level P; its noise half-width k is where the histogram falls
    below an eighth of the peak on the dark side (the light side may hold the lid), between
    ``MIN_BAND`` and ``MAX_BAND``. Levels in
    [P-k, P+k] become P; [P-2k, P-k] and [P+k, P+2k] are stretched to meet it, so the curve is
    continuous and monotonic; levels beyond stay as they are.
    """
    paper = max(range(256), key=lambda v: histogram[v])
    low = paper
    while low > 0 and histogram[low] > histogram[paper] / 8:
        low -= 1
    k = min(MAX_BAND, max(MIN_BAND, paper - low))
    lut = []
    for v in range(256):
        if v < paper - 2 * k or v > paper + 2 * k:
            out = v
        elif v < paper - k:
            out = paper - 2 * k + (v - (paper - 2 * k)) * 2
        elif v <= paper + k:
            out = paper
        else:
            out = paper + (v - (paper + k)) * 2
        lut.append(min(255, max(0, out)))
    return lut


def _rotation(skew_deg: float, size: tuple[int, int]) -> tuple[float, ...]:
    """The affine map (output pixel -> input pixel) of ``Image.rotate(skew_deg)`` about the
    centre of an image of ``size``, without expanding: the same map Pillow builds."""
    angle = -math.radians(skew_deg)
    a, b = math.cos(angle), math.sin(angle)
    cx, cy = size[0] / 2, size[1] / 2
    return (a, b, cx - a * cx - b * cy, -b, a, cy + b * cx - a * cy)


def _ink_box(grey_quarter: Image.Image) -> tuple[int, int, int, int] | None:
    return grey_quarter.point([255 if v < INK_LEVEL else 0 for v in range(256)]).getbbox()


def deskew_box(page: Image.Image, skew_deg: float, dpi: int) -> tuple[int, int, int, int]:
    """The box (in ``page`` rotated by ``skew_deg``) of its ink with ``MARGIN_MM`` around it,
    found on a quarter-size grey copy rotated by nearest neighbour (bilinear there would pale
    a thin printed rule below the ink level and crop it away); the whole page if no ink."""
    quarter = page.reduce(4)
    quarter = quarter if quarter.mode == "L" else quarter.convert("L")
    if skew_deg:
        quarter = quarter.rotate(skew_deg, resample=Image.Resampling.NEAREST, fillcolor=255)
    box = _ink_box(quarter)
    if box is None:
        return (0, 0, page.width, page.height)
    margin = round(MARGIN_MM * dpi / 25.4)
    return (
        max(0, 4 * box[0] - margin),
        max(0, 4 * box[1] - margin),
        min(page.width, 4 * box[2] + margin),
        min(page.height, 4 * box[3] + margin),
    )


def deskew(page: Image.Image, skew_deg: float, dpi: int) -> Image.Image:
    """Rotate by ``skew_deg`` (counter-clockwise, as measured by legibility.assess) and crop
    to the ink with ``MARGIN_MM`` around it. Bilinear: at 200 dpi a fifth of the cost of
    bicubic, and the strokes stay as sharp as the box-averaged page they come from (nearest
    neighbour, 4 times cheaper, shifts strokes by half a pixel: the smallest digits' ink
    overlap fell to 0.51-0.79, below the 0.85 the legibility test asks). The ink's box is
    found on a quarter-size copy (16 times fewer pixels; 4 px off at most, inside the
    margin), rotated itself when the page is; then only that box is resampled, in one affine
    transform (the rotation and the crop together: the margins outside the form are never
    computed)."""
    rotate = abs(skew_deg) >= MIN_SKEW_DEG
    left, top, right, bottom = deskew_box(page, skew_deg if rotate else 0.0, dpi)
    if not rotate:
        return page.crop((left, top, right, bottom))
    a, b, c, d, e, f = _rotation(skew_deg, page.size)
    fill: int | tuple[int, int, int] = 255 if page.mode == "L" else (255, 255, 255)
    return page.transform(
        (right - left, bottom - top),
        Image.Transform.AFFINE,
        (a, b, c + a * left + b * top, d, e, f + d * left + e * top),
        resample=Image.Resampling.BILINEAR,
        fillcolor=fill,
    )


def rendition_image(page: Image.Image, dpi: int, skew_deg: float | None = None) -> Image.Image:
    """The page at ``RENDITION_DPI`` (box-averaged, which also averages noise), deskewed and
    cropped (unless ``skew_deg`` is None), with its paper band flattened; a page scanned at
    ``RENDITION_DPI`` or less keeps its resolution."""
    page = _plain(page)
    if dpi > RENDITION_DPI:
        size = (
            max(1, round(page.width * RENDITION_DPI / dpi)),
            max(1, round(page.height * RENDITION_DPI / dpi)),
        )
        page = page.resize(size, Image.Resampling.BOX)
    if skew_deg is not None:
        page = deskew(page, skew_deg, min(dpi, RENDITION_DPI))
    hist = page.histogram()
    lut: list[int] = []
    for band in range(len(hist) // 256):
        lut += paper_band_lut(hist[band * 256 : (band + 1) * 256])
    return page.point(lut)


def rendition_jpeg(page: Image.Image, dpi: int, skew_deg: float | None = None) -> bytes:
    """The page as it travels: ``rendition_image`` as JPEG q70 (4:2:0 in colour)."""
    buf = io.BytesIO()
    out_dpi = min(dpi, RENDITION_DPI)
    rendition_image(page, dpi, skew_deg).save(
        buf, format="JPEG", quality=RENDITION_QUALITY, dpi=(out_dpi, out_dpi)
    )
    return buf.getvalue()
