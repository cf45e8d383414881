"""Which form is this page? The title reader (kiosk/chasil/identify.py) on the realistic corpus.

Every realistic page (drivers.scanner.realistic: PPWP, DPR and DPD sheets; 200 and 300 dpi;
ballpoint and pencil; skew, uneven light, sensor noise) is scanned for its own ballot and for
each other ballot, as a KPPS holding the wrong sheet would: the page must pass for its own ballot
and be held for every other (goal: 100 % of wrong-form pages held, no right page held). Beside
it, the time per page against the bare minimum of reading a title with Tesseract: one call on
the page's title band, made ready beforehand (the kiosk also cuts, reduces and turns the band,
matches the text, and reads a larger band when the first names no form); and Tesseract's CPU
time per page, which a busy machine does not distort as it does the wall time.

Run: .venv/bin/python bench/identify_bench.py [--pages N]  (N pages per ballot, default 8)
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from drivers.scanner.realistic import render_realistic, sheet_named
from kiosk.chasil.identify import TITLE_BANDS, form_problem, read_text, title_band
from kiosk.chasil.legibility import assess
from kiosk.forms import shipped_forms

BALLOTS = ("PPWP", "DPR", "DPD")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=8, help="pages per ballot")
    args = parser.parse_args()
    forms = shipped_forms()
    outcomes: Counter[str] = Counter()
    times: list[float] = []
    cpu: list[float] = []  # Tesseract's own (the children's) CPU seconds, user and system
    bare: list[float] = []
    for ballot in BALLOTS:
        for n in range(args.pages):
            dpi = (300, 200)[n % 2]
            pen = ("ballpoint", "pencil")[(n // 2) % 2]
            page = render_realistic(sheet_named(ballot), dpi, pen=pen, seed=100 + n).image
            skew = assess(page).skew_deg
            for asked in BALLOTS:
                started, cpu_before = time.perf_counter(), children_cpu_s()
                problem, form = form_problem(page, skew, dpi, asked, forms)
                times.append(time.perf_counter() - started)
                cpu.append(children_cpu_s() - cpu_before)
                if asked == ballot:
                    outcomes["right page passed" if not problem else "right page held"] += 1
                    if problem:
                        print(f"  held {ballot} {dpi} dpi {pen} seed {100 + n}: {problem}")
                else:
                    outcomes["wrong page held" if problem else "wrong page passed"] += 1
                    if not problem:
                        print(f"  passed {ballot}'s page as {asked}: read {form}")
            band = title_band(page, skew, dpi, TITLE_BANDS[0])
            started = time.perf_counter()
            read_text(band)
            bare.append(time.perf_counter() - started)
    right = outcomes["right page passed"] + outcomes["right page held"]
    wrong = outcomes["wrong page held"] + outcomes["wrong page passed"]
    print(f"pages {right} (each also scanned as the {len(BALLOTS) - 1} other ballots: {wrong})")
    print(
        f"wrong-form pages held {outcomes['wrong page held']}/{wrong} "
        f"({100 * outcomes['wrong page held'] / wrong:.1f} %, goal 100 %); right pages held "
        f"{outcomes['right page held']}/{right} (goal 0)"
    )
    median, worst = statistics.median(times), max(times)
    floor = statistics.median(bare)
    print(
        f"time per page: median {median * 1000:.0f} ms, max {worst * 1000:.0f} ms; bare "
        f"Tesseract call on the title band {floor * 1000:.0f} ms ({median / floor:.2f}x)"
    )
    print(
        f"Tesseract's CPU time per page: median {statistics.median(cpu) * 1000:.0f} ms, "
        f"max {max(cpu) * 1000:.0f} ms (what the 2 cores pay, whatever else runs beside)"
    )


def children_cpu_s() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


if __name__ == "__main__":
    main()
