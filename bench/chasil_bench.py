"""C.Hasil benchmarks (issue 4), each as a ratio to the bare minimum the work needs.

One copy rendered for ESC/POS (page scaled to 576 dots + footer + QR, encoded to bytes) and
   for PDF (fpdf2 page + footer + QR) against python-escpos's own image print of the same page.

The page pipeline (archival file and rendition of realistic scans against the bare minimum)
is bench/page_bench.py.

Run: .venv/bin/python bench/chasil_bench.py  (prints seconds per operation and the ratios)
"""

from __future__ import annotations

import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path

from escpos.printer import Dummy
from timing import timed_runs  # bench/timing.py

from drivers.printer.escpos_adapter import encode_image
from drivers.scanner import ScanRequest
from drivers.scanner.fake import FakeScanner
from kiosk.chasil.copies import CopyLabel, copy_pdf, copy_receipt_image, thermal_pages
from kiosk.chasil.signing import Document
from kiosk.profile import parse_profile
from kiosk.tps import SAMPLE_PROFILE

REPEAT = 7


def timed(fn: Callable[[], object], repeat: int = REPEAT) -> float:
    """Median seconds of ``repeat`` runs after one warm-up."""
    return statistics.median(timed_runs(fn, repeat))


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="tps-bench-") as tmp:
        run(Path(tmp))


def run(work: Path) -> None:
    page = next(iter(FakeScanner().scan(ScanRequest(dpi=300))))  # 2480 x 3507 grey
    profile = parse_profile(SAMPLE_PROFILE.read_text())

    png = work / "page.png"
    page.save(png, format="PNG", dpi=(300, 300))
    import img2pdf

    (work / "document.pdf").write_bytes(img2pdf.convert([png.read_bytes()]))
    doc = Document(1, "PPWP", work, "ab" * 32, 1, False)
    thermal = thermal_pages([(png, 0.0)], 576)  # once per print run, shared by all K copies
    label = CopyLabel(1, 5, "Pengawas TPS", "14-02-2024 15:00", False)

    def escpos_own() -> None:
        scaled = page.resize((576, round(page.height * 576 / page.width)))
        printer = Dummy(profile="TM-T20II")
        printer.image(scaled, impl="bitImageRaster")

    def kiosk_escpos() -> None:
        encode_image(copy_receipt_image(profile, doc, thermal, label, 576), "TM-T20II")

    def kiosk_pdf() -> None:
        copy_pdf(profile, doc, label)

    t_own, t_esc, t_pdf = timed(escpos_own), timed(kiosk_escpos), timed(kiosk_pdf)
    print(
        f"one copy: python-escpos image print {t_own * 1000:.1f} ms; kiosk ESC/POS copy "
        f"{t_esc * 1000:.1f} ms, ratio {t_esc / t_own:.2f}; kiosk PDF copy "
        f"{t_pdf * 1000:.1f} ms, ratio {t_pdf / t_own:.2f} (goal <= 1.1)"
    )


if __name__ == "__main__":
    main()
