"""A TPS profile file before its fields are looked at: bytes to text, limits, TOML.

Profiles come from Notepad (a BOM, CRLF), from spreadsheets through ``tps-kiosk fleet batch``,
and from whatever file a technician picks by mistake. Everything here refuses with a
``Problem`` (line, field, Bahasa message), never an exception of the standard library: the size
is checked before the file is read whole, and the nesting of ``[`` and ``{`` is checked on the
raw text before tomllib parses it (tomllib recurses once per level and would raise
RecursionError on a few hundred levels).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.lazy_text import LazyString  # not flask_babel's: the worker loads no Flask
from kiosk.lazy_text import lazy_gettext as _l
from kiosk.tomllines import line_map

MAX_BYTES = 256 * 1024  # the sample is 1.4 KB; a pemilu profile with every DPR candidate ~20 KB
MAX_DEPTH = 4  # [[ballots.parties]] is 2; an inline table holding a list is 2
MAX_PROBLEMS = 20  # more would scroll the first ones, the ones to fix first, off the screen
FILE = "berkas"  # the field named for problems of the file as a whole
# C0 and C1 controls, DEL, line/paragraph separators, and the bidirectional controls: "format"
# characters that are no Cc but reorder what a name shows on screen and on paper.
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_BAD = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{_BIDI}]")
_BAD_RAW = re.compile(f"[\x00-\x08\x0a-\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029{_BIDI}]")
_TOKEN = re.compile(r"\\.|\"\"\"|'''|[\"'#\[\]{}\n]")
_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)|\(at end of document\)")


@dataclass(frozen=True)
class Problem:
    line: int | None
    field: str
    message: LazyString

    def __str__(self) -> str:
        where = f"baris {self.line}, " if self.line else ""
        return f"{where}{self.field}: {self.message}"


class ProfileError(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        if len(problems) > MAX_PROBLEMS:
            more = len(problems) - MAX_PROBLEMS
            problems = [
                *problems[:MAX_PROBLEMS],
                Problem(None, "…", _l("and %(n)d more problems", n=more)),
            ]
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def bad_char(text: str, raw: bool = False) -> str | None:
    """The first control or bidirectional character in ``text`` as U+XXXX, if any; ``raw``
    allows TOML's own tab and line ends (a line of the file, not a value)."""
    found = (_BAD_RAW if raw else _BAD).search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def read_profile(path: Path) -> str:
    """The text of the profile file at ``path``; ProfileError says in Bahasa why it is none."""
    name = str(path)
    try:
        if path.is_dir():
            raise ProfileError(
                [Problem(None, FILE, _l("%(path)s is a folder, not a profile file", path=name))]
            )
        with path.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)  # a FIFO or /dev/zero has no size to stat
    except FileNotFoundError as exc:
        raise ProfileError(
            [
                Problem(
                    None, FILE, _l("file not found: %(path)s; check its name and folder", path=name)
                )
            ]
        ) from exc
    except PermissionError as exc:
        raise ProfileError(
            [
                Problem(
                    None,
                    FILE,
                    _l(
                        "%(path)s cannot be read: permission denied; copy it to your own folder",
                        path=name,
                    ),
                )
            ]
        ) from exc
    except OSError as exc:
        raise ProfileError(
            [
                Problem(
                    None,
                    FILE,
                    _l(
                        "%(path)s cannot be read (%(error)s)",
                        path=name,
                        error=exc.strerror or type(exc).__name__,
                    ),
                )
            ]
        ) from exc
    return decode_profile(data)


def decode_profile(data: bytes) -> str:
    """UTF-8 text without a BOM, or ProfileError (too big, UTF-16, binary, not UTF-8)."""
    if len(data) > MAX_BYTES:
        raise ProfileError([_too_big(len(data))])
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ProfileError(
            [Problem(None, FILE, _l("is saved as UTF-16 (Unicode); save it again as UTF-8"))]
        )
    if b"\0" in data:
        line = data[: data.index(b"\0")].count(b"\n") + 1
        raise ProfileError(
            [
                Problem(
                    line,
                    FILE,
                    _l("is not a text file (it holds a zero byte); choose the profile .toml file"),
                )
            ]
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        message = _l(
            "is not UTF-8 text (byte %(byte)s at column %(column)d); save it again as UTF-8",
            byte=f"0x{data[exc.start]:02X}",
            column=column,
        )
        raise ProfileError([Problem(line, FILE, message)]) from exc


def _too_big(size: int) -> Problem:
    return Problem(
        None,
        FILE,
        _l(
            "the file is too big (%(size)s bytes; at most %(max)s): a profile is a few KB",
            size=f"{size:,}".replace(",", "."),
            max=f"{MAX_BYTES:,}".replace(",", "."),
        ),
    )


def load_toml(text: str) -> tuple[dict[str, Any], dict[str, int]]:
    """The parsed profile and its line map; the raw text is checked first (BOM dropped)."""
    text = text.removeprefix("\ufeff")
    lines = line_map(text)
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise ProfileError([_too_big(len(text.encode("utf-8", "surrogatepass")))])
    problems = _raw_problems(text, lines)
    if problems:
        raise ProfileError(problems)
    try:
        return tomllib.loads(text), lines
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError([_toml_problem(text, lines, str(exc))]) from exc


def field_at(lines: dict[str, int], number: int) -> str:
    """The key or table written on line ``number`` ("TOML" when there is none)."""
    return next((path for path, at in lines.items() if at == number), "TOML")


def _raw_problems(text: str, lines: dict[str, int]) -> list[Problem]:
    problems: list[Problem] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        found = bad_char(raw, raw=True)
        if found and len(problems) <= MAX_PROBLEMS:
            problems.append(
                Problem(
                    number,
                    field_at(lines, number),
                    _l("contains a control character (%(char)s); remove it", char=found),
                )
            )
    too_deep = _too_deep(text)
    if too_deep is not None:
        problems.append(
            Problem(
                too_deep,
                field_at(lines, too_deep),
                _l(
                    "lists [ ] or tables { } are nested too deeply (more than %(max)d levels)",
                    max=MAX_DEPTH,
                ),
            )
        )
    return problems


def _too_deep(text: str) -> int | None:
    """The line where ``[``/``{`` nest deeper than MAX_DEPTH outside strings and comments."""
    depth, line, inside = 0, 1, ""  # inside: the string's quote, "#" in a comment, "" in code
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token == "\n":
            line += 1
            if inside in ('"', "'", "#"):
                inside = ""  # a one-line string or comment ends (tomllib tells a missing quote)
        elif inside == "#":
            continue
        elif not inside:
            if token in ('"', "'", '"""', "'''", "#"):
                inside = token
            elif token in "[{":
                depth += 1
                if depth > MAX_DEPTH:
                    return line
            elif token in "]}":
                depth = max(depth - 1, 0)
        elif token[0] == "\\":
            if inside == "'" and token[1] == "'":
                inside = ""  # no escapes in a literal string: its quote closes it
        elif token == inside:
            inside = ""
    return None


def _toml_problem(text: str, lines: dict[str, int], error: str) -> Problem:
    position = _POSITION.search(error)
    if position and position.group(1):
        line, column = int(position.group(1)), int(position.group(2))
    else:
        line, column = max(text.count("\n"), 1), 0
    what = _toml_reason(error)
    if what is None:
        message = _l("the file is not valid TOML: %(error)s", error=error)
    elif column:
        message = _l("not valid TOML at column %(column)d: %(what)s", column=column, what=what)
    else:
        message = _l("not valid TOML: %(what)s", what=what)
    return Problem(line, field_at(lines, line), message)


def _toml_reason(error: str) -> LazyString | None:
    """tomllib's English reason told the way a technician can act on it."""
    reasons: list[tuple[str, LazyString]] = [
        (
            r"Illegal character '\\n'|Unterminated string|^Expected \"",
            _l("the closing quote is missing"),
        ),
        (
            r"^Invalid value",
            _l(
                "the value is not valid: text needs quotes, a date is written like 2024-02-14,"
                " numbers and true/false go without quotes"
            ),
        ),
        (r"^Expected '=' after a key", _l("'=' is missing after the key")),
        (r"^Expected '\]\]?' at the end", _l("the closing ] of the table name is missing")),
        (r"^Cannot (overwrite|declare|mutate)", _l("this key or table is written twice")),
        (
            r"^Expected newline or end of document",
            _l("something follows the value on this line (one key = value per line)"),
        ),
        (r"^Invalid date", _l("the date is not valid")),
        (r"^Unclosed (array|inline table)", _l("the closing ] or } is missing")),
        (r"^Invalid statement", _l("this line is neither key = value nor a [table]")),
        (r"^Invalid initial character", _l("a key name may hold letters, digits, _ and - only")),
        (
            r"^Unescaped '\\\\'|^Escaped character|^Invalid hex",
            _l("a backslash in text must be written twice"),
        ),
        (r"^Illegal character|^Found invalid character", _l("a character not allowed here")),
    ]
    for pattern, reason in reasons:
        if re.search(pattern, error):
            return reason
    return None
