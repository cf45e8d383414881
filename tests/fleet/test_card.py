"""tps-kiosk fleet write and verify on a real disk image with a FAT partition (real sfdisk and
mtools, the same calls a flashed card gets)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess

import pytest

from kiosk.fleet import card
from kiosk.fleet.envelope import FILE_NAME, seal
from kiosk.fleet.keys import generate
from kiosk.tps import SAMPLE_PROFILE
from tests.fleet.helpers import batch, code, make_image, row, write_csv

NOW = dt.datetime(2024, 1, 20, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def signed(fleet, tmp_path, office_key, templates):
    """Signed files for TPS 0 and 1, as batch makes them."""
    csv_path = write_csv(tmp_path / "tps.csv", [row(0), row(1)])
    exit_code, out, _ = batch(fleet, tmp_path, templates, csv_path)
    assert exit_code == 0, out
    return [tmp_path / "out" / f"{code(i)}.json" for i in (0, 1)]


def mdir(image):
    offset = card.fat_offset(image)
    return subprocess.run(
        ["mdir", "-b", "-i", f"{image}@@{offset}", "::/"],
        capture_output=True,
        text=True,
        env={"MTOOLS_SKIP_CHECK": "1", "PATH": "/usr/bin:/bin"},
        check=True,
    ).stdout


def test_write_then_verify_round_trip_on_an_image(fleet, tmp_path, office_key, signed, image):
    exit_code, out, err = fleet("write", signed[0], image)
    assert exit_code == 0, err
    assert f"berkas TPS {code(0)} ditulis dan dibaca ulang, sama" in out
    assert mdir(image).split() == [f"::/{FILE_NAME}"]
    assert card.read_file(image) == signed[0].read_bytes()
    exit_code, out, err = fleet("verify", image, "--keys", office_key[1])
    assert exit_code == 0, err
    (fp,) = {json.loads(signed[0].read_text())["key"]}
    assert out.splitlines() == [
        f"{image}: OK",
        f"TPS {code(0)} (TPS 001) — Kelurahan Sukamaju 0, Kecamatan Contoh, Kota Samarinda",
        "Ketua KPPS: Siti Aminah; petugas: 8",
        "DPT: 140 L + 139 P",
        f"Ditandatangani: {fp}, {json.loads(signed[0].read_text())['issued']}",
    ]
    # --keys may also be the folder the image bakes the keys into
    assert fleet("verify", image, "--keys", office_key[1].parent)[0] == 0


def test_write_replaces_the_earlier_file(fleet, office_key, signed, image):
    assert fleet("write", signed[0], image)[0] == 0
    exit_code, out, _ = fleet("write", signed[1], image)
    assert exit_code == 0 and f"(menimpa berkas TPS {code(0)})" in out
    assert card.read_file(image) == signed[1].read_bytes()
    assert mdir(image).split() == [f"::/{FILE_NAME}"]
    assert f"TPS {code(1)}" in fleet("verify", image, "--keys", office_key[1])[1]


def test_verify_refuses_a_tampered_file(fleet, office_key, signed, image):
    doc = json.loads(signed[0].read_text())
    doc["profile"] = doc["profile"].replace("dpt_l = 140", "dpt_l = 400")
    card.write_file(image, json.dumps(doc).encode())
    exit_code, out, err = fleet("verify", image, "--keys", office_key[1])
    assert exit_code == 1 and out == ""
    assert "DITOLAK: tanda tangan tidak cocok: berkas diubah atau rusak" in err


def test_verify_refuses_a_file_signed_by_an_unknown_key(fleet, tmp_path, office_key, image):
    other, other_pub = generate(tmp_path / "lain" / "kantor-lain.pem")
    card.write_file(image, seal(SAMPLE_PROFILE.read_text(), "6474010001005", other, NOW))
    exit_code, _, err = fleet("verify", image, "--keys", office_key[1])
    assert exit_code == 1 and "tidak dipercaya" in err
    assert fleet("verify", image, "--keys", other_pub)[0] == 0


def test_verify_refuses_a_signed_profile_the_kiosk_would_not_accept(fleet, office_key, image):
    bad = SAMPLE_PROFILE.read_text().replace('pin = "222222"', 'pin = "22"')
    card.write_file(image, seal(bad, "6474010001005", office_key[0], NOW))
    exit_code, _, err = fleet("verify", image, "--keys", office_key[1])
    assert exit_code == 1
    assert (
        "profil di dalamnya ditolak kiosk" in err and "officers[1].pin: harus tepat 6 angka" in err
    )


def test_verify_can_check_a_signed_file_before_it_is_written(fleet, office_key, signed):
    exit_code, out, _ = fleet("verify", signed[0], "--keys", office_key[1])
    assert exit_code == 0 and f"TPS {code(0)}" in out


def test_card_problems_end_in_a_clear_message(fleet, tmp_path, office_key, signed, image):
    keys = ("--keys", office_key[1])
    exit_code, _, err = fleet("verify", image, *keys)
    assert exit_code == 1 and f"tidak ada {FILE_NAME} di partisi FAT" in err

    no_fat = make_image(tmp_path / "linux-only.img", fat=False)
    exit_code, _, err = fleet("write", signed[0], no_fat)
    assert exit_code == 1 and "tidak ada partisi FAT" in err

    camera = make_image(tmp_path / "kamera.img", label="CANON")
    exit_code, _, err = fleet("write", signed[0], camera)
    assert exit_code == 1 and "label partisi FAT 'CANON', bukan BOOTFS" in err
    assert "::/" not in mdir(camera)  # nothing was written there

    blank = tmp_path / "blank.img"
    blank.write_bytes(bytes(1024 * 1024))
    exit_code, _, err = fleet("verify", blank, *keys)
    assert exit_code == 1 and "tabel partisi tidak terbaca" in err

    exit_code, _, err = fleet("write", signed[0], tmp_path / "sdz")
    assert exit_code == 1 and "tidak ada (kartu belum dicolok? cek lsblk)" in err

    exit_code, _, err = fleet("write", signed[0], tmp_path)
    assert exit_code == 1 and "bukan berkas image atau perangkat blok" in err

    exit_code, _, err = fleet("write", tmp_path / "tps.csv", image)
    assert exit_code == 1 and "bukan berkas provisioning" in err


def test_missing_mtools_is_named_with_its_package(fleet, tmp_path, monkeypatch, signed, image):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))  # sfdisk is still found in /usr/sbin
    exit_code, _, err = fleet("write", signed[0], image)
    assert exit_code == 1 and "tidak ada: pasang dulu (sudo apt install mtools)" in err


def test_verify_looks_where_the_kiosk_keeps_its_trusted_keys():
    """The fleet tool does not load the kiosk's settings; its default folder is the same."""
    from kiosk.fleet.cli import DEFAULT_KEYS
    from kiosk.settings import Settings

    assert Settings().provisioning_keys == DEFAULT_KEYS
