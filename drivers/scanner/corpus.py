"""A realistic scan corpus on disk: N pages as PNG plus ``corpus.json`` with the ground truth.

The pages cycle through every variant a TPS produces (200 and 300 dpi, grey and colour,
ballpoint and pencil) and the three sample sheets, so any 8 consecutive pages cover each variant
once. ``crops/`` holds, for each page, the numbers with the smallest digits cut out at 100 %
(with a margin), to check by eye that a rendition keeps them legible.

The corpus's digits are the stroke skeletons of handwriting.py (``CORPUS_HAND``), not the
fake scanner's held-out MNIST glyphs: the page benches measure bytes and legibility on the same
pages as before, and the reader meets a second hand, with flagged 1s and pencil pressure, that
its training data (MNIST) does not have; the held-out glyph pages are bench/sheet_bench.py's.

Run ``scripts/scan-corpus OUT_DIR [--pages N] [--seed S]``. Used by bench/ and the page
pipeline's tests; figures (bytes, timings) are theirs to measure.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import logging
import sys
import time
from dataclasses import asdict
from pathlib import Path

from drivers.scanner.realistic import RealisticPage, WrittenNumber, render_realistic
from drivers.scanner.sample_pages import SAMPLE_SHEETS
from drivers.scanner.writing import CORPUS_HAND

log = logging.getLogger(__name__)

VARIANTS: tuple[tuple[int, bool, str], ...] = tuple(
    itertools.product((300, 200), (False, True), ("ballpoint", "pencil"))
)  # (dpi, colour, pen)
CROP_MARGIN_MM = 3.0


def variant_name(page: RealisticPage) -> str:
    return f"{page.sheet}-{page.dpi}dpi-{'colour' if page.colour else 'grey'}-{page.pen}"


def corpus_page(index: int, seed: int = 0, hand: str = CORPUS_HAND) -> RealisticPage:
    """Page ``index`` of the corpus with base ``seed``: its variant and sheet follow the index."""
    dpi, colour, pen = VARIANTS[index % len(VARIANTS)]
    sheet = SAMPLE_SHEETS[index % len(SAMPLE_SHEETS)]
    return render_realistic(sheet, dpi, colour=colour, pen=pen, seed=seed + index, hand=hand)


def smallest(numbers: tuple[WrittenNumber, ...], count: int) -> list[WrittenNumber]:
    """The ``count`` numbers whose smallest digit is smallest on the page (ties: form order)."""
    return sorted(numbers, key=lambda n: n.digit_height_px)[:count]


def _truth(page: RealisticPage, file: str, digest: str) -> dict[str, object]:
    return {
        "file": file,
        "sha256": digest,
        "sheet": page.sheet,
        "dpi": page.dpi,
        "colour": page.colour,
        "pen": page.pen,
        "seed": page.seed,
        "size": list(page.image.size),
        "skew_deg": round(page.skew_deg, 4),
        "noise_sigma": round(page.noise_sigma, 3),
        "numbers": [
            {**asdict(n), "digits": [{"char": c, "bbox": list(b)} for c, b in n.digits]}
            for n in page.numbers
        ],
    }


def write_corpus(out: Path, pages: int, seed: int = 0, crops_per_page: int = 3) -> Path:
    """Write ``pages`` realistic pages, their crops and ``corpus.json`` into ``out``; return the
    JSON's path. PNG at compression level 1: lossless like any level, and 5x faster on noise."""
    (out / "crops").mkdir(parents=True, exist_ok=True)
    entries = []
    for i in range(pages):
        started = time.perf_counter()
        page = corpus_page(i, seed)
        file = f"{i:03d}-{variant_name(page)}.png"
        page.image.save(out / file, format="PNG", compress_level=1, dpi=(page.dpi, page.dpi))
        digest = hashlib.sha256((out / file).read_bytes()).hexdigest()
        margin = round(CROP_MARGIN_MM * page.dpi / 25.4)
        for n in smallest(page.numbers, crops_per_page):
            x0, y0, x1, y1 = n.bbox
            crop = page.image.crop((x0 - margin, y0 - margin, x1 + margin, y1 + margin))
            crop.save(out / "crops" / f"{i:03d}-{variant_name(page)}-{n.box}.png")
        entries.append(_truth(page, file, digest))
        log.info("%s in %.2f s", file, time.perf_counter() - started)
    path = out / "corpus.json"
    path.write_text(json.dumps({"seed": seed, "pages": entries}, indent=1) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scan-corpus", description=__doc__)
    parser.add_argument("out", type=Path, help="directory to write (created if missing)")
    parser.add_argument("--pages", type=int, default=len(VARIANTS), help="how many pages")
    parser.add_argument("--seed", type=int, default=0, help="base seed (same seed, same bytes)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    path = write_corpus(args.out, args.pages, args.seed)
    sys.stdout.write(f"{path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
