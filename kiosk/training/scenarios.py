"""C.Hasil practice sheets: the typical real mistakes of 2024 (../shared/DOMAIN.md), loaded as an
officer's entry so KPPS practise catching them on the kiosk's own C.Hasil screens.

Each scenario starts from a correctly filled sheet for this TPS's DPT (``consistent_sheet``)
and makes exactly one mistake:

- ``party_and_candidate``: on the first party ballot (DPR), ballots marked for a party *and*
  its candidate were counted for both; the votes add up to more than the ballots used
  (rule 7: U = SS2).
- ``dptb_wrong_ballots``: DPTb voters were given a narrower ballot type (the second of the
  profile) they were not entitled to; its B2 (and U) exceed the widest type's (rule 14).
- ``written_884``: a vote of 84 on the first ballot was written as 884 while the total S was
  copied right (rule 13 names the box; rule 5 finds that the votes no longer add up to S).

Loading a scenario replaces the day's C.Hasil numbers (entries and confirmations), so the
findings shown are the scenario's and nothing else (on a fresh training day exactly
``EXPECTED_RULES``; if the opening count recorded in the checklist differs from DPT + reserve,
the sheets use that count and rule 12 says so too, as it would on the day). The sheets are
checked with the pure rules before anything is saved: a profile on which a scenario cannot show
its mistake (a Pilkada profile has no party ballot, a one-ballot profile no rule 14) refuses it.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kiosk.profile import Ballot, Profile
from kiosk.refusals import Refused
from kiosk.training.refusals import TrainingCode

if TYPE_CHECKING:  # handed in by the training service: kiosk.training never imports kiosk.chasil
    from kiosk.chasil.service import ChasilService
    from kiosk.services.auth import ActiveSession


class Scenario(enum.Enum):
    PARTY_AND_CANDIDATE = "party_and_candidate"
    DPTB_WRONG_BALLOTS = "dptb_wrong_ballots"
    WRITTEN_884 = "written_884"


# The rule numbers each scenario makes the kiosk report (../shared/DOMAIN.md).
EXPECTED_RULES: dict[Scenario, frozenset[int]] = {
    Scenario.PARTY_AND_CANDIDATE: frozenset({7}),
    Scenario.DPTB_WRONG_BALLOTS: frozenset({14}),
    Scenario.WRITTEN_884: frozenset({5, 13}),
}

# A plausible day at a TPS: turnout of DPT voters (per mille, men / women), DPTb, DPK and
# voters with disabilities (L, P), damaged ballots, and about one invalid vote in 40.
TURNOUT_PER_MILLE = (720, 780)
DPTB = (3, 2)
DPTB_NOT_ENTITLED = (2, 1)  # scenario b: extra DPTb voters given the narrower ballot
DPK = (1, 0)
DISABLED = (2, 1)
DAMAGED = 2
INVALID_ONE_IN = 40
TRUE_VOTE, MISWRITTEN_VOTE = 84, 884  # scenario c (Sirekap's 2024 OCR misread)


@dataclass(frozen=True)
class Loaded:
    scenario: Scenario
    ballots: tuple[str, ...]  # the ballot types entered, widest first
    rules: frozenset[int]  # what the kiosk reports on them


def _unavailable(reason: str) -> Refused:
    """This TPS profile cannot show the scenario's mistake (see the module docstring)."""
    return Refused(TrainingCode.SCENARIO_UNAVAILABLE, reason=reason)


def _split(total: int, boxes: Sequence[str]) -> dict[str, int]:
    """``total`` votes over ``boxes``, the first box the largest (weights n, n-1, ... 1)."""
    n = len(boxes)
    weights = range(n, 0, -1)
    whole = n * (n + 1) // 2
    votes = {box: total * w // whole for box, w in zip(boxes, weights, strict=True)}
    votes[boxes[0]] += total - sum(votes.values())
    return votes


def vote_boxes(ballot: Ballot) -> list[str]:
    if ballot.parties:
        out = []
        for i, party in enumerate(ballot.parties):
            out.append(f"P.{i}")
            out += [f"P.{i}.{j}" for j in range(len(party.candidates))]
        return out
    return [f"V.{i}" for i in range(len(ballot.candidates))]


def consistent_sheet(
    profile: Profile,
    ballot: Ballot,
    received: int | None = None,
    dptb: tuple[int, int] = DPTB,
    fixed_votes: dict[str, int] | None = None,
) -> dict[str, int]:
    """A correctly filled C.Hasil sheet for this TPS: every blocking rule and every warning
    holds. ``received``: the ballots counted at opening (SS1), if the checklist recorded them;
    ``fixed_votes``: vote boxes given, the rest of the valid votes spread over the others."""
    boxes: dict[str, int] = {}
    a = (profile.dpt_l, profile.dpt_p)
    b1 = (a[0] * TURNOUT_PER_MILLE[0] // 1000, a[1] * TURNOUT_PER_MILLE[1] // 1000)
    d = (min(DISABLED[0], b1[0]), min(DISABLED[1], b1[1]))
    for row, (men, women) in {"A": a, "B1": b1, "B2": dptb, "B3": DPK, "D": d}.items():
        boxes |= {f"{row}.L": men, f"{row}.P": women, f"{row}.J": men + women}
    for col in "LPJ":
        boxes[f"B4.{col}"] = boxes[f"B1.{col}"] + boxes[f"B2.{col}"] + boxes[f"B3.{col}"]
    used = boxes["B4.J"]
    expected = boxes["A.J"] + math.ceil(boxes["A.J"] * profile.reserve_percent / 100)
    ss1 = received if received is not None and received >= used + DAMAGED else expected
    boxes |= {"SS1": ss1, "SS2": used, "SS3": DAMAGED, "SS4": ss1 - used - DAMAGED}
    invalid = max(1, used // INVALID_ONE_IN)
    valid = used - invalid
    fixed = dict(fixed_votes or {})
    free = [b for b in vote_boxes(ballot) if b not in fixed]
    if not free or sum(fixed.values()) > valid:
        raise _unavailable(f"{ballot.type}: too few votes for this scenario")
    votes = fixed | _split(valid - sum(fixed.values()), free)
    boxes |= {box: votes[box] for box in vote_boxes(ballot)}  # in sheet order
    boxes |= {"S": valid, "T": invalid, "U": used}
    return boxes


class _Received:
    """Ballots counted at opening per ballot type, as the checklist recorded them."""

    def __init__(self, service: ChasilService) -> None:
        self.service = service

    def __call__(self, ballot_type: str) -> int | None:
        return self.service.received_at_opening(ballot_type)


def _party_and_candidate(profile: Profile, received: _Received) -> dict[str, dict[str, int]]:
    party_ballots = [b for b in profile.ballots if b.parties and b.parties[0].candidates]
    if not party_ballots:
        raise _unavailable("the profile has no party ballot")
    ballot = party_ballots[0]
    boxes = consistent_sheet(profile, ballot, received(ballot.type))
    # Ballots marked for party 0 and its first candidate count once, for the candidate; here
    # they were also counted for the party, and S and U were added up from the wrong votes.
    double = min(boxes["SS2"] // 5, boxes["SS1"] - boxes["SS2"], boxes["P.0.0"])
    boxes["P.0"] += double
    boxes["S"] += double
    boxes["U"] += double
    return {ballot.type: boxes}


def _dptb_wrong_ballots(profile: Profile, received: _Received) -> dict[str, dict[str, int]]:
    if len(profile.ballots) < 2:
        raise _unavailable("the profile has one ballot type only")
    widest, narrower = profile.ballots[0], profile.ballots[1]
    more = (DPTB[0] + DPTB_NOT_ENTITLED[0], DPTB[1] + DPTB_NOT_ENTITLED[1])
    return {
        widest.type: consistent_sheet(profile, widest, received(widest.type)),
        narrower.type: consistent_sheet(profile, narrower, received(narrower.type), dptb=more),
    }


def _written_884(profile: Profile, received: _Received) -> dict[str, dict[str, int]]:
    ballot = profile.ballots[0]
    boxes = vote_boxes(ballot)
    if len(boxes) < 2:
        raise _unavailable(f"{ballot.type} has fewer than two vote boxes")
    slip = boxes[-1]
    sheet = consistent_sheet(profile, ballot, received(ballot.type), fixed_votes={slip: TRUE_VOTE})
    sheet[slip] = MISWRITTEN_VOTE  # S stays the right total, copied from the plano
    return {ballot.type: sheet}


_BUILDERS = {
    Scenario.PARTY_AND_CANDIDATE: _party_and_candidate,
    Scenario.DPTB_WRONG_BALLOTS: _dptb_wrong_ballots,
    Scenario.WRITTEN_884: _written_884,
}


def build(scenario: Scenario, service: ChasilService) -> dict[str, dict[str, int]]:
    """The scenario's sheets by ballot type, in profile order (widest first)."""
    sheets = _BUILDERS[scenario](service.profile, _Received(service))
    return {b.type: sheets[b.type] for b in service.profile.ballots if b.type in sheets}


def _entry(boxes: Mapping[str, int]) -> dict[str, int | None]:
    return {box: value for box, value in boxes.items()}


def load(
    scenario: Scenario, service: ChasilService, by: ActiveSession, clear: Callable[[], None]
) -> Loaded:
    """Replace the day's C.Hasil numbers with the scenario's sheets, entered as first entries
    by the trainer ``by`` (through ``save_entry``, as an officer's entry is recorded).
    ``clear`` removes the day's entries and confirmations first (their owner does it).
    ``Refused(SCENARIO_UNAVAILABLE)`` when this profile cannot show the mistake."""
    sheets = build(scenario, service)
    rules = frozenset(f.rule for f in service.findings_of(sheets))
    if not EXPECTED_RULES[scenario] <= rules:
        raise _unavailable(f"{scenario.value} would show rules {sorted(rules)}")
    clear()
    for ballot_type, boxes in sheets.items():
        service.save_entry(ballot_type, 1, _entry(boxes), by)
    return Loaded(scenario, tuple(sheets), rules)
