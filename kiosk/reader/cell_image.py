"""One digit cell, as cut from a registered scan, made into what the digit model reads.

Shared by ``scripts/train-digits`` (every training cell goes through it) and
``kiosk.reader.digits`` (every cell read on a TPS), so the model sees at run time exactly
what it saw in training. The steps, and why:

1. **Paper and ink levels** from the cell itself (90th and 0.5th percentiles): paper is never
   white, pencil is never black, and the lamp's light varies across the glass.
2. **Strip the printed border**: a crop from a registered page carries bits of the box's
   lines (and the cell dividers) at its edges, up to a millimetre in when registration is a
   little off. Rows/columns near an edge that are dark almost all along, up to both of their
   ends, are the print, not a hand (a narrow "1" against a divider leaves paper at its ends);
   then a component still touching an edge that is long and thin along it goes too.
3. **Keep the hand's ink**: threshold the coverage (softened a little, so a grainy pencil
   stroke holds together), drop specks (dust, fibres) smaller than a fraction of the cell.
4. **Size and centre as MNIST is**: the ink's box scaled so its longer side is ``FIT`` px,
   placed in a ``SIDE`` x ``SIDE`` image by its centre of mass, contrast stretched so pencil and
   ballpoint look alike, then de-skewed by its moments (OpenCV's digits sample does the same).
5. **Features**: HOG of the normalised glyph, the glyph's pixels, and four figures the
   normalising throws away but that tell a blank cell, a speck or an "X" from a digit (how much
   of the cell the ink covers, its height and width in the cell, its raw contrast).

numpy and OpenCV are imported here at module level: this module is only ever imported from a
function that reads cells (kiosk.reader.digits imports it lazily), never by the web app.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

SIDE = 20  # the normalised glyph's side (px), as the glyphs of OpenCV's digits.png
FIT = 16  # longer side of the ink inside it (px)
FEATURE_VERSION = "cell-v3"  # stored with the model: a model trained on other features is refused
_EDGE_BAND = 0.22  # how far in (fraction of the side) printed lines are looked for
_LINE_FILL = 0.55  # a row/column this dark along its length is print, not handwriting
_LINE_END = 0.08  # ... if also dark this near both of its ends (fraction of its length)
_FULL_LINE = 0.85  # ... or this dark along its length, ends or not (a crop wider than its cell)
_MIN_CONTRAST = 60.0  # grey levels: below this the cell holds no ink, only paper noise
_INK = 0.32  # coverage that counts as ink
_SPECK = 0.004  # components smaller than this fraction of the cell are dust

_HOG = cv2.HOGDescriptor((SIDE, SIDE), (10, 10), (5, 5), (5, 5), 9)

N_FEATURES = 324 + SIDE * SIDE + 4
Grey = NDArray[np.float32]


def as_grey(cell: Any) -> Grey:
    """A PIL image or numpy array (grey, RGB or RGBA) as float32 grey levels 0..255."""
    if hasattr(cell, "convert"):  # PIL image: no PIL import needed here
        cell = np.asarray(cell.convert("L"))
    arr = np.asarray(cell)
    if arr.ndim == 3:
        code = cv2.COLOR_RGBA2GRAY if arr.shape[2] == 4 else cv2.COLOR_RGB2GRAY
        arr = cv2.cvtColor(arr.astype(np.uint8), code)
    if arr.ndim != 2 or min(arr.shape) < 8:
        raise ValueError(f"a digit cell is a grey image of at least 8x8 px, not {arr.shape}")
    return arr.astype(np.float32)


def _line_ends(dark: NDArray[np.bool_], crossing: NDArray[np.bool_], band: int) -> Any:
    """For each column of ``dark``: is it dark near both of its ends? The ends are counted
    from inside the printed lines crossing it (``crossing``: rows that are print, within
    ``band`` of the top and bottom), and "near" allows a pixel across for a line turned a
    little."""
    h = dark.shape[0]
    start = max([i + 1 for i in range(band) if crossing[i]], default=0)
    stop = min([i for i in range(h - band, h) if crossing[i]], default=h)
    n = max(1, round(h * _LINE_END))
    spread = cv2.dilate(dark.astype(np.uint8), np.ones((1, 3), np.uint8)) > 0
    return spread[start : start + n].any(axis=0) & spread[max(start, stop - n) : stop].any(axis=0)


def _strip_lines(dark: NDArray[np.bool_], cleared: NDArray[np.bool_]) -> None:
    """Mark in ``cleared`` the rows/columns from each edge to the innermost printed line.

    A printed line runs across the whole crop, so it is dark near both of its ends; a narrow
    "1" written close to a divider is as dark along most of a column but leaves paper above
    and below it, and stays (it was read as blank). A row or column dark along nearly all of
    it is print whatever its ends (a crop a little wider than its cell)."""
    h, w = dark.shape
    rows, cols = dark.mean(axis=1), dark.mean(axis=0)
    band_h, band_w = max(2, round(h * _EDGE_BAND)), max(2, round(w * _EDGE_BAND))
    row_line = (rows > _LINE_FILL) & _line_ends(dark.T, cols > _LINE_FILL, band_w)
    col_line = (cols > _LINE_FILL) & _line_ends(dark, rows > _LINE_FILL, band_h)
    row_line |= rows > _FULL_LINE
    col_line |= cols > _FULL_LINE
    top = [i for i in range(band_h) if row_line[i]]
    bottom = [i for i in range(h - band_h, h) if row_line[i]]
    left = [j for j in range(band_w) if col_line[j]]
    right = [j for j in range(w - band_w, w) if col_line[j]]
    if top:
        cleared[: max(top) + 2, :] = True
    if bottom:
        cleared[max(0, min(bottom) - 1) :, :] = True
    if left:
        cleared[:, : max(left) + 2] = True
    if right:
        cleared[:, max(0, min(right) - 1) :] = True


def _hand_ink(grey: Grey) -> tuple[NDArray[np.float32], NDArray[np.bool_], float]:
    """Coverage (0..1) of the cell, the mask of the hand's ink in it, and the ink's contrast."""
    h, w = grey.shape
    paper = float(np.percentile(grey, 90))
    rough = grey < paper - 0.5 * max(paper - float(np.percentile(grey, 0.5)), _MIN_CONTRAST)
    cleared = np.zeros_like(rough)
    _strip_lines(rough, cleared)
    inner = np.where(cleared, paper, grey)
    # The hand's darkest ink, looked for away from the edges: what is left of the print there
    # (a corner, a slightly turned line) would make a light pencil stroke look like paper.
    mh, mw = round(h * 0.15), round(w * 0.15)
    contrast = paper - float(np.percentile(inner[mh : h - mh, mw : w - mw], 0.5))
    coverage = np.clip((paper - inner) / max(contrast, _MIN_CONTRAST), 0.0, 1.0)
    soft = cv2.GaussianBlur(coverage, (0, 0), max(0.6, min(h, w) / 60))
    mask = (soft > _INK).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    keep = np.zeros(count, dtype=bool)
    min_area = max(3.0, _SPECK * h * w)
    for i in range(1, count):
        x, y, bw, bh, area = (int(v) for v in stats[i])
        if area < min_area:
            continue
        touches_lr = x == 0 or x + bw == w
        touches_tb = y == 0 or y + bh == h
        # A remnant of the printed border or a divider's tick: at an edge, straight along it
        # (filling its own box) and thin across it.
        straight = area > 0.6 * bw * bh
        if touches_tb and bh < 0.15 * h and (bw > 0.4 * w or (straight and bw > 0.25 * w)):
            continue
        if touches_lr and bw < 0.15 * w and (bh > 0.4 * h or (straight and bh > 0.25 * h)):
            continue
        keep[i] = True
    hand = keep[labels]
    if hand.any():
        # The figure is the hand's own contrast: a stroke written near the cell's edge lies
        # outside the middle the coverage was scaled by, which may hold only paper.
        contrast = paper - float(np.percentile(grey[hand], 0.5))
    return coverage.astype(np.float32), hand, contrast


def _deskew(img: NDArray[np.float32]) -> NDArray[np.float32]:
    m = cv2.moments(img)
    if abs(m["mu02"]) < 1e-2:
        return img
    skew = m["mu11"] / m["mu02"]
    shear = np.array([[1, skew, -0.5 * SIDE * skew], [0, 1, 0]], dtype=np.float32)
    out = cv2.warpAffine(img, shear, (SIDE, SIDE), flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR)
    return np.asarray(out, dtype=np.float32)


def normalise(cell: Any) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """The cell's glyph (``SIDE`` x ``SIDE``, 0..1 ink, de-skewed) and its four figures:
    ink area / cell area, ink height / cell height, ink width / cell width, contrast / 255."""
    grey = as_grey(cell)
    h, w = grey.shape
    coverage, hand, contrast = _hand_ink(grey)
    glyph = np.zeros((SIDE, SIDE), dtype=np.float32)
    if not hand.any():
        return glyph, np.zeros(4, dtype=np.float32)
    ys, xs = np.nonzero(hand)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    ink = np.where(cv2.dilate(hand.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0, coverage, 0)
    crop = ink[y0:y1, x0:x1]
    scale = FIT / max(y1 - y0, x1 - x0)
    size = (max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale)))
    inter = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    small = cv2.resize(crop, size, interpolation=inter)
    top = float(np.percentile(small[small > 0], 95)) if (small > 0).any() else 0.0
    if top > 0:
        small = np.clip(small / top, 0, 1)
    m = cv2.moments(small)
    cx = m["m10"] / m["m00"] if m["m00"] else size[0] / 2
    cy = m["m01"] / m["m00"] if m["m00"] else size[1] / 2
    ox = int(np.clip(round(SIDE / 2 - cx), 0, SIDE - size[0]))
    oy = int(np.clip(round(SIDE / 2 - cy), 0, SIDE - size[1]))
    glyph[oy : oy + size[1], ox : ox + size[0]] = small
    figures = np.array(
        [hand.mean(), (y1 - y0) / h, (x1 - x0) / w, contrast / 255.0], dtype=np.float32
    )
    return _deskew(glyph), figures


def features(glyph: NDArray[np.float32], figures: NDArray[np.float32]) -> NDArray[np.float32]:
    """The feature vector of one normalised cell (HOG 324 + the glyph's 400 pixels + 4)."""
    u8 = np.clip(glyph * 255, 0, 255).astype(np.uint8)
    hog = np.asarray(_HOG.compute(u8), dtype=np.float32).ravel()
    return np.concatenate([hog, glyph.ravel(), figures * 4.0]).astype(np.float32)


def cell_features(cells: list[Any]) -> NDArray[np.float32]:
    """Features of many cells, one row each."""
    if not cells:
        return np.zeros((0, N_FEATURES), dtype=np.float32)
    return np.stack([features(*normalise(c)) for c in cells])
