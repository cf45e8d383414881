"""The training kiosk the day tests run: fake devices, SIMULASI, and logins that survive the
tests' jumps of the clock (hours at a time)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kiosk.settings import Settings


def day_settings(data_dir: Path, **extra: Any) -> Settings:
    """Settings of a training kiosk whose logins last the whole day."""
    return Settings.from_values(
        data_dir=data_dir,
        hardware="fake",
        training=True,
        idle_timeout_min=24 * 60,
        session_max_hours=24,
        **extra,
    )
