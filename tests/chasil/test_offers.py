"""The sums the C.Hasil entry offers (kiosk.chasil.offers): from the boxes filled so far, only for
empty boxes, never below zero, and never for T, so that a slip in the votes still shows."""

from __future__ import annotations

from kiosk.chasil.checks import Sheet, check_sheet
from kiosk.chasil.offers import relations, section_of, sum_offers
from tests.chasil.test_checks import GOOD, sheet


def offered(boxes: dict[str, int | None], candidates: int = 3) -> dict[str, int]:
    s = sheet(boxes, candidates)
    return sum_offers(s, relations(s))


def test_a_sum_is_offered_once_its_parts_are_in_and_its_box_is_empty() -> None:
    assert offered({"A.L": 140}) == {}
    assert offered({"A.L": 140, "A.P": 139}) == {"A.J": 279}
    assert offered({"A.L": 140, "A.P": 139, "A.J": 280}) == {}  # typed: not offered over it
    assert offered({"SS1": 285, "SS3": 2, "SS4": 68}) == {"SS2": 215}
    assert offered({"SS1": 5, "SS3": 2, "SS4": 68}) == {}  # never a negative count
    votes = {"V.0": 62, "V.1": 118, "V.2": 28}
    assert offered(votes) == {"S": 208}
    assert offered({**votes, "S": 208, "T": 7}) == {"U": 215}


def test_every_box_but_t_can_be_offered_and_accepting_them_all_adds_up() -> None:
    """Fill a sheet the way "Pakai semua yang diketahui" does, from the typed boxes only."""
    typed = {
        k: v
        for k, v in GOOD.items()
        if (k.endswith((".L", ".P")) and not k.startswith("B4")) or k.startswith("V.")
    }
    typed |= {"SS1": GOOD["SS1"], "SS3": GOOD["SS3"], "SS4": GOOD["SS4"], "T": GOOD["T"]}
    boxes: dict[str, int | None] = dict(typed)
    while more := offered(boxes):
        boxes |= more
    assert boxes == GOOD
    assert check_sheet(sheet(boxes)) == []
    assert "T" not in offered({k: v for k, v in GOOD.items() if k != "T"})


def test_a_slip_in_the_votes_still_shows_when_every_offer_is_taken() -> None:
    """U is offered from the typed T and the votes' sum, so rule 7 (U = SS2) catches a vote
    typed wrong even when S and U are accepted as offered."""
    boxes: dict[str, int | None] = {k: v for k, v in GOOD.items() if k not in ("S", "U")}
    boxes["V.0"] = 63  # one vote too many
    while more := offered(boxes):
        boxes |= more
    assert 7 in [f.rule for f in check_sheet(sheet(boxes))]


def test_sections_follow_the_paper() -> None:
    s = Sheet("DPR", {}, parties=(2, 3))
    assert [section_of(b) for b in ("A.L", "D.J", "SS4", "P.0", "P.1.2", "S", "U")] == [
        "I",
        "I",
        "II",
        "IV",
        "IV",
        "V",
        "V",
    ]
    assert {r.box for r in relations(s) if r.box == "S"} == {"S"}
    assert next(r for r in relations(s) if r.box == "S").plus == tuple(s.vote_boxes())
