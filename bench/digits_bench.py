"""The digit-cell reader (kiosk.reader.digits) on held-out glyphs as a scan shows them.

The held-out MNIST glyphs (drivers/scanner/data/heldout_digits.png, never used in training) are
written into 3-cell number boxes (25 x 6.5 mm, the sample sheet's box split in three) the way
the realistic corpus makes a page (drivers.scanner.realistic: its paper, toner, ink tones, pen
grain, the optics' 3x3 softening at >= 250 dpi, its lamp and sensor noise, sigma 2-8), with the
unused leading cells crossed out ("X62") or, now and then, left blank. This code is not the
training script's: the model is measured on cells drawn by other code than it learned from.
Each cell is then cut as a registered page gives it: the cell's rectangle, off by up to
``REGISTRATION_MM`` on each side, a residual turn of up to ``RESIDUAL_DEG``.

Printed per dpi x pen: digit-cell accuracy (goal >= 98 %), X and blank, the top-3 hit rate,
the calibration (mean top probability vs accuracy), then the confusion pairs that occur most,
time per cell and per 60 cells (a sheet) against the bare minimum (the network alone on
ready features), and the peak RSS of a fresh process that loads the model and reads a sheet.

Run: .venv/bin/python bench/digits_bench.py [--glyphs N]
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from PIL import Image, ImageChops, ImageDraw, ImageFilter

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from drivers.scanner import handwriting, realistic  # noqa: E402

HELDOUT_PNG = ROOT / "drivers/scanner/data/heldout_digits.png"
HELDOUT_TXT = ROOT / "drivers/scanner/data/heldout_digits.txt"
BOX_MM = (25.0, 6.5)  # the sample sheet's number box (drivers/scanner/sample_pages.py)
CELLS = 3
REGISTRATION_MM = 0.35
RESIDUAL_DEG = 0.3
_MARGIN_MM = 3.0


def heldout_glyphs() -> list[tuple[str, Image.Image]]:
    """The 1,000 held-out glyphs (20x20 'L', ink = bright) with their digit, in file order."""
    grid = Image.open(HELDOUT_PNG).convert("L")
    labels = HELDOUT_TXT.read_text().split()
    cols = grid.width // 20
    return [
        (
            label,
            grid.crop(
                ((i % cols) * 20, (i // cols) * 20, (i % cols + 1) * 20, (i // cols + 1) * 20)
            ),
        )
        for i, label in enumerate(labels)
    ]


def _paste_glyph(
    coverage: Image.Image,
    glyph: Image.Image,
    cell: tuple[float, float, float, float],
    rng: random.Random,
) -> None:
    """Write one glyph into ``cell`` (px) of the coverage layer, sized as a hand fills a box."""
    x0, y0, x1, y1 = cell
    ink = glyph.getbbox() or (0, 0, 20, 20)
    g = glyph.crop(ink)
    height = (y1 - y0) * rng.uniform(0.58, 0.74)  # handwriting.Writer's fill
    width = min((x1 - x0) * 0.85, g.width * height / g.height * rng.uniform(0.9, 1.1))
    g = g.resize((max(2, round(width)), max(2, round(height))), Image.Resampling.BICUBIC)
    g = g.point([min(255, max(0, round((v - 40) * 255 / 150))) for v in range(256)])
    cx = (x0 + x1) / 2 + rng.gauss(0, 0.06) * (x1 - x0)
    cy = (y0 + y1) / 2 + rng.gauss(0, 0.05) * (y1 - y0)
    at = (round(cx - g.width / 2), round(cy - g.height / 2))
    region = (*at, at[0] + g.width, at[1] + g.height)
    coverage.paste(ImageChops.lighter(coverage.crop(region), g), region)


def _draw_x(
    coverage: Image.Image,
    cell: tuple[float, float, float, float],
    pen: handwriting.Pen,
    px_mm: float,
    pressure: float,
    rng: random.Random,
) -> None:
    """An "X" as the corpus's hand draws strokes (handwriting.draw_number's pen model)."""
    x0, y0, x1, y1 = cell
    w, h = x1 - x0, y1 - y0
    ex, ey = w * rng.uniform(0.22, 0.4), h * rng.uniform(0.22, 0.38)
    cx, cy = (x0 + x1) / 2 + rng.gauss(0, 0.04) * w, (y0 + y1) / 2 + rng.gauss(0, 0.04) * h
    strokes = []
    for sx in (1, -1):
        a = (cx - sx * ex * rng.uniform(0.8, 1.15), cy - ey * rng.uniform(0.8, 1.15))
        b = (cx + sx * ex * rng.uniform(0.8, 1.15), cy + ey * rng.uniform(0.8, 1.15))
        strokes.append(
            [(a[0] + (b[0] - a[0]) * t / 20, a[1] + (b[1] - a[1]) * t / 20) for t in range(21)]
        )
    handwriting.draw_number(coverage, [strokes], "X", pen, px_mm, pressure, rng)


def scanned_box(
    cells: list[tuple[str, Image.Image | None]], dpi: int, pen: str, rng: random.Random
) -> list[Image.Image]:
    """A number box written with ``cells`` (label + glyph; "X" and "blank" have none), as a
    registered scan of it gives each cell: one grey crop per cell."""
    px_mm = dpi / realistic.MM_PER_INCH
    bw, bh = BOX_MM[0] * px_mm, BOX_MM[1] * px_mm
    m = _MARGIN_MM * px_mm
    size = (round(bw + 2 * m), round(bh + 2 * m))
    printed = Image.new("L", size, 255)
    draw = ImageDraw.Draw(printed)
    line = max(1, round(0.3 * px_mm))
    draw.rectangle(
        (round(m), round(m), round(m + bw), round(m + bh)), outline=realistic._TONER, width=line
    )
    for i in range(1, len(cells)):
        x = round(m + bw * i / len(cells))
        draw.line(((x, round(m)), (x, round(m + bh))), fill=realistic._TONER, width=line)
    coverage = Image.new("L", size, 0)
    the_pen = handwriting.PENS[pen]
    pressure = rng.uniform(0.6, 1.0)
    rects = [
        (m + bw * i / len(cells), m, m + bw * (i + 1) / len(cells), m + bh)
        for i in range(len(cells))
    ]
    for (label, glyph), rect in zip(cells, rects, strict=True):
        if label == "X":
            _draw_x(coverage, rect, the_pen, px_mm, pressure, rng)
        elif glyph is not None:
            _paste_glyph(coverage, glyph, rect, rng)
    if pen == "pencil":  # as handwriting.draw_number: lighter, grainy
        coverage = coverage.point([round(v * the_pen.coverage * pressure) for v in range(256)])
        coverage = ImageChops.multiply(coverage, handwriting.grain_layer(size, the_pen, rng))
    ink = realistic._INK_RGB[pen]
    grey_ink = round(0.299 * ink[0] + 0.587 * ink[1] + 0.114 * ink[2])
    page = ImageChops.multiply(
        realistic._paper(size, px_mm, rng),
        ImageChops.multiply(printed, coverage.point(realistic._channel_lut(grey_ink))),
    )
    page = page.rotate(
        rng.uniform(-RESIDUAL_DEG, RESIDUAL_DEG),
        Image.Resampling.BILINEAR,
        fillcolor=realistic._LID,
    )
    if dpi >= 250:
        page = page.filter(ImageFilter.Kernel((3, 3), (1, 2, 1, 2, 4, 2, 1, 2, 1)))
    page = realistic._sensor(page, px_mm, rng.uniform(*realistic.NOISE_SIGMA), rng)
    err = REGISTRATION_MM * px_mm
    return [
        page.crop(tuple(round(v + rng.uniform(-err, err)) for v in rect))  # type: ignore[misc]
        for rect in rects
    ]


def scanned_cells(
    glyphs: list[tuple[str, Image.Image]], dpi: int, pen: str, seed: int
) -> tuple[list[Image.Image], list[str]]:
    """Every glyph once, in 3-cell boxes whose unused leading cells hold "X" (or, one box in
    eight, stay blank): the cells and their truth."""
    rng = random.Random(f"digits/{dpi}/{pen}/{seed}")
    crops: list[Image.Image] = []
    truth: list[str] = []
    queue = list(glyphs)
    while queue:
        used = min(len(queue), rng.choice((1, 2, 2, 3, 3, 3)))
        filler = "blank" if rng.random() < 0.125 else "X"
        row: list[tuple[str, Image.Image | None]] = [(filler, None)] * (CELLS - used)
        row += [queue.pop(0) for _ in range(used)]
        crops += scanned_box(row, dpi, pen, rng)
        truth += [label for label, _ in row]
    return crops, truth


def _peak_rss(cells: list[Image.Image]) -> float:
    """MB: a fresh process that loads the model and reads one sheet (60 cells)."""
    with tempfile.TemporaryDirectory() as tmp:
        for i, c in enumerate(cells[:60]):
            c.save(f"{tmp}/{i:02d}.png")
        code = (
            "import glob, sys\n"
            f"sys.path.insert(0, {str(ROOT)!r})\n"
            "from PIL import Image\n"
            "from kiosk.reader.digits import classify\n"
            f"cells = [Image.open(p) for p in sorted(glob.glob({tmp!r} + '/*.png'))]\n"
            "classify(cells)\n"
            # VmHWM, not ru_maxrss: the latter keeps the forking parent's peak across exec.
            "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        return int(out.stdout.split()[-1]) / 1024


def _timing(cells: list[Image.Image]) -> None:
    from kiosk.reader import digits
    from kiosk.reader.cell_image import cell_features

    sheet = cells[:60]
    digits.classify(sheet)  # warm: model loaded, OpenCV imported
    model = digits.model()
    feats = cell_features(sheet)
    full, bare = [], []
    for _ in range(15):
        t = time.perf_counter()
        digits.classify(sheet)
        full.append(time.perf_counter() - t)
        t = time.perf_counter()
        model.probabilities(feats)
        bare.append(time.perf_counter() - t)
    f, b = sorted(full)[7], sorted(bare)[7]
    print(
        f"time for 60 cells (a sheet): classify {f * 1000:.1f} ms ({f / 60 * 1000:.2f} ms/cell); "
        f"bare minimum (the network on ready features) {b * 1000:.2f} ms; ratio {f / b:.0f}x"
    )


def _calibration(confidence: list[tuple[float, bool]]) -> None:
    """How far the top probability is from the share of readings that are right (ECE, 10
    bins), and how right the confident and the unsure readings are."""
    bins: dict[int, list[tuple[float, bool]]] = collections.defaultdict(list)
    for p, ok in confidence:
        bins[min(9, int(p * 10))].append((p, ok))
    ece = sum(abs(sum(p for p, _ in b) - sum(ok for _, ok in b)) for b in bins.values()) / len(
        confidence
    )
    sure = [ok for p, ok in confidence if p >= 0.9]
    unsure = [ok for p, ok in confidence if p < 0.9]
    print(
        f"calibration: ECE {ece:.3f}; top p >= 0.9: {len(sure)} cells, "
        f"{sum(sure) / max(1, len(sure)):.2%} right; "
        f"below: {len(unsure)} cells, {sum(unsure) / max(1, len(unsure)):.2%} right"
    )


def corpus_hand() -> None:
    """Another hand than MNIST's: the realistic corpus's own strokes (drivers.scanner.
    handwriting), each digit cut as a cell of its box's height around it. Its numbers are
    written across the box, not in cells, so a neighbour's stroke can reach into the cut."""
    from drivers.scanner.realistic import realistic_page
    from kiosk.reader.digits import classify

    right = total = 0
    confusions: collections.Counter[tuple[str, str]] = collections.Counter()
    pages = [
        (s, d, p, n)
        for n, s in enumerate(("PPWP", "DPR", "DPD"))
        for d in (200, 300)
        for p in ("ballpoint", "pencil")
    ]
    for sheet, dpi, pen, seed in pages:
        img, numbers = realistic_page(sheet, dpi, False, pen, seed)
        cells, truth = [], []
        for number in numbers:
            _, by0, _, by1 = number.box_rect
            for ch, (x0, _, x1, _) in number.digits:
                half = (by1 - by0) * 0.62
                cx = (x0 + x1) / 2
                cells.append(img.crop((round(cx - half), by0, round(cx + half), by1)))
                truth.append(ch)
        for reading, label in zip(classify(cells), truth, strict=True):
            total += 1
            right += reading.label == label
            if reading.label != label:
                confusions[label, reading.label] += 1
    common = ", ".join(f'"{a}" as "{b}" {n}' for (a, b), n in confusions.most_common(4))
    print(f"the corpus's own hand (not MNIST): {right / total:.2%} of {total} digits; {common}")


def main() -> None:
    parser = argparse.ArgumentParser(description="digit-cell reader on held-out glyphs")
    parser.add_argument("--glyphs", type=int, default=1000, help="held-out glyphs per run")
    args = parser.parse_args()
    from kiosk.reader.digits import classify

    glyphs = heldout_glyphs()[: args.glyphs]
    rng = random.Random(0)
    rng.shuffle(glyphs)  # boxes mix classes
    confusions: collections.Counter[tuple[str, str]] = collections.Counter()
    total = collections.Counter[str]()
    right = collections.Counter[str]()
    sample: list[Image.Image] = []
    confidence: list[tuple[float, bool]] = []
    print(
        f"{'dpi':>4} {'pen':<10} {'digits':>7} {'X':>7} {'blank':>7} {'top-3':>7} "
        f"{'mean p':>7} cells"
    )
    for dpi in (200, 300):
        for pen in ("ballpoint", "pencil"):
            cells, truth = scanned_cells(glyphs, dpi, pen, seed=1)
            sample = sample or cells
            readings = classify(cells)
            kinds = collections.Counter[str]()
            hits = collections.Counter[str]()
            top3 = psum = 0.0
            for reading, label in zip(readings, truth, strict=True):
                kind = label if label in ("X", "blank") else "digit"
                kinds[kind] += 1
                hits[kind] += reading.label == label
                top3 += label in (r[0] for r in reading.top)
                psum += reading.probability
                confidence.append((reading.probability, reading.label == label))
                if reading.label != label:
                    confusions[label, reading.label] += 1
            for k in kinds:
                total[k] += kinds[k]
                right[k] += hits[k]
            acc = {k: hits[k] / kinds[k] if kinds[k] else math.nan for k in ("digit", "X", "blank")}
            print(
                f"{dpi:>4} {pen:<10} {acc['digit']:>7.2%} {acc['X']:>7.2%} {acc['blank']:>7.2%} "
                f"{top3 / len(truth):>7.2%} {psum / len(truth):>7.2%} {len(truth)}"
            )
    print(
        "all: "
        + ", ".join(f"{k} {right[k] / total[k]:.2%} of {total[k]}" for k in ("digit", "X", "blank"))
    )
    print(
        "most frequent confusions (truth read as reading): "
        + ", ".join(f'"{a}" as "{b}" {n}' for (a, b), n in confusions.most_common(10))
        or "none"
    )
    _calibration(confidence)
    corpus_hand()
    _timing(sample)
    print(
        f"peak RSS of a process reading one sheet: {_peak_rss(sample):.0f} MB "
        "(goal for the whole reader <= 150 MB)"
    )
    print(json.dumps({"digit_accuracy": right["digit"] / total["digit"]}))


def glyph_cells(n: int, dpi: int, pen: str, seed: int) -> tuple[list[Any], list[str]]:
    """The first ``n`` held-out glyphs as scanned cells (for tests)."""
    return scanned_cells(heldout_glyphs()[:n], dpi, pen, seed)


if __name__ == "__main__":
    main()
