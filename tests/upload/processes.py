"""The upload worker as a real process the tests can start, stop and kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class WorkerProcess:
    """``tps-kiosk worker`` on a kiosk data directory, settings from the environment."""

    def __init__(self, data_dir: Path, **settings: str) -> None:
        self.data_dir = data_dir
        self.env = {
            **os.environ,
            "KIOSK_DATA_DIR": str(data_dir),
            **{f"KIOSK_{k.upper()}": str(v) for k, v in settings.items()},
        }
        self.log = data_dir.parent / "worker.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self._log_from = 0

    def start(self) -> subprocess.Popen[bytes]:
        self._log_from = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                ["setpriv", "--pdeathsig", "KILL", sys.executable, "-m", "kiosk", "worker"],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
            )
        return self.proc

    def wait_ready(self, timeout_s: float = 30) -> None:
        """Until the worker says it runs (its signal handlers are in place)."""
        deadline = time.monotonic() + timeout_s
        while "upload worker on" not in self.log.read_text(errors="replace")[self._log_from :]:
            assert self.proc is not None and self.proc.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, "the worker did not start"
            time.sleep(0.05)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None

    def stop(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=60)
        self.proc = None
        return code
