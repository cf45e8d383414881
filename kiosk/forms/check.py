"""Checks a form definition's tables field by field, as the TPS profile's checks do.

The same checks run on a shipped definition file (``load_forms``) and on the ``[[forms]]`` tables
of a TPS profile (kiosk/profile.py): each problem goes to ``fail(path, message)`` with the
field's path ("forms[0].boxes[7].rect_mm"), which the caller turns into a line number with
kiosk/tomllines.py. Messages are lazy: Bahasa Indonesia on the kiosk's screen, English in a
terminal without a Flask app.
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Callable
from typing import Any

from kiosk.forms.boxes import PEMILU_BALLOTS, PILKADA_BALLOTS, box_name_ok
from kiosk.forms.model import FormPage, NumberBox, Rect
from kiosk.lazy_text import LazyString
from kiosk.lazy_text import lazy_gettext as _l

Fail = Callable[[str, LazyString], None]
FORM_KEYS = ("model", "ballot", "page", "pages", "title", "size_mm", "cells", "anchors", "boxes")
ANCHOR_KEYS = ("name", "rect_mm")
BOX_KEYS = ("name", "rect_mm", "cells")
MAX_PAGES = 50  # a DPR C.Hasil of a big dapil runs to a dozen pages
MAX_CELLS = 9
MAX_SIDE_MM = 2000.0  # a plano sheet is about 1 m wide
BALLOT_TYPES = (*PEMILU_BALLOTS, *PILKADA_BALLOTS)


def _unknown_keys(table: dict[str, Any], known: tuple[str, ...], path: str, fail: Fail) -> None:
    for key in table:
        if key in known:
            continue
        close = difflib.get_close_matches(key, known, n=1)
        if close:
            fail(
                f"{path}.{key}",
                _l("unknown key %(key)s — did you mean %(close)s?", key=key, close=close[0]),
            )
        else:
            fail(
                f"{path}.{key}",
                _l(
                    "unknown key %(key)s; the keys allowed here are %(known)s",
                    key=key,
                    known=", ".join(known),
                ),
            )


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _whole(table: dict[str, Any], key: str, path: str, high: int, default: int, fail: Fail) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
        fail(path, _l("must be a whole number from %(low)d to %(high)d", low=1, high=high))
        return default
    return value


def _text(table: dict[str, Any], key: str, path: str, fail: Fail) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        fail(path, _l("must be filled in (text)"))
        return ""
    return value.strip()


def _size(table: dict[str, Any], path: str, fail: Fail) -> tuple[float, float] | None:
    value = table.get("size_mm")
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(_number(v) and 0 < v <= MAX_SIDE_MM for v in value)
    ):
        fail(path, _l("must be [width, height] of the page in millimetres, like [210, 297]"))
        return None
    return (float(value[0]), float(value[1]))


def _rect(value: object, path: str, size: tuple[float, float] | None, fail: Fail) -> Rect | None:
    if not isinstance(value, list) or len(value) != 4 or not all(_number(v) for v in value):
        fail(path, _l("must be [x0, y0, x1, y1] in millimetres from the page's top left"))
        return None
    x0, y0, x1, y1 = (float(v) for v in value)
    if x1 <= x0:
        fail(path, _l("x1 must be greater than x0"))
        return None
    if y1 <= y0:
        fail(path, _l("y1 must be greater than y0"))
        return None
    if size is not None and (x0 < 0 or y0 < 0 or x1 > size[0] or y1 > size[1]):
        fail(
            path,
            _l(
                "lies off the page (%(width)s x %(height)s mm)",
                width=f"{size[0]:g}",
                height=f"{size[1]:g}",
            ),
        )
        return None
    return (x0, y0, x1, y1)


def _overlap(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _tables(value: object, path: str, what: LazyString, fail: Fail) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value or not all(isinstance(t, dict) for t in value):
        fail(path, what)
        return []
    return value


def _anchors(
    form: dict[str, Any], path: str, size: tuple[float, float] | None, fail: Fail
) -> list[tuple[str, Rect, str]]:
    if "anchors" not in form:
        return []
    tables = _tables(
        form["anchors"],
        f"{path}.anchors",
        _l("must be [[forms.anchors]] tables, each with name and rect_mm"),
        fail,
    )
    out: list[tuple[str, Rect, str]] = []
    for i, anchor in enumerate(tables):
        here = f"{path}.anchors[{i}]"
        _unknown_keys(anchor, ANCHOR_KEYS, here, fail)
        name = _text(anchor, "name", f"{here}.name", fail)
        if name and name in {n for n, _, _ in out}:
            fail(f"{here}.name", _l("%(name)s appears twice", name=name))
        rect = _rect(anchor.get("rect_mm"), f"{here}.rect_mm", size, fail)
        if name and rect:
            out.append((name, rect, f"{here}.rect_mm"))
    return out


def _boxes(
    form: dict[str, Any],
    path: str,
    ballot: str,
    size: tuple[float, float] | None,
    cells: int,
    fail: Fail,
) -> list[tuple[NumberBox, str]]:
    tables = _tables(
        form.get("boxes"),
        f"{path}.boxes",
        _l("a form needs its number boxes: [[forms.boxes]] tables with name and rect_mm"),
        fail,
    )
    out: list[tuple[NumberBox, str]] = []
    seen: set[str] = set()
    for i, box in enumerate(tables):
        here = f"{path}.boxes[{i}]"
        _unknown_keys(box, BOX_KEYS, here, fail)
        name = _text(box, "name", f"{here}.name", fail)
        if name and ballot and not box_name_ok(name, ballot):
            fail(
                f"{here}.name",
                _l("%(name)s is not a box of a %(ballot)s sheet", name=name, ballot=ballot),
            )
            name = ""
        elif name in seen:
            fail(f"{here}.name", _l("%(name)s appears twice", name=name))
        seen.add(name)
        box_cells = _whole(box, "cells", f"{here}.cells", MAX_CELLS, cells, fail)
        rect = _rect(box.get("rect_mm"), f"{here}.rect_mm", size, fail)
        if name and rect:
            out.append((NumberBox(name, rect, box_cells), f"{here}.rect_mm"))
    return out


def _no_overlaps(
    boxes: list[tuple[NumberBox, str]], anchors: list[tuple[str, Rect, str]], fail: Fail
) -> None:
    """Two boxes (or a box and an anchor) on the same paper would make one crop hold both."""
    shapes = [*anchors, *((b.name, b.rect_mm, p) for b, p in boxes)]
    for (a_name, a, _), (_, b, b_path) in itertools.combinations(shapes, 2):
        if _overlap(a, b):
            fail(b_path, _l("overlaps %(other)s", other=a_name))


def check_form(form: object, path: str, fail: Fail) -> FormPage | None:
    """One ``[[forms]]`` table as a FormPage, or None after telling ``fail`` every problem."""
    if not isinstance(form, dict):
        fail(path, _l("must be a [[forms]] table"))
        return None
    count = 0

    def counting(where: str, message: LazyString) -> None:
        nonlocal count
        count += 1
        fail(where, message)

    _unknown_keys(form, FORM_KEYS, path, counting)
    model = _text(form, "model", f"{path}.model", counting)
    ballot = form.get("ballot")
    types = BALLOT_TYPES
    if ballot not in types:
        counting(f"{path}.ballot", _l("must be one of %(types)s", types=", ".join(types)))
        ballot = ""
    title = _text(form, "title", f"{path}.title", counting)
    pages = _whole(form, "pages", f"{path}.pages", MAX_PAGES, 1, counting)
    page = _whole(form, "page", f"{path}.page", MAX_PAGES, 1, counting)
    if page > pages:
        counting(
            f"{path}.page",
            _l("a form of %(pages)d pages has no page %(page)d", pages=pages, page=page),
        )
    size = _size(form, f"{path}.size_mm", counting)
    cells = _whole(form, "cells", f"{path}.cells", MAX_CELLS, 1, counting)
    anchors = _anchors(form, path, size, counting)
    boxes = _boxes(form, path, str(ballot), size, cells, counting)
    _no_overlaps(boxes, anchors, counting)
    if count or size is None:
        return None
    return FormPage(
        model=model,
        ballot=str(ballot),
        page=page,
        pages=pages,
        title=title,
        size_mm=size,
        anchors=tuple((n, r) for n, r, _ in anchors),
        boxes=tuple(b for b, _ in boxes),
    )


def check_forms(raw: object, fail: Fail, path: str = "forms") -> tuple[FormPage, ...]:
    """Every ``[[forms]]`` table of ``raw``, then what only the set can get wrong: a model's
    page given twice or missing, a model's pages disagreeing on its ballot or page count."""
    tables = raw if isinstance(raw, list) else None
    if not tables:
        fail(path, _l("at least one [[forms]] table is needed"))
        return ()
    checked = [(i, check_form(t, f"{path}[{i}]", fail)) for i, t in enumerate(tables)]
    return check_set([(f"{path}[{i}]", f) for i, f in checked if f is not None], fail)


def check_set(forms: list[tuple[str, FormPage]], fail: Fail) -> tuple[FormPage, ...]:
    """The pages of several definitions together (``path`` says where each was given)."""
    first: dict[str, FormPage] = {}
    seen: set[tuple[str, int]] = set()
    for where, form in forms:
        if (form.model, form.page) in seen:
            fail(
                f"{where}.page",
                _l("%(model)s page %(page)d is defined twice", model=form.model, page=form.page),
            )
        seen.add((form.model, form.page))
        head = first.setdefault(form.model, form)
        if form.ballot != head.ballot:
            fail(
                f"{where}.ballot",
                _l(
                    "%(model)s is a form of the %(ballot)s ballot elsewhere",
                    model=form.model,
                    ballot=head.ballot,
                ),
            )
        if form.pages != head.pages:
            fail(
                f"{where}.pages",
                _l("%(model)s has %(pages)d pages elsewhere", model=form.model, pages=head.pages),
            )
    for model, head in first.items():
        missing = [p for p in range(1, head.pages + 1) if (model, p) not in seen]
        if missing:
            where = next(w for w, f in forms if f.model == model)
            fail(
                f"{where}.pages",
                _l("%(model)s has no page %(page)d", model=model, page=missing[0]),
            )
    return tuple(f for _, f in forms)
