"""What a typed count is checked against, and which recorded entries can be changed.

The ballots received at opening are counted per ballot type; the kiosk knows roughly how many
to expect: the DPT plus the reserve (the profile's ``reserve_percent``, rounded up, as C.Hasil
rule 12 reckons it). A count off that number is a warning with the expected number, never a
refusal: a TPS may really have received more or fewer, and then the officer keeps it.

Numbers and notes stay correctable until their phase is signed off, and after that by the Ketua
KPPS with a reason; ticks, sign-offs, the clock and scans have no value to change.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kiosk.checklist.model import Step
from kiosk.checklist.refusals import ChecklistCode
from kiosk.refusals import Refused

CORRECTABLE = ("number", "text")


@dataclass(frozen=True)
class ExpectedCount:
    """The ballots a TPS should receive of each type: DPT + reserve, the reserve rounded up."""

    dpt: int
    reserve_percent: float

    @property
    def count(self) -> int:
        # The same sum as C.Hasil rule 12 (kiosk.chasil.checks), so both say the same number.
        return self.dpt + math.ceil(self.dpt * self.reserve_percent / 100)

    @property
    def reserve_shown(self) -> str:
        """The percentage as a person writes it: "2", "2.5"."""
        return f"{self.reserve_percent:g}"


def check_received(counts: Mapping[str, int], expected: ExpectedCount) -> None:
    """Refuse (as a warning the officer may overrule) counts that are not the expected one;
    the refusal names the first such ballot type and lists them all."""
    off = [ballot for ballot, n in counts.items() if n != expected.count]
    if off:
        raise Refused(
            ChecklistCode.RECEIVED_UNEXPECTED,
            field=off[0],
            fields=" ".join(off),
            expected=expected.count,
            dpt=expected.dpt,
            reserve=expected.reserve_shown,
        )


def parse_entry(step: Step, value: Any, ballot_types: Sequence[str]) -> Any:
    """A number step's whole number (or one per ballot type), or a text step's note, as
    recorded; a refusal naming the box otherwise."""
    if step.kind == "text":
        if not isinstance(value, str) or not value.strip():
            raise Refused(ChecklistCode.TEXT_MISSING)
        return value.strip()
    assert step.kind == "number", step.kind  # CORRECTABLE: number and text only
    if not step.per_ballot:
        return _whole(value, "")
    if not isinstance(value, dict) or sorted(value) != sorted(ballot_types):
        raise Refused(ChecklistCode.NUMBERS_MISSING)
    return {t: _whole(value[t], t) for t in ballot_types}


def _whole(value: Any, field: str) -> int:
    """``value`` as a whole number, or a refusal naming the ``field`` it was typed in (a
    ballot type; "" for a step's only number) so the screen shows it at that box."""
    if isinstance(value, bool):
        raise Refused(ChecklistCode.NOT_A_NUMBER, field=field)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or value < 0:
        raise Refused(ChecklistCode.NOT_A_NUMBER, field=field)
    return value
