"""tps-kiosk firstboot: the kiosk installs its TPS profile from the card's FAT partition, once."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import sqlite3
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.fleet import card
from kiosk.fleet.envelope import FILE_NAME, seal
from kiosk.fleet.keys import generate
from kiosk.tps import SAMPLE_PROFILE
from tests.fleet.helpers import code, row, write_csv
from tests.kiosk.bad_profiles import CORPUS, FOLDER, MISSING, SPARSE_60MB

NOW = dt.datetime(2024, 1, 20, 9, 30, tzinfo=dt.UTC)
SAMPLE_CODE = "6474010001005"


@pytest.fixture
def kiosk(tmp_path, monkeypatch, office_key, caplog):
    """The kiosk's folders: data, the FAT partition (/boot/firmware), the baked-in keys."""
    for name in [n for n in os.environ if n.startswith("KIOSK_")]:
        monkeypatch.delenv(name)
    data, boot, keys = tmp_path / "data", tmp_path / "boot", tmp_path / "etc-keys"
    boot.mkdir()
    keys.mkdir()
    (keys / "kpu-kota.pub").write_bytes(office_key[1].read_bytes())
    monkeypatch.setenv("KIOSK_DATA_DIR", str(data))
    monkeypatch.setenv("KIOSK_PROVISION_FILE", str(boot / FILE_NAME))
    monkeypatch.setenv("KIOSK_PROVISIONING_KEYS", str(keys))
    caplog.set_level(logging.INFO)

    class Kiosk:
        data_dir = data
        fat_copy = boot / FILE_NAME

        @staticmethod
        def firstboot() -> int:
            return main(["firstboot"])

        @staticmethod
        def officers() -> dict[str, str]:
            with sqlite3.connect(data / "kiosk.sqlite3") as conn:
                return dict(conn.execute("SELECT id, pin_hash FROM officer").fetchall())

        @staticmethod
        def provisioned_events() -> list[tuple[str, dict]]:
            with sqlite3.connect(data / "kiosk.sqlite3") as conn:
                rows = conn.execute(
                    "SELECT officer, details FROM audit_log WHERE kind = 'provisioned'"
                ).fetchall()
            return [(who, json.loads(details)) for who, details in rows]

    return Kiosk


def signed_sample(key, text=None, tps=SAMPLE_CODE) -> bytes:
    return seal(text or SAMPLE_PROFILE.read_text(), tps, key, NOW)


def test_installs_a_valid_file_then_deletes_the_fat_copy(kiosk, office_key, caplog):
    data = signed_sample(office_key[0])
    kiosk.fat_copy.write_bytes(data)
    assert kiosk.firstboot() == 0
    profile = (kiosk.data_dir / "profile.toml").read_text()
    assert SAMPLE_CODE in profile and "111111" not in profile
    assert (kiosk.data_dir / "device_key.pem").stat().st_mode & 0o777 == 0o600
    assert not kiosk.fat_copy.exists()  # it held the PINs
    officers = kiosk.officers()
    assert len(officers) == 5 and all(h.startswith("scrypt$") for h in officers.values())
    ((by, details),) = kiosk.provisioned_events()
    assert by == "firstboot" and details["tps"] == SAMPLE_CODE and details["officers"] == 5
    record = json.loads((kiosk.data_dir / "provisioned-from.json").read_text())
    assert record["sha256"] == hashlib.sha256(data).hexdigest()
    assert record["tps"] == SAMPLE_CODE and record["issued"] == "2024-01-20T09:30:00Z"
    assert f"TPS {SAMPLE_CODE} (Kelurahan Sukamaju) installed" in caplog.text
    assert "deleted the FAT copy" in caplog.text
    # East Kalimantan keeps WITA: /etc/localtime on the image links to this file.
    zone = (kiosk.data_dir / "localtime").read_bytes()
    assert zone == Path("/usr/share/zoneinfo/Asia/Makassar").read_bytes()


def test_a_batch_file_written_with_mtools_is_what_the_kiosk_installs(
    fleet, tmp_path, kiosk, templates, image
):
    csv_path = write_csv(tmp_path / "tps.csv", [row(0)])
    out = tmp_path / "out"
    key = tmp_path / "keys" / "kpu-kota.pem"
    assert fleet("batch", csv_path, "--key", key, "--profiles", templates, "--out", out)[0] == 0
    assert fleet("write", out / f"{code(0)}.json", image)[0] == 0
    kiosk.fat_copy.write_bytes(card.read_file(image))  # what the Pi sees at /boot/firmware
    assert kiosk.firstboot() == 0
    assert f'code = "{code(0)}"' in (kiosk.data_dir / "profile.toml").read_text()
    assert set(kiosk.officers()) == {*(f"kpps{n}" for n in range(1, 8)), "teknisi"}


@pytest.mark.parametrize("damage", ["signature", "profile", "unknown_key", "not_json"])
def test_an_untrusted_or_damaged_file_installs_nothing(kiosk, tmp_path, office_key, caplog, damage):
    data = signed_sample(office_key[0])
    if damage == "signature":
        doc = json.loads(data)
        doc["signature"] = doc["signature"][:-4] + "AAA="
        data = json.dumps(doc).encode()
    elif damage == "profile":
        doc = json.loads(data)
        doc["profile"] = doc["profile"].replace("Siti Aminah", "Orang Lain")
        data = json.dumps(doc).encode()
    elif damage == "unknown_key":
        data = signed_sample(generate(tmp_path / "other.pem")[0])
    else:
        data = data[: len(data) // 2]
    kiosk.fat_copy.write_bytes(data)
    assert kiosk.firstboot() == 1
    assert "refused, nothing installed" in caplog.text
    expected = {
        "signature": "tanda tangan tidak cocok",
        "profile": "tanda tangan tidak cocok",
        "unknown_key": "tidak dipercaya",
        "not_json": "bukan berkas provisioning JSON",
    }[damage]
    assert expected in caplog.text
    assert not (kiosk.data_dir / "profile.toml").exists()
    assert not (kiosk.data_dir / "kiosk.sqlite3").exists()
    assert kiosk.fat_copy.read_bytes() == data  # left for the technician to look at


def test_a_signed_profile_the_kiosk_would_refuse_installs_nothing(kiosk, office_key, caplog):
    bad = SAMPLE_PROFILE.read_text().replace('pin = "222222"', 'pin = "22"')
    kiosk.fat_copy.write_bytes(signed_sample(office_key[0], bad))
    assert kiosk.firstboot() == 1
    assert "officers[1].pin: harus tepat 6 angka" in caplog.text
    assert not (kiosk.data_dir / "profile.toml").exists()


def _signable(data: bytes) -> bool:
    """A profile text that fits in a signed file (the envelope holds text, at most 1 MiB)."""
    try:
        return len(data) < 500_000 and "\0" not in data.decode("utf-8")
    except UnicodeDecodeError:
        return False


# The corpus's profiles a signed file can carry that today's kiosk took or crashed on (a syntax
# error and an [upload] given as text were refused before as now).
SIGNABLE = [
    b
    for b in CORPUS
    if _signable(b.data)
    and b.name not in ("BOM and a broken line", "upload as text")
    and b.data not in (MISSING, FOLDER, SPARSE_60MB)
]


@pytest.mark.parametrize("bad", SIGNABLE, ids=[b.name for b in SIGNABLE])
def test_a_signed_profile_with_what_provision_refuses_installs_nothing(
    kiosk, office_key, caplog, bad
):
    kiosk.fat_copy.write_bytes(signed_sample(office_key[0], bad.data.decode()))
    assert kiosk.firstboot() == 1
    assert "refused, nothing installed: the profile has problems" in caplog.text
    assert f"{bad.field}: " in caplog.text
    assert not (kiosk.data_dir / "profile.toml").exists()


def test_a_provisioning_file_nested_too_deep_installs_nothing(kiosk, caplog):
    kiosk.fat_copy.write_bytes(b"[" * 500_000)
    assert kiosk.firstboot() == 1
    assert "bukan berkas provisioning JSON" in caplog.text
    assert not (kiosk.data_dir / "profile.toml").exists()


def test_an_envelope_naming_another_tps_than_its_profile_is_refused(kiosk, office_key, caplog):
    kiosk.fat_copy.write_bytes(signed_sample(office_key[0], tps="6474010001006"))
    assert kiosk.firstboot() == 1
    assert "tidak sama dengan profil" in caplog.text


def test_no_trusted_keys_at_all_is_refused(kiosk, tmp_path, office_key, caplog):
    (tmp_path / "etc-keys" / "kpu-kota.pub").unlink()
    (tmp_path / "etc-keys" / "rusak.pub").write_text("not a key")
    kiosk.fat_copy.write_bytes(signed_sample(office_key[0]))
    assert kiosk.firstboot() == 1
    assert (
        "provisioning key skipped" in caplog.text and "no trusted provisioning key" in caplog.text
    )


def test_without_a_file_it_only_makes_the_device_key(kiosk, caplog):
    assert kiosk.firstboot() == 0
    assert (kiosk.data_dir / "device_key.pem").exists()
    assert not (kiosk.data_dir / "profile.toml").exists()
    assert "kiosk not provisioned" in caplog.text


def test_once_provisioned_a_new_fat_copy_is_ignored(kiosk, office_key, caplog):
    kiosk.fat_copy.write_bytes(signed_sample(office_key[0]))
    assert kiosk.firstboot() == 0
    profile = (kiosk.data_dir / "profile.toml").read_text()
    key = (kiosk.data_dir / "device_key.pem").read_bytes()
    other = SAMPLE_PROFILE.read_text().replace("Kelurahan Sukamaju", "Kelurahan Lain")
    kiosk.fat_copy.write_bytes(signed_sample(office_key[0], other))
    caplog.clear()
    assert kiosk.firstboot() == 0
    assert "FAT copy" in caplog.text and "ignored" in caplog.text
    assert (kiosk.data_dir / "profile.toml").read_text() == profile
    assert (kiosk.data_dir / "device_key.pem").read_bytes() == key
    assert kiosk.fat_copy.exists() and len(kiosk.provisioned_events()) == 1
    kiosk.fat_copy.unlink()
    assert kiosk.firstboot() == 0 and len(kiosk.provisioned_events()) == 1


@pytest.mark.parametrize("recorded", [True, False])
def test_a_rerun_after_a_power_cut_finishes_the_clean_up(kiosk, office_key, recorded, caplog):
    """Cut after the install, before the FAT copy was deleted (and, without ``recorded``,
    before provisioned-from.json was written): the rerun deletes the copy, installs nothing."""
    data = signed_sample(office_key[0])
    kiosk.fat_copy.write_bytes(data)
    assert kiosk.firstboot() == 0
    kiosk.fat_copy.write_bytes(data)  # the deletion never reached the card
    if not recorded:
        (kiosk.data_dir / "provisioned-from.json").unlink()
    profile = (kiosk.data_dir / "profile.toml").read_text()
    assert kiosk.firstboot() == 0
    assert "first boot was interrupted" in caplog.text
    assert not kiosk.fat_copy.exists()
    assert (kiosk.data_dir / "profile.toml").read_text() == profile
    assert len(kiosk.provisioned_events()) == 1
    record = json.loads((kiosk.data_dir / "provisioned-from.json").read_text())
    assert record["sha256"] == hashlib.sha256(data).hexdigest()


def test_a_rerun_after_a_cut_before_the_install_installs(kiosk, office_key):
    """Cut before the profile was written: the database may hold the migration and the key,
    and the rerun simply installs."""
    kiosk.fat_copy.write_bytes(signed_sample(office_key[0]))
    assert kiosk.firstboot() == 0
    (kiosk.data_dir / "profile.toml").unlink()
    (kiosk.data_dir / "provisioned-from.json").unlink()
    kiosk.fat_copy.write_bytes(signed_sample(office_key[0]))
    assert kiosk.firstboot() == 0
    assert (kiosk.data_dir / "profile.toml").exists() and not kiosk.fat_copy.exists()
    assert len(kiosk.officers()) == 5
