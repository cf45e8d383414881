"""The C.Hasil's blocking sums 1-7 (kiosk/chasil/checks.py) as linear equations over boxes.

The sheet decoder (kiosk.reader.decode) searches for the reading that satisfies them. Pure
Python: the web app imports it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

_VOTER_ROWS = ("A", "B1", "B2", "B3", "B4", "D")
_VOTE_BOX = re.compile(r"(V\.\d+|P\.\d+(\.\d+)?)\Z")


@dataclass(frozen=True)
class Rule:
    """One blocking sum of checks.py as a linear equation: sum(coef * box) == 0."""

    number: int
    terms: tuple[tuple[str, int], ...]

    @property
    def boxes(self) -> tuple[str, ...]:
        return tuple(b for b, _ in self.terms)

    def holds(self, values: Mapping[str, int]) -> bool:
        return sum(c * values[b] for b, c in self.terms) == 0


def sheet_rules(boxes: Iterable[str]) -> list[Rule]:
    """Rules 1-7 of kiosk/chasil/checks.py over a sheet with ``boxes`` (the vote boxes are the
    ``V.i`` or ``P.i``/``P.i.j`` among them). A rule one of whose boxes the sheet lacks is left
    out, as checks.py skips it."""
    have = list(boxes)
    present = set(have)
    rules: list[Rule] = []

    def add(number: int, plus: Sequence[str], minus: Sequence[str]) -> None:
        terms = tuple((b, 1) for b in plus) + tuple((b, -1) for b in minus)
        if all(b in present for b, _ in terms):
            rules.append(Rule(number, terms))

    for row in _VOTER_ROWS:
        add(1, (f"{row}.L", f"{row}.P"), (f"{row}.J",))
    for col in "LPJ":
        add(2, (f"B1.{col}", f"B2.{col}", f"B3.{col}"), (f"B4.{col}",))
    add(3, ("SS2", "SS3", "SS4"), ("SS1",))
    add(4, ("B4.J",), ("SS2",))
    votes = [b for b in have if _VOTE_BOX.match(b)]
    if votes:
        add(5, votes, ("S",))
    add(6, ("S", "T"), ("U",))
    add(7, ("SS2",), ("U",))
    return rules
