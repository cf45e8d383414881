"""Plain-language wording of each C.Hasil finding and of each reason a scanned page is held,
in the operator's language.

Each message says what does not add up, with the numbers, so KPPS know which boxes to recount.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from kiosk.chasil.checks import BALLOT_BOXES, LPJ, VOTER_ROWS, Finding
from kiosk.chasil.identify import FormProblem
from kiosk.chasil.legibility import Problem
from kiosk.profile import Ballot

# In the screen language: the box codes are the form's, the words in brackets are not.
ROW_NAMES = {
    "A": "A (DPT)",
    "B1": _l("B1 (DPT voters)"),
    "B2": _l("B2 (DPTb voters)"),
    "B3": _l("B3 (DPK voters)"),
    "B4": _l("B4 (all voters)"),
    "D": _l("D (voters with disabilities)"),
}

# Each box in words, as the entry screen names the box being typed: row and column of the paper.
ROW_WORDS = {
    "A": _l("Voters on the DPT"),
    "B1": _l("DPT voters who voted"),
    "B2": _l("DPTb voters who voted"),
    "B3": _l("DPK voters who voted"),
    "B4": _l("All voters who voted"),
    "D": _l("Voters with disabilities who voted"),
}
COL_WORDS = {"L": _l("Men"), "P": _l("Women"), "J": _l("Total")}
BOX_WORDS = {
    "SS1": _l("Ballots received (with reserve)"),
    "SS2": _l("Ballots used"),
    "SS3": _l("Ballots returned damaged"),
    "SS4": _l("Ballots not used"),
    "S": _l("Valid votes"),
    "T": _l("Invalid votes"),
    "U": _l("Valid and invalid votes"),
}
# Section V's boxes in short words where the grids would show a bare letter.
BOX_SHORT = {"S": _l("valid"), "T": _l("invalid"), "U": _l("total")}
SECTION_WORDS = {
    "I": _l("Voters"),
    "II": _l("Ballots"),
    "IV": _l("Votes"),
    "V": _l("Valid and invalid"),
}


def box_words(ballot: Ballot) -> dict[str, str]:
    """Every box of the ballot's sheet in sheet order, named in words ("DPT voters who voted ·
    Men", a party, "party · candidate")."""
    out = {f"{r}.{c}": f"{ROW_WORDS[r]} · {COL_WORDS[c]}" for r in VOTER_ROWS for c in LPJ}
    out |= {b: str(BOX_WORDS[b]) for b in BALLOT_BOXES}
    if ballot.parties:
        for i, party in enumerate(ballot.parties):
            out[f"P.{i}"] = party.name
            out |= {f"P.{i}.{j}": f"{party.name} · {n}" for j, n in enumerate(party.candidates)}
    else:
        out |= {f"V.{i}": name for i, name in enumerate(ballot.candidates)}
    return out | {b: str(BOX_WORDS[b]) for b in ("S", "T", "U")}


def known_source(source: str) -> str:
    """Where a known number comes from, as the offer says it."""
    if source == "dpt":
        return str(_("from the DPT"))
    if source == "opening":
        return str(_("counted at opening"))
    if source == "closing":
        return str(_("counted at closing"))
    return str(_("as on %(ballot)s", ballot=source))


def message(f: Finding) -> str:
    v: dict[str, Any] = dict(f.values)
    if "row" in v:
        v["row"] = ROW_NAMES.get(str(v["row"]), v["row"])
    texts = {
        1: lambda: _("Row %(row)s: men (%(l)d) + women (%(p)d) is not the total (%(j)d).", **v),
        2: lambda: _(
            "Voters who voted, column %(col)s: B4 (%(b4)d) is not B1 + B2 + B3 (%(sum)d).", **v
        ),
        3: lambda: _("Ballots received (%(ss1)d) is not used + damaged + unused (%(sum)d).", **v),
        4: lambda: _("Ballots used (%(ss2)d) is not the number of voters (%(b4)d).", **v),
        5: lambda: _(
            "Valid votes (%(s)d) is not the sum of the votes (%(sum)d). A ballot "
            "marked for a party and its candidate counts once, for the candidate.",
            **v,
        ),
        6: lambda: _("Valid + invalid votes (%(sum)d) is not the total (%(u)d).", **v),
        7: lambda: _("Total votes (%(u)d) is not the ballots used (%(ss2)d).", **v),
        8: lambda: _("%(count)d boxes are empty or not a whole number.", **v),
        9: lambda: _(
            "Ballots received (%(ss1)d) is not the count recorded at opening (%(received)d).", **v
        ),
        10: lambda: _(
            "Column %(col)s: more DPT voters voted (%(b1)d) than are on the DPT (%(a)d).", **v
        ),
        11: lambda: _("Voters with disabilities (%(d)d) is more than all voters (%(b4)d).", **v),
        12: lambda: _("Ballots received (%(ss1)d) is not DPT + reserve (%(expected)d).", **v),
        13: lambda: _(
            "%(box)s is %(value)d, more than %(limit)d: check for a slip such as "
            "84 written as 884.",
            **v,
        ),
        14: lambda: _("%(box)s differs between %(wide)s (%(a)d) and %(narrow)s (%(b)d).", **v),
        15: lambda: _(
            "Invalid votes (%(t)d) are more than 10%% of all votes (%(u)d): re-check "
            "the valid/invalid rulings.",
            **v,
        ),
        16: lambda: _("The two entries differ in %(count)d boxes.", **v),
    }
    return str(texts[f.rule]())


def as_json(f: Finding) -> dict[str, Any]:
    return {
        "rule": f.rule,
        "blocking": f.blocking,
        "severity": "blocking" if f.blocking else "warning",
        "message": message(f),
        "boxes": list(f.boxes),
    }


def problem_message(problem: Problem) -> str:
    """Why the legibility gate holds a page, and what to do: the operator's sentence."""
    messages: dict[Problem, str] = {
        Problem.BLANK: _(
            "The page looks empty. Put the sheet face down on the glass and scan again."
        ),
        Problem.TOO_DARK: _("The page is too dark. Close the lid fully and scan again."),
        Problem.TOO_LIGHT: _("The page is too faint. Check the sheet is face down and scan again."),
        Problem.BLURRED: _("The page is blurred. Press the sheet flat, keep it still, scan again."),
        Problem.SKEWED: _(
            "The page is crooked. Lay the sheet straight against the edge, scan again."
        ),
    }
    return messages[problem]


def held_message(problem: str, ballot: str, form: str) -> str:
    """Why a page of ``ballot`` is held (its ``scan_page.problem``), and what to do:
    the legibility gate's sentence, or the form's (``form``: the model its title names)."""
    if problem == FormProblem.WRONG_FORM.value:
        return str(
            _(
                "This sheet is %(found)s, not the %(ballot)s sheet. Take the C.Hasil %(ballot)s"
                " sheet and scan it.",
                found=form,
                ballot=ballot,
            )
        )
    if problem == FormProblem.NOT_IDENTIFIED.value:
        return str(
            _(
                "The kiosk cannot read this sheet's title as C.Hasil %(ballot)s. Check that it is"
                " the %(ballot)s sheet, face down and straight, and scan it again.",
                ballot=ballot,
            )
        )
    return problem_message(Problem(problem))
