"""The sd_notify side of Type=notify + WatchdogSec=, against a real AF_UNIX datagram socket
standing in for systemd's NOTIFY_SOCKET (the socket is real; only systemd is not there)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.sdnotify import HttpHealth, Watchdog, notify, watchdog_interval_s

ROOT = Path(__file__).resolve().parents[2]


class NotifySocket:
    """The datagrams a service sends to $NOTIFY_SOCKET, as systemd would receive them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))

    def receive(self, timeout_s: float) -> str | None:
        self.sock.settimeout(timeout_s)
        try:
            return self.sock.recv(4096).decode()
        except TimeoutError:
            return None

    def collect(self, seconds: float) -> list[str]:
        messages, deadline = [], time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            message = self.receive(left)
            if message is not None:
                messages.append(message)
        return messages

    def wait_for(self, prefix: str, timeout_s: float) -> list[str]:
        """Every message up to and including the first starting with ``prefix``."""
        seen, deadline = [], time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            message = self.receive(left)
            if message is None:
                break
            seen.append(message)
            if message.startswith(prefix):
                return seen
        raise AssertionError(f"no {prefix!r} within {timeout_s} s; got {seen}")

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def systemd_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[NotifySocket]:
    sock = NotifySocket(tmp_path / "notify.sock")
    monkeypatch.setenv("NOTIFY_SOCKET", str(sock.path))
    yield sock
    sock.close()


def test_notify_sends_one_datagram(systemd_socket):
    assert notify("STATUS=hello") is True
    assert systemd_socket.receive(1) == "STATUS=hello"


def test_notify_without_systemd_sends_nothing(monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert notify("READY=1") is False


def test_watchdog_interval_is_half_of_watchdog_usec():
    assert watchdog_interval_s({"WATCHDOG_USEC": "30000000"}) == 15.0
    assert watchdog_interval_s({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())})
    # Meant for another process (a parent that exec'd us under a different PID), or not set.
    assert watchdog_interval_s({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}) is None
    assert watchdog_interval_s({}) is None
    assert watchdog_interval_s({"WATCHDOG_USEC": "0"}) is None


def test_ready_once_then_watchdog_while_healthy_and_none_after_the_check_fails(
    systemd_socket,
):
    healthy = threading.Event()
    healthy.set()
    checks: list[float] = []

    def check() -> bool:
        checks.append(time.monotonic())
        return healthy.is_set()

    watchdog = Watchdog(check, interval_s=0.05)
    watchdog.ready(status="serving")
    watchdog.ready(status="serving")  # a second call is a no-op
    try:
        assert systemd_socket.receive(1) == "READY=1\nSTATUS=serving"
        assert systemd_socket.collect(0.5).count("WATCHDOG=1") >= 4
        healthy.clear()
        systemd_socket.collect(0.1)  # a beat already on its way
        after = systemd_socket.collect(0.5)
        assert after == [], "a failing check must starve the systemd watchdog"
        assert len(checks) >= 12, "the check keeps running while it fails"
        healthy.set()  # it recovers before systemd gave up: the beats resume
        assert "WATCHDOG=1" in systemd_socket.collect(0.3)
    finally:
        watchdog.stop()
    assert "READY=1" not in " ".join(systemd_socket.collect(0.2))


def test_a_check_that_raises_counts_as_failed(systemd_socket):
    def check() -> bool:
        raise ConnectionRefusedError("nothing listens")

    watchdog = Watchdog(check, interval_s=None)
    watchdog.ready()
    assert systemd_socket.receive(1) == "READY=1"
    assert watchdog.beat() is False
    assert systemd_socket.receive(0.2) is None


def test_without_watchdog_usec_only_ready_is_sent(systemd_socket):
    watchdog = Watchdog(lambda: True, interval_s=None)
    watchdog.ready()
    assert systemd_socket.collect(0.3) == ["READY=1"]
    watchdog.stop()


def test_http_health_needs_a_200_from_a_listening_server():
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with pytest.raises(ConnectionRefusedError):
        HttpHealth("127.0.0.1", port, timeout_s=1)()


def test_a_wedged_server_that_accepts_but_never_answers_starves_the_watchdog(systemd_socket):
    with socket.socket() as wedged:  # listening, so connect succeeds; nobody ever answers
        wedged.bind(("127.0.0.1", 0))
        wedged.listen()
        health = HttpHealth("127.0.0.1", wedged.getsockname()[1], timeout_s=0.3)
        watchdog = Watchdog(health, interval_s=None)
        started = time.monotonic()
        assert watchdog.beat() is False
        assert time.monotonic() - started < 2, "the check is bounded by its timeout"
    assert systemd_socket.receive(0.2) is None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_says_ready_then_feeds_the_watchdog_while_health_answers(tmp_path):
    """`tps-kiosk serve` as systemd runs it: NOTIFY_SOCKET and WATCHDOG_USEC set."""
    sock = NotifySocket(tmp_path / "notify.sock")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIOSK_", "WATCHDOG_"))}
    env.update(
        NOTIFY_SOCKET=str(sock.path),
        WATCHDOG_USEC="1000000",  # WatchdogSec=1: a beat every 0.5 s
        KIOSK_HARDWARE="fake",
        KIOSK_DATA_DIR=str(tmp_path / "data"),
        KIOSK_PORT=str(port),
        HOME=str(tmp_path),
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        first = sock.wait_for("READY=1", timeout_s=30)
        assert first == [f"READY=1\nSTATUS=serving on port {port}"]
        # READY=1 comes only once the socket listens: /health answers right away.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as resp:
            assert resp.status == 200
        beats = sock.collect(1.8)
        assert beats.count("WATCHDOG=1") >= 2, beats
        assert set(beats) == {"WATCHDOG=1"}
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
        sock.close()
    assert b"Traceback" not in err, err.decode()
