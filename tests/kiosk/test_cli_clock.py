"""The technician's commands audit on the kiosk's clock: the Ketua's saved correction included
(kiosk.core), like the web app and the upload worker."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from kiosk.tps import SAMPLE_PROFILE
from tests.kiosk.test_cli import run_cli

OFFSET = dt.timedelta(days=2, hours=3)  # far more than the time the commands take


def _save_correction(data: Path) -> None:
    """What the checklist's clock step stores when the Ketua corrects the clock."""
    with sqlite3.connect(data / "kiosk.sqlite3") as conn:
        conn.execute(
            "INSERT INTO clock_offset (id, offset_s, set_by, set_wall) VALUES (1, ?, 'kpps1', '')",
            (OFFSET.total_seconds(),),
        )


def _last_row(data: Path) -> tuple[str, dt.datetime]:
    with sqlite3.connect(data / "kiosk.sqlite3") as conn:
        kind, wall = conn.execute(
            "SELECT kind, wall FROM audit_log ORDER BY seq DESC LIMIT 1"
        ).fetchone()
    return kind, dt.datetime.fromisoformat(wall)


@pytest.mark.parametrize(
    ("command", "kind"),
    [(("audit", "export", "audit.jsonl"), "audit_exported"), (("queue", "retry"), "upload_retry")],
)
def test_a_command_after_a_clock_correction_audits_the_corrected_time(tmp_path, command, kind):
    assert run_cli(tmp_path, "provision", str(SAMPLE_PROFILE)).returncode == 0
    data = tmp_path / "data"
    _save_correction(data)
    args = [str(tmp_path / a) if a.endswith(".jsonl") else a for a in command]
    before = dt.datetime.now(dt.UTC)
    done = run_cli(tmp_path, *args)
    assert done.returncode == 0, done.stderr
    recorded, wall = _last_row(data)
    assert recorded == kind
    assert abs(wall - (before + OFFSET)) < dt.timedelta(minutes=1)


def test_provisioning_again_after_a_clock_correction_audits_the_corrected_time(tmp_path):
    assert run_cli(tmp_path, "provision", str(SAMPLE_PROFILE)).returncode == 0
    data = tmp_path / "data"
    _save_correction(data)
    before = dt.datetime.now(dt.UTC)
    assert run_cli(tmp_path, "provision", str(SAMPLE_PROFILE)).returncode == 0
    recorded, wall = _last_row(data)
    assert recorded == "provisioned"
    assert abs(wall - (before + OFFSET)) < dt.timedelta(minutes=1)
