"""Is the form's print where a registration puts it? The box lines sampled on the scan.

A fit through four corner squares can be wrong (the sheet upside down, a test pattern or
another document with four squares): kiosk.reader.register keeps only a fit under which the
form's box lines are darker than the paper on both sides of them. numpy and OpenCV are
imported inside the functions.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from kiosk.forms import FormPage

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Grey = NDArray[np.uint8]
    Matrix = NDArray[np.float64]


def line_points(form: FormPage) -> tuple[Matrix, Matrix, NDArray[np.intp]]:
    """Points (mm) along every box's printed lines, away from the corners, for each the unit
    normal across its line and the index of its box."""
    import numpy as np

    points: list[tuple[float, float]] = []
    normals: list[tuple[float, float]] = []
    owner: list[int] = []
    step, clear = 1.0, 0.8
    for b, box in enumerate(form.boxes):
        x0, y0, x1, y1 = box.rect_mm
        xs = [x0 + (x1 - x0) * i / box.cells for i in range(box.cells + 1)]
        for y in (y0, y1):
            for xa, xb in itertools.pairwise(xs):
                for t in np.arange(xa + clear, xb - clear + 1e-9, step):
                    points.append((float(t), y))
                    normals.append((0.0, 1.0))
                    owner.append(b)
        for x in xs:
            for t in np.arange(y0 + clear, y1 - clear + 1e-9, step):
                points.append((x, float(t)))
                normals.append((1.0, 0.0))
                owner.append(b)
    return (
        np.array(points, dtype=np.float64),
        np.array(normals, dtype=np.float64),
        np.array(owner, dtype=np.intp),
    )


def line_score(
    grey: Grey, matrix: Matrix, form: FormPage, paper: float
) -> tuple[float, str | None, float]:
    """The share of the form's box-line samples that the scan shows darker than the paper on
    both sides of the line (a line is taken at its darkest within 0.2 mm, for a fit's error),
    and the box with the lowest share with that share (None, 1.0 for a form without boxes)."""
    import cv2
    import numpy as np

    points, normals, owner = line_points(form)
    if not len(points):
        return 1.0, None, 1.0

    def grey_at(offset_mm: float) -> NDArray[np.float64]:
        mm = points + normals * offset_mm
        px = cv2.perspectiveTransform(mm[None], matrix)[0] - 0.5  # continuous -> index
        ix = np.clip(np.rint(px[:, 0]).astype(int), 0, grey.shape[1] - 1)
        iy = np.clip(np.rint(px[:, 1]).astype(int), 0, grey.shape[0] - 1)
        sampled: NDArray[np.float64] = grey[iy, ix].astype(np.float64)
        return sampled

    line = np.minimum(np.minimum(grey_at(-0.2), grey_at(0.0)), grey_at(0.2))
    beside = np.minimum(grey_at(-0.9), grey_at(0.9))
    dark = line < beside - 0.25 * paper
    per_box = np.bincount(owner, weights=dark, minlength=len(form.boxes)) / np.maximum(
        1, np.bincount(owner, minlength=len(form.boxes))
    )
    weakest = int(np.argmin(per_box))
    return float(np.mean(dark)), form.boxes[weakest].name, float(per_box[weakest])
