"""The checks every TPS profile value goes through whatever its field: known keys, text free of
control characters and of sane length, lists of sane length, ASCII digits.

``Checker`` collects ``Problem``s with the line of each field (kiosk/tomllines.py); the field
rules themselves are kiosk/profile.py's.
"""

from __future__ import annotations

import difflib
from typing import Any

from kiosk.lazy_text import LazyString  # not flask_babel's: the worker loads no Flask
from kiosk.lazy_text import lazy_gettext as _l
from kiosk.profile_text import MAX_PROBLEMS, Problem, bad_char
from kiosk.tomllines import locate

# The keys a profile may hold, per table ("[]": each element of an array of tables).
KNOWN_KEYS = {
    "": (
        "code",
        "province",
        "regency",
        "district",
        "village",
        "election",
        "election_date",
        "reserve_percent",
        "dpt_l",
        "dpt_p",
        "allow_pin_only",
        "upload",
        "ballots",
        "officers",
        "forms",  # each table's keys are kiosk/forms/check.py's to check
    ),
    "upload": ("endpoint", "token"),
    "ballots[]": ("type", "candidates", "parties"),
    "ballots[].parties[]": ("name", "candidates"),
    "officers[]": ("id", "name", "role", "pin", "card_uid"),
}
MAX_TEXT = 150  # characters of a name (a candidate pair with titles is ~80)
MAX_LONG_TEXT = {"upload.endpoint": 512, "upload.token": 512}
MAX_ITEMS = 100  # candidates of a ballot or a party, parties of a ballot
MAX_OFFICERS = 50  # KPPS 1-7, teknisi, pelatih and their stand-ins
MAX_FORM_BOXES = 400  # boxes of one form page: a DPR page lists every party's candidates
MAX_VALUES = 20000  # keys and list items in the whole file (a box of [[forms]] takes ~7)


class Checker:
    def __init__(self, lines: dict[str, int]) -> None:
        self.lines = lines
        self.problems: list[Problem] = []

    def fail(self, path: str, message: LazyString) -> None:
        # Past what ProfileError shows, only the count matters: skip looking up the line.
        line = locate(self.lines, path) if len(self.problems) <= MAX_PROBLEMS else None
        self.problems.append(Problem(line, path, message))

    def walk(self, data: dict[str, Any]) -> None:
        """Every key known, every text free of control characters and short, every list short.

        Iterative, and on parsed data whose nesting profile_text already bounded."""
        count = 0
        stack: list[tuple[Any, str, str]] = [(data, "", "")]  # value, path, KNOWN_KEYS key
        while stack:
            value, path, schema = stack.pop()
            count += 1
            if isinstance(value, dict):
                known = KNOWN_KEYS.get(schema)
                for key, child in value.items():
                    child_path = f"{path}.{key}" if path else key
                    if known is not None and key not in known:
                        self._unknown(key, child_path, known)
                        continue
                    stack.append((child, child_path, f"{schema}.{key}" if schema else key))
            elif isinstance(value, list):
                limit = MAX_OFFICERS if path == "officers" else MAX_ITEMS
                if schema == "forms[].boxes":
                    limit = MAX_FORM_BOXES
                if len(value) > limit:
                    self.fail(
                        path,
                        _l(
                            "has too many entries (%(n)d; at most %(max)d)", n=len(value), max=limit
                        ),
                    )
                for i, item in enumerate(value):
                    # A plain list's items have no line of their own: name the list.
                    item_path = f"{path}[{i}]" if isinstance(item, dict | list) else path
                    stack.append((item, item_path, f"{schema}[]"))
            elif isinstance(value, str):
                self._text(value, path)
        if count > MAX_VALUES:
            self.fail(
                "berkas",
                _l(
                    "the file holds too many keys and values (%(n)d; at most %(max)d)",
                    n=count,
                    max=MAX_VALUES,
                ),
            )

    def _unknown(self, key: str, path: str, known: tuple[str, ...]) -> None:
        close = difflib.get_close_matches(key, known, n=1)
        if close:
            message = _l("unknown key %(key)s — did you mean %(close)s?", key=key, close=close[0])
        else:
            message = _l(
                "unknown key %(key)s; the keys allowed here are %(known)s",
                key=key,
                known=", ".join(known),
            )
        self.fail(path, message)

    def _text(self, value: str, path: str) -> None:
        found = bad_char(value)
        if found:
            self.fail(path, _l("contains a control character (%(char)s); remove it", char=found))
        limit = MAX_LONG_TEXT.get(path, MAX_TEXT)
        if len(value) > limit:
            self.fail(
                path, _l("is too long (%(n)d characters; at most %(max)d)", n=len(value), max=limit)
            )

    def digits(self, value: object, path: str) -> bool:
        """False (and told) when ``value`` holds a digit other than 0-9 (full-width, Arabic...)."""
        if isinstance(value, str):
            other = next((ch for ch in value if ch.isdigit() and not ch.isascii()), None)
            if other is not None:
                self.fail(
                    path,
                    _l(
                        "only the digits 0-9 may be used; %(char)s is a digit of another script",
                        char=other,
                    ),
                )
                return False
        return True

    def text_field(self, table: dict[str, Any], key: str, path: str) -> str:
        value = table.get(key)
        if not isinstance(value, str) or not value.strip():
            self.fail(path, _l("must be filled in (text)"))
            return ""
        return value.strip()

    def int_field(self, table: dict[str, Any], key: str, path: str, low: int, high: int) -> int:
        value = table.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fail(
                path, _l("must be a whole number from %(low)d to %(high)d", low=low, high=high)
            )
            return 0
        return value
