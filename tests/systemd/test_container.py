"""The units under a real systemd 252 as PID 1: a systemd-nspawn container whose root is the
host's own file system (Debian 12, like the image) under a tmpfs overlay, with the payload
installed by systemd/install.py and the users made by systemd-sysusers. Only the kiosk
command is the repository's (its venv, fake devices) and the web watchdog is shortened.

This proves what the offline checks cannot: web and worker start with all their hardening
(namespaces, seccomp, device ACL, IP allow list, no capabilities) and serve, READY=1 and the
watchdog beats reach systemd, and a frozen app is killed by the watchdog and restarted.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.stacks.require import stacks_required
from tests.systemd import units

WATCHDOG_S = 4  # the test's WatchdogSec= for the web app (the image has 30)


def _cannot_run() -> str | None:
    if os.geteuid() != 0:
        return "systemd-nspawn needs root"
    if shutil.which("systemd-nspawn") is None:
        return "systemd-nspawn is not installed (Debian package systemd-container)"
    if not Path("/usr/lib/systemd/systemd").exists():
        return "no systemd on this host"
    return None


pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        _cannot_run() is not None and not stacks_required(), reason=str(_cannot_run())
    ),
]

# The repository's packages and its venv inside the container. Not at their own paths: a
# clone under /tmp would be hidden from the units by their PrivateTmp=.
SRC = "/srv/tps-kiosk/src"
VENV = "/srv/tps-kiosk/venv"
TEST_DROPIN = f"""[Service]
# tests/systemd/test_container.py: the repository's kiosk with fake devices
Environment=KIOSK_HARDWARE=fake
WorkingDirectory={SRC}
"""


@dataclass
class Container:
    leader: int  # the container's PID 1, as the host sees it
    log: Path

    def run(self, *command: str, timeout_s: float = 30) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["nsenter", "-t", str(self.leader), "-m", "-u", "-i", "-n", "-p", "-C", *command],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )

    def show(self, unit: str, prop: str) -> str:
        return self.run("systemctl", "show", "--value", "-p", prop, unit).stdout.strip()

    def wait_for(self, unit: str, prop: str, value: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.show(unit, prop) == value:
                return
            time.sleep(0.5)
        journal = self.run("journalctl", "--no-pager", "-n", "60").stdout
        raise AssertionError(f"{unit}: {prop} never became {value}\n{journal}")


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)


def _prepare_root(base: Path) -> Path:
    root = base / "root"
    for name in ("upper", "work", "root", "data"):
        (base / name).mkdir()
    # The overlay's writable layers live on their own tmpfs, outside the lower layer (/).
    _mount(
        "-t",
        "overlay",
        "overlay",
        "-o",
        f"lowerdir=/,upperdir={base}/upper,workdir={base}/work",
        str(root),
    )
    units.install_manifest(root)
    # No TPSDATA partition here: /data is a bind mount.
    (root / "etc/systemd/system/local-fs.target.wants/tps-kiosk-growdata.service").unlink()
    subprocess.run(
        ["systemd-sysusers", f"--root={root}", str(root / "etc/sysusers.d/tps-kiosk.conf")],
        check=True,
        capture_output=True,
    )
    kiosk = root / "opt/tps-kiosk/bin/tps-kiosk"
    kiosk.write_text(f'#!/bin/sh\nexec {VENV}/bin/python -m kiosk "$@"\n')
    kiosk.chmod(0o755)
    for name in ("web", "worker", "firstboot"):
        dropins = root / f"etc/systemd/system/tps-kiosk-{name}.service.d"
        dropins.mkdir()
        text = TEST_DROPIN
        if name == "web":
            text += f"WatchdogSec={WATCHDOG_S}\n"
        (dropins / "test.conf").write_text(text)
    return root


@pytest.fixture(scope="module")
def container(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    base = tmp_path_factory.mktemp("nspawn")
    _mount("-t", "tmpfs", "tmpfs", str(base))
    proc = None
    try:
        try:
            root = _prepare_root(base)
        except subprocess.CalledProcessError as exc:
            pytest.skip(f"cannot make an overlay of / here: {exc.stderr}")
        log = base / "console.log"
        venv = Path(sys.prefix)
        proc = subprocess.Popen(
            [
                "systemd-nspawn",
                f"--directory={root}",
                "--boot",
                "--register=no",
                "--keep-unit",
                "--link-journal=no",
                f"--machine=tpskiosk{os.getpid()}",
                # Loopback only, as at an offline TPS: the host's test daemons (cupsd, pcscd's
                # vpcd port, a kiosk on 8080) never meet the container's.
                "--private-network",
                # The packages only: a clone's own folder may be 0700 (mktemp -d).
                f"--bind-ro={units.REPO / 'kiosk'}:{SRC}/kiosk",
                f"--bind-ro={units.REPO / 'drivers'}:{SRC}/drivers",
                f"--bind-ro={venv}:{VENV}",
                f"--bind={base}/data:/data",
                "--console=read-only",
                "--",
                "systemd.unit=tps-kiosk.target",
            ],
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        leader = 0
        deadline = time.monotonic() + 30
        while not leader and time.monotonic() < deadline and proc.poll() is None:
            children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
            leader = int(children[0]) if children else 0
            time.sleep(0.2)
        if not leader:
            pytest.skip(f"systemd-nspawn did not start here: {log.read_text(errors='replace')}")
        yield Container(leader, log)
    finally:
        if proc is not None:
            proc.terminate()  # nspawn powers the container off
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        subprocess.run(["umount", "-R", str(base)], check=False, capture_output=True)


def test_web_starts_hardened_serves_and_feeds_the_watchdog(container):
    container.wait_for("tps-kiosk-web.service", "ActiveState", "active", timeout_s=90)
    assert container.show("tps-kiosk-web.service", "StatusText") == "serving on port 8080"
    health = container.run(
        "python3",
        "-c",
        "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:8080/health').status)",
    )
    assert health.stdout.strip() == "200", health.stderr
    pid = container.show("tps-kiosk-web.service", "MainPID")
    status = dict(
        line.split(":\t", 1)
        for line in container.run("cat", f"/proc/{pid}/status").stdout.splitlines()
        if ":\t" in line
    )
    assert status["NoNewPrivs"] == "1"
    assert status["Seccomp"] == "2"  # a filter is installed
    assert int(status["CapEff"], 16) == 0 and int(status["CapBnd"], 16) == 0
    groups = {
        line.split(":")[0]: line.split(":")[2]
        for line in container.run("getent", "group", "lp", "scanner", "gpio").stdout.splitlines()
    }
    assert set(groups.values()) <= set(status["Groups"].split()), "scanner, lp and gpio"
    assert container.show("tps-kiosk-web.service", "DevicePolicy") == "closed"
    # Three watchdog intervals later it is still the first process: the beats arrive.
    time.sleep(3 * WATCHDOG_S)
    assert container.show("tps-kiosk-web.service", "NRestarts") == "0"
    assert container.show("tps-kiosk-web.service", "MainPID") == pid


def test_a_frozen_web_app_is_killed_by_the_watchdog_and_restarted(container):
    container.wait_for("tps-kiosk-web.service", "ActiveState", "active", timeout_s=90)
    restarts = int(container.show("tps-kiosk-web.service", "NRestarts"))
    pid = container.show("tps-kiosk-web.service", "MainPID")
    container.run("kill", "-STOP", pid)
    container.wait_for(
        "tps-kiosk-web.service", "NRestarts", str(restarts + 1), timeout_s=4 * WATCHDOG_S
    )
    journal = container.run("journalctl", "--no-pager", "-u", "tps-kiosk-web.service").stdout
    assert "Watchdog timeout" in journal
    container.wait_for("tps-kiosk-web.service", "ActiveState", "active", timeout_s=60)
    assert container.show("tps-kiosk-web.service", "MainPID") != pid


def test_worker_starts_hardened(container):
    container.wait_for("tps-kiosk-worker.service", "ActiveState", "active", timeout_s=90)
    assert container.show("tps-kiosk-worker.service", "NRestarts") == "0"
    assert container.show("tps-kiosk-worker.service", "PrivateDevices") == "yes"


def test_first_boot_sets_up_its_sandbox_and_the_browser_does_not_fail(container):
    container.wait_for("tps-kiosk.target", "ActiveState", "active", timeout_s=90)
    # 226/NAMESPACE would mean the unit's sandbox could not be built (e.g. a missing path);
    # what `tps-kiosk firstboot` itself answers is tested with the command.
    assert container.show("tps-kiosk-firstboot.service", "ExecMainStatus") != "226"
    # No cage in this root: the browser is skipped by its condition, not failed.
    assert container.show("tps-kiosk-browser.service", "ActiveState") != "failed"


def test_the_clock_is_saved_to_data_as_the_kiosk_starts(container):
    """The first save comes with the kiosk, not 5 minutes after boot: a power cut right after
    the first boot finds this boot's time on /data. It runs the helper (fsync, rename, fsync
    of the folder: test_clock_save.py) inside the unit's sandbox and system call filter."""
    container.wait_for("tps-kiosk.target", "ActiveState", "active", timeout_s=90)
    unit = "tps-kiosk-clock-save.service"
    # Oneshot: it is inactive again once the save is done; a finished run has an exit time.
    deadline = time.monotonic() + 60
    while container.show(unit, "ExecMainExitTimestampMonotonic") in ("", "0"):
        if time.monotonic() > deadline:
            journal = container.run("journalctl", "--no-pager", "-u", unit).stdout
            raise AssertionError(f"{unit} did not run as the kiosk started\n{journal}")
        time.sleep(0.5)
    assert (container.show(unit, "Result"), container.show(unit, "ExecMainStatus")) == (
        "success",
        "0",
    ), container.run("journalctl", "--no-pager", "-u", unit).stdout
    saved = container.run("cat", "/data/clock/fake-hwclock.data").stdout
    now = container.run("date", "-u", "+%s").stdout.strip()
    stamp = container.run("date", "-u", "-d", saved.strip(), "+%s").stdout.strip()
    assert saved.endswith("\n") and 0 <= int(now) - int(stamp) < 3600, saved
    assert container.run("ls", "-A", "/data/clock").stdout.split() == ["fake-hwclock.data"]
