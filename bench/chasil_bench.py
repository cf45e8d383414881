"""C.Hasil benchmarks (issue 4), each as a ratio to the bare minimum the work needs.

1. A scanned A4 page at 300 dpi kept as a durable, hashed page (PNG encode, SHA-256, fsync,
   rename, directory fsync, SQLite row) against bare Pillow PNG encode + sha256 + write + fsync.
2. One copy rendered for ESC/POS (page scaled to 576 dots + footer + QR, encoded to bytes) and
   for PDF (fpdf2 page + footer + QR) against python-escpos's own image print of the same page.

Run: .venv/bin/python bench/chasil_bench.py  (prints seconds per operation and the ratios)
"""

from __future__ import annotations

import hashlib
import io
import os
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path

from escpos.printer import Dummy
from timing import timed_runs  # bench/timing.py

from drivers.printer.escpos_adapter import encode_image
from drivers.scanner import ScanRequest
from drivers.scanner.fake import FakeScanner
from kiosk.audit import AuditLog
from kiosk.chasil.copies import CopyLabel, copy_pdf, copy_receipt_image, thermal_pages
from kiosk.chasil.pages import ScannedPages
from kiosk.chasil.signing import Document
from kiosk.clock import SystemClock
from kiosk.db import Database
from kiosk.profile import parse_profile
from kiosk.roles import Role
from kiosk.services.auth import ActiveSession, OfficerInfo
from kiosk.tps import SAMPLE_PROFILE

REPEAT = 7


def timed(fn: Callable[[], object], repeat: int = REPEAT) -> float:
    """Median seconds of ``repeat`` runs after one warm-up."""
    return statistics.median(timed_runs(fn, repeat))


def main() -> None:
    page = next(iter(FakeScanner().scan(ScanRequest(dpi=300))))  # 2480 x 3507 grey
    work = Path(tempfile.mkdtemp(prefix="tps-bench-"))
    db = Database(work / "k.sqlite3")
    db.migrate()
    profile = parse_profile(SAMPLE_PROFILE.read_text())
    store = ScannedPages(db, AuditLog(db, SystemClock()), SystemClock(), work / "documents", 300)
    who = ActiveSession("bench", OfficerInfo("kpps1", "Bench", Role.KETUA, None), None)

    count = iter(range(10**6))

    def bare() -> None:
        buf = io.BytesIO()
        page.save(buf, format="PNG", dpi=(300, 300))
        data = buf.getvalue()
        hashlib.sha256(data).hexdigest()
        with open(work / f"bare-{next(count)}.png", "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())

    def kiosk_keep() -> None:
        store.keep("PPWP", page, who, None, "")

    t_bare, t_keep = timed(bare), timed(kiosk_keep)
    print(
        f"page 2480x3507 @300dpi: bare encode+sha256+fsync {t_bare * 1000:.1f} ms, "
        f"kiosk durable page {t_keep * 1000:.1f} ms, ratio {t_keep / t_bare:.2f} (goal <= 1.2)"
    )

    png = work / "page.png"
    page.save(png, format="PNG", dpi=(300, 300))
    import img2pdf

    (work / "document.pdf").write_bytes(img2pdf.convert([png.read_bytes()]))
    doc = Document(1, "PPWP", work, "ab" * 32, 1, False)
    thermal = thermal_pages([png], 576)  # once per print run, shared by all K copies
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
