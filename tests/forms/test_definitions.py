"""Form definitions as data: the shipped ones load, and every mistake a definition can hold is
refused naming the file, the line and the field."""

from __future__ import annotations

import pytest

from drivers.scanner.form_layout import definition_files, printed_forms
from kiosk.forms import (
    FormDefinitionError,
    FormPage,
    NumberBox,
    forms_for,
    load_forms,
    shipped_forms,
)

PPWP_FILE = next(p for p in definition_files() if p.name == "c_hasil_ppwp.toml")
PPWP = PPWP_FILE.read_text("utf-8")


def refused(text: str, source: str = "c_hasil_ppwp.toml") -> FormDefinitionError:
    with pytest.raises(FormDefinitionError) as caught:
        load_forms(text, source)
    return caught.value


def line_of(text: str, needle: str, nth: int = 0) -> int:
    lines = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    return lines[nth]


def only(error: FormDefinitionError) -> tuple[int | None, str, str]:
    assert len(error.problems) == 1, error.problems
    return error.problems[0]


def test_the_shipped_forms_are_the_three_the_project_renders():
    forms = shipped_forms()
    assert [(f.model, f.ballot, f.page, f.pages) for f in forms] == [
        ("C.HASIL-PPWP", "PPWP", 1, 1),
        ("C.HASIL-DPR", "DPR", 1, 1),
        ("C.HASIL-DPD", "DPD", 1, 1),
    ]
    for form in forms:
        assert form.title == f"MODEL {form.model}"
        assert form.size_mm == (210.0, 297.0)
        assert [n for n, _ in form.anchors] == [
            "top-left",
            "top-right",
            "bottom-left",
            "bottom-right",
        ]
        assert all(b.cells == 3 for b in form.boxes)
    ppwp = forms[0]
    assert ppwp.box("V.2") == NumberBox("V.2", ppwp.box("V.2").rect_mm, 3)
    assert {b.name for b in forms[1].boxes} >= {"P.0", "P.0.1", "P.1.2", "SS4", "U"}


def test_the_renderer_reads_the_very_definitions_the_kiosk_checks():
    """Two readers of one file (drivers/ cannot import kiosk/): they must agree on every field."""
    printed = {f.ballot: f for f in printed_forms()}
    for form in shipped_forms():
        p = printed[form.ballot]
        assert (p.model, p.title, p.size_mm, p.anchors) == (
            form.model,
            form.title,
            form.size_mm,
            form.anchors,
        )
        assert [(b.name, b.rect, b.cells) for b in p.boxes] == [
            (b.name, b.rect_mm, b.cells) for b in form.boxes
        ]
        assert [p.boxes[0].cell(i) for i in range(3)] == [
            form.boxes[0].cell_mm(i) for i in range(3)
        ]


def test_a_digit_cell_is_a_third_of_a_three_cell_box():
    box = NumberBox("V.0", (100.0, 50.0, 124.0, 56.5), 3)
    assert box.cell_mm(0) == (100.0, 50.0, 108.0, 56.5)
    assert box.cell_mm(2) == (116.0, 50.0, 124.0, 56.5)
    with pytest.raises(IndexError):
        box.cell_mm(3)


def test_the_message_names_file_line_and_field():
    bad = PPWP.replace("rect_mm = [168, 204.5, 192, 211]", "rect_mm = [168, 204.5, 160, 211]")
    assert bad != PPWP
    error = refused(bad)
    line = line_of(bad, "rect_mm = [168, 204.5, 160, 211]")
    (at, field, message) = only(error)
    assert (at, message) == (line, "x1 must be greater than x0")
    assert field.startswith("forms[0].boxes[") and field.endswith("].rect_mm")
    assert str(error) == f"c_hasil_ppwp.toml line {line}, {field}: x1 must be greater than x0"


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        ('name = "V.0"', 'name = "P.0"', "name", "P.0 is not a box of a PPWP sheet"),
        ('name = "V.0"', 'name = "V.x"', "name", "V.x is not a box of a PPWP sheet"),
        ('name = "U"', 'name = "S"', "name", "S appears twice"),
        ("[140, 48.5, 164, 55]", "[130, 48.5, 164, 55]", "rect_mm", "overlaps A.L"),
        ("[168, 204.5, 192, 211]", "[190, 236.5, 214, 243]", "rect_mm", "lies off the page"),
        ("[168, 204.5, 192, 211]", "[168, -2, 192, 4]", "rect_mm", "lies off the page"),
        ("[168, 204.5, 192, 211]", "[168, 243, 192, 236.5]", "rect_mm", "y1 must be greater"),
        ("[168, 204.5, 192, 211]", "[168, 236.5, 192]", "rect_mm", "must be [x0, y0, x1, y1]"),
        ("[168, 204.5, 192, 211]", "[10, 284, 15, 289]", "rect_mm", "overlaps bottom-left"),
    ],
)
def test_a_bad_box_is_refused(old, new, field, message):
    bad = PPWP.replace(old, new, 1)
    assert bad != PPWP
    at, path, told = only(refused(bad))
    assert path.startswith("forms[0].boxes[") and path.endswith(f".{field}"), path
    assert message in told
    assert at == line_of(bad, new, -1)


def test_cells_below_one_or_above_nine_are_refused():
    for cells in (0, -1, 10):
        bad = PPWP.replace("cells = 3", f"cells = {cells}")
        at, path, told = only(refused(bad))
        assert (at, path) == (line_of(bad, "cells = "), "forms[0].cells")
        assert told == "must be a whole number from 1 to 9"
    bad = PPWP.replace('name = "V.1"', 'name = "V.1"\ncells = 0')
    at, path, _ = only(refused(bad))
    assert at == line_of(bad, "cells = 0") and path.endswith(".cells")


def test_a_missing_title_model_or_ballot_is_refused():
    bad = PPWP.replace('title = "MODEL C.HASIL-PPWP"\n', "")
    assert only(refused(bad))[1:] == ("forms[0].title", "must be filled in (text)")
    assert only(refused(bad))[0] == line_of(bad, "[[forms]]")  # the table that lacks it
    bad = PPWP.replace('model = "C.HASIL-PPWP"', 'model = " "')
    assert only(refused(bad))[1] == "forms[0].model"
    bad = PPWP.replace('ballot = "PPWP"', 'ballot = "PRESIDEN"')
    at, path, told = refused(bad).problems[0]
    assert (at, path) == (line_of(bad, "PRESIDEN"), "forms[0].ballot")
    assert told.startswith("must be one of PPWP, DPR, DPD")


def test_unknown_keys_are_refused_with_the_nearest_known_one():
    bad = PPWP.replace("size_mm = ", "size = ")
    problems = refused(bad).problems
    assert (
        line_of(bad, "size = "),
        "forms[0].size",
        "unknown key size — did you mean size_mm?",
    ) in problems
    assert any(p[1] == "forms[0].size_mm" for p in problems)  # and the size is missing
    bad = PPWP.replace('name = "V.0"', 'name = "V.0"\nrect = [1, 2, 3, 4]', 1)
    assert any("did you mean rect_mm?" in p[2] for p in refused(bad).problems)
    assert "keys allowed here are forms" in str(refused("model = 'x'\n" + PPWP))


def test_a_page_defined_twice_or_missing_is_refused():
    twice = PPWP + PPWP.split("[[forms]]", 1)[1].join(["\n[[forms]]", ""])
    at, path, told = only(refused(twice))
    assert (path, told) == ("forms[1].page", "C.HASIL-PPWP page 1 is defined twice")
    assert at == line_of(twice, "page = 1", 1)
    two_pages = PPWP.replace("pages = 1", "pages = 2")
    assert only(refused(two_pages))[1:] == ("forms[0].pages", "C.HASIL-PPWP has no page 2")
    beyond = PPWP.replace("page = 1\n", "page = 3\n")
    assert only(refused(beyond))[1:] == ("forms[0].page", "a form of 1 pages has no page 3")
    other_ballot = twice.replace("page = 1\npages = 1", "page = 2\npages = 2").replace(
        'ballot = "PPWP"', 'ballot = "DPD"', 1
    )
    told = [p[2] for p in refused(other_ballot).problems]
    assert "C.HASIL-PPWP is a form of the DPD ballot elsewhere" in told


def test_party_ballots_take_party_boxes_and_not_candidate_boxes():
    dpr = next(p for p in definition_files() if p.name == "c_hasil_dpr.toml").read_text("utf-8")
    assert len(load_forms(dpr, "dpr.toml")[0].boxes) == 32
    bad = dpr.replace('name = "P.1.2"', 'name = "V.3"')
    assert only(refused(bad, "dpr.toml"))[2] == "V.3 is not a box of a DPR sheet"


def test_not_toml_and_no_forms_are_refused():
    assert "dpd.toml" in str(refused("model = ", "dpd.toml"))
    assert only(refused("# nothing\n"))[1:] == ("forms", "at least one [[forms]] table is needed")
    no_boxes = PPWP.split("# The number boxes")[0]
    assert only(refused(no_boxes))[1] == "forms[0].boxes"


def test_every_problem_is_told_at_once():
    bad = PPWP.replace('title = "MODEL C.HASIL-PPWP"\n', "").replace("cells = 3", "cells = 0")
    assert {p[1] for p in refused(bad).problems} == {"forms[0].title", "forms[0].cells"}


def test_forms_for_a_profile_replace_the_shipped_form_of_their_ballot():
    kpu = FormPage("C.HASIL-PPWP-KPU", "PPWP", 1, 1, "MODEL C.HASIL-PPWP", (420.0, 594.0), (), ())
    forms = forms_for([kpu])
    assert [f.model for f in forms] == ["C.HASIL-PPWP-KPU", "C.HASIL-DPR", "C.HASIL-DPD"]
    assert forms_for([]) == shipped_forms()


def test_the_box_names_are_those_of_the_kiosks_checks():
    from kiosk.chasil.checks import Sheet
    from kiosk.forms.boxes import box_name_ok, sheet_boxes
    from kiosk.profile import ELECTIONS, PARTY_BALLOTS

    for ballot in ("PPWP", "DPD"):
        sheet = Sheet(ballot, {}, candidates=4)
        assert sheet_boxes(4) == set(sheet.all_boxes())
        assert all(box_name_ok(b, ballot) for b in sheet.all_boxes())
    sheet = Sheet("DPR", {}, parties=(2, 3))
    assert sheet_boxes(0, (2, 3)) == set(sheet.all_boxes())
    assert all(box_name_ok(b, "DPR") for b in sheet.all_boxes())
    assert not box_name_ok("V.0", "DPR") and not box_name_ok("P.0", "PPWP")
    assert set(ELECTIONS["pemilu"]) >= PARTY_BALLOTS
