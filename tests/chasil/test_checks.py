"""The C.Hasil rules: every rule on a hand-made failing sheet, and properties over many sheets."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kiosk.chasil.checks import Sheet, blocking, check_sheet, check_tps, compare_entries

RESERVE = 2.0


def consistent_boxes(
    dpt_l: int,
    dpt_p: int,
    b1: tuple[int, int],
    b2: tuple[int, int],
    b3: tuple[int, int],
    d: tuple[int, int],
    votes: list[int],
    damaged: int,
    reserve: float = RESERVE,
) -> dict[str, int]:
    """A correctly filled sheet built from free choices; invalid votes fill the rest."""
    boxes: dict[str, int] = {}
    for row, (lk, pk) in {"A": (dpt_l, dpt_p), "B1": b1, "B2": b2, "B3": b3, "D": d}.items():
        boxes |= {f"{row}.L": lk, f"{row}.P": pk, f"{row}.J": lk + pk}
    for col in "LPJ":
        boxes[f"B4.{col}"] = boxes[f"B1.{col}"] + boxes[f"B2.{col}"] + boxes[f"B3.{col}"]
    used = boxes["B4.J"]
    received = boxes["A.J"] + math.ceil(boxes["A.J"] * reserve / 100)
    boxes |= {"SS1": received, "SS2": used, "SS3": damaged, "SS4": received - used - damaged}
    boxes |= {f"V.{i}": n for i, n in enumerate(votes)}
    boxes |= {"S": sum(votes), "T": used - sum(votes), "U": used}
    return boxes


GOOD = consistent_boxes(140, 139, (101, 108), (3, 2), (1, 0), (2, 1), [62, 118, 28], 2)


def sheet(boxes: dict[str, int | None], candidates: int = 3) -> Sheet:
    return Sheet("PPWP", boxes, candidates=candidates)


def rules(boxes, **kw) -> set[int]:
    return {f.rule for f in check_sheet(sheet(boxes), **kw)}


def test_a_correct_sheet_passes():
    assert check_sheet(sheet(GOOD), received_at_opening=GOOD["SS1"], reserve_percent=RESERVE) == []


@pytest.mark.parametrize(
    ("change", "rule", "blocks"),
    [
        ({"A.J": 280}, 1, True),
        ({"D.L": 3}, 1, True),
        ({"B4.L": 106}, 2, True),
        ({"SS4": 1}, 3, True),
        ({"SS2": 216, "U": 216, "T": 6, "SS4": 67}, 4, True),
        ({"V.0": 63}, 5, True),
        ({"T": 5}, 6, True),
        ({"U": 214, "T": 4, "S": 210, "V.0": 61}, 7, True),
        ({"V.1": -1}, 8, True),
        ({"S": None}, 8, True),
    ],
)
def test_each_blocking_rule(change, rule, blocks):
    found = check_sheet(sheet({**GOOD, **change}))
    assert rule in {f.rule for f in found}
    assert blocking(found) is blocks


def test_rule_9_ballots_received_at_opening():
    assert 9 in rules(GOOD, received_at_opening=GOOD["SS1"] - 1)
    assert 9 not in rules(GOOD, received_at_opening=GOOD["SS1"])


def test_rule_10_more_dpt_voters_than_dpt():
    boxes = consistent_boxes(10, 10, (11, 9), (0, 0), (0, 0), (0, 0), [20], 0)
    found = check_sheet(sheet(boxes, candidates=1))
    assert [f.rule for f in found if not f.blocking] == [10]
    assert not blocking(found)


def test_rule_11_disabled_voters_more_than_voters():
    boxes = {**GOOD, "D.L": 150, "D.P": 100, "D.J": 250}
    assert 11 in rules(boxes)


def test_rule_12_reserve():
    assert 12 in rules(
        {**GOOD, "SS1": GOOD["SS1"] + 1, "SS4": GOOD["SS4"] + 1}, reserve_percent=RESERVE
    )
    assert 12 not in rules(GOOD, reserve_percent=RESERVE)


def test_rule_13_84_written_as_884():
    boxes = {**GOOD, "V.2": 884, "S": GOOD["S"] + 856}
    found = [f for f in check_sheet(sheet(boxes)) if f.rule == 13]
    assert found and "V.2" in found[0].boxes and not found[0].blocking


def test_rule_15_many_invalid_votes():
    boxes = consistent_boxes(140, 139, (101, 108), (3, 2), (1, 0), (2, 1), [50, 100, 30], 2)
    assert 15 in rules(boxes)  # 35 invalid of 215
    assert 15 not in rules(GOOD)


def test_rule_5_party_and_candidate_counted_once_each():
    """Party ballots: S is the sum over parties of party votes + their candidates' votes."""
    boxes = {k: v for k, v in GOOD.items() if not k.startswith("V.")}
    boxes |= {"P.0": 10, "P.0.0": 50, "P.0.1": 40, "P.1": 5, "P.1.0": 103}
    party = Sheet("DPR", boxes, parties=(2, 1))
    assert check_sheet(party) == []
    # "258 votes from 164 ballots": a ballot for party and candidate counted for both.
    double = Sheet("DPR", {**boxes, "P.0": 60, "S": 268}, parties=(2, 1))
    assert {f.rule for f in check_sheet(double)} >= {6}


def test_rule_14_across_ballot_types():
    narrow = {**GOOD, "B2.L": 4, "B2.P": 2, "B2.J": 6}
    found = check_tps([sheet(GOOD), Sheet("DPD", narrow, candidates=3)])
    assert [(f.rule, f.boxes) for f in found] == [(14, ("B2.J",))]
    other_dpt = {**GOOD, "A.L": 141, "A.J": 280}
    assert check_tps([sheet(GOOD), Sheet("DPD", other_dpt, candidates=3)])[0].boxes == ("A.J",)
    assert check_tps([sheet(GOOD), sheet(GOOD)]) == []


def test_rule_16_double_entry_names_the_boxes():
    found = compare_entries(sheet(GOOD), sheet({**GOOD, "V.1": 119, "T": 5}))
    assert found[0].rule == 16 and set(found[0].boxes) == {"V.1", "T"}
    assert compare_entries(sheet(GOOD), sheet(dict(GOOD))) == []


# Properties -----------------------------------------------------------------------------------
counts = st.integers(min_value=0, max_value=150)
pair = st.tuples(counts, counts)


@st.composite
def good_sheets(draw):
    dpt = draw(pair)
    b1 = (draw(st.integers(0, dpt[0])), draw(st.integers(0, dpt[1])))
    b2, b3 = (
        draw(st.tuples(st.integers(0, 5), st.integers(0, 5))),
        draw(st.tuples(st.integers(0, 5), st.integers(0, 5))),
    )
    voted = sum(b1) + sum(b2) + sum(b3)
    d = (draw(st.integers(0, b1[0])), draw(st.integers(0, b1[1])))
    n = draw(st.integers(1, 5))
    invalid = draw(st.integers(0, voted // 10))
    votes = [0] * n
    for _ in range(voted - invalid):
        votes[draw(st.integers(0, n - 1))] += 1
    a_j = sum(dpt)
    spare = a_j + math.ceil(a_j * RESERVE / 100) - voted
    assume(spare >= 0)  # DPTb and DPK voters can only use ballots that exist
    damaged = draw(st.integers(0, max(0, spare)))
    return consistent_boxes(*dpt, b1, b2, b3, d, votes, damaged), n


@settings(max_examples=200, deadline=None)
@given(good_sheets())
def test_property_consistent_sheets_never_block(case):
    boxes, n = case
    found = check_sheet(
        sheet(boxes, candidates=n), received_at_opening=boxes["SS1"], reserve_percent=RESERVE
    )
    assert not blocking(found), found


@settings(max_examples=200, deadline=None)
@given(good_sheets(), st.data())
def test_property_any_single_change_is_caught(case, data):
    """Change one box by a non-zero amount: some rule fires and names that box."""
    boxes, n = case
    box = data.draw(st.sampled_from(sorted(boxes)))
    delta = data.draw(st.integers(-20, 20).filter(lambda x: x != 0))
    changed = {**boxes, box: boxes[box] + delta}
    found = check_sheet(sheet(changed, candidates=n), received_at_opening=boxes["SS1"])
    assert any(box in f.boxes for f in found if f.blocking), (box, delta, found)


@settings(max_examples=100, deadline=None)
@given(good_sheets())
def test_property_checks_are_deterministic(case):
    boxes, n = case
    s = sheet(boxes, candidates=n)
    assert check_sheet(s) == check_sheet(s)
