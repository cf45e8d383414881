"""The two files of a scanned page: the archival JPEG the kiosk keeps and the rendition that
travels in the signed PDF.

Both are encoded once, from the page as it is in memory (no file is decoded again):

- **archival**: the page as scanned (not rotated: no resampling of the record), JPEG quality
  90, no chroma subsampling, at the scan's resolution. A real scan's
  sensor noise makes a lossless PNG 4.9-5.7 MB grey / 15-16.5 MB colour at 300 dpi and 0.7-6 s
  to encode on this machine (three times that on a Pi 4), for bits that are noise: this JPEG is
  2.2-2.8 MB in 20-50 ms, and closer to the noise-free page than the scan itself was (RMS 3.9
  against the scan's own noise of 4.0 grey levels; figures in README "C.Hasil").
- **rendition**: at 200 dpi, cropped to the form, JPEG quality 70 (grey stays grey, colour
  stays colour so a blue ballpoint still tells the hand from the print), after the *paper band*
  is flattened: the grey levels within the paper's own noise around its most common level
  become that level. Sensor noise on blank paper is what makes a scan's JPEG large (250-410 KB
  at q70 without this step, 145-165 KB with it); ink, print and anything clearly lighter than
  the paper (correction fluid) keep their tones, and the curve is continuous and never
  reorders tones.

**Straightening is not resampling.** A page that lay askew on the glass keeps its pixels as
scanned; the angle the legibility gate measured (``straighten_centideg``, hundredths of a
degree counter-clockwise) goes with the rendition, and whoever shows the page turns it: the
signed PDF places the image rotated (kiosk.chasil.signing), the scan screen turns it in CSS,
a thermal copy turns its 576-dot image. Rotating the pixels cost 20-50 ms a page (more than
encoding both files) and would blur every stroke a second time.

Pillow only.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import NamedTuple

from PIL import Image

from kiosk.chasil.legibility import INK_LEVEL

ARCHIVAL_QUALITY = 90
RENDITION_DPI = 200
RENDITION_QUALITY = 70
MARGIN_MM = 1.0  # kept around the ink when the rendition is cropped
SAMPLE_STRIDE = 3  # the paper band is measured on every 3rd pixel of every 3rd row
MIN_BAND = 4  # grey levels: the narrowest paper band flattened, for nearly noiseless scanners
MAX_BAND = 20  # the widest: scanner noise up to sigma 8; a page without one paper tone (a
# photo, a noise pattern) must not be flattened into a blank


class Turned(NamedTuple):
    """A page's image as it is kept, and the turn (``straighten_centideg``) that shows it
    straight."""

    path: Path
    straighten_centideg: int


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


def _ink_box(grey_quarter: Image.Image) -> tuple[int, int, int, int] | None:
    return grey_quarter.point([255 if v < INK_LEVEL else 0 for v in range(256)]).getbbox()


def form_box(page: Image.Image, dpi: int) -> tuple[int, int, int, int]:
    """The box of ``page``'s ink with ``MARGIN_MM`` around it, found on a quarter-size grey
    copy (16 times fewer pixels; 4 px off at most, inside the margin); the whole page if it has
    no ink."""
    # In colour the green channel alone: every ink (blue, black, red ballpoint, pencil) is
    # dark in it, and it costs a third less than the grey of all three.
    box = _ink_box((page if page.mode == "L" else page.getchannel("G")).reduce(4))
    if box is None:
        return (0, 0, page.width, page.height)
    margin = round(MARGIN_MM * dpi / 25.4)
    return (
        max(0, 4 * box[0] - margin),
        max(0, 4 * box[1] - margin),
        min(page.width, 4 * box[2] + margin),
        min(page.height, 4 * box[3] + margin),
    )


def straighten_centideg(skew_deg: float | None) -> int:
    """The turn that straightens a page the gate measured askew by ``skew_deg`` (None: a held
    page, shown as scanned), in hundredths of a degree counter-clockwise: an integer, so the
    signed manifest holds no float a verifier could print differently."""
    return 0 if skew_deg is None else round(skew_deg * 100)


def at_most_dpi(image: Image.Image, dpi: int, target_dpi: int) -> Image.Image:
    """``image`` (scanned at ``dpi``) box-averaged down to ``target_dpi``, or as it is when it
    is not finer than that."""
    if dpi <= target_dpi:
        return image
    scale = target_dpi / dpi
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.BOX)


def _sampled(page: Image.Image) -> Image.Image:
    """Every ``SAMPLE_STRIDE``-th pixel of every ``SAMPLE_STRIDE``-th row: the paper's level and
    noise as the whole page has them (not averaged, as a reduced copy's would be), in a ninth
    of the pixels (the full histogram and its copy cost a tenth of the kiosk's time per page;
    every 4th pixel, 16 times fewer, made the peak noisy and the band narrower)."""
    size = (max(1, page.width // SAMPLE_STRIDE), max(1, page.height // SAMPLE_STRIDE))
    return page.resize(size, Image.Resampling.NEAREST)


def rendition_image(page: Image.Image, dpi: int, crop: bool = True) -> Image.Image:
    """The page at ``RENDITION_DPI`` (box-averaged, which also averages noise), cropped to the
    form (unless not ``crop``: a held page is shown whole), with its paper band flattened; a
    page scanned at ``RENDITION_DPI`` or less keeps its resolution."""
    page = at_most_dpi(_plain(page), dpi, RENDITION_DPI)
    if crop:
        page = page.crop(form_box(page, min(dpi, RENDITION_DPI)))
    hist = _sampled(page).histogram()
    lut: list[int] = []
    for band in range(len(hist) // 256):
        lut += paper_band_lut(hist[band * 256 : (band + 1) * 256])
    return page.point(lut)


def rendition_jpeg(page: Image.Image, dpi: int, crop: bool = True) -> bytes:
    """The page as it travels: ``rendition_image`` as JPEG q70 (4:2:0 in colour)."""
    buf = io.BytesIO()
    out_dpi = min(dpi, RENDITION_DPI)
    rendition_image(page, dpi, crop).save(
        buf, format="JPEG", quality=RENDITION_QUALITY, dpi=(out_dpi, out_dpi)
    )
    return buf.getvalue()
