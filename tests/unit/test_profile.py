"""The TPS profile: the sample is valid, and each kind of bad profile is refused with its line."""

from __future__ import annotations

import pytest

from kiosk.i18n import in_language
from kiosk.profile import ProfileError, parse_profile, read_profile, without_pins
from kiosk.roles import Role
from kiosk.tps import SAMPLE_PROFILE
from tests.kiosk.bad_profiles import CORPUS, Bad

SAMPLE = SAMPLE_PROFILE.read_text()


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    hits = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    return hits[occurrence - 1]


def test_sample_profile_is_valid():
    profile = parse_profile(SAMPLE)
    assert profile.identity.code == "6474010001005"
    assert profile.identity.number == "005"
    assert [b.type for b in profile.ballots] == ["PPWP", "DPR", "DPD"]
    assert [p.name for p in profile.ballots[1].parties] == ["Partai Contoh A", "Partai Contoh B"]
    ketua = [o for o in profile.officers if o.role is Role.KETUA]
    assert len(ketua) == 1 and ketua[0].pin == "111111"
    assert profile.dpt_l + profile.dpt_p == 279


def test_installed_copy_has_no_pins_and_still_parses():
    kept = without_pins(SAMPLE)
    assert "111111" not in kept
    assert all(o.pin is None for o in parse_profile(kept, installed=True).officers)


def sub(old: str, new: str, occurrence: int = 1) -> str:
    parts = SAMPLE.split(old)
    assert len(parts) > occurrence, old
    return old.join(parts[:occurrence]) + new + old.join(parts[occurrence:])


# (name, bad text, field named, text on the line that must be named, occurrence of that text)
BAD = [
    (
        "toml syntax",
        sub('village = "Kelurahan Sukamaju"', 'village = "Kelurahan'),
        "village",
        'village = "Kelurahan',
        1,
    ),
    ("code too short", sub('code = "6474010001005"', 'code = "647401000105"'), "code", "code =", 1),
    ("code as number", sub('code = "6474010001005"', "code = 6474010001005"), "code", "code =", 1),
    (
        "tps number 000",
        sub('code = "6474010001005"', 'code = "6474010001000"'),
        "code",
        "code =",
        1,
    ),
    ("missing village", sub('village = "Kelurahan Sukamaju"\n', ""), "village", None, 0),
    (
        "unknown election",
        sub('election = "pemilu"', 'election = "pilpres"'),
        "election",
        'election = "pilpres"',
        1,
    ),
    (
        "date in quotes",
        sub("election_date = 2024-02-14", 'election_date = "14-02-2024"'),
        "election_date",
        "election_date",
        1,
    ),
    (
        "reserve too big",
        sub("reserve_percent = 2.0", "reserve_percent = 25"),
        "reserve_percent",
        "reserve_percent",
        1,
    ),
    ("negative dpt", sub("dpt_p = 139", "dpt_p = -1"), "dpt_p", "dpt_p", 1),
    (
        "plain http endpoint",
        sub(
            'endpoint = "http://127.0.0.1:8081/files/"',
            'endpoint = "http://sirekap.example/files/"',
        ),
        "upload.endpoint",
        "endpoint =",
        1,
    ),
    (
        "short token",
        sub('token = "simulasi-bukan-rahasia-000"', 'token = "x"'),
        "upload.token",
        "token =",
        1,
    ),
    (
        "pilkada ballot in pemilu",
        sub('type = "DPD"', 'type = "GUBERNUR"'),
        "ballots[2].type",
        'type = "GUBERNUR"',
        1,
    ),
    ("ballot twice", sub('type = "DPD"', 'type = "PPWP"'), "ballots[2].type", 'type = "PPWP"', 2),
    (
        "party ballot without parties",
        sub(
            '[[ballots.parties]]\nname = "Partai Contoh B"\n'
            'candidates = ["Calon B1", "Calon B2", "Calon B3"]\n',
            "",
        ).replace(
            '[[ballots.parties]]\nname = "Partai Contoh A"'
            '\ncandidates = ["Calon A1", "Calon A2"]\n',
            "",
        ),
        "ballots[1].parties",
        "[[ballots]]",
        2,
    ),
    (
        "duplicate candidate",
        sub('["Paslon 01", "Paslon 02", "Paslon 03"]', '["Paslon 01", "Paslon 01"]'),
        "ballots[0].candidates",
        "Paslon 01",
        1,
    ),
    ("pin too short", sub('pin = "222222"', 'pin = "2222"'), "officers[1].pin", 'pin = "2222"', 1),
    ("pin as number", sub('pin = "222222"', "pin = 222222"), "officers[1].pin", "pin = 222222", 1),
    (
        "unknown role",
        sub('role = "anggota"', 'role = "bendahara"'),
        "officers[1].role",
        'role = "bendahara"',
        1,
    ),
    (
        "duplicate officer id",
        sub('id = "kpps2"', 'id = "kpps1"'),
        "officers[1].id",
        'id = "kpps1"',
        2,
    ),
    (
        "two ketua",
        sub('role = "anggota"', 'role = "ketua"'),
        "officers[1].role",
        'role = "ketua"',
        2,
    ),
    ("no ketua", sub('role = "ketua"', 'role = "anggota"'), "officers", "[[officers]]", 1),
    (
        "card given twice",
        sub('card_uid = "04A1B2C3D4E5F7"', 'card_uid = "04A1B2C3D4E5F6"'),
        "officers[1].card_uid",
        'card_uid = "04A1B2C3D4E5F6"',
        2,
    ),
    (
        "bad card uid",
        sub('card_uid = "04A1B2C3D4E5F7"', 'card_uid = "kartu-budi"'),
        "officers[1].card_uid",
        "kartu-budi",
        1,
    ),
]


@pytest.mark.parametrize(
    ("name", "text", "field", "needle", "occurrence"), BAD, ids=[b[0] for b in BAD]
)
def test_bad_profile_is_refused_naming_line_and_field(name, text, field, needle, occurrence):
    with pytest.raises(ProfileError) as caught:
        parse_profile(text)
    problems = caught.value.problems
    match = [p for p in problems if p.field == field]
    assert match, f"{name}: expected a problem on {field}, got {[str(p) for p in problems]}"
    if needle is not None:
        assert match[0].line == line_of(text, needle, occurrence), str(match[0])
    assert str(match[0].message)  # a message a technician can read


def test_every_problem_is_reported_at_once():
    text = sub('pin = "222222"', 'pin = "2"').replace("dpt_p = 139", "dpt_p = -1")
    with pytest.raises(ProfileError) as caught:
        parse_profile(text)
    assert {p.field for p in caught.value.problems} >= {"officers[1].pin", "dpt_p"}


@pytest.mark.parametrize("bad", CORPUS, ids=[b.name for b in CORPUS])
def test_bad_profile_file_is_refused_in_bahasa_naming_line_and_field(bad: Bad, tmp_path):
    path = bad.write(tmp_path / "profil.toml")
    with in_language("id"):
        with pytest.raises(ProfileError) as caught:
            parse_profile(read_profile(path))
        told = [str(p) for p in caught.value.problems]
    named = [p for p in caught.value.problems if p.field == bad.field]
    assert named, f"no problem on {bad.field}: {told}"
    if bad.line is not None:
        assert any(p.line == bad.line for p in named), told
    with in_language("id"):
        assert any(bad.words in str(p.message) for p in named), told
    assert len(told) <= 25, f"{len(told)} problems: the list must stay readable"


def test_notepad_file_with_bom_and_crlf_is_accepted_and_kept_without_either(tmp_path):
    path = tmp_path / "profil.toml"
    path.write_bytes(b"\xef\xbb\xbf" + SAMPLE.replace("\n", "\r\n").encode())
    text = read_profile(path)
    assert parse_profile(text).identity.code == "6474010001005"
    kept = without_pins(text)
    assert not kept.startswith("\ufeff") and "111111" not in kept
    assert parse_profile(kept, installed=True).identity.code == "6474010001005"


def test_an_installed_copy_that_older_checks_let_through_still_loads(caplog):
    """A profile installed before keys, control characters and lengths were checked must not
    make a provisioned kiosk "new" after an update; what is wrong is logged."""
    kept = (
        without_pins(SAMPLE)
        .replace("allow_pin_only = true", "alow_pin_only = true")
        .replace("Budi Santoso", "Budi\\u007fSantoso")
    )
    profile = parse_profile(kept, installed=True)
    assert profile.allow_pin_only is False and profile.officers[1].name == "Budi\x7fSantoso"
    assert "installed profile: baris" in caplog.text and "alow_pin_only" in caplog.text
    with pytest.raises(ProfileError):  # what the kiosk cannot work with is refused still
        parse_profile(kept.replace('code = "6474010001005"', 'code = "64740"'), installed=True)


@pytest.mark.parametrize(
    "digits", ["\uff10\uff11\uff12", "\u0660\u0661\u0662", "\u09e6\u09e7\u09e8"]
)
def test_codes_pins_and_uids_take_ascii_digits_only(digits):
    code = "6474010001" + digits
    with pytest.raises(ProfileError) as caught:
        parse_profile(sub('code = "6474010001005"', f'code = "{code}"'))
    assert [p.field for p in caught.value.problems] == ["code"]
