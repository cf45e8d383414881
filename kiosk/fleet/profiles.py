"""From one spreadsheet row and a profile template to the full TPS profile text.

A template (``DIR/<profil>.toml``) holds the election-wide parts shared by many TPS: election,
election_date, reserve_percent, allow_pin_only, [upload] and [[ballots]]. The row adds the TPS
identity, the DPT counts and the officers; the batch draws each officer's PIN. The result is
checked with ``kiosk.profile.parse_profile``, the kiosk's own validation.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from kiosk.fleet.sheet import KPPS, Row
from kiosk.profile import ProfileError, parse_profile, read_profile
from kiosk.profile_text import load_toml
from kiosk.roles import Role

TEMPLATE_KEYS = (
    "election",
    "election_date",
    "reserve_percent",
    "allow_pin_only",
    "upload",
    "ballots",
)
IDENTITY_KEYS = {  # profile key -> CSV column
    "code": "kode_tps",
    "province": "provinsi",
    "regency": "kabupaten_kota",
    "district": "kecamatan",
    "village": "kelurahan_desa",
    "dpt_l": "dpt_l",
    "dpt_p": "dpt_p",
}
_TEMPLATE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_OFFICER_FIELD = re.compile(r"^officers\[(\d+)\]")
# Stand-in for a row whose own template is unusable, so the row's other cells are still checked.
_STAND_IN = """election = "pilkada"
election_date = 2024-11-27
reserve_percent = 2.5
[upload]
endpoint = "https://collector.invalid/files/"
token = "stand-in-token-not-used"
[[ballots]]
type = "GUBERNUR"
candidates = ["01", "02"]
"""


class TemplateError(ValueError):
    """The row's template cannot be used. The message is short (it is repeated on every row
    naming the template); ``problems`` are the template's own, to be reported once."""

    def __init__(self, message: str, problems: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems


@dataclass(frozen=True)
class Template:
    name: str  # file name in the templates folder, e.g. "dapil-kaltim-1.toml"
    text: str  # ends with a newline


STAND_IN = Template("(pengganti)", _STAND_IN)


@dataclass(frozen=True)
class Member:
    """One officer of the roster, as the row names them."""

    id: str  # kpps1 .. kpps7, teknisi
    column: str  # the CSV column the name came from
    role: Role
    name: str
    pin: str


def toml_string(value: str) -> str:
    """A TOML basic string: JSON's escapes are all valid TOML, except that TOML also wants
    DEL escaped."""
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_count(value: str) -> str:
    # Digits go in as a number; anything else as text, so parse_profile names the problem.
    # isdigit() alone also takes full-width digits, which TOML refuses as a number.
    return value if value.isascii() and value.isdigit() and len(value) < 8 else toml_string(value)


def new_pin() -> str:
    """Six random digits, never starting with 0 (a spreadsheet would drop it), never one digit
    repeated or a run like 123456."""
    while True:
        pin = str(100000 + secrets.randbelow(900000))
        steps = {int(b) - int(a) for a, b in pairwise(pin)}
        if steps not in ({0}, {1}, {-1}):
            return pin


def roster(row: Row) -> tuple[list[Member], list[tuple[str, str]]]:
    """The officers the row names, each with a fresh PIN, and (column, message) problems."""
    problems: list[tuple[str, str]] = []
    cell = row["operator_sirekap"]
    operators = {int(d) for d in re.findall(r"[0-9]+", cell)}
    if any(ch.isdigit() and not ch.isascii() for ch in cell):
        problems.append(("operator_sirekap", "pakai angka 0-9 biasa, misalnya 4 5"))
    elif any(n not in range(2, 8) for n in operators):
        problems.append(("operator_sirekap", "nomor anggota KPPS 2 sampai 7, misalnya 4 5"))
    elif len(operators) > 2:
        problems.append(("operator_sirekap", "paling banyak 2 operator Sirekap"))
    for n in sorted(operators & set(range(2, 8))):
        if not row[KPPS[n - 1]]:
            problems.append(("operator_sirekap", f"anggota {n} dipilih tetapi namanya kosong"))
    members = []
    for n, column in enumerate(KPPS, start=1):
        if n > 1 and not row[column]:
            continue  # a member not yet appointed; the Ketua's cell is checked as "officers"
        role = Role.KETUA if n == 1 else Role.OPERATOR if n in operators else Role.ANGGOTA
        members.append(Member(f"kpps{n}", column, role, row[column], ""))
    if row["teknisi"]:
        members.append(Member("teknisi", "teknisi", Role.TEKNISI, row["teknisi"], ""))
    pins: set[str] = set()
    with_pins = []
    for m in members:
        pin = new_pin()
        while pin in pins:
            pin = new_pin()
        pins.add(pin)
        with_pins.append(Member(m.id, m.column, m.role, m.name, pin))
    return with_pins, problems


def _identity(template: Template, row: Row) -> str:
    """The lines before the template: TPS identity and DPT, then a blank line."""
    lines = [f"# TPS {row['kode_tps']}: tps-kiosk fleet batch, templat {template.name}"]
    for key, column in IDENTITY_KEYS.items():
        value = row[column]
        lines.append(
            f"{key} = {_toml_count(value) if key.startswith('dpt') else toml_string(value)}"
        )
    return "\n".join(lines) + "\n\n"


def render(template: Template, row: Row, members: list[Member]) -> str:
    """The full profile TOML: identity and DPT, the template verbatim, then the roster."""
    text = _identity(template, row) + template.text
    for m in members:
        text += (
            f"\n[[officers]]\nid = {toml_string(m.id)}\nname = {toml_string(m.name)}\n"
            f"role = {toml_string(m.role.value)}\npin = {toml_string(m.pin)}\n"
        )
    return text


def column_of(field: str, members: list[Member]) -> str | None:
    """The CSV column a parse_profile problem is about; None when it is the template's."""
    if field in IDENTITY_KEYS:
        return IDENTITY_KEYS[field]
    if field == "officers":
        return "ketua"
    if match := _OFFICER_FIELD.match(field):
        return members[int(match.group(1))].column
    return None


class TemplateFolder:
    """The templates of one batch, each read and checked once (a batch has ~1,000 rows and a
    handful of templates)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._loaded: dict[str, Template | TemplateError] = {}

    @staticmethod
    def file_name(cell: str) -> str:
        """A ``profil`` cell's template file: "dapil-1" and "dapil-1.toml" are the same."""
        return cell if cell.endswith(".toml") else f"{cell}.toml"

    def get(self, cell: str) -> Template:
        """The template a row's ``profil`` cell names."""
        name = self.file_name(cell)
        if name not in self._loaded:
            try:
                self._loaded[name] = self._load(name)
            except TemplateError as exc:
                self._loaded[name] = exc
        found = self._loaded[name]
        if isinstance(found, TemplateError):
            raise found
        return found

    def _load(self, name: str) -> Template:
        path = self.folder / name
        if not _TEMPLATE_NAME.match(name):
            raise TemplateError(f"nama templat {name!r} tidak boleh berisi / atau spasi")
        if not path.exists():
            raise TemplateError(f"templat {name} tidak ada di {self.folder}")
        try:
            # The kiosk's own checks of the file: size, encoding, control characters, nesting
            # (before tomllib, which recurses), then TOML, each told with its line.
            text = read_profile(path)
            if not text.endswith("\n"):
                text += "\n"
            data, _ = load_toml(text)
        except ProfileError as exc:
            raise TemplateError(
                f"templat {name} ditolak (kesalahan templat di atas)",
                tuple(str(p) for p in exc.problems),
            ) from exc
        extra = sorted(set(data) - set(TEMPLATE_KEYS))
        if extra:
            raise TemplateError(
                f"templat {name} ditolak (kesalahan templat di atas)",
                (
                    f"hanya boleh berisi {', '.join(TEMPLATE_KEYS)}; "
                    f"{', '.join(extra)} diisi dari CSV atau tidak dikenal",
                ),
            )
        template = Template(name, text)
        self._check(template)
        return template

    @staticmethod
    def _check(template: Template) -> None:
        """Try the template with a made-up TPS; its own problems name lines of the template."""
        sample = Row(
            0,
            {
                "kode_tps": "1101010001001",
                "provinsi": "-",
                "kabupaten_kota": "-",
                "kecamatan": "-",
                "kelurahan_desa": "-",
                "dpt_l": "0",
                "dpt_p": "0",
                "ketua": "-",
            },
        )
        members, _ = roster(sample)
        text = render(template, sample, members)
        header_lines = _identity(template, sample).count("\n")
        try:
            parse_profile(text)
        except ProfileError as exc:
            found = [
                (f"baris {p.line - header_lines}, " if p.line and p.line > header_lines else "")
                + f"{p.field}: {p.message}"
                for p in exc.problems
            ]
            raise TemplateError(
                f"templat {template.name} ditolak (kesalahan templat di atas)", tuple(found)
            ) from exc
