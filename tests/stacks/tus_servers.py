"""tus servers this project did not write, started on 127.0.0.1 for the uploader's contract:
tus.io's reference server for Node (``@tus/server`` with its file store, installed by
scripts/setup with ``npm ci`` in tests/stacks/tus_node) and a bare tuspyserver."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.stacks.collector import free_port
from tests.stacks.require import missing_stack

ROOT = Path(__file__).resolve().parents[2]
NODE_DIR = Path(__file__).with_name("tus_node")


@dataclass
class TusServer:
    name: str
    endpoint: str
    storage: Path

    def uploads(self) -> list[Path]:
        """The upload data files the server holds (not its metadata files)."""
        return [
            p for p in self.storage.iterdir() if p.is_file() and p.suffix not in (".json", ".info")
        ]


def _wait(proc: subprocess.Popen[bytes], endpoint: str, log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"tus server exited: {log.read_text(errors='replace')}")
        try:
            answer = requests.options(endpoint, headers={"Tus-Resumable": "1.0.0"}, timeout=1)
            if "Tus-Resumable" in answer.headers:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.05)
    raise RuntimeError("tus server did not answer in 20 s")


@pytest.fixture(params=["@tus/server", "tuspyserver"])
def tus_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TusServer]:
    storage = tmp_path / "tus-storage"
    storage.mkdir()
    port = free_port()
    if request.param == "@tus/server":
        node = shutil.which("node")
        if node is None or not (NODE_DIR / "node_modules" / "@tus" / "server").exists():
            missing_stack("node and tests/stacks/tus_node/node_modules (npm ci) are needed")
        command = [str(node), str(NODE_DIR / "server.js"), str(storage), str(port)]
    else:
        command = [sys.executable, "-m", "tests.stacks.tus_plain", str(storage), str(port)]
    log = tmp_path / "tus-server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            ["setpriv", "--pdeathsig", "KILL", *command], cwd=ROOT, stdout=out, stderr=out
        )
    endpoint = f"http://127.0.0.1:{port}/files/"
    try:
        _wait(proc, endpoint, log)
        yield TusServer(request.param, endpoint, storage)
    finally:
        proc.kill()
        proc.wait(timeout=10)
