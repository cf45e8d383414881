"""Read a whole C.Hasil sheet as the most likely set of numbers that satisfies its arithmetic.

The advisory third reader of issue 18: every digit cell of a registered scan has its top
readings (kiosk.reader.digits.CellReading); this module turns them into one number per box and
then picks, over the whole sheet, the combination that satisfies the blocking sums 1-7 of
kiosk/chasil/checks.py (kiosk.reader.rules) and is most likely under the cells' probabilities.
The reader never fills or changes a typed number: kiosk.reader.compare only says where the
paper and the entry differ.

1. **A box's values**: its cells' readings (each cell's top three, and every other label with
   the probability the top leaves) are parsed the way a KPPS writes a number: unused leading
   cells "X" (or left blank), then the digits with no gap. An X or blank after a digit, or a
   leading zero before another digit, is not a number and is dropped. Readings giving the same
   number add up; the ``K`` most likely numbers are kept with their log-probability (sum of
   the cells' logs). A box all X or blank with probability ``EMPTY_P`` holds no number: its
   value is None and the rules through it are left out.
2. **The sheet**: boxes linked by a rule form a group (in practice the A row, the D row, and
   everything else through B4.J = SS2 = U). Each group is searched depth first with branch and
   bound: boxes in an order where each rule's last box is *forced* by the others (its value is
   computed and must be one of its candidates), so only the rule's other boxes are branched on;
   a branch is cut when its score plus the best of every box still open cannot come within
   ``MARGIN`` of the best complete sheet found, nor above the *slipped paper*: the boxes' raw
   best readings taken as what the KPPS wrote, ``SLIP_COST`` below them for each rule they
   break (a paper with one slip is not "corrected" by many unlikely readings; raw readings that
   break ten rules are the reader's errors, not ten slips).
   Cost: ``K`` ** (free boxes) in the worst case, bounded by ``MAX_NODES`` per group; in
   practice 100-300 nodes, about 2 ms a sheet, whether or not the paper adds up. Every
   consistent sheet within ``MARGIN`` (a likelihood ratio of e**MARGIN) is kept, so a box's
   confidence is its decoded value's share of those sheets' probability (and of one more
   hypothesis: the slipped paper).
3. **No consistent sheet** in a group: its boxes keep their best reading, the rules they break
   are listed, and the confidence is the reading's share of its box's candidates.

Pure Python, no numpy: the web app may import it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from kiosk.reader.rules import Rule, sheet_rules

log = logging.getLogger(__name__)

K = 16  # values kept per box
MARGIN = 9.0  # log-probability below the best sheet still counted (e**9 ~ 8,100 times less)
SLIP_COST = 10.0  # a paper breaking a rule: e**10 ~ 22,000 times less likely than one adding up
MAX_NODES = 200_000  # per group of boxes: a bound on the search, reached only by nonsense
MAX_SHEETS = 2_000  # consistent sheets kept per group for the confidences
MIN_CELL_P = 1e-6  # a reading of probability 0 is still possible: log of this instead
EMPTY_P = 0.9  # a box this likely all X or blank holds no number
BEAM = 64  # prefixes kept while a box's cells are read left to right
LABELS = ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "X", "blank")  # digits.LABELS


class CellLike(Protocol):
    """What kiosk.reader.digits.classify returns per cell: (label, probability) pairs, most
    likely first; labels "0".."9", "X", "blank"."""

    @property
    def top(self) -> tuple[tuple[str, float], ...]: ...


def box_values(cells: Sequence[CellLike], k: int = K) -> list[tuple[int, float]]:
    """The ``k`` most likely numbers a box's cells spell, with their log-probabilities, most
    likely first (empty when no reading is a number).

    A cell's labels beyond its top readings share what probability the top leaves (at least
    ``MIN_CELL_P`` each): a digit the model ranked fourth is unlikely, not impossible, so the
    rules can still bring it back. Cells are read left to right keeping the ``BEAM`` best
    prefixes; a prefix is the digits so far ("" while the cells are X or blank), so two
    spellings of one number (X62, blank-62) merge as they go and nonsense (6X2, 062) is
    dropped at once."""
    beam: dict[str, float] = {"": 0.0}
    for cell in cells:
        options = _cell_options(cell)
        grown: dict[str, float] = {}
        for prefix, lp in beam.items():
            for label, cell_lp in options:
                if label in ("X", "blank"):
                    if prefix:
                        continue  # an X or a gap after a digit: not a number
                    key = ""
                elif prefix == "0":
                    continue  # a leading zero before another digit
                else:
                    key = prefix + label
                old = grown.get(key)
                grown[key] = lp + cell_lp if old is None else _logaddexp(old, lp + cell_lp)
        beam = dict(sorted(grown.items(), key=lambda item: -item[1])[:BEAM])
    ranked = sorted(((int(d), lp) for d, lp in beam.items() if d), key=lambda v: (-v[1], v[0]))
    return ranked[:k]


def _cell_options(cell: CellLike) -> list[tuple[str, float]]:
    listed = {label: p for label, p in cell.top}
    unlisted = [label for label in LABELS if label not in listed]
    rest = max(1.0 - sum(listed.values()), 0.0) / max(len(unlisted), 1)
    return [(label, math.log(max(listed.get(label, rest), MIN_CELL_P))) for label in LABELS]


def _empty(cells: Sequence[CellLike]) -> float:
    """The probability that every cell is X or blank."""
    return math.prod(sum(p for label, p in c.top if label in ("X", "blank")) for c in cells)


def _logaddexp(a: float, b: float) -> float:
    hi, lo = max(a, b), min(a, b)
    return hi + math.log1p(math.exp(lo - hi))


@dataclass(frozen=True)
class BoxReading:
    """One box as the paper shows it: ``value`` after the rules, ``raw`` the best reading of
    its cells alone; confidences are probabilities in [0, 1]."""

    box: str
    value: int | None
    confidence: float
    raw: int | None
    raw_confidence: float
    changed: bool  # the rules chose another value than the raw best reading
    candidates: tuple[tuple[int, float], ...]  # the box's values with their share, best first


@dataclass(frozen=True)
class BrokenRule:
    rule: int
    boxes: tuple[str, ...]


@dataclass(frozen=True)
class SheetReading:
    """A sheet read by the third reader. ``consistent``: the decoded values satisfy every
    rule 1-7 that applies; otherwise ``broken`` lists the rules they break."""

    boxes: tuple[BoxReading, ...]  # in the form's order
    consistent: bool
    broken: tuple[BrokenRule, ...] = ()
    nodes: int = 0  # search nodes visited, over all groups
    complete: bool = True  # False when a group hit MAX_NODES: the best found, not proven best

    def __getitem__(self, box: str) -> BoxReading:
        for b in self.boxes:
            if b.box == box:
                return b
        raise KeyError(box)

    def values(self) -> dict[str, int | None]:
        return {b.box: b.value for b in self.boxes}

    def as_manifest(self) -> dict[str, Any]:
        """Plain JSON-able data for the signed manifest (probabilities rounded to 4 places)."""
        return {
            "consistent": self.consistent,
            "complete": self.complete,
            "broken": [{"rule": r.rule, "boxes": list(r.boxes)} for r in self.broken],
            "boxes": [
                {
                    "box": b.box,
                    "value": b.value,
                    "confidence": round(b.confidence, 4),
                    "raw": b.raw,
                    "raw_confidence": round(b.raw_confidence, 4),
                    "changed": b.changed,
                }
                for b in self.boxes
            ],
        }


def read_cells(cells: Mapping[str, Sequence[Any]]) -> dict[str, list[CellLike]]:
    """Each box's cells (crops.Cut.cells: box -> grey crops, left to right) read by the
    digit model in one batch: what ``decode`` takes."""
    from kiosk.reader.digits import classify

    flat = [crop for crops in cells.values() for crop in crops]
    readings = iter(classify(flat))
    return {box: [next(readings) for _ in crops] for box, crops in cells.items()}


def decode(readings: Mapping[str, Sequence[CellLike]], k: int = K) -> SheetReading:
    """The sheet's most likely numbers under rules 1-7, from each box's cell readings (box name
    -> its cells left to right, in the form's order, as crops.cut and digits.classify give
    them)."""
    cands = {box: box_values(cells, k) for box, cells in readings.items()}
    for box, cells in readings.items():
        if _empty(cells) >= EMPTY_P:
            cands[box] = []  # no digit written: the rules must not invent one
    known = [b for b, c in cands.items() if c]
    rules = sheet_rules(known)
    shares = {b: _shares(c) for b, c in cands.items()}
    chosen: dict[str, tuple[int | None, float]] = {
        b: ((c[0][0], shares[b][0][1]) if c else (None, 0.0)) for b, c in cands.items()
    }
    broken: list[BrokenRule] = []
    nodes, complete = 0, True
    for group_boxes, group_rules in _groups(known, rules):
        search = _Search(group_boxes, group_rules, cands)
        search.run()
        nodes += search.nodes
        complete = complete and search.nodes < MAX_NODES
        if not search.sheets:
            best = {b: cands[b][0][0] for b in group_boxes}
            broken += [BrokenRule(r.number, r.boxes) for r in group_rules if not r.holds(best)]
            continue
        chosen.update(search.posterior())
    if broken:
        log.info("no consistent reading: rules %s broken", sorted({r.rule for r in broken}))
    out = []
    for box, c in cands.items():
        value, conf = chosen[box]
        raw = c[0][0] if c else None
        raw_conf = shares[box][0][1] if c else 0.0
        out.append(BoxReading(box, value, conf, raw, raw_conf, value != raw, tuple(shares[box])))
    return SheetReading(tuple(out), not broken, tuple(broken), nodes, complete)


def _shares(cands: list[tuple[int, float]]) -> list[tuple[int, float]]:
    if not cands:
        return []
    top = cands[0][1]
    weights = [(v, math.exp(lp - top)) for v, lp in cands]
    total = sum(w for _, w in weights)
    return [(v, w / total) for v, w in weights]


def _groups(boxes: list[str], rules: list[Rule]) -> list[tuple[list[str], list[Rule]]]:
    """Boxes linked by rules, each group with its rules; a box in no rule is left out."""
    parent = {b: b for b in boxes}

    def root(b: str) -> str:
        while parent[b] != b:
            parent[b] = parent[parent[b]]
            b = parent[b]
        return b

    for rule in rules:
        first = root(rule.boxes[0])
        for b in rule.boxes[1:]:
            parent[root(b)] = first
    groups: dict[str, tuple[list[str], list[Rule]]] = {}
    for rule in rules:
        groups.setdefault(root(rule.boxes[0]), ([], []))[1].append(rule)
    for b in boxes:
        if root(b) in groups:
            groups[root(b)][0].append(b)
    return list(groups.values())


class _Search:
    """Depth-first branch and bound over one group (see the module's docstring)."""

    def __init__(
        self, boxes: list[str], rules: list[Rule], cands: Mapping[str, list[tuple[int, float]]]
    ) -> None:
        self.cands = {b: cands[b] for b in boxes}
        self.lookup = {b: dict(cands[b]) for b in boxes}
        self.order, self.forcer, self.closing = _plan(boxes, rules, self.cands)
        best = [self.cands[b][0][1] for b in self.order]
        self.rest = [sum(best[i:]) for i in range(len(best) + 1)]
        self.values: dict[str, int] = {}
        self.sheets: list[tuple[float, dict[str, int]]] = []
        self.best = -math.inf
        raw = {b: c[0][0] for b, c in self.cands.items()}
        slips = sum(not r.holds(raw) for r in rules)
        self.floor = self.rest[0] - SLIP_COST * max(slips, 1)
        self.nodes = 0

    def run(self) -> None:
        self._visit(0, 0.0)

    def _visit(self, i: int, score: float) -> None:
        if self.nodes >= MAX_NODES:
            return
        self.nodes += 1
        if i == len(self.order):
            self._record(score)
            return
        box = self.order[i]
        rule = self.forcer[i]
        if rule is not None:
            coef = dict(rule.terms)[box]
            rest = sum(c * self.values[b] for b, c in rule.terms if b != box)
            if rest % coef:
                return
            value = -rest // coef
            lp = self.lookup[box].get(value)
            if lp is None:
                return
            self._try(i, box, value, score + lp)
            return
        for value, lp in self.cands[box]:
            if score + lp + self.rest[i + 1] < self.bound:
                break  # candidates are best first: every later one is cut too
            self._try(i, box, value, score + lp)

    def _try(self, i: int, box: str, value: int, score: float) -> None:
        if score + self.rest[i + 1] < self.bound:
            return
        self.values[box] = value
        if all(r.holds(self.values) for r in self.closing[i]):
            self._visit(i + 1, score)
        del self.values[box]

    @property
    def bound(self) -> float:
        """The least score a complete sheet must reach to be kept."""
        return max(self.best - MARGIN, self.floor)

    def _record(self, score: float) -> None:
        self.best = max(self.best, score)
        self.sheets.append((score, dict(self.values)))
        if len(self.sheets) > 2 * MAX_SHEETS:
            self.sheets.sort(key=lambda s: -s[0])
            del self.sheets[MAX_SHEETS:]

    def posterior(self) -> dict[str, tuple[int | None, float]]:
        """Each box's value in the best sheet and that value's share of the sheets kept, beside
        one more hypothesis: the paper does not add up (a KPPS slip, a digit the reader never
        ranked) and every box is its raw best reading, ``SLIP_COST`` below the raw readings for
        each rule they break. So a box the rules changed at a cost near that is not
        confidently changed."""
        kept = [(s, v) for s, v in self.sheets if s >= self.bound]
        kept.sort(key=lambda s: -s[0])
        best_values = kept[0][1]
        raw = {b: c[0][0] for b, c in self.cands.items()}
        weights = [(math.exp(s - self.best), v) for s, v in kept]
        weights.append((math.exp(self.floor - self.best), raw))
        total = sum(w for w, _ in weights)
        return {
            box: (value, sum(w for w, v in weights if v[box] == value) / total)
            for box, value in best_values.items()
        }


def _plan(
    boxes: list[str], rules: list[Rule], cands: Mapping[str, list[tuple[int, float]]]
) -> tuple[list[str], list[Rule | None], list[list[Rule]]]:
    """The search order: after each box branched on, every rule left with one open box forces
    it. Branch first on the box in the rule closest to closing (fewest candidates, then the
    form's order). Returns the order, the rule forcing each position (None: branched), and
    the rules closed at each position (checked there)."""
    open_boxes = list(boxes)
    assigned: set[str] = set()
    order: list[str] = []
    forcer: list[Rule | None] = []

    def place(box: str, rule: Rule | None) -> None:
        order.append(box)
        forcer.append(rule)
        assigned.add(box)
        open_boxes.remove(box)

    while open_boxes:
        forced = next(
            (
                (r, next(b for b in r.boxes if b not in assigned))
                for r in rules
                if sum(b not in assigned for b in r.boxes) == 1
            ),
            None,
        )
        if forced is not None:
            place(forced[1], forced[0])
            continue

        def openness(b: str) -> tuple[int, int, int]:
            left = [sum(x not in assigned for x in r.boxes) for r in rules if b in r.boxes]
            return (min(left, default=99), len(cands[b]), boxes.index(b))

        place(min(open_boxes, key=openness), None)
    position = {b: i for i, b in enumerate(order)}
    closing: list[list[Rule]] = [[] for _ in order]
    for r in rules:
        closing[max(position[b] for b in r.boxes)].append(r)
    return order, forcer, closing
