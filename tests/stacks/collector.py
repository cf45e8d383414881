"""The reference collector as a real subprocess (``python -m kiosk.collector serve``).

``collector_factory(**options)`` gives a ``CollectorProcess`` on 127.0.0.1 with its own data
folder and a port picked once, so it comes back on the same URL after ``kill()`` (SIGKILL) and
``start()``; tus upload URLs stay valid across restarts. Every process is killed at teardown,
and ``setpriv --pdeathsig KILL`` takes it down with pytest if pytest itself dies.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def collector_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "kiosk.collector", *args]


def run_collector_cli(*args: str, timeout_s: float = 30) -> subprocess.CompletedProcess[str]:
    """Run a collector command (register, import, list, ...) to completion."""
    return subprocess.run(
        collector_command(*args),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )


class CollectorProcess:
    def __init__(
        self,
        data_dir: Path,
        port: int,
        accept_training: bool = False,
        trust_first_use: bool = False,
    ) -> None:
        self.data_dir = data_dir
        self.port = port
        self.flags = ["--accept-training"] * accept_training + ["--trust-first-use"] * (
            trust_first_use
        )
        self.log_path = data_dir.parent / f"{data_dir.name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def files_url(self) -> str:
        """The tus creation URL."""
        return f"{self.url}/files/"

    def start(self, timeout_s: float = 20) -> CollectorProcess:
        assert self.proc is None or self.proc.poll() is not None, "already running"
        command = collector_command(
            "serve", "--data", str(self.data_dir), "--port", str(self.port), *self.flags
        )
        if shutil.which("setpriv"):
            command = ["setpriv", "--pdeathsig", "KILL", "--", *command]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"collector exited with {self.proc.returncode}:\n{self.log()}")
            try:
                if requests.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"collector not ready in {timeout_s} s:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def restart(self) -> CollectorProcess:
        self.kill()
        return self.start()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def receipt(self, key: str) -> requests.Response:
        return requests.get(f"{self.url}/receipts/{key}", timeout=10)


@pytest.fixture
def collector_factory(tmp_path: Path) -> Iterator[Callable[..., CollectorProcess]]:
    """Start collectors: ``collector_factory(accept_training=..., trust_first_use=...,
    data_dir=..., start=True)``. All are killed at teardown."""
    started: list[CollectorProcess] = []

    def make(
        accept_training: bool = False,
        trust_first_use: bool = False,
        data_dir: Path | None = None,
        start: bool = True,
    ) -> CollectorProcess:
        data = data_dir or tmp_path / f"collector{len(started)}"
        data.mkdir(parents=True, exist_ok=True)
        proc = CollectorProcess(data, free_port(), accept_training, trust_first_use)
        started.append(proc)
        return proc.start() if start else proc

    yield make
    for proc in started:
        proc.kill()


@pytest.fixture
def collector(collector_factory: Callable[..., CollectorProcess]) -> CollectorProcess:
    """A running production collector (no training documents, no trust on first use)."""
    return collector_factory()
