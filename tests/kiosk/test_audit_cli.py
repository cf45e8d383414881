"""``tps-kiosk audit verify`` against the signed head: what someone with the SD card and an
SQLite shell can do to the log, and what the technician is told.

Each tampering keeps the hash chain itself valid (that alone passed before the head was signed).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from kiosk.tps import SAMPLE_PROFILE
from tests.kiosk.test_cli import run_cli

FIELDS = ("seq", "wall", "mono", "officer", "role", "kind", "details", "prev_hash")


def _row_hash(row: dict[str, object]) -> str:
    """The chain's hash, written out here so the test forges rows as an attacker would."""
    canonical = json.dumps(
        {k: row[k] for k in FIELDS}, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@pytest.fixture
def kiosk_data(tmp_path: Path) -> Path:
    """A provisioned kiosk with 4 audit rows: provisioned + 3 exports."""
    assert run_cli(tmp_path, "provision", str(SAMPLE_PROFILE)).returncode == 0
    for n in range(3):
        assert run_cli(tmp_path, "audit", "export", str(tmp_path / f"a{n}.jsonl")).returncode == 0
    return tmp_path / "data"


def _shell(data: Path, *statements: str) -> None:
    """What an SQLite shell on the card does: drop the triggers, change the rows."""
    conn = sqlite3.connect(data / "kiosk.sqlite3")
    conn.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    conn.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    conn.execute("DROP TRIGGER IF EXISTS audit_head_forward")
    for sql in statements:
        conn.execute(sql)
    conn.commit()
    conn.close()


def _rows(data: Path) -> list[dict[str, object]]:
    conn = sqlite3.connect(data / "kiosk.sqlite3")
    conn.row_factory = sqlite3.Row
    rows = [dict(r) for r in conn.execute("SELECT * FROM audit_log ORDER BY seq")]
    conn.close()
    return rows


def _rewrite_from(data: Path, seq: int, officer: str) -> None:
    """Change row ``seq`` and recompute its hash and every later row's, so the chain holds."""
    rows = _rows(data)
    conn = sqlite3.connect(data / "kiosk.sqlite3")
    conn.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    prev = rows[seq - 2]["hash"] if seq > 1 else "0" * 64
    for row in rows[seq - 1 :]:
        row["prev_hash"] = prev
        if row["seq"] == seq:
            row["officer"] = officer
        row["hash"] = prev = _row_hash(row)
        conn.execute(
            "UPDATE audit_log SET officer = ?, prev_hash = ?, hash = ? WHERE seq = ?",
            (row["officer"], row["prev_hash"], row["hash"], row["seq"]),
        )
    conn.commit()
    conn.close()


def _verify(tmp_path: Path) -> tuple[int, str]:
    result = run_cli(tmp_path, "audit", "verify")
    return result.returncode, result.stdout + result.stderr


def test_an_untouched_log_verifies_against_its_signed_head(tmp_path, kiosk_data):
    code, out = _verify(tmp_path)
    assert code == 0, out
    assert "intact: 4 rows" in out and "signed head" in out
    # The last export (its own row is the 4th) ends in the head of exactly its rows.
    last = json.loads((tmp_path / "a2.jsonl").read_text().splitlines()[-1])
    assert last["audit_head"]["count"] == last["rows"] == 4


def test_cutting_the_last_rows_is_reported_as_truncation(tmp_path, kiosk_data):
    _shell(kiosk_data, "DELETE FROM audit_log WHERE seq > 2")
    code, out = _verify(tmp_path)
    assert code == 1, out
    assert "BROKEN at row 3" in out and "truncated" in out and "4 rows" in out


def test_a_rewritten_row_with_recomputed_hashes_is_reported(tmp_path, kiosk_data):
    _rewrite_from(kiosk_data, 2, "intruder")
    code, out = _verify(tmp_path)
    assert code == 1, out
    assert "rewritten" in out and "recomputed" in out


def test_a_forged_row_appended_with_a_correct_hash_is_reported(tmp_path, kiosk_data):
    last = _rows(kiosk_data)[-1]
    forged = {
        "seq": last["seq"] + 1,  # type: ignore[operator]
        "wall": last["wall"],
        "mono": last["mono"],
        "officer": "kpps1",
        "role": "ketua",
        "kind": "chasil_confirmed",
        "details": "{}",
        "prev_hash": last["hash"],
    }
    forged["hash"] = _row_hash(forged)
    cols = ", ".join(forged)
    marks = ", ".join("?" for _ in forged)
    conn = sqlite3.connect(kiosk_data / "kiosk.sqlite3")
    conn.execute(f"INSERT INTO audit_log ({cols}) VALUES ({marks})", tuple(forged.values()))
    conn.commit()
    conn.close()
    code, out = _verify(tmp_path)
    assert code == 1, out
    assert "BROKEN at row 5" in out and "not covered by the signed head" in out


def test_an_emptied_log_is_reported(tmp_path, kiosk_data):
    _shell(kiosk_data, "DELETE FROM audit_log")
    code, out = _verify(tmp_path)
    assert code == 1, out
    assert "BROKEN at row 1" in out and "empty" in out


def test_a_database_replaced_by_a_fresh_one_is_reported_as_emptied(tmp_path, kiosk_data):
    """The whole file gone (head table with it): the head file and the provisioning remain."""
    for name in ("kiosk.sqlite3", "kiosk.sqlite3-wal", "kiosk.sqlite3-shm"):
        (kiosk_data / name).unlink(missing_ok=True)
    code, out = _verify(tmp_path)
    assert code == 1, out
    assert "BROKEN at row 1" in out and "empty" in out


def test_a_head_changed_by_hand_is_reported(tmp_path, kiosk_data):
    """Cutting the tail and setting the head's count to match does not help: it is signed."""
    _shell(
        kiosk_data,
        "DELETE FROM audit_log WHERE seq > 3",
        "UPDATE audit_head SET count = 3, hash = (SELECT hash FROM audit_log WHERE seq = 3)",
    )
    (kiosk_data / "audit_head.json").unlink()
    code, out = _verify(tmp_path)
    assert code == 1, out
    assert "signature" in out
