"""Register a scanned C.Hasil page on its form definition (kiosk.reader.crops cuts its cells).

A scan (grey or colour, 200-300 dpi, a little askew and off-place, uneven light, sensor noise)
is registered on its ``FormPage`` by the filled corner squares the definition lists as anchors:

1. **Find the squares**: the page thresholded well below its paper level (uneven light and a
   pencil stroke stay paper), then opened with a square of a third of an anchor's side so
   thin print, handwriting and a stroke touching a square fall away; what remains of about an
   anchor's size and filled is a candidate, its centre the component's centroid (sub-pixel, and
   symmetric to the threshold chosen).
2. **Match them** to the anchors by where a page on the glass puts them (the nearest candidate
   within ``SEARCH_MM`` of each anchor), upright and turned 180 degrees: the corner squares of
   a form are often symmetric, so they alone cannot tell an upside-down sheet.
3. **Fit** an affine transform form (mm) -> scan (px) by least squares over the anchors
   (OpenCV ``estimateAffine2D``): a flatbed or a feeder turns, shifts and at most stretches a
   sheet a little; a homography through four points would bend the page to fit each centre's
   noise (bench/register_bench.py measures both). A residual beyond ``MAX_RESIDUAL_PX``, a scale
   off the dpi or a shear mean a wrong square was matched.
4. **Check against the print** (kiosk.reader.table_lines): the form's box lines must be darker
   than the paper beside them where the fit puts them. This picks the orientation (an
   upside-down sheet is read turned back, and ``Registration.turned`` says so) and refuses a
   page that only happens to have four squares (a test pattern, another document).

Anything else raises ``RegistrationFailed`` with what was found, never a wrong crop. numpy and
OpenCV are imported inside the functions: the web app imports kiosk.reader modules without them.
"""

from __future__ import annotations

import itertools
import logging
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kiosk.forms import FormPage, Rect
from kiosk.reader.table_lines import line_score

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Grey = NDArray[np.uint8]
    Matrix = NDArray[np.float64]

log = logging.getLogger(__name__)

MM_PER_INCH = 25.4
SEARCH_MM = 20.0  # how far from its place on the glass a corner square is looked for
MAX_RESIDUAL_PX = 3.0  # at 200 dpi 0.38 mm: more means a square was mistaken
MAX_SCALE_ERROR = 0.04  # a feeder stretches a sheet by ~1 %; more is not this form's size
MAX_SHEAR_DEG = 2.0
MAX_TURN_DEG = 5.0  # beyond the legibility gate's skew limit, so the gate speaks first
MIN_LINE_SCORE = 0.8  # share of the form's box-line samples darker than the paper beside them
MIN_BOX_LINE_SCORE = 0.5  # the same in each box: a box of another form's is not on the page
_OPEN_FRACTION = 0.35  # of an anchor's side: the opening that erases strokes, keeps squares
_CHOICES = 3  # marks tried per anchor, nearest first (3 ** 4 fits at most, ~0.2 ms each)
_MIN_FILL = 0.75  # a candidate square's pixels over its bounding box (1.0 upright, ~0.93 at 2°)


class RegistrationFailed(Exception):
    """The page cannot be registered on the form: says why and what was found.

    ``found`` is each anchor's centre on the scan (px) or None when none was found there,
    ``candidates`` every square-like mark seen on the page, ``residual_px`` and ``line_score``
    the fit's figures when one was made.
    """

    def __init__(
        self,
        reason: str,
        *,
        found: dict[str, tuple[float, float] | None] | None = None,
        candidates: tuple[tuple[float, float], ...] = (),
        residual_px: float | None = None,
        line_score: float | None = None,
    ) -> None:
        self.reason = reason
        self.found = found or {}
        self.candidates = candidates
        self.residual_px = residual_px
        self.line_score = line_score
        where = ", ".join(
            f"{name} {'missing' if at is None else f'at ({at[0]:.0f}, {at[1]:.0f}) px'}"
            for name, at in self.found.items()
        )
        super().__init__(
            reason
            + (f"; anchors: {where}" if where else "")
            + f"; {len(candidates)} square-like marks on the page"
        )


@dataclass(frozen=True)
class Registration:
    """Where the form lies on one scan: ``form_to_page`` maps form millimetres to scan pixels
    (continuous coordinates: pixel (i, j) covers [i, i+1) x [j, j+1)), a 3x3 row-major matrix."""

    form: FormPage
    dpi: int
    form_to_page: tuple[tuple[float, float, float], ...]
    anchors: tuple[tuple[str, tuple[float, float]], ...]  # each anchor's centre found (px)
    residual_px: float  # largest anchor distance from the fit
    line_score: float  # share of the box-line samples found dark (1.0 = every one)
    turned: bool  # the sheet was scanned upside down; the crops are upright

    def on_page(self, x_mm: float, y_mm: float) -> tuple[float, float]:
        """The scan pixel (continuous) where the form's point (``x_mm``, ``y_mm``) is."""
        m = self.form_to_page
        w = m[2][0] * x_mm + m[2][1] * y_mm + m[2][2]
        return (
            (m[0][0] * x_mm + m[0][1] * y_mm + m[0][2]) / w,
            (m[1][0] * x_mm + m[1][1] * y_mm + m[1][2]) / w,
        )

    @property
    def skew_deg(self) -> float:
        """The sheet's turn on the glass (degrees counter-clockwise, as Pillow's rotate; the
        legibility gate's estimate is the turn back, of the opposite sign), near 180 when
        ``turned``."""
        m = self.form_to_page
        return -math.degrees(math.atan2(m[1][0], m[0][0]))

    def on_form(self, x_px: float, y_px: float) -> tuple[float, float]:
        """The form's point (mm) at scan pixel (``x_px``, ``y_px``), continuous coordinates."""
        import cv2
        import numpy as np

        inverse = np.linalg.inv(np.array(self.form_to_page, dtype=np.float64))
        pt = cv2.perspectiveTransform(np.array([[[x_px, y_px]]], dtype=np.float64), inverse)
        return (float(pt[0, 0, 0]), float(pt[0, 0, 1]))


def as_grey(page: Any) -> Grey:
    """A PIL image or numpy array (grey, RGB, RGBA) as a contiguous uint8 grey array."""
    import cv2
    import numpy as np

    if hasattr(page, "convert"):  # PIL: no PIL import needed here
        page = page.convert("L")
    arr = np.asarray(page)
    if arr.ndim == 3:
        code = cv2.COLOR_RGBA2GRAY if arr.shape[2] == 4 else cv2.COLOR_RGB2GRAY
        arr = cv2.cvtColor(np.ascontiguousarray(arr, dtype=np.uint8), code)
    if arr.ndim != 2:
        raise ValueError(f"a page is a grey or colour image, not an array of shape {arr.shape}")
    return np.ascontiguousarray(arr, dtype=np.uint8)


def _centre(rect: Rect) -> tuple[float, float]:
    return ((rect[0] + rect[2]) / 2, (rect[1] + rect[3]) / 2)


def _square_marks(
    grey: Grey, form: FormPage, px_mm: float
) -> tuple[list[tuple[float, float]], float]:
    """Centres (px, continuous) of the filled marks of about an anchor's size, and the paper
    level (grey) they were told from."""
    import cv2
    import numpy as np

    sides = [min(r[2] - r[0], r[3] - r[1]) * px_mm for _, r in form.anchors]
    longs = [max(r[2] - r[0], r[3] - r[1]) * px_mm for _, r in form.anchors]
    sample = grey[::4, ::4]
    paper = float(np.percentile(sample, 90))
    otsu, _ = cv2.threshold(sample, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    # Toner is far below the paper; Otsu alone would split a blank page's light gradient.
    level = min(float(otsu), 0.55 * paper)
    _, dark = cv2.threshold(grey, level, 255, cv2.THRESH_BINARY_INV)
    k = max(3, round(_OPEN_FRACTION * min(sides))) | 1  # odd: an even one shifts the result
    dark = cv2.morphologyEx(dark, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    count, _, stats, centroids = cv2.connectedComponentsWithStats(dark, connectivity=4)
    lo, hi = 0.7 * min(sides), 1.3 * max(longs) + 2
    marks = []
    for i in range(1, count):
        w, h, area = (int(v) for v in stats[i, 2:5])
        if lo <= w <= hi and lo <= h <= hi and area >= _MIN_FILL * w * h:
            marks.append((float(centroids[i, 0]) + 0.5, float(centroids[i, 1]) + 0.5))
    return marks, paper


def _near(
    marks: list[tuple[float, float]], form: FormPage, px_mm: float, turned: bool
) -> dict[str, list[tuple[float, float]]]:
    """For each anchor, the ``_CHOICES`` marks nearest to where the sheet puts it, within
    ``SEARCH_MM``, nearest first."""
    width, height = form.size_mm
    near: dict[str, list[tuple[float, float]]] = {}
    for name, rect in form.anchors:
        x, y = _centre(rect)
        if turned:
            x, y = width - x, height - y
        at = (x * px_mm, y * px_mm)
        close = sorted(
            (m for m in marks if math.dist(m, at) <= SEARCH_MM * px_mm),
            key=lambda m: math.dist(m, at),
        )
        near[name] = close[:_CHOICES]
    return near


def _best_fit(
    form: FormPage, near: dict[str, list[tuple[float, float]]]
) -> tuple[dict[str, tuple[float, float]], Matrix, float]:
    """The choice of one mark per anchor whose fit leaves the smallest residual: a stamp or a
    filled box nearer an anchor's place than the anchor itself is passed over."""
    best: tuple[dict[str, tuple[float, float]], Matrix, float] | None = None
    names = list(near)
    for choice in itertools.product(*near.values()):
        if len(set(choice)) < len(choice):
            continue
        found = dict(zip(names, choice, strict=True))
        matrix, residual = _fit(form, found)
        if best is None or residual < best[2]:
            best = (found, matrix, residual)
    if best is None:
        raise RegistrationFailed("the corner squares found are one mark for two anchors")
    return best


def _fit(form: FormPage, found: dict[str, tuple[float, float]]) -> tuple[Matrix, float]:
    """The least-squares affine form (mm) -> page (px) through the anchors, and the largest
    anchor residual (px)."""
    import cv2
    import numpy as np

    src = np.array([_centre(r) for n, r in form.anchors], dtype=np.float64)
    dst = np.array([found[n] for n, _ in form.anchors], dtype=np.float64)
    # RANSAC with a threshold no residual reaches keeps every anchor; the Levenberg-Marquardt
    # refinement then gives the least-squares fit over all of them.
    affine, _ = cv2.estimateAffine2D(
        src, dst, method=cv2.RANSAC, ransacReprojThreshold=1e6, maxIters=50, refineIters=50
    )
    if affine is None:
        raise RegistrationFailed("the corner squares found admit no affine fit")
    mapped = cv2.transform(src[None], affine)[0]
    residual = float(np.max(np.linalg.norm(mapped - dst, axis=1)))
    return np.vstack([affine, [0.0, 0.0, 1.0]]), residual


def _shape_problem(matrix: Matrix, px_mm: float, turned: bool) -> str | None:
    """What is wrong with the fit's scale, shear or turn for a scan of this form, if anything."""
    import numpy as np

    a = matrix[:2, :2]
    sx, sy = float(np.linalg.norm(a[:, 0])), float(np.linalg.norm(a[:, 1]))
    if max(abs(sx / px_mm - 1), abs(sy / px_mm - 1)) > MAX_SCALE_ERROR:
        return f"the squares lie at {sx / px_mm:.3f} x {sy / px_mm:.3f} of the form's size"
    shear = math.degrees(math.asin(min(1.0, abs(float(a[:, 0] @ a[:, 1])) / (sx * sy))))
    if shear > MAX_SHEAR_DEG:
        return f"the squares lie sheared by {shear:.1f} degrees"
    turn = math.degrees(math.atan2(float(a[1, 0]), float(a[0, 0])))
    off = abs((turn - (180.0 if turned else 0.0) + 180) % 360 - 180)
    if off > MAX_TURN_DEG:
        return f"the squares lie turned by {off:.1f} degrees"
    return None


def _rows(matrix: Matrix) -> tuple[tuple[float, float, float], ...]:
    return tuple((float(r[0]), float(r[1]), float(r[2])) for r in matrix)


def _attempt(
    grey: Grey,
    dpi: int,
    form: FormPage,
    marks: list[tuple[float, float]],
    paper: float,
    turned: bool,
) -> Registration | RegistrationFailed:
    """The registration with the sheet upright or ``turned``, or why there is none."""
    px_mm = dpi / MM_PER_INCH
    side = " (upside down)" if turned else ""
    near = _near(marks, form, px_mm, turned)
    missing = [n for n, at in near.items() if not at]
    if missing:
        return RegistrationFailed(
            f"corner squares not found: {', '.join(missing)}{side}",
            found={n: (at[0] if at else None) for n, at in near.items()},
            candidates=tuple(marks),
        )
    placed, matrix, residual = _best_fit(form, near)
    problem = _shape_problem(matrix, px_mm, turned)
    if problem is None and residual > MAX_RESIDUAL_PX:
        problem = f"the corner squares fit the form's only to {residual:.1f} px"
    score, weakest, weakest_score = line_score(grey, matrix, form, paper)
    if problem is None and score < MIN_LINE_SCORE:
        problem = f"the form's box lines are not where it puts them ({score:.0%} found)"
    elif problem is None and weakest_score < MIN_BOX_LINE_SCORE:
        problem = (
            f"box {weakest} is not printed where the form puts it"
            f" ({weakest_score:.0%} of its lines found)"
        )
    if problem is not None:
        return RegistrationFailed(
            problem + side,
            found=dict(placed),
            candidates=tuple(marks),
            residual_px=residual,
            line_score=score,
        )
    return Registration(form, dpi, _rows(matrix), tuple(placed.items()), residual, score, turned)


def register(page: Any, dpi: int, form: FormPage) -> Registration:
    """Register the scan ``page`` (PIL image or array, ``dpi`` dots per inch) on ``form``;
    RegistrationFailed says why it cannot be, with what was found."""
    if len(form.anchors) < 3:
        raise RegistrationFailed(f"{form.model} page {form.page} has fewer than 3 anchors")
    grey = as_grey(page)
    marks, paper = _square_marks(grey, form, dpi / MM_PER_INCH)
    attempts = [_attempt(grey, dpi, form, marks, paper, turned) for turned in (False, True)]
    fits = [a for a in attempts if isinstance(a, Registration)]
    tried = [a for a in attempts if isinstance(a, RegistrationFailed)]
    if not fits:
        # The upright attempt's reason, unless only the turned one got as far as a fit.
        upright, turned_back = tried
        fitted = upright.residual_px is not None or turned_back.residual_px is None
        raise upright if fitted else turned_back
    best = max(fits, key=lambda r: r.line_score)
    log.debug(
        "registered on %s page %d: residual %.2f px, lines %.0f%%%s",
        form.model,
        form.page,
        best.residual_px,
        100 * best.line_score,
        ", upside down" if best.turned else "",
    )
    return best
