"""A TPS profile carries KPU's real forms as [[forms]] tables, in the very format of a definition
file; a bad one refuses the whole profile naming the line and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.scanner.form_layout import definition_files
from kiosk.forms import forms_for, shipped_forms
from kiosk.profile import ProfileError, parse_profile

ROOT = Path(__file__).resolve().parents[2]
PROFILE = (ROOT / "kiosk" / "demo" / "sample_profile.toml").read_text("utf-8")
FILES = {p.name: p.read_text("utf-8") for p in definition_files()}
# A real form is bigger than the sample (plano, A2): its own size and boxes.
KPU_PPWP = (
    FILES["c_hasil_ppwp.toml"]
    .replace('model = "C.HASIL-PPWP"', 'model = "C.HASIL-PPWP-PLANO"')
    .replace("size_mm = [210, 297]", "size_mm = [420, 594]")
)


def refused(text: str) -> list[tuple[int | None, str, str]]:
    with pytest.raises(ProfileError) as caught:
        parse_profile(text)
    return [(p.line, p.field, str(p.message)) for p in caught.value.problems]


def line_of(text: str, needle: str, nth: int = 0) -> int:
    return [i for i, line in enumerate(text.splitlines(), start=1) if needle in line][nth]


def test_a_profile_without_forms_reads_the_shipped_ones():
    profile = parse_profile(PROFILE)
    assert profile.forms == ()
    assert forms_for(profile.forms) == shipped_forms()


def test_a_profile_carries_its_forms_and_they_replace_the_shipped_one_of_their_ballot():
    profile = parse_profile(PROFILE + "\n" + KPU_PPWP)
    (form,) = profile.forms
    assert (form.model, form.ballot, form.size_mm) == ("C.HASIL-PPWP-PLANO", "PPWP", (420.0, 594.0))
    assert len(form.boxes) == 28 and form.box("V.2").cells == 3
    assert [f.model for f in forms_for(profile.forms)] == [
        "C.HASIL-PPWP-PLANO",
        "C.HASIL-DPR",
        "C.HASIL-DPD",
    ]
    # Every shipped definition pastes into a profile as it is.
    assert len(parse_profile(PROFILE + "\n" + "\n".join(FILES.values())).forms) == 3


def test_a_bad_form_refuses_the_profile_naming_line_and_field():
    text = PROFILE + "\n" + KPU_PPWP.replace("[168, 204.5, 192, 211]", "[168, 204.5, 150, 211]")
    assert refused(text) == [
        (
            line_of(text, "[168, 204.5, 150, 211]"),
            "forms[0].boxes[27].rect_mm",
            "x1 must be greater than x0",
        )
    ]
    text = PROFILE + "\n" + KPU_PPWP.replace("cells = 3", "cells = 0")
    assert refused(text) == [
        (line_of(text, "cells = 0"), "forms[0].cells", "must be a whole number from 1 to 9")
    ]
    text = PROFILE + "\n" + KPU_PPWP.replace('title = "MODEL C.HASIL-PPWP"\n', "")
    assert refused(text) == [
        (line_of(text, "[[forms]]"), "forms[0].title", "must be filled in (text)")
    ]
    text = PROFILE + "\n" + KPU_PPWP.replace("rect_mm = [10, 8, 15, 13]", "rect = [10, 8, 15, 13]")
    problems = refused(text)
    assert (
        line_of(text, "rect = [10"),
        "forms[0].anchors[0].rect",
        "unknown key rect — did you mean rect_mm?",
    ) in problems


def test_a_form_must_be_of_a_ballot_and_boxes_the_profile_has():
    dprd = FILES["c_hasil_dpr.toml"].replace('ballot = "DPR"', 'ballot = "DPRD_PROV"')
    text = PROFILE + "\n" + dprd
    assert refused(text) == [
        (
            line_of(text, 'ballot = "DPRD_PROV"'),
            "forms[0].ballot",
            "the profile has no DPRD_PROV ballot",
        )
    ]
    # The sample profile's PPWP has 3 candidate pairs: V.0 .. V.2; its DPR's party B has 3.
    text = PROFILE + "\n" + KPU_PPWP.replace('name = "V.2"', 'name = "V.3"')
    assert refused(text) == [
        (
            line_of(text, 'name = "V.3"'),
            "forms[0].boxes[24].name",
            "the profile's PPWP ballot has no box V.3",
        )
    ]
    dpr = FILES["c_hasil_dpr.toml"].replace('name = "P.1.2"', 'name = "P.2.0"')
    text = PROFILE + "\n" + dpr
    assert [p[2] for p in refused(text)] == ["the profile's DPR ballot has no box P.2.0"]


def test_two_profile_forms_of_one_model_and_page_are_refused():
    text = PROFILE + "\n" + KPU_PPWP + "\n" + KPU_PPWP
    assert refused(text) == [
        (
            line_of(text, "page = 1", 1),
            "forms[1].page",
            "C.HASIL-PPWP-PLANO page 1 is defined twice",
        )
    ]


def test_a_big_real_form_fits_within_the_profile_limits():
    """A DPR page of a big dapil: 18 parties of 10 candidates, 200+ boxes on one page."""
    boxes = "".join(
        f'[[forms.boxes]]\nname = "P.{i}{"" if j < 0 else f".{j}"}"\n'
        f"rect_mm = [{300 + 40 * (i % 4)}, {20 + 9 * ((i // 4) * 11 + j + 1)}, "
        f"{330 + 40 * (i % 4)}, {27 + 9 * ((i // 4) * 11 + j + 1)}]\n"
        for i in range(18)
        for j in range(-1, 10)
    )
    parties = "".join(
        f'[[ballots.parties]]\nname = "Partai {i}"\ncandidates = {[f"C{j}" for j in range(10)]}\n'
        for i in range(18)
    )
    text = PROFILE.replace(
        '[[ballots.parties]]\nname = "Partai Contoh A"\ncandidates = ["Calon A1", "Calon A2"]\n'
        '[[ballots.parties]]\nname = "Partai Contoh B"\n'
        'candidates = ["Calon B1", "Calon B2", "Calon B3"]\n',
        parties,
    )
    form = (
        '\n[[forms]]\nmodel = "C.HASIL-DPR-PLANO"\nballot = "DPR"\npage = 1\npages = 1\n'
        'title = "MODEL C.HASIL-DPR"\nsize_mm = [594, 841]\ncells = 3\n' + boxes
    )
    profile = parse_profile(text.replace("'", '"') + form)
    assert len(profile.forms[0].boxes) == 198
