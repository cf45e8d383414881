"""tps-kiosk provision and tps-kiosk audit, as a technician runs them."""

from __future__ import annotations

import json
import sqlite3

import pytest

from kiosk.tps import SAMPLE_PROFILE
from tests.kiosk.bad_profiles import CORPUS, SAMPLE, Bad
from tests.kiosk.test_cli import run_cli


def test_provision_installs_profile_roster_and_key(tmp_path):
    result = run_cli(tmp_path, "provision", str(SAMPLE_PROFILE))
    assert result.returncode == 0, result.stderr
    assert "TPS 6474010001005" in result.stdout
    assert "Sidik jari kunci perangkat:" in result.stdout
    data = tmp_path / "data"
    assert (data / "device_key.pem").stat().st_mode & 0o777 == 0o600
    kept = (data / "profile.toml").read_text()
    assert "6474010001005" in kept and "111111" not in kept
    conn = sqlite3.connect(data / "kiosk.sqlite3")
    officers = dict(conn.execute("SELECT id, role FROM officer").fetchall())
    hashes = [h for (h,) in conn.execute("SELECT pin_hash FROM officer")]
    assert officers["kpps1"] == "ketua" and len(officers) == 5
    assert all(h.startswith("scrypt$") and "111111" not in h for h in hashes)


def test_bad_profile_is_refused_and_the_old_one_kept(tmp_path):
    assert run_cli(tmp_path, "provision", str(SAMPLE_PROFILE)).returncode == 0
    kept_before = (tmp_path / "data" / "profile.toml").read_text()
    key_before = (tmp_path / "data" / "device_key.pem").read_bytes()
    bad = tmp_path / "bad.toml"
    bad.write_text(SAMPLE_PROFILE.read_text().replace('pin = "222222"', 'pin = "22"'))
    result = run_cli(tmp_path, "provision", str(bad))
    assert result.returncode == 1
    assert "profil ditolak" in result.stderr
    line = next(n for n, t in enumerate(bad.read_text().splitlines(), 1) if 'pin = "22"' in t)
    assert f"baris {line}, officers[1].pin: harus tepat 6 angka" in result.stderr
    assert (tmp_path / "data" / "profile.toml").read_text() == kept_before
    assert (tmp_path / "data" / "device_key.pem").read_bytes() == key_before


def test_missing_profile_file_is_a_clear_error(tmp_path):
    result = run_cli(tmp_path, "provision", str(tmp_path / "nowhere.toml"))
    assert result.returncode == 1 and "nowhere.toml" in result.stderr


def _installed(tmp_path) -> tuple[bytes, list[tuple[str, ...]]]:
    """What the kiosk has installed: its profile copy and its roster (with PIN hashes)."""
    data = tmp_path / "data"
    with sqlite3.connect(data / "kiosk.sqlite3") as conn:
        roster = conn.execute("SELECT id, name, role, pin_hash, card_uid FROM officer").fetchall()
    return (data / "profile.toml").read_bytes(), sorted(roster)


@pytest.mark.parametrize("bad", CORPUS, ids=[b.name for b in CORPUS])
def test_bad_profile_is_refused_in_bahasa_without_a_traceback_and_the_old_one_kept(
    bad: Bad, tmp_path
):
    assert run_cli(tmp_path, "provision", str(SAMPLE_PROFILE)).returncode == 0
    before = _installed(tmp_path)
    path = bad.write(tmp_path / "profil-baru.toml")
    result = run_cli(tmp_path, "provision", str(path))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert "profil ditolak, profil lama tetap dipakai" in result.stderr, result.stderr
    where = f"baris {bad.line}, {bad.field}: " if bad.line else f"{bad.field}: "
    told = [line for line in result.stderr.splitlines() if where in line]
    assert told, f"nothing names {where!r}:\n{result.stderr[:3000]}"
    assert any(bad.words in line for line in told), result.stderr[:3000]
    assert len(result.stderr.splitlines()) <= 30, "the refusal must fit on a screen"
    assert _installed(tmp_path) == before


def test_a_profile_saved_by_notepad_with_a_bom_is_installed(tmp_path):
    path = tmp_path / "profil.toml"
    path.write_bytes(b"\xef\xbb\xbf" + SAMPLE.replace("\n", "\r\n").encode())
    result = run_cli(tmp_path, "provision", str(path))
    assert result.returncode == 0, result.stderr
    assert "TPS 6474010001005" in result.stdout
    assert not (tmp_path / "data" / "profile.toml").read_bytes().startswith(b"\xef\xbb\xbf")


def test_audit_verify_and_signed_export(tmp_path):
    run_cli(tmp_path, "provision", str(SAMPLE_PROFILE))
    ok = run_cli(tmp_path, "audit", "verify")
    assert ok.returncode == 0 and "intact" in ok.stdout
    out = tmp_path / "audit.jsonl"
    assert run_cli(tmp_path, "audit", "export", str(out)).returncode == 0
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert lines[0]["kind"] == "provisioned" and "signature" in lines[-1]
    conn = sqlite3.connect(tmp_path / "data" / "kiosk.sqlite3")
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("UPDATE audit_log SET details = '{}' WHERE seq = 1")
    conn.commit()
    broken = run_cli(tmp_path, "audit", "verify")
    assert broken.returncode == 1 and "row 1" in broken.stderr


def test_roles_markdown_is_the_readme_table(tmp_path):
    from pathlib import Path

    result = run_cli(tmp_path, "roles", "--markdown")
    assert result.returncode == 0
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert result.stdout in readme
