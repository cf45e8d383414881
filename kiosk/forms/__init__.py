"""C.Hasil form definitions as data: each form model's pages, title, size, registration anchors
and number boxes with their digit cells (the shared interface of issue 18).

Definitions are TOML: one ``[[forms]]`` table per page (README.md, "Form definitions"). The
project's own forms, the sample sheets the fake scanner prints, ship as
``drivers/scanner/forms/*.toml``: the renderer draws them from those very files (drivers/ may not
import kiosk/, so the files live beside it), and ``shipped_forms`` checks and loads them here. A
TPS profile may carry KPU's real forms as ``[[forms]]`` tables (kiosk/profile.py);
``forms_for`` puts those in place of the shipped form of the same ballot.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Sequence
from pathlib import Path

from kiosk.forms.check import check_forms, check_set
from kiosk.forms.model import FormDefinitionError, FormPage, NumberBox, Rect
from kiosk.lazy_text import LazyString
from kiosk.lazy_text import lazy_gettext as _l
from kiosk.tomllines import line_map, locate

__all__ = [
    "FormDefinitionError",
    "FormPage",
    "NumberBox",
    "Rect",
    "forms_for",
    "load_forms",
    "shipped_forms",
]


def load_forms(text: str, source: str) -> tuple[FormPage, ...]:
    """The form pages a definition file holds; FormDefinitionError names ``source``, the line
    and the field of every problem."""
    try:
        data = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise FormDefinitionError(source, [(None, "TOML", str(exc))]) from exc
    lines = line_map(text.removeprefix("\ufeff"))
    problems: list[tuple[int | None, str, str]] = []

    def fail(path: str, message: LazyString) -> None:
        problems.append((locate(lines, path), path, str(message)))

    unknown = sorted(set(data) - {"forms"})
    for key in unknown:
        fail(
            key,
            _l("unknown key %(key)s; the keys allowed here are %(known)s", key=key, known="forms"),
        )
    forms = check_forms(data.get("forms"), fail)
    if problems:
        raise FormDefinitionError(source, problems)
    return forms


def _shipped_dir() -> Path:
    import drivers.scanner

    return Path(drivers.scanner.__file__).resolve().parent / "forms"


@functools.cache
def shipped_forms() -> tuple[FormPage, ...]:
    """The forms the project renders (the fake scanner's sample sheets: PPWP, DPR, DPD)."""
    loaded: list[tuple[str, FormPage]] = []
    for path in sorted(_shipped_dir().glob("*.toml")):
        loaded += [(path.name, f) for f in load_forms(path.read_text("utf-8"), path.name)]
    problems: list[tuple[int | None, str, str]] = []
    check_set(loaded, lambda where, message: problems.append((None, where, str(message))))
    if problems:
        raise FormDefinitionError(str(_shipped_dir()), problems)
    order = {"PPWP": 0, "DPR": 1, "DPD": 2}
    return tuple(sorted((f for _, f in loaded), key=lambda f: (order.get(f.ballot, 9), f.page)))


def forms_for(profile_forms: Sequence[FormPage]) -> tuple[FormPage, ...]:
    """The forms a TPS reads: the profile's, and the shipped form of each ballot the profile
    defines none for (the demo and training profiles define none)."""
    defined = {f.ballot for f in profile_forms}
    return (*profile_forms, *(f for f in shipped_forms() if f.ballot not in defined))
