"""The sheet decoder picks the true sheet out of confused cell readings by the C.Hasil's sums,
says when the paper cannot be made to add up, and compares the paper with the typed numbers.

Readings are synthetic: each cell of a correct sheet is read right with 0.97 and two wrong
labels share the rest, then a confusion is injected where a test says ("3" read as "8" with 0.6).
"""

from __future__ import annotations

import json
import math
import random

import pytest

from drivers.scanner.sample_pages import SAMPLE_SHEETS, cell_digits
from kiosk.chasil.checks import Sheet, check_sheet
from kiosk.reader.compare import CONFIDENT, Disagreement, compare
from kiosk.reader.decode import box_values, decode
from kiosk.reader.digits import CellReading
from kiosk.reader.rules import sheet_rules
from tests.chasil.test_chasil_http import GOOD

_OTHERS = {"X": ("1", "blank"), "blank": ("X", "1")}


def cell(label: str, p: float = 0.97, alt: str | None = None) -> CellReading:
    """A cell read as ``label`` with ``p``; ``alt`` (default: a neighbour) takes most of the
    rest."""
    others = _OTHERS.get(label) or (str((int(label) + 1) % 10), "X")
    second = alt or others[0]
    third = next(x for x in (*others, "blank", "0") if x not in (label, second))
    rest = 1 - p
    return CellReading(((label, p), (second, rest * 0.8), (third, rest * 0.2)))


def readings(boxes: dict[str, int]) -> dict[str, list[CellReading]]:
    return {box: [cell(c) for c in cell_digits(v, 3)] for box, v in boxes.items()}


def confuse(
    read: dict[str, list[CellReading]], box: str, i: int, shown: str, truth: str, p: float = 0.6
) -> None:
    """Cell ``i`` of ``box`` read as ``shown`` with ``p``, the truth second with the rest."""
    read[box][i] = CellReading(((shown, p), (truth, 1 - p - 0.01), ("blank", 0.01)))


def test_box_values_parse_cells_as_a_kpps_writes_them() -> None:
    def values(*labels: str) -> list[int]:
        """The numbers these certain readings spell (others come in at MIN_CELL_P a cell)."""
        found = box_values([CellReading(((lab, 1.0),)) for lab in labels])
        return [v for v, lp in found if lp > -1.0]

    assert values("X", "6", "2") == [62]
    assert values("blank", "X", "0") == [0]
    assert values("1", "1", "8") == [118]
    for not_a_number in (("6", "X", "2"), ("6", "blank", "2"), ("0", "6", "2"), ("X", "X", "X")):
        assert values(*not_a_number) == []
    # Two spellings of one number add up: X62 and blank-62.
    two = box_values([CellReading((("X", 0.5), ("blank", 0.5))), cell("6", 1.0), cell("2", 1.0)])
    assert two[0][0] == 62 and two[0][1] == pytest.approx(0.0, abs=1e-9)
    # A digit outside a cell's top three keeps what the top leaves: 140 read "160" can be 140.
    seen = [cell("1", 1.0), CellReading((("6", 0.9), ("0", 0.05), ("1", 0.01))), cell("0", 1.0)]
    ranked = dict(box_values(seen))
    assert ranked[140] == pytest.approx(math.log(0.04 / 9))


def test_the_rules_are_those_of_checks_py() -> None:
    rng = random.Random(3)
    names = list(GOOD)
    for _ in range(300):
        boxes = dict(GOOD)
        for box in rng.sample(names, rng.randint(0, 2)):
            boxes[box] = max(0, boxes[box] + rng.choice((-10, -1, 1, 100)))  # rule 8 aside
        ours = sorted({r.number for r in sheet_rules(boxes) if not r.holds(boxes)})
        theirs = sorted(
            {f.rule for f in check_sheet(Sheet("PPWP", boxes, candidates=3)) if f.rule <= 7}
        )
        assert ours == theirs, boxes


def test_clean_readings_decode_to_the_sheet_unchanged() -> None:
    for truth in (GOOD, *(s.boxes() for s in SAMPLE_SHEETS)):
        reading = decode(readings(truth))
        assert reading.consistent and reading.values() == truth
        assert not any(b.changed for b in reading.boxes)
        assert min(b.confidence for b in reading.boxes) > 0.99


@pytest.mark.parametrize(
    ("box", "cell_index", "shown", "truth"),
    [
        ("B1.P", 2, "3", "8"),  # 108 written, "103" read
        ("V.1", 0, "7", "1"),  # 118 -> 718
        ("V.0", 0, "1", "X"),  # X62 -> 162: the X read as a digit
        ("V.1", 0, "X", "1"),  # 118 -> X18: the leading digit dropped
        ("SS4", 2, "3", "8"),  # X68 -> X63
    ],
)
def test_the_rules_undo_one_confusion(box: str, cell_index: int, shown: str, truth: str) -> None:
    good = dict(GOOD)
    digits_ = cell_digits(good[box], 3)
    assert digits_[cell_index] == truth, (box, digits_)
    read = readings(good)
    confuse(read, box, cell_index, shown, truth)
    reading = decode(read)
    assert reading[box].raw != good[box]
    assert reading.consistent and reading.values() == good
    assert reading[box].changed and reading[box].value == good[box]
    assert reading[box].confidence > CONFIDENT


def test_the_rules_undo_several_confusions_on_every_sample_sheet() -> None:
    rng = random.Random(18)
    for sheet in SAMPLE_SHEETS:
        truth = sheet.boxes()
        read = readings(truth)
        spots = [(b, i) for b, v in truth.items() for i in range(3)]
        for box, i in rng.sample(spots, 4):
            real = cell_digits(truth[box], 3)[i]
            wrong = {"3": "8", "8": "3", "1": "7", "7": "1", "X": "1"}.get(real, "X")
            confuse(read, box, i, wrong, real, p=0.55)
        reading = decode(read)
        assert reading.consistent and reading.values() == truth, sheet.ballot
        assert reading.complete and reading.nodes < 20_000


def test_a_reader_that_misreads_every_one_is_still_decoded() -> None:
    """A writer whose "1" the model takes for a "7" (the bench's commonest confusion): each
    misread cell costs little, all of them together far more than one slip of the KPPS, but
    the raw readings break most rules, and a paper is not slipped that often."""
    read = readings(GOOD)
    ones = [(b, i) for b, v in GOOD.items() for i, c in enumerate(cell_digits(v, 3)) if c == "1"]
    assert len(ones) >= 8
    for box, i in ones:
        confuse(read, box, i, "7", "1", p=0.9)
    reading = decode(read)
    assert len({b.box for b in reading.boxes if b.raw != GOOD[b.box]}) >= 6
    assert reading.consistent and reading.values() == GOOD


def test_a_paper_that_does_not_add_up_keeps_its_readings_and_names_the_rules() -> None:
    wrong = {**GOOD, "V.0": GOOD["V.0"] + 1}  # the KPPS slipped on paper: rule 5 breaks
    reading = decode(readings(wrong))
    assert not reading.consistent
    assert reading.values() == wrong
    broken = {r.rule for r in reading.broken}
    assert broken == {5}
    assert not any(b.changed for b in reading.boxes)
    assert reading["A.L"].confidence > 0.99  # the A row is its own group: still decoded


def test_a_box_the_rules_cannot_settle_is_unsure_not_a_disagreement() -> None:
    read = readings(GOOD)
    del read["S"]  # no S box: rules 5 and 6 cannot speak for the votes
    confuse(read, "V.2", 2, "3", "8")  # 28 read as 23 with 0.6
    reading = decode(read)
    assert reading["V.2"].value == 23 and reading["V.2"].confidence < CONFIDENT
    (d,) = compare(reading, GOOD)
    assert d == Disagreement("V.2", 23, 28, pytest.approx(reading["V.2"].confidence), "unsure")


def test_compare_names_exactly_the_box_where_paper_and_entry_differ() -> None:
    for truth in (GOOD, *(s.boxes() for s in SAMPLE_SHEETS)):
        read = readings(truth)
        confuse(read, "A.L", 0, "7", "1")  # 140 read as 740: the rules settle it
        reading = decode(read)
        assert compare(reading, truth) == []
        box = "V.0" if "V.0" in truth else "P.0.0"
        typed = {**truth, box: truth[box] + 800}  # "Kertas: 62 · Diketik: 862"
        (d,) = compare(reading, typed)
        assert (d.box, d.paper, d.typed, d.kind) == (box, truth[box], truth[box] + 800, "differs")
        # Several differences come in the form's order.
        typed = {**typed, "A.L": truth["A.L"] + 1}
        assert [x.box for x in compare(reading, typed)] == ["A.L", box]


def test_the_manifest_is_plain_json() -> None:
    read = readings(GOOD)
    confuse(read, "V.1", 0, "7", "1")
    data = decode(read).as_manifest()
    assert json.loads(json.dumps(data)) == data
    v1 = next(b for b in data["boxes"] if b["box"] == "V.1")
    assert v1 == {
        "box": "V.1",
        "value": 118,
        "confidence": v1["confidence"],
        "raw": 718,
        "raw_confidence": v1["raw_confidence"],
        "changed": True,
    }
    assert data["consistent"] is True and data["broken"] == []


def test_realistic_pages_read_end_to_end_match_their_truth() -> None:
    """Three corpus pages (200 dpi, each sheet, both pens, grey and colour) through
    crops.cut, the digit model and the decoder. Floors, not the bench's figures: the paper
    must never be reported as differing from a right entry, and one box typed wrong must be
    flagged on nearly every box."""
    from drivers.scanner.corpus import corpus_page
    from kiosk.forms import shipped_forms
    from kiosk.reader.crops import cut
    from kiosk.reader.decode import read_cells

    forms = {f.ballot: f for f in shipped_forms() if f.page == 1}
    right = total = flagged = 0
    for index in (4, 5, 6):
        page = corpus_page(index)
        truth = {n.box: n.value for n in page.numbers}
        reading = decode(read_cells(cut(page.image, page.dpi, forms[page.sheet]).cells))
        assert [b.box for b in reading.boxes] == [b.name for b in forms[page.sheet].boxes]
        assert not [d for d in compare(reading, truth) if d.kind == "differs"]
        right += sum(b.value == truth[b.box] for b in reading.boxes)
        total += len(truth)
        for box, value in truth.items():
            found = compare(reading, {**truth, box: value * 10 + 4})  # 84 -> 844
            flagged += [(d.box, d.kind) for d in found] == [(box, "differs")]
    assert right / total >= 0.97
    assert flagged / total >= 0.9


def test_an_unreadable_box_and_a_search_cut_short_are_said() -> None:
    import kiosk.reader.decode as decoder

    read = readings(GOOD)
    read["T"] = [CellReading((("X", 1.0),))] * 3  # nothing written: no number at all
    reading = decode(read)
    assert reading["T"].value is None and reading["T"].confidence == 0.0
    assert reading.values() == {**GOOD, "T": None}  # rules 6 lost T; the rest still hold
    (d,) = compare(reading, GOOD)
    assert (d.box, d.paper, d.kind) == ("T", None, "unsure")

    read = readings(GOOD)
    confuse(read, "V.1", 0, "7", "1")
    old = decoder.MAX_NODES
    decoder.MAX_NODES = 20
    try:
        short = decode(read)
    finally:
        decoder.MAX_NODES = old
    assert not short.complete and len(short.boxes) == len(GOOD)
