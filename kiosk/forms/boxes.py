"""The ballots a C.Hasil sheet exists for, and the boxes each sheet has, by the kiosk's names.

The names are kiosk/chasil/checks.py's (a test holds the two together); they live here too
because the profile and the tools that check profiles (fleet) load form definitions without
the C.Hasil feature.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

PEMILU_BALLOTS = ("PPWP", "DPR", "DPD", "DPRD_PROV", "DPRD_KAB")  # legal counting order
PILKADA_BALLOTS = ("GUBERNUR", "BUPATI", "WALIKOTA")
PARTY_BALLOTS = frozenset({"DPR", "DPRD_PROV", "DPRD_KAB"})  # votes per party + its candidates
VOTER_BOXES = tuple(f"{row}.{col}" for row in ("A", "B1", "B2", "B3", "B4", "D") for col in "LPJ")
FIXED_BOXES = frozenset({*VOTER_BOXES, "SS1", "SS2", "SS3", "SS4", "S", "T", "U"})
_CANDIDATE_BOX = re.compile(r"V\.(0|[1-9][0-9]{0,2})\Z")
_PARTY_BOX = re.compile(r"P\.(0|[1-9][0-9]{0,2})(\.(0|[1-9][0-9]{0,2}))?\Z")


def box_name_ok(name: str, ballot: str) -> bool:
    """Is ``name`` a box some sheet of ``ballot`` has (whatever its candidates)?"""
    if name in FIXED_BOXES:
        return True
    pattern = _PARTY_BOX if ballot in PARTY_BALLOTS else _CANDIDATE_BOX
    return bool(pattern.match(name))


def sheet_boxes(candidates: int, parties: Sequence[int] = ()) -> frozenset[str]:
    """Every box of a sheet with ``candidates`` candidate boxes, or of a party ballot whose
    parties have ``parties`` candidates each (kiosk.chasil.checks.Sheet.all_boxes)."""
    if parties:
        votes = [f"P.{i}" for i in range(len(parties))]
        votes += [f"P.{i}.{j}" for i, n in enumerate(parties) for j in range(n)]
    else:
        votes = [f"V.{i}" for i in range(candidates)]
    return FIXED_BOXES | frozenset(votes)
