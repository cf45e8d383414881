"""Running the real ``tps-kiosk`` command on a data directory, every device fake."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.upload.processes import ROOT


def tps_kiosk(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "KIOSK_DATA_DIR": str(data), "KIOSK_HARDWARE": "fake"},
        timeout=90,
        check=False,
    )
