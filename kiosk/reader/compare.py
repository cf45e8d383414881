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


@dataclass(frozen=True)
class Disagreement:
    """A box where the paper's reading and the typed number differ. ``kind`` "differs": the
    paper is read with at least ``CONFIDENT`` confidence; "unsure": the paper's reading is not
    certain enough to say ("Kertas: 84 · Diketik: 884" only for "differs")."""

    box: str
    paper: int | None
    typed: int
    confidence: float
    kind: str


def compare(
    reading: SheetReading, typed: Mapping[str, int], threshold: float = CONFIDENT
) -> list[Disagreement]:
    """Each box whose paper value differs from the typed number, in the form's order; boxes the
    entry lacks are passed over."""
    out = []
    for b in reading.boxes:
        if b.box not in typed or b.value == typed[b.box]:
            continue
        kind = "differs" if b.value is not None and b.confidence >= threshold else "unsure"
        out.append(Disagreement(b.box, b.value, typed[b.box], b.confidence, kind))
    return out
