"""Cut every digit cell and box out of a scan registered on its form (kiosk.reader.register).

Cells are cut by one ``cv2.warpPerspective`` each straight from the scan (no whole-page warp),
at ``CELL_DPI`` whatever the scan's dpi, ``CELL_MARGIN_MM`` inside the cell's printed border so
the border is mostly gone (kiosk.reader.cell_image strips what is left). numpy and OpenCV are
imported inside the functions: the web app imports kiosk.reader modules without them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kiosk.forms import FormPage, NumberBox, Rect
from kiosk.reader.register import MM_PER_INCH, Registration, as_grey, register

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Grey = NDArray[np.uint8]
    Matrix = NDArray[np.float64]

CELL_DPI = 200  # every crop is cut at this resolution, whatever the scan's dpi
CELL_MARGIN_MM = 0.45  # inward from a cell's edge: the printed line (0.3 mm) is mostly gone
BOX_PAD_MM = 1.0  # outward from a box: a person sees the box with its border


@dataclass(frozen=True)
class Cut:
    """A registered page's crops, grey uint8 arrays at ``CELL_DPI``: each box's digit cells
    (left to right) and the whole box with a little paper around it."""

    registration: Registration
    cells: dict[str, list[Any]]
    boxes: dict[str, Any]


def _warp(grey: Grey, matrix: Matrix, rect: Rect) -> Grey:
    """The form's rectangle ``rect`` (mm) cut from the scan at ``CELL_DPI``, upright."""
    import cv2
    import numpy as np

    x0, y0, x1, y1 = rect
    out_w = max(8, round((x1 - x0) * CELL_DPI / MM_PER_INCH))
    out_h = max(8, round((y1 - y0) * CELL_DPI / MM_PER_INCH))
    sx, sy = (x1 - x0) / out_w, (y1 - y0) / out_h
    crop_to_mm = np.array([[sx, 0, x0 + 0.5 * sx], [0, sy, y0 + 0.5 * sy], [0, 0, 1]])
    to_index = np.array([[1, 0, -0.5], [0, 1, -0.5], [0, 0, 1]])
    crop_to_page = to_index @ matrix @ crop_to_mm
    out = cv2.warpPerspective(
        grey,
        crop_to_page,
        (out_w, out_h),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return np.asarray(out, dtype=np.uint8)


def cell_rect(box: NumberBox, i: int, margin_mm: float = CELL_MARGIN_MM) -> Rect:
    """The part of digit cell ``i`` (mm) that is cut: the cell ``margin_mm`` in from its edges."""
    x0, y0, x1, y1 = box.cell_mm(i)
    return (x0 + margin_mm, y0 + margin_mm, x1 - margin_mm, y1 - margin_mm)


def cut(page: Any, dpi: int, form: FormPage, registration: Registration | None = None) -> Cut:
    """Register ``page`` on ``form`` (unless ``registration`` is given) and cut every box's
    digit cells and the whole box; RegistrationFailed when the page cannot be registered."""
    import numpy as np

    grey = as_grey(page)
    reg = registration or register(grey, dpi, form)
    matrix = np.array(reg.form_to_page, dtype=np.float64)
    cells: dict[str, list[Any]] = {}
    boxes: dict[str, Any] = {}
    for box in form.boxes:
        cells[box.name] = [_warp(grey, matrix, cell_rect(box, i)) for i in range(box.cells)]
        x0, y0, x1, y1 = box.rect_mm
        boxes[box.name] = _warp(
            grey, matrix, (x0 - BOX_PAD_MM, y0 - BOX_PAD_MM, x1 + BOX_PAD_MM, y1 + BOX_PAD_MM)
        )
    return Cut(reg, cells, boxes)


def cells(page: Any, dpi: int, form: FormPage) -> dict[str, list[Any]]:
    """Every ``NumberBox`` of ``form``: its digit cells, left to right, as grey uint8 arrays
    at ``CELL_DPI`` (what kiosk.reader.digits.classify reads)."""
    return cut(page, dpi, form).cells
