"""Where the sample C.Hasil forms put their boxes, read from the definitions in ``forms/``.

The same TOML files are the kiosk's shipped form definitions (``kiosk.forms.shipped_forms``,
which checks every field and names the line of a mistake); this module only reads what the
renderers need, because drivers/ never imports kiosk/. The files sit here, beside the renderer,
so the printed forms and the definitions a reader registers scans on are one source and cannot
drift apart (tests/forms/ renders each form and finds its boxes where the definition says).
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FORMS_DIR = Path(__file__).resolve().parent / "forms"
Rect = tuple[float, float, float, float]  # x0, y0, x1, y1 in millimetres from the top left


@dataclass(frozen=True)
class PrintedBox:
    name: str  # the kiosk's box name: "A.L", "SS1", "V.0", "P.1.2", "S" ...
    rect: Rect
    cells: int  # digit cells across the box, of equal width

    def cell(self, i: int) -> Rect:
        """Digit cell ``i`` (0 = leftmost) in millimetres."""
        x0, y0, x1, y1 = self.rect
        w = (x1 - x0) / self.cells
        return (x0 + i * w, y0, x0 + (i + 1) * w, y1)


@dataclass(frozen=True)
class PrintedForm:
    model: str
    ballot: str
    title: str
    size_mm: tuple[float, float]
    anchors: tuple[tuple[str, Rect], ...]
    boxes: tuple[PrintedBox, ...]

    def box(self, name: str) -> PrintedBox:
        for b in self.boxes:
            if b.name == name:
                return b
        raise KeyError(f"form {self.model} has no box {name!r}")


def _rect(raw: Any) -> Rect:
    x0, y0, x1, y1 = (float(v) for v in raw)
    return (x0, y0, x1, y1)


def _form(table: dict[str, Any]) -> PrintedForm:
    default_cells = int(table.get("cells", 1))
    width, height = (float(v) for v in table["size_mm"])
    return PrintedForm(
        model=str(table["model"]),
        ballot=str(table["ballot"]),
        title=str(table["title"]),
        size_mm=(width, height),
        anchors=tuple((str(a["name"]), _rect(a["rect_mm"])) for a in table.get("anchors", [])),
        boxes=tuple(
            PrintedBox(str(b["name"]), _rect(b["rect_mm"]), int(b.get("cells", default_cells)))
            for b in table["boxes"]
        ),
    )


def definition_files() -> tuple[Path, ...]:
    """The shipped definition files, in name order."""
    return tuple(sorted(FORMS_DIR.glob("*.toml")))


@functools.cache
def printed_forms() -> tuple[PrintedForm, ...]:
    """Every page the sample forms have (one per ballot: PPWP, DPR, DPD)."""
    return tuple(
        _form(table)
        for path in definition_files()
        for table in tomllib.loads(path.read_text(encoding="utf-8"))["forms"]
    )


def printed_form(ballot: str) -> PrintedForm:
    """The sample form of ``ballot`` ("PPWP", "DPR", "DPD")."""
    for form in printed_forms():
        if form.ballot == ballot:
            return form
    raise ValueError(f"no sample form for ballot {ballot!r}")
