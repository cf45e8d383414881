"""The pieces under batch: TOML rendering of a row, PINs, and the envelope's strictness."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from kiosk.fleet.envelope import EnvelopeError, open_envelope, read_fields, seal
from kiosk.fleet.keys import load_trusted
from kiosk.fleet.profiles import Template, new_pin, render, roster
from kiosk.fleet.sheet import Row
from kiosk.i18n import in_language
from kiosk.profile import ProfileError, parse_profile
from tests.fleet.helpers import TEMPLATE, row

NOW = dt.datetime(2024, 1, 20, 9, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "name", ['Siti "Ani" Aminah', "Budi \\ Santoso", "I Gusti Ngurah Ṛai", "Nyoman [Ketut] #2"]
)
def test_any_name_a_spreadsheet_holds_comes_back_unchanged(name):
    r = Row(2, row(0, ketua=name, kelurahan_desa=name))
    members, problems = roster(r)
    assert problems == []
    profile = parse_profile(render(Template("t.toml", TEMPLATE), r, members))
    assert profile.officers[0].name == name and profile.identity.village == name


@pytest.mark.parametrize(
    "name", ["Tab\there", "del\x7fchar", "nul\x00char", "esc\x1b[2Jchar", "rtl\u202echar"]
)
def test_a_name_with_a_control_character_is_refused_on_its_field(name):
    """The TOML escapes carry it through; the kiosk would print it on every receipt."""
    r = Row(2, row(0, ketua=name, kelurahan_desa=name))
    members, _ = roster(r)
    with in_language("id"), pytest.raises(ProfileError) as caught:
        parse_profile(render(Template("t.toml", TEMPLATE), r, members))
    with in_language("id"):
        told = {p.field: str(p.message) for p in caught.value.problems}
    assert set(told) == {"village", "officers[0].name"}
    assert all("karakter kendali" in m for m in told.values())


def test_pins_are_six_digits_without_a_leading_zero_or_an_obvious_pattern():
    pins = {new_pin() for _ in range(5000)}
    assert all(len(p) == 6 and p.isdigit() and p[0] != "0" for p in pins)
    assert not pins & {"111111", "123456", "654321", "999999", "234567"}
    assert len(pins) > 4900  # random, not a short cycle


def test_seal_and_open(office_key):
    key, pub = office_key
    data = seal("x = 1\n", "6474010001005", key, NOW)

    opened = open_envelope(data, load_trusted(pub).keys)
    assert (opened.tps, opened.issued, opened.profile_text) == (
        "6474010001005",
        "2024-01-20T09:30:00Z",
        "x = 1\n",
    )


def test_an_extra_or_missing_field_is_refused(office_key):
    doc = json.loads(seal("x = 1\n", "6474010001005", office_key[0], NOW))
    with pytest.raises(EnvelopeError, match="kolom berkas tidak sesuai: note"):
        read_fields(json.dumps({**doc, "note": "unsigned"}).encode())
    del doc["issued"]
    with pytest.raises(EnvelopeError, match="kolom berkas tidak sesuai: issued"):
        read_fields(json.dumps(doc).encode())
    with pytest.raises(EnvelopeError, match="bukan berkas provisioning"):
        read_fields(b'{"format": "something-else"}')
