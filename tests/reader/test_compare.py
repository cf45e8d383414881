"""A slip written on the paper itself: the decoder reads the sheet that adds up, which is the
typed one, but the box's cells surely say another number — ``compare`` says so
("paper_sums"), so the Ketua sees the paper's own slip too; a cell it is not sure of stays
quiet, as the rules then settle it."""

from __future__ import annotations

from kiosk.reader.compare import RAW_CONFIDENT, Disagreement, compare
from kiosk.reader.decode import decode
from kiosk.reader.digits import CellReading
from tests.reader.test_decode import GOOD, readings


def written(*cells: tuple[tuple[str, float], ...]) -> list[CellReading]:
    return [CellReading(c) for c in cells]


def test_a_sure_slip_on_the_paper_is_shown_though_the_rules_read_the_typed_number() -> None:
    read = readings(GOOD)
    # 62 written as 63 on the paper: read surely, but the sheet adds up only with 62.
    read["V.0"] = written((("X", 1.0),), (("6", 1.0),), (("3", 0.99), ("2", 0.01)))
    reading = decode(read)
    v0 = reading["V.0"]
    assert (v0.value, v0.raw) == (GOOD["V.0"], 63)  # the rules made it add up again
    assert v0.raw_confidence >= RAW_CONFIDENT
    (d,) = compare(reading, GOOD)
    assert d == Disagreement("V.0", 63, GOOD["V.0"], v0.raw_confidence, "paper_sums")
    # Typed as the paper says, the decoded 62 differs from the typing: the usual "differs".
    assert [x.kind for x in compare(reading, {**GOOD, "V.0": 63})] == ["differs"]


def test_a_cell_read_unsurely_is_left_to_the_rules() -> None:
    read = readings(GOOD)
    read["V.0"] = written((("X", 1.0),), (("6", 1.0),), (("3", 0.9), ("2", 0.1)))
    reading = decode(read)
    assert reading["V.0"].raw == 63 and reading["V.0"].raw_confidence < RAW_CONFIDENT
    assert compare(reading, GOOD) == []
