"""Compare the paper's reading of a sheet with the numbers the KPPS typed.

The third reader is advisory: it never fills or changes a typed number. ``compare`` only says
which boxes differ, and whether the paper's reading is sure enough to say so ("differs") or
not ("unsure"). Pure Python: the web app imports it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kiosk.reader.decode import SheetReading

# Below this the paper's reading is "unsure", never a disagreement. From
# bench/reader_bench.py (120 corpus pages, seed 1000): at 0.9, 99.8 % of one-box typing slips
# flagged and 0.008 false alarms a sheet; 0.5 gives 0.025 false alarms, 0.99 flags 99.5 %.
CONFIDENT = 0.9
# A box the rules read as typed while its cells alone say another number at least this surely:
# the paper itself may not add up there (a slip on the paper, not in the typing). From
# bench/sheet_bench.py (48 held-out sheets, 8 seeds, one box slipped on each paper; the
# cell-v3 model): 0.9 flags 89.6 % of paper slips at 0.229 alarms on an agreeing sheet, 0.95
# 89.6 % at 0.188, 0.97 89.6 % at 0.125, 0.999 66.7 % at 0.021; without it 56 % were flagged.
RAW_CONFIDENT = 0.97


@dataclass(frozen=True)
class Disagreement:
    """A box where the paper's reading and the typed number differ. ``kind`` "differs": the
    paper is read with at least ``CONFIDENT`` confidence; "unsure": the paper's reading is not
    certain enough to say ("Kertas: 84 · Diketik: 884" only for "differs"); "paper_sums": the
    rules read the box as typed, but its cells alone surely say ``paper`` — what is written
    there does not add up with the rest of the paper."""

    box: str
    paper: int | None
    typed: int
    confidence: float
    kind: str


def compare(
    reading: SheetReading,
    typed: Mapping[str, int],
    threshold: float = CONFIDENT,
    raw_threshold: float = RAW_CONFIDENT,
) -> list[Disagreement]:
    """Each box whose paper value differs from the typed number, in the form's order; boxes the
    entry lacks are passed over."""
    out = []
    for b in reading.boxes:
        if b.box not in typed:
            continue
        entered = typed[b.box]
        if b.value != entered:
            kind = "differs" if b.value is not None and b.confidence >= threshold else "unsure"
            out.append(Disagreement(b.box, b.value, entered, b.confidence, kind))
        elif b.raw is not None and b.raw != entered and b.raw_confidence >= raw_threshold:
            # The decoder chose the sheet that adds up, which agrees with the typing; the
            # cells say otherwise: a slip on the paper, which the Ketua should see too.
            out.append(Disagreement(b.box, b.raw, entered, b.raw_confidence, "paper_sums"))
    return out
