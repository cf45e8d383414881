"""One scanned page read by the third reader, as the reader's child process runs it.

``read_page`` is the job kiosk.chasil.readings sends to its child (kiosk.render_worker): it
opens the page's archival file, registers it on its form (kiosk.reader.register; a model of
several pages: each page's definition in turn, until one registers), cuts every digit cell
(kiosk.reader.crops) and reads it (kiosk.reader.digits), decodes the sheet under rules 1-7
(kiosk.reader.decode) and writes each number box as scanned (grey PNG at ``crops.CELL_DPI``,
with a millimetre of paper round it, a few KB) into ``crops_dir`` for the confirm screen. It
returns a ``PageResult``: plain frozen dataclasses that pickle back to the web app, which must
unpickle them without numpy, so this module imports numpy, OpenCV and the reader's modules
only inside ``read_page``.

A page that cannot be read is a result too (``state`` "failed" and a ``Failure`` code), never
an exception: the web app records it and a person looks at the paper as before.
"""

from __future__ import annotations

import enum
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from kiosk.forms import FormPage
from kiosk.reader.decode import BoxReading

log = logging.getLogger(__name__)

CANDIDATES_KEPT = 5  # of a box's values, best first: what the confirm screen and a review need


class Failure(enum.Enum):
    """Why a page has no reading (``page_reading.error``)."""

    REGISTRATION = "registration"  # the form's corner squares and lines were not found on it
    UNREADABLE_FILE = "unreadable_file"  # the archival file is missing or not an image
    READER_ERROR = "reader_error"  # the reader raised (a broken model file, a bug): logged
    READER_LOST = "reader_lost"  # the reader's child process died (killed, out of memory)
    NO_FORM = "no_form"  # no definition of the page's form is known any more


def box_json(b: BoxReading) -> dict[str, Any]:
    """A box as read, as the reading's stored JSON keeps it."""
    return {
        "box": b.box,
        "value": b.value,
        "confidence": round(b.confidence, 4),
        "raw": b.raw,
        "raw_confidence": round(b.raw_confidence, 4),
        "changed": b.changed,
        "candidates": [[v, round(p, 4)] for v, p in b.candidates],
    }


def box_from_json(data: dict[str, Any]) -> BoxReading:
    return BoxReading(
        str(data["box"]),
        None if data["value"] is None else int(data["value"]),
        float(data["confidence"]),
        None if data["raw"] is None else int(data["raw"]),
        float(data["raw_confidence"]),
        bool(data["changed"]),
        tuple((int(v), float(p)) for v, p in data["candidates"]),
    )


@dataclass(frozen=True)
class PageResult:
    """What the reader made of one page. ``state`` "read" (``boxes`` in the form's order) or
    "failed" (``failure`` and ``detail`` say why; no boxes)."""

    state: str
    form: str  # the form model read against
    form_page: int = 0  # which page of the model registered (0: none)
    boxes: tuple[BoxReading, ...] = ()  # candidates cut to CANDIDATES_KEPT
    consistent: bool = False  # the decoded values satisfy every rule 1-7 that applies
    complete: bool = True  # False: the decoder's search was cut short
    broken: tuple[tuple[int, tuple[str, ...]], ...] = ()  # (rule, boxes) the values break
    turned: bool = False  # the sheet lay upside down
    residual_px: float = 0.0  # the registration's largest anchor error
    failure: str = ""  # a Failure value when failed
    detail: str = ""  # what the reader said (for the log and a technician)
    seconds: float = 0.0  # the reading itself, in the child

    def as_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "form": self.form,
            "form_page": self.form_page,
            "boxes": [box_json(b) for b in self.boxes],
            "consistent": self.consistent,
            "complete": self.complete,
            "broken": [{"rule": rule, "boxes": list(boxes)} for rule, boxes in self.broken],
            "turned": self.turned,
            "residual_px": round(self.residual_px, 2),
            "failure": self.failure,
            "detail": self.detail,
            "seconds": round(self.seconds, 3),
        }

    def as_manifest(self) -> dict[str, Any]:
        """A read page for the signed manifest: each box's value and confidence, the raw
        reading and whether the rules changed it (``SheetReading.as_manifest``'s shape)."""
        return {
            "state": self.state,
            "form": self.form,
            "form_page": self.form_page,
            "consistent": self.consistent,
            "complete": self.complete,
            "broken": [{"rule": rule, "boxes": list(boxes)} for rule, boxes in self.broken],
            "boxes": [
                {k: v for k, v in box_json(b).items() if k != "candidates"} for b in self.boxes
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PageResult:
        return cls(
            str(data["state"]),
            str(data["form"]),
            int(data["form_page"]),
            tuple(box_from_json(b) for b in data["boxes"]),
            bool(data["consistent"]),
            bool(data["complete"]),
            tuple((int(r["rule"]), tuple(r["boxes"])) for r in data["broken"]),
            bool(data["turned"]),
            float(data["residual_px"]),
            str(data["failure"]),
            str(data["detail"]),
            float(data["seconds"]),
        )


def failed(form: str, failure: Failure, detail: str, seconds: float = 0.0) -> PageResult:
    return PageResult("failed", form, failure=failure.value, detail=detail[:500], seconds=seconds)


def _write_png(path: Path, grey: Any) -> None:
    """``grey`` (uint8 array) as a PNG at ``path``, replacing it whole. Not fsynced: a crop
    lost to a power cut is only not shown (the page can be read again), and forty fsyncs a
    page on an SD card would cost more than the reading."""
    from PIL import Image

    tmp = path.with_name(f".{path.name}.tmp")
    Image.fromarray(grey).save(tmp, format="PNG", optimize=False, compress_level=6)
    os.replace(tmp, path)


def read_page(archival: Path, dpi: int, forms: Sequence[FormPage], crops_dir: Path) -> PageResult:
    """Read the page kept at ``archival`` (scanned at ``dpi``, unless the file says otherwise)
    against ``forms``, the pages of its form model; write each box's crop into ``crops_dir``
    (``<box name>.png``)."""
    import cv2
    from PIL import Image

    from kiosk.reader.crops import cut
    from kiosk.reader.decode import decode, read_cells
    from kiosk.reader.register import RegistrationFailed

    started = time.perf_counter()
    model = forms[0].model if forms else ""
    try:
        with Image.open(archival) as opened:  # the header only: no pixel is decoded here
            file_dpi = opened.info.get("dpi")
    except OSError as exc:
        return failed(model, Failure.UNREADABLE_FILE, str(exc), time.perf_counter() - started)
    # OpenCV decodes straight into the one grey array the reader works on: through Pillow the
    # page passed through two more copies (8.7 MB each at 300 dpi) at the child's peak.
    grey = cv2.imread(str(archival), cv2.IMREAD_GRAYSCALE)
    if grey is None:
        detail = f"{archival}: OpenCV cannot decode it"
        return failed(model, Failure.UNREADABLE_FILE, detail, time.perf_counter() - started)
    if file_dpi and round(float(file_dpi[0])) > 0:
        dpi = round(float(file_dpi[0]))  # the page's own resolution, whatever the setting now
    reasons = []
    for form in sorted(forms, key=lambda f: f.page):
        try:
            crops = cut(grey, dpi, form)
            break
        except RegistrationFailed as exc:
            reasons.append(f"page {form.page}: {exc}")
    else:
        detail = "; ".join(reasons) or "no form definition"
        return failed(model, Failure.REGISTRATION, detail, time.perf_counter() - started)
    try:
        sheet = decode(read_cells(crops.cells))
        crops_dir.mkdir(parents=True, exist_ok=True)
        for box, image in crops.boxes.items():
            _write_png(crops_dir / f"{box}.png", image)
    except Exception as exc:  # a broken model file or a bug: the page is not read, the day goes on
        log.exception("reading %s failed", archival)
        return failed(model, Failure.READER_ERROR, repr(exc), time.perf_counter() - started)
    reg = crops.registration
    return PageResult(
        "read",
        form.model,
        form.page,
        tuple(replace(b, candidates=b.candidates[:CANDIDATES_KEPT]) for b in sheet.boxes),
        sheet.consistent,
        sheet.complete,
        tuple((r.rule, r.boxes) for r in sheet.broken),
        reg.turned,
        reg.residual_px,
        seconds=time.perf_counter() - started,
    )
