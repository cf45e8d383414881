"""What a C.Hasil form definition says: the shared interface of issue 18 (notes/PREAMBLE18.md).

Millimetres from the page's top left, x to the right, y down. A box of ``cells`` digit cells is
split into ``cells`` equal widths, cell 0 on the left; unused leading cells carry an "X".
"""

from __future__ import annotations

from dataclasses import dataclass

Rect = tuple[float, float, float, float]  # x0, y0, x1, y1 in millimetres


@dataclass(frozen=True)
class NumberBox:
    name: str  # the kiosk's box name, as in kiosk/chasil/checks.py: "A.L", "SS1", "V.0", "P.1.2"
    rect_mm: Rect
    cells: int  # digit cells across the box (the project's forms: 3; 1 = one box per number)

    def cell_mm(self, i: int) -> Rect:
        """Digit cell ``i`` (0-based, left to right)."""
        if not 0 <= i < self.cells:
            raise IndexError(f"box {self.name} has {self.cells} cells, not {i + 1}")
        x0, y0, x1, y1 = self.rect_mm
        w = (x1 - x0) / self.cells
        return (x0 + i * w, y0, x0 + (i + 1) * w, y1)


@dataclass(frozen=True)
class FormPage:
    model: str  # e.g. "C.HASIL-PPWP"
    ballot: str  # the profile's ballot id: "PPWP", "DPR", "DPD", ...
    page: int  # 1-based page of this model
    pages: int
    title: str  # the printed title, as read on the page: "MODEL C.HASIL-PPWP"
    size_mm: tuple[float, float]
    anchors: tuple[tuple[str, Rect], ...]  # registration features (name, rect_mm)
    boxes: tuple[NumberBox, ...]

    def box(self, name: str) -> NumberBox:
        for b in self.boxes:
            if b.name == name:
                return b
        raise KeyError(f"{self.model} page {self.page} has no box {name!r}")


class FormDefinitionError(ValueError):
    """A definition the kiosk cannot use; the message names the file, the line and the field of
    each problem ("c_hasil_dpr.toml line 42, forms[0].boxes[7].rect_mm: x1 must be greater
    than x0")."""

    def __init__(self, source: str, problems: list[tuple[int | None, str, str]]) -> None:
        self.source = source
        self.problems = problems  # (line, field, message)
        super().__init__(
            "; ".join(
                f"{source}{f' line {line}' if line else ''}, {field}: {message}"
                for line, field, message in problems
            )
        )
