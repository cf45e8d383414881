"""Checklists are data: one TOML file per election kind (``data/pemilu2024.toml``, ...).

A checklist has phases in order, each with steps. Step kinds:

- ``tick``: done / not done;
- ``number``: a whole number, or one per ballot type with ``per_ballot = true``; ``feeds =
  "ballots_received"`` hands the counts to C.Hasil rule 9;
- ``text``: a short note;
- ``scan``: a page scanned through the scanner and kept with its hash;
- ``clock``: the Ketua confirms or sets the kiosk's clock (no RTC, no network at many TPS);
- ``signoff``: the Ketua KPPS signs the phase off; the next phase opens only after it.

``not_before = "HH:MM"`` keeps a step closed until then; ``late_after`` with
``max_late_minutes`` asks for the reason of a late step. ``load`` refuses a malformed file with
the line and field.

Every text a person reads (phase and step ``title``, reminder ``text``) is written in Bahasa
Indonesia with its English beside it (``title_en``, ``text_en``): the data file stays the one
source of the day in both languages, and a missing, blank or untranslated English text is refused
naming the step. A ``Text`` shows the one of the current screen language.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask_babel import get_locale
from markupsafe import Markup, escape

from kiosk.tomllines import line_map, locate

KINDS = ("tick", "number", "text", "scan", "clock", "signoff")
FEEDS = ("ballots_received",)
DATA = Path(__file__).parent / "data"
FILES = {"pemilu": DATA / "pemilu2024.toml", "pilkada": DATA / "pilkada2024.toml"}
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_ID = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


def _language() -> str:
    """The screen language of this request; Bahasa Indonesia outside one (the command line)."""
    try:
        locale = get_locale()
    except RuntimeError:  # no application context
        locale = None
    return locale.language if locale is not None else "id"


class Text(str):
    """A data-file text in both languages. As a ``str`` it is the Indonesian (what is compared,
    joined and kept in the audit log stays one stable value); shown (``str()``, f-strings,
    ``%s``, Jinja) it is the current screen language's."""

    en: str

    def __new__(cls, indonesian: str, english: str) -> Text:
        text = super().__new__(cls, indonesian)
        text.en = english
        return text

    @property
    def id(self) -> str:
        return str.__str__(self)

    def __str__(self) -> str:
        return self.en if _language() == "en" else str.__str__(self)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __html__(self) -> Markup:
        return escape(str(self))

    def __reduce__(self) -> tuple[Any, ...]:
        return (Text, (str.__str__(self), self.en))


@dataclass(frozen=True)
class Step:
    id: str
    kind: str
    title: Text
    per_ballot: bool = False
    feeds: str | None = None
    not_before: dt.time | None = None
    late_after: dt.time | None = None
    max_late_minutes: int = 0


@dataclass(frozen=True)
class Phase:
    id: str
    title: Text
    steps: tuple[Step, ...]
    # The counting phase: the 12-hour limit runs from its first step, and its sign-off waits
    # until counting is finished (every ballot's C.Hasil confirmed and signed).
    counting: bool = False


@dataclass(frozen=True)
class Reminder:
    at: dt.time
    text: Text


@dataclass(frozen=True)
class Checklist:
    name: str
    election: str
    phases: tuple[Phase, ...]
    reminders: tuple[Reminder, ...]
    counting_limit_hours: int

    def step(self, step_id: str) -> tuple[Phase, Step]:
        for phase in self.phases:
            for step in phase.steps:
                if step.id == step_id:
                    return phase, step
        raise KeyError(step_id)


class ChecklistError(ValueError):
    def __init__(self, path: Path | str, problems: list[tuple[int | None, str, str]]) -> None:
        lines = [
            f"{path}: baris {line}, {field}: {msg}" if line else f"{path}: {field}: {msg}"
            for line, field, msg in problems
        ]
        super().__init__("\n".join(lines))
        self.problems = problems


def _time(value: Any) -> dt.time | None:
    if isinstance(value, str) and (m := _TIME.match(value)):
        return dt.time(int(m.group(1)), int(m.group(2)))
    return None


def _text(item: dict[str, Any], key: str, path: str, fail: Any, what: str) -> Text:
    """``item[key]`` with its English (``key_en``); a problem for each one missing or blank,
    or an English that only repeats the Indonesian."""
    indonesian, english = item.get(key), item.get(f"{key}_en")
    if not isinstance(indonesian, str) or not indonesian.strip():
        fail(f"{path}.{key}", f"{what}: wajib diisi")
        return Text("", "")
    if not isinstance(english, str) or not english.strip():
        fail(f"{path}.{key}_en", f"{what}: terjemahan Inggris ({key}_en) wajib diisi")
        return Text(indonesian.strip(), "")
    if english.strip() == indonesian.strip():
        fail(f"{path}.{key}_en", f"{what}: {key}_en belum diterjemahkan (sama dengan {key})")
    return Text(indonesian.strip(), english.strip())


def parse(text: str, source: str = "checklist") -> Checklist:
    """Validate and build a checklist; raise ChecklistError naming every bad line and field."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise ChecklistError(
            source, [(int(line.group(1)) if line else None, "TOML", f"bukan TOML yang sah: {exc}")]
        ) from exc
    lines = line_map(text)
    problems: list[tuple[int | None, str, str]] = []

    def fail(path: str, message: str) -> None:
        problems.append((locate(lines, path), path, message))

    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        fail("name", "wajib diisi")
    election = data.get("election")
    if election not in FILES:
        fail("election", f"harus salah satu dari {', '.join(FILES)}")
    limit = data.get("counting_limit_hours", 12)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 24:
        fail("counting_limit_hours", "harus bilangan bulat 1 sampai 24")
        limit = 12
    reminders = _reminders(data, fail)
    phases: list[Phase] = []
    seen: set[str] = set()
    raw_phases = data.get("phases")
    if not isinstance(raw_phases, list) or not raw_phases:
        fail("phases", "perlu paling sedikit satu [[phases]]")
        raw_phases = []
    for i, p in enumerate(raw_phases):
        path = f"phases[{i}]"
        if not isinstance(p.get("id"), str) or not _ID.match(p["id"]):
            fail(f"{path}.id", "harus id huruf kecil, angka dan garis bawah")
            continue
        title = _text(p, "title", path, fail, f"fase {p['id']}")
        steps = []
        raw_steps = p.get("steps")
        if not isinstance(raw_steps, list) or not raw_steps:
            fail(f"{path}.steps", "fase perlu paling sedikit satu langkah")
            raw_steps = []
        for j, s in enumerate(raw_steps):
            step = _step(s, f"{path}.steps[{j}]", fail, seen)
            if step is not None:
                steps.append(step)
        if steps and steps[-1].kind != "signoff":
            fail(
                f"{path}.steps[{len(raw_steps) - 1}].kind",
                'langkah terakhir sebuah fase harus "signoff" (tanda tangan Ketua)',
            )
        phases.append(Phase(p["id"], title, tuple(steps), bool(p.get("counting", False))))
    if problems:
        raise ChecklistError(source, problems)
    return Checklist(str(name), str(election), tuple(phases), tuple(reminders), limit)


def _reminders(data: dict[str, Any], fail: Any) -> list[Reminder]:
    reminders = []
    for i, r in enumerate(data.get("reminders", [])):
        at = _time(r.get("at")) if isinstance(r, dict) else None
        if at is None:
            fail(f"reminders[{i}].at", 'harus jam seperti "11:00"')
            continue
        text = _text(r, "text", f"reminders[{i}]", fail, f"pengingat {r['at']}")
        reminders.append(Reminder(at, text))
    return reminders


def _step(s: Any, path: str, fail: Any, seen: set[str]) -> Step | None:
    if not isinstance(s, dict):
        fail(path, "harus tabel [[phases.steps]]")
        return None
    sid = s.get("id")
    if not isinstance(sid, str) or not _ID.match(sid):
        fail(f"{path}.id", "harus id huruf kecil, angka dan garis bawah")
        return None
    if sid in seen:
        fail(f"{path}.id", f"{sid} dipakai dua kali")
    seen.add(sid)
    kind = s.get("kind")
    if kind not in KINDS:
        fail(f"{path}.kind", f"harus salah satu dari {', '.join(KINDS)}")
        return None
    title = _text(s, "title", path, fail, f"langkah {sid}")
    feeds = s.get("feeds")
    if feeds is not None and (feeds not in FEEDS or kind != "number" or not s.get("per_ballot")):
        fail(f"{path}.feeds", f"hanya {', '.join(FEEDS)} pada langkah number dengan per_ballot")
    times = {}
    for key in ("not_before", "late_after"):
        if key in s:
            times[key] = _time(s[key])
            if times[key] is None:
                fail(f"{path}.{key}", 'harus jam seperti "07:00"')
    late = s.get("max_late_minutes", 0)
    if isinstance(late, bool) or not isinstance(late, int) or not 0 <= late <= 240:
        fail(f"{path}.max_late_minutes", "harus bilangan bulat 0 sampai 240")
        late = 0
    return Step(
        sid,
        str(kind),
        title,
        bool(s.get("per_ballot")),
        feeds,
        times.get("not_before"),
        times.get("late_after"),
        late,
    )


def load(election: str) -> Checklist:
    path = FILES[election]
    return parse(path.read_text(encoding="utf-8"), str(path))
