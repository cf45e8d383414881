"""tus servers this project did not write, started on 127.0.0.1 for the uploader's contract:
tus.io's reference server for Node (``@tus/server`` with its file store, installed by
scripts/setup with ``npm ci`` in tests/stacks/tus_node), a bare tuspyserver, tussi (PyPI; it
moves a finished upload away, so its URL then answers 404) and tus-node-server 0.9 (npm, in
tests/stacks/tus_node_legacy; it keeps a finished upload under its URL). None has the
collector's receipt route."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.stacks.collector import free_port
from tests.stacks.require import missing_stack

ROOT = Path(__file__).resolve().parents[2]
NODE_DIR = Path(__file__).with_name("tus_node")
LEGACY_NODE_DIR = Path(__file__).with_name("tus_node_legacy")

SERVERS = ("@tus/server", "tuspyserver", "tussi", "tus-node-server 0.9")


@dataclass
class TusServer:
    name: str
    endpoint: str
    storage: Path
    port: int = 0

    def uploads(self) -> list[Path]:
        """The upload data files the server holds (not its metadata files)."""
        return [
            p for p in self.storage.iterdir() if p.is_file() and p.suffix not in (".json", ".info")
        ]

    def complete_copies(self, data: bytes) -> int:
        """How many files anywhere in the server's storage hold exactly ``data``."""
        return sum(
            1
            for p in self.storage.rglob("*")
            if p.is_file() and p.stat().st_size == len(data) and p.read_bytes() == data
        )


def _wait(proc: subprocess.Popen[bytes], endpoint: str, log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"tus server exited: {log.read_text(errors='replace')}")
        try:
            answer = requests.options(endpoint, headers={"Tus-Resumable": "1.0.0"}, timeout=1)
            if "Tus-Resumable" in answer.headers or "Tus-Version" in answer.headers:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.05)
    raise RuntimeError("tus server did not answer in 20 s")


def _node(folder: Path, module: str) -> str:
    node = shutil.which("node")
    if node is None or not (folder / "node_modules" / module).exists():
        missing_stack(f"node and {folder.relative_to(ROOT)}/node_modules (npm ci) are needed")
    assert node is not None
    return node


@contextmanager
def run_tus_server(name: str, tmp_path: Path) -> Iterator[TusServer]:
    """One of SERVERS on a free port of 127.0.0.1, its storage under ``tmp_path``."""
    storage = tmp_path / "tus-storage"
    storage.mkdir()
    port = free_port()
    env = dict(os.environ)
    if name == "@tus/server":
        command = [_node(NODE_DIR, "@tus/server"), str(NODE_DIR / "server.js")]
    elif name == "tus-node-server 0.9":
        command = [_node(LEGACY_NODE_DIR, "tus-node-server"), str(LEGACY_NODE_DIR / "server.js")]
        env["XDG_CONFIG_HOME"] = str(tmp_path / "tus-config")  # its upload records
    elif name == "tussi":
        command = [sys.executable, "-m", "tests.stacks.tus_tussi"]
    else:
        command = [sys.executable, "-m", "tests.stacks.tus_plain"]
    log = tmp_path / "tus-server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            ["setpriv", "--pdeathsig", "KILL", *command, str(storage), str(port)],
            cwd=ROOT,
            stdout=out,
            stderr=out,
            stdin=subprocess.DEVNULL,
            env=env,
        )
    endpoint = f"http://127.0.0.1:{port}/files/"
    try:
        _wait(proc, endpoint, log)
        yield TusServer(name, endpoint, storage, port)
    finally:
        proc.kill()
        proc.wait(timeout=10)


@pytest.fixture(params=["@tus/server", "tuspyserver"])
def tus_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TusServer]:
    with run_tus_server(request.param, tmp_path) as server:
        yield server


@pytest.fixture(params=SERVERS)
def any_tus_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TusServer]:
    """Each tus server in turn, the collector's receipt route on none."""
    with run_tus_server(request.param, tmp_path) as server:
        yield server
