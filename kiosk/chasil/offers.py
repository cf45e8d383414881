"""What the kiosk can offer for a C.Hasil box before it is typed, as pure functions.

Two kinds of offer (../shared/TOUCH.md, "offer what the kiosk already knows"):

- **known numbers**, fixed before typing starts: A from the profile's DPT, SS1 from the count at
  opening, SS3 and SS4 from the closing counts, and on a later ballot the voter rows that must
  equal the first confirmed ballot's (rule 14: A, B1 and B3). ``ChasilService.known`` gathers them.
- **sums**, offered once their parts are in the boxes: J = L + P, B4 = B1 + B2 + B3,
  SS2 = SS1 - SS3 - SS4, S = the sum of the votes, U = S + T.

An offer is never a value: the officer taps to accept it, and rules 1-16 check what was
accepted like anything typed. Every chain of offers leaves one count that is typed, not
derived, so a slip still shows: B4 (offered from B1..B3) meets SS2 (offered from the ballot
counts) at rule 4, and U (offered from the typed T and the votes' sum) meets SS2 at rule 7.
That is why T is never offered (SS2 - S would hide every slip in the votes).

The page gets the relations as JSON (``as_json``) and evaluates them as boxes change;
``sum_offers`` is the same evaluation here, for the check API and the tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kiosk.chasil.checks import BALLOT_BOXES, LPJ, VOTER_ROWS, Sheet

# The sections of the paper C.Hasil, in order (section III is the form's signatures: no numbers).
SECTIONS = ("I", "II", "IV", "V")
# The voter rows a later ballot shares with the first (rule 14).
SHARED_ROWS = ("A", "B1", "B3")


@dataclass(frozen=True)
class Relation:
    """``box`` is the sum of ``plus`` minus the sum of ``minus``."""

    box: str
    plus: tuple[str, ...]
    minus: tuple[str, ...] = ()

    def value(self, boxes: Mapping[str, int | None]) -> int | None:
        """The box's value from its parts, None while a part is missing or it comes out < 0."""
        parts = [boxes.get(b) for b in (*self.plus, *self.minus)]
        if any(not isinstance(p, int) or isinstance(p, bool) for p in parts):
            return None
        n = sum(boxes[b] or 0 for b in self.plus) - sum(boxes[b] or 0 for b in self.minus)
        return n if n >= 0 else None


def section_of(box: str) -> str:
    """The sheet section a box belongs to (I voters, II ballots, IV votes, V totals)."""
    if box.split(".", maxsplit=1)[0] in VOTER_ROWS:
        return "I"
    if box in BALLOT_BOXES:
        return "II"
    if box in ("S", "T", "U"):
        return "V"
    return "IV"


def relations(sheet: Sheet) -> list[Relation]:
    """The sums of a sheet in the order the boxes come; a box may have more than one (B4.J is
    B4.L + B4.P and B1.J + B2.J + B3.J): the first whose parts are all in is offered."""
    out: list[Relation] = []
    for row in VOTER_ROWS:
        if row == "B4":
            out += [Relation(f"B4.{c}", (f"B1.{c}", f"B2.{c}", f"B3.{c}")) for c in LPJ]
        out.append(Relation(f"{row}.J", (f"{row}.L", f"{row}.P")))
    out.append(Relation("SS2", ("SS1",), ("SS3", "SS4")))
    out.append(Relation("S", tuple(sheet.vote_boxes())))
    out.append(Relation("U", ("S", "T")))
    return out


def sum_offers(sheet: Sheet, relations_: list[Relation]) -> dict[str, int]:
    """The sums offered for the sheet's empty boxes, from the boxes filled so far."""
    out: dict[str, int] = {}
    for rel in relations_:
        if sheet.get(rel.box) is None and rel.box not in out:
            value = rel.value(sheet.boxes)
            if value is not None:
                out[rel.box] = value
    return out


def as_json(relations_: list[Relation]) -> list[dict[str, Any]]:
    return [{"box": r.box, "plus": list(r.plus), "minus": list(r.minus)} for r in relations_]
