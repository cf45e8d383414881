"""Checklist files: both shipped files load; malformed ones are refused naming the line."""

from __future__ import annotations

import pytest

from kiosk.checklist.model import FILES, ChecklistError, load, parse

PEMILU = FILES["pemilu"].read_text()


@pytest.mark.parametrize("election", ["pemilu", "pilkada"])
def test_shipped_checklists_load(election):
    checklist = load(election)
    assert checklist.election == election
    assert [p.id for p in checklist.phases] == [
        "persiapan",
        "pembukaan",
        "pemungutan",
        "penutupan",
        "penghitungan",
        "penyerahan",
    ]
    assert [r.at.strftime("%H:%M") for r in checklist.reminders] == [
        "11:00",
        "12:00",
        "12:55",
        "13:00",
    ]
    _phase, opening = checklist.step("rapat_dibuka")
    assert opening.not_before.strftime("%H:%M") == "07:00" and opening.max_late_minutes == 30
    assert checklist.step("surat_suara_diterima")[1].feeds == "ballots_received"
    assert all(p.steps[-1].kind == "signoff" for p in checklist.phases)


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """The line holding ``needle`` (a table header must match the whole line)."""
    exact = needle.startswith("[")
    return [
        n
        for n, line in enumerate(text.splitlines(), 1)
        if (line.strip() == needle if exact else needle in line)
    ][nth - 1]


BAD = [
    ("unknown kind", PEMILU.replace('kind = "scan"', 'kind = "photo2"'), 'kind = "photo2"', 1),
    (
        "bad time",
        PEMILU.replace('not_before = "13:00"', 'not_before = "1 siang"'),
        'not_before = "1 siang"',
        1,
    ),
    ("duplicate step id", PEMILU.replace('id = "sumpah"', 'id = "logistik"'), 'id = "logistik"', 2),
    (
        "phase not ending in signoff",
        PEMILU.replace(
            'id = "penyerahan_ditandatangani"\nkind = "signoff"',
            'id = "penyerahan_ditandatangani"\nkind = "tick"',
        ),
        'id = "penyerahan_ditandatangani"',
        1,
    ),
    (
        "feeds on a tick",
        PEMILU.replace(
            'id = "sumpah"\nkind = "tick"',
            'id = "sumpah"\nkind = "tick"\nfeeds = "ballots_received"',
        ),
        'feeds = "ballots_received"',
        1,
    ),
    ("reminder without time", PEMILU.replace('at = "12:55"', "at = 1255"), "at = 1255", 1),
    (
        "unknown election",
        PEMILU.replace('election = "pemilu"', 'election = "pilpres"'),
        'election = "pilpres"',
        1,
    ),
    (
        "not toml",
        PEMILU.replace('[[phases]]\nid = "penutupan"', '[[phases]\nid = "penutupan"'),
        "[[phases]\n",
        1,
    ),
]


@pytest.mark.parametrize(("name", "text", "needle", "nth"), BAD, ids=[b[0] for b in BAD])
def test_malformed_checklist_is_refused_with_the_line(name, text, needle, nth):
    with pytest.raises(ChecklistError) as caught:
        parse(text, "pemilu2024.toml")
    expected = line_of(text, needle.split("\n")[0], nth)
    lines = [line for line, _field, _msg in caught.value.problems]
    assert expected in lines or (name == "phase not ending in signoff" and expected + 1 in lines), (
        str(caught.value)
    )
    assert "baris " in str(caught.value)
