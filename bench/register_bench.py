"""Registration and cell cutting (kiosk.reader.register) on the realistic corpus.

Each page of the corpus (drivers.scanner.corpus: 200 and 300 dpi, grey and colour, ballpoint
and pencil, the three sample sheets, skewed up to 2 degrees) is registered on its shipped form
and cut into its digit cells. Printed per dpi, side by side:

- **error** (px and mm): where the registration puts every box corner and anchor centre
  against where the renderer put it (``RealisticPage.on_scan``), for the fit the reader uses
  (least-squares affine over the 4 anchors) and for a homography through the same 4 centres
  (``cv2.getPerspectiveTransform``);
- **time per page**: register + cut every cell and box, against the bare minimum, one
  ``cv2.warpPerspective`` of the whole grey page to the form; and, when the digit model
  loads, the whole reader (register, cut, classify every cell) against the 1 s goal, with
  the share of digit cells read as written (kiosk.reader.digits on these cuts);
- **turned**: an upside-down copy of every page, read turned back.

Run: .venv/bin/python bench/register_bench.py [--pages N] [--repeat R]
"""

from __future__ import annotations

import argparse
import functools
import math
import statistics
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from bench.timing import timed_runs  # noqa: E402
from drivers.scanner.corpus import corpus_page, variant_name  # noqa: E402
from drivers.scanner.realistic import RealisticPage  # noqa: E402
from drivers.scanner.sample_pages import cell_digits  # noqa: E402
from kiosk.forms import FormPage, shipped_forms  # noqa: E402
from kiosk.reader.crops import cut  # noqa: E402
from kiosk.reader.register import MM_PER_INCH, Registration, as_grey, register  # noqa: E402


def form_points(form: FormPage) -> list[tuple[float, float]]:
    """Every box corner and anchor centre of ``form`` (mm)."""
    points = [((r[0] + r[2]) / 2, (r[1] + r[3]) / 2) for _, r in form.anchors]
    for box in form.boxes:
        x0, y0, x1, y1 = box.rect_mm
        points += [(x0, y0), (x1, y0), (x0, y1), (x1, y1)]
    return points


def errors(page: RealisticPage, form: FormPage, to_page: Any) -> list[float]:
    """Distances (px) between where ``to_page`` (3x3, mm -> px) and the renderer put each
    form point."""
    px_mm = page.dpi / MM_PER_INCH
    pts = form_points(form)
    mapped = cv2.perspectiveTransform(np.array([pts], dtype=np.float64), to_page)[0]
    return [
        math.dist((float(m[0]), float(m[1])), page.on_scan(x * px_mm, y * px_mm))
        for m, (x, y) in zip(mapped, pts, strict=True)
    ]


def homography(reg: Registration) -> Any:
    """The homography through the 4 anchor centres the registration found."""
    src = np.array([((r[0] + r[2]) / 2, (r[1] + r[3]) / 2) for _, r in reg.form.anchors])
    dst = np.array([at for _, at in reg.anchors])
    return cv2.getPerspectiveTransform(src.astype(np.float32), dst.astype(np.float32))


def classifier() -> Any:
    """kiosk.reader.digits.classify when the model loads, else None (it is another part)."""
    try:
        from kiosk.reader.digits import classify

        classify([np.full((50, 60), 235, np.uint8)])
    except Exception as exc:  # the bench reports what it could measure
        print(f"(digit model not measured: {exc})")
        return None
    return classify


def cells_read_right(page: RealisticPage, form: FormPage, classify: Any) -> list[float]:
    """1.0 or 0.0 for each digit cell of a multi-cell box: read as written ("X" included)."""
    result = cut(page.image, page.dpi, form)
    truth = {n.box: n.value for n in page.numbers}
    marks = []
    for box in form.boxes:
        if box.cells > 1:
            written = cell_digits(truth[box.name], box.cells)
            read = [r.label for r in classify(result.cells[box.name])]
            marks += [float(w == r) for w, r in zip(written, read, strict=True)]
    return marks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=24, help="corpus pages (8 variants x 3)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per page")
    args = parser.parse_args(argv)
    forms = {f.ballot: f for f in shipped_forms()}
    classify = classifier()
    rows: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    failures = 0
    for i in range(args.pages):
        page = corpus_page(i)
        form = forms[page.sheet]
        grey = as_grey(page.image)
        try:
            reg = register(grey, page.dpi, form)
        except Exception as exc:  # counted and named, the run goes on
            failures += 1
            print(f"{variant_name(page)}: {exc}")
            continue
        row = rows[page.dpi]
        affine = np.array(reg.form_to_page)
        row["affine"] += errors(page, form, affine)
        row["homography"] += errors(page, form, homography(reg))
        row["ours"] += timed_runs(functools.partial(cut, grey, page.dpi, form), args.repeat)
        size = grey.shape[::-1]
        bare = np.linalg.inv(affine)  # page px -> form mm, times the page's px per mm
        bare = np.diag([page.dpi / MM_PER_INCH, page.dpi / MM_PER_INCH, 1.0]) @ bare
        warp = functools.partial(cv2.warpPerspective, grey, bare, size)
        row["bare"] += timed_runs(warp, args.repeat)
        if classify is not None:

            def read(page: RealisticPage = page, form: FormPage = form) -> None:
                result = cut(page.image, page.dpi, form)
                classify([c for cells in result.cells.values() for c in cells])

            row["reader"] += timed_runs(read, args.repeat)
            row["cells_ok"] += cells_read_right(page, form, classify)
        row["turned"].append(float(register(np.rot90(grey, 2), page.dpi, form).turned))
    print(f"{args.pages} pages, {failures} not registered\n")
    head = f"{'dpi':>4} {'pages':>5} | {'error px: affine (ours)':>24} {'homography':>12} |"
    print(
        head
        + f" {'ms/page: ours':>13} {'bare warp':>9} {'ratio':>6} |"
        + f" {'reader':>7} {'cells':>6} | turned"
    )
    for dpi, row in sorted(rows.items()):
        px_mm = dpi / MM_PER_INCH
        a, h = row["affine"], row["homography"]
        ours, bare = statistics.median(row["ours"]), statistics.median(row["bare"])
        reader = f"{statistics.median(row['reader']) * 1000:6.0f}" if row["reader"] else "    --"
        read_ok = f"{statistics.mean(row['cells_ok']):6.1%}" if row["cells_ok"] else "    --"
        print(
            f"{dpi:>4} {len(row['turned']):>5} |"
            f" mean {statistics.mean(a):.2f} max {max(a):.2f} ({max(a) / px_mm:.3f} mm)"
            f" {statistics.mean(h):5.2f}/{max(h):4.2f} |"
            f" {ours * 1000:13.1f} {bare * 1000:9.1f} {ours / bare:5.2f}x | {reader} ms"
            f" {read_ok}"
            f" | {sum(row['turned']):.0f}/{len(row['turned'])}"
        )
    print("\nerror: mean / max over every box corner and anchor centre. turned: upside-down")
    print("copies read turned back. reader: register + cut + classify every cell, goal 1 s;")
    print("cells: digit cells read as written, X included (the digit model's figure on real cuts).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
