"""systemd/bin/tps-kiosk-growdata on a real partitioned disk (a loop device over an image
file laid out like the card: FAT, root, data last), with the real growpart."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.stacks.require import stacks_required
from tests.systemd.units import SYSTEMD_DIR

GROW = SYSTEMD_DIR / "bin/tps-kiosk-growdata"
TOOLS = ("losetup", "sfdisk", "partx", "growpart", "mkfs.ext4", "e2fsck", "mount", "umount")
LAYOUT = """label: dos
start=2048, size=16384, type=c
start=18432, size=32768, type=83
start=51200, size=20480, type=83
"""


def _needs() -> str | None:
    if os.geteuid() != 0:
        return "loop devices need root"
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        return f"missing {', '.join(missing)} (growpart: Debian package cloud-guest-utils)"
    return None


pytestmark = pytest.mark.skipif(
    _needs() is not None and not stacks_required(), reason=str(_needs())
)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def card(tmp_path: Path) -> Iterator[str]:
    """A 64 MiB "card" whose data partition (p3, 10 MiB, ext4) ends well before the end,
    with p2 mounted as the root file system is on the kiosk when the grow step runs (so the
    kernel is told about the one changed partition, not asked to re-read the whole disk)."""
    image = tmp_path / "card.img"
    with image.open("wb") as fh:
        fh.truncate(64 * 1024 * 1024)
    subprocess.run(["sfdisk", "-q", str(image)], input=LAYOUT, text=True, check=True)
    disk = run("losetup", "--find", "--show", "--partscan", str(image)).stdout.strip()
    assert disk.startswith("/dev/loop"), "no free loop device"
    try:
        deadline = time.monotonic() + 3
        while not Path(f"{disk}p3").exists() and time.monotonic() < deadline:
            run("partx", "--add", disk)  # without udev the partition scan may not show
            time.sleep(0.1)
        subprocess.run(["mkfs.ext4", "-q", "-F", "-L", "TPSTEST", f"{disk}p3"], check=True)
        subprocess.run(["mkfs.ext4", "-q", "-F", f"{disk}p2"], check=True)
        (tmp_path / "root").mkdir()
        subprocess.run(["mount", "-o", "ro", f"{disk}p2", str(tmp_path / "root")], check=True)
        yield disk
    finally:
        run("umount", str(tmp_path / "root"))
        run("partx", "--delete", disk)
        run("losetup", "--detach", disk)


def sectors(partition: str) -> int:
    return int(Path(f"/sys/class/block/{Path(partition).name}/size").read_text())


def test_grows_the_data_partition_to_the_end_of_the_card_then_is_a_no_op(card):
    before = sectors(f"{card}p3")
    first = run(str(GROW), f"{card}p3")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "CHANGED" in first.stdout
    grown = sectors(f"{card}p3")
    assert grown > before * 3  # 10 MiB -> the rest of 64 MiB
    assert 51200 + grown > 64 * 2048 - 2048  # ends within the last MiB
    assert sectors(f"{card}p2") == 32768, "the root partition is untouched"
    assert run("e2fsck", "-n", "-f", f"{card}p3").returncode == 0

    again = run(str(GROW), f"{card}p3")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "NOCHANGE" in again.stdout
    assert sectors(f"{card}p3") == grown


def test_a_missing_partition_fails(tmp_path):
    result = run(str(GROW), str(tmp_path / "no-such-device"))
    assert result.returncode == 1
    assert "not a block device" in result.stderr
