"""Bahasa Indonesia is the default language and every UI string has an Indonesian translation."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "kiosk/translations/id/LC_MESSAGES/messages.po"


def test_indonesian_catalogue_has_no_untranslated_or_fuzzy_entry():
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    untranslated = [m.id for m in catalog if m.id and not m.string]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == []
    assert fuzzy == []


def test_catalogue_covers_every_string_in_the_code(tmp_path):
    """Extract the strings afresh: a new UI string not yet in the catalogue fails here."""
    pot = tmp_path / "fresh.pot"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "pybabel"),
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-o",
            str(pot),
            "--no-location",
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as fh:
        fresh = {m.id for m in read_po(fh) if m.id}
    with PO.open("rb") as fh:
        known = {m.id for m in read_po(fh) if m.id and m.string}
    assert sorted(fresh - known) == []


# Words that are the same in both languages (names, codes) may stand in templates as they are.
SAME_IN_BOTH = {
    "TPS",
    "OK",
    "C",
    "SIMULASI",
    "English",
    "Bahasa Indonesia",
    "✔",
    "✖",
    "·",
    ":",
    "—",
}


def test_templates_have_no_hard_coded_text():
    offenders = []
    for tpl in sorted((ROOT / "kiosk/templates").glob("*.html")):
        text = tpl.read_text()
        text = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", " ", text, flags=re.S)
        text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
        text = re.sub(r"<[^>]*>", " ", text)
        for chunk in re.split(r"\s{2,}|\n", text):
            chunk = chunk.strip(" ()")
            roman = re.fullmatch(r"[IVX]+\.", chunk)  # section numbers of the C.Hasil form
            if chunk and re.search(r"[A-Za-z]", chunk) and chunk not in SAME_IN_BOTH and not roman:
                offenders.append(f"{tpl.name}: {chunk!r}")
    assert offenders == []
