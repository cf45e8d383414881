"""The C.Hasil arithmetic checks (../shared/DOMAIN.md, "Arithmetic checks"), as pure functions.

No I/O and no clock: the same numbers always give the same findings. Each finding names its rule,
whether it blocks printing and queueing, the numbers the message needs, and the boxes to recount.
Messages are worded in ``kiosk.chasil.messages``.

Box names: ``A.L``, ``B4.J``, ``D.P`` (voters), ``SS1``..``SS4`` (ballots), ``V.<i>`` (votes of
candidate i), ``P.<i>`` and ``P.<i>.<j>`` (party i and its candidate j), ``S``, ``T``, ``U``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

VOTER_ROWS = ("A", "B1", "B2", "B3", "B4", "D")
LPJ = ("L", "P", "J")
BALLOT_BOXES = ("SS1", "SS2", "SS3", "SS4")
ORDINARY_TPS_MAX = 999  # rule 13: no single count above this at an ordinary TPS
INVALID_SHARE = 0.10  # rule 15


@dataclass(frozen=True)
class Finding:
    rule: int
    blocking: bool
    values: Mapping[str, int | str] = field(default_factory=dict)
    boxes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Sheet:
    """The numbers of one C.Hasil sheet (one ballot type). Missing boxes are None."""

    ballot: str
    boxes: Mapping[str, int | None]
    candidates: int = 0  # number of candidate vote boxes V.0 .. V.n-1
    parties: Sequence[int] = ()  # for party ballots: candidate count of each party

    def get(self, box: str) -> int | None:
        return self.boxes.get(box)

    def vote_boxes(self) -> list[str]:
        if self.parties:
            out = []
            for i, n in enumerate(self.parties):
                out.append(f"P.{i}")
                out += [f"P.{i}.{j}" for j in range(n)]
            return out
        return [f"V.{i}" for i in range(self.candidates)]

    def all_boxes(self) -> list[str]:
        voters = [f"{row}.{col}" for row in VOTER_ROWS for col in LPJ]
        return [*voters, *BALLOT_BOXES, *self.vote_boxes(), "S", "T", "U"]


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


class _Numbers:
    """The sheet's boxes that hold valid numbers, for the rules to read."""

    def __init__(self, sheet: Sheet, ok: set[str]) -> None:
        self.sheet = sheet
        self.ok = ok

    def have(self, *boxes: str) -> bool:
        return all(b in self.ok for b in boxes)

    def __getitem__(self, box: str) -> int:
        value = self.sheet.get(box)
        assert value is not None
        return value


def check_sheet(
    sheet: Sheet, received_at_opening: int | None = None, reserve_percent: float | None = None
) -> list[Finding]:
    """Every rule that concerns one sheet (1-13 and 15). Rules whose boxes are not all valid
    numbers are skipped: rule 8 already names those boxes."""
    findings: list[Finding] = []
    bad = [b for b in sheet.all_boxes() if not _whole(sheet.get(b))]
    if bad:
        findings.append(Finding(8, True, {"count": len(bad)}, tuple(bad)))
    n = _Numbers(sheet, set(sheet.all_boxes()) - set(bad))
    findings += _voter_rules(n)
    findings += _ballot_and_vote_rules(n, received_at_opening)
    findings += _warnings(n, reserve_percent)
    return findings


def _voter_rules(v: _Numbers) -> list[Finding]:
    found = []
    for row in VOTER_ROWS:  # 1
        boxes = (f"{row}.L", f"{row}.P", f"{row}.J")
        if v.have(*boxes) and v[boxes[0]] + v[boxes[1]] != v[boxes[2]]:
            found.append(
                Finding(
                    1,
                    True,
                    {"row": row, "l": v[boxes[0]], "p": v[boxes[1]], "j": v[boxes[2]]},
                    boxes,
                )
            )
    for col in LPJ:  # 2
        parts = (f"B1.{col}", f"B2.{col}", f"B3.{col}")
        total = f"B4.{col}"
        if v.have(*parts, total) and sum(v[b] for b in parts) != v[total]:
            found.append(
                Finding(
                    2,
                    True,
                    {"col": col, "b4": v[total], "sum": sum(v[b] for b in parts)},
                    (*parts, total),
                )
            )
    return found


def _ballot_and_vote_rules(v: _Numbers, received_at_opening: int | None) -> list[Finding]:
    found = []
    if v.have(*BALLOT_BOXES) and v["SS1"] != v["SS2"] + v["SS3"] + v["SS4"]:  # 3
        found.append(
            Finding(3, True, {"ss1": v["SS1"], "sum": v["SS2"] + v["SS3"] + v["SS4"]}, BALLOT_BOXES)
        )
    if v.have("SS2", "B4.J") and v["SS2"] != v["B4.J"]:  # 4
        found.append(Finding(4, True, {"ss2": v["SS2"], "b4": v["B4.J"]}, ("SS2", "B4.J")))
    votes = v.sheet.vote_boxes()
    if v.have("S", *votes) and v["S"] != sum(v[b] for b in votes):  # 5
        found.append(
            Finding(5, True, {"s": v["S"], "sum": sum(v[b] for b in votes)}, ("S", *votes))
        )
    if v.have("S", "T", "U") and v["U"] != v["S"] + v["T"]:  # 6
        found.append(Finding(6, True, {"u": v["U"], "sum": v["S"] + v["T"]}, ("S", "T", "U")))
    if v.have("U", "SS2") and v["U"] != v["SS2"]:  # 7
        found.append(Finding(7, True, {"u": v["U"], "ss2": v["SS2"]}, ("U", "SS2")))
    if received_at_opening is not None and v.have("SS1") and v["SS1"] != received_at_opening:
        found.append(Finding(9, True, {"ss1": v["SS1"], "received": received_at_opening}, ("SS1",)))
    return found


def _warnings(v: _Numbers, reserve_percent: float | None) -> list[Finding]:
    found = []
    for col in LPJ:  # 10
        if v.have(f"B1.{col}", f"A.{col}") and v[f"B1.{col}"] > v[f"A.{col}"]:
            found.append(
                Finding(
                    10,
                    False,
                    {"col": col, "b1": v[f"B1.{col}"], "a": v[f"A.{col}"]},
                    (f"B1.{col}", f"A.{col}"),
                )
            )
    if v.have("D.J", "B4.J") and v["D.J"] > v["B4.J"]:  # 11
        found.append(Finding(11, False, {"d": v["D.J"], "b4": v["B4.J"]}, ("D.J", "B4.J")))
    if reserve_percent is not None and v.have("SS1", "A.J"):  # 12
        expected = v["A.J"] + math.ceil(v["A.J"] * reserve_percent / 100)
        if v["SS1"] != expected:
            found.append(
                Finding(12, False, {"ss1": v["SS1"], "expected": expected}, ("SS1", "A.J"))
            )
    if v.have("SS1"):  # 13
        limit = min(v["SS1"], ORDINARY_TPS_MAX)
        big = sorted(b for b in v.ok if b != "SS1" and v[b] > limit)
        if v["SS1"] > ORDINARY_TPS_MAX:
            big.append("SS1")
        if big:
            found.append(
                Finding(13, False, {"limit": limit, "box": big[0], "value": v[big[0]]}, tuple(big))
            )
    if v.have("T", "U") and v["U"] > 0 and v["T"] > INVALID_SHARE * v["U"]:  # 15
        found.append(Finding(15, False, {"t": v["T"], "u": v["U"]}, ("T", "U")))
    return found


def check_tps(sheets: Sequence[Sheet]) -> list[Finding]:
    """Rule 14, across the sheets of one TPS given widest type first (e.g. PPWP before DPRD).

    A, B1 and B3 must be equal on every sheet; B2 and U of the widest type must be at least
    those of every narrower one (a DPTb voter may hold fewer ballot types, never more)."""
    findings: list[Finding] = []
    if len(sheets) < 2:
        return findings
    widest = sheets[0]
    for other in sheets[1:]:
        for box in ("A.J", "B1.J", "B3.J"):
            a, b = widest.get(box), other.get(box)
            if _whole(a) and _whole(b) and a != b:
                findings.append(
                    Finding(
                        14,
                        False,
                        {
                            "box": box,
                            "wide": widest.ballot,
                            "narrow": other.ballot,
                            "a": a or 0,
                            "b": b or 0,
                        },
                        (box,),
                    )
                )
        for box in ("B2.J", "U"):
            a, b = widest.get(box), other.get(box)
            if _whole(a) and _whole(b) and (a or 0) < (b or 0):
                findings.append(
                    Finding(
                        14,
                        False,
                        {
                            "box": box,
                            "wide": widest.ballot,
                            "narrow": other.ballot,
                            "a": a or 0,
                            "b": b or 0,
                        },
                        (box,),
                    )
                )
    return findings


def compare_entries(first: Sheet, second: Sheet) -> list[Finding]:
    """Rule 16: two blind entries of the same sheet, box by box."""
    differ = tuple(b for b in first.all_boxes() if first.get(b) != second.get(b))
    if not differ:
        return []
    return [Finding(16, False, {"count": len(differ)}, differ)]


def blocking(findings: Sequence[Finding]) -> bool:
    return any(f.blocking for f in findings)
