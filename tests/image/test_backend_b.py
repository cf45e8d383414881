"""The two pieces of backend B (pi-gen on a release machine) that can run here: the payload
tarball its stage unpacks, and the re-layout of a two-partition image (pi-gen's shape) into the
golden BOOTFS / TPSROOT / TPSDATA layout. pi-gen itself needs Docker and the Raspberry Pi
archive, which this machine does not have."""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from image_build import disk, layout
from tests.stacks.image import REPO, BuiltImage

pytestmark = [pytest.mark.stack, pytest.mark.slow, pytest.mark.timeout(1800)]


def image_build(*args: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "image_build", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def test_payload_tarball_for_the_pi_gen_stage(built_image: BuiltImage, tmp_path: Path) -> None:
    tar = tmp_path / "payload.tar"
    image_build(
        "payload", "--out", str(tar), "--provisioning-key", str(built_image.key.with_suffix(".pub"))
    )
    with tarfile.open(tar) as t:
        members = {m.name.removeprefix("./"): m for m in t.getmembers()}
    launcher = members["opt/tps-kiosk/bin/tps-kiosk"]
    assert launcher.mode & 0o777 == 0o755
    assert "opt/tps-kiosk/lib/python3.11/site-packages/kiosk/cli.py" in members
    assert "etc/tps-kiosk/provisioning-keys/office.pub" in members
    assert members["etc/systemd/system/multi-user.target.wants/tps-kiosk.target"].issym()
    data = members["data/tps-kiosk"]
    assert (data.uid, data.gid, data.mode & 0o777) == (layout.SERVICE_UID,) * 2 + (0o750,)
    assert "data/clock/fake-hwclock.data" in members
    assert not any(
        name.startswith("opt/tps-kiosk/lib/python3.11/site-packages/fastapi/") for name in members
    )


def test_a_two_partition_image_is_laid_out_as_the_golden_one(
    built_image: BuiltImage, tmp_path: Path
) -> None:
    """pi-gen writes boot + root; assemble adds the data partition, labels and cmdline."""
    boot, root, _ = built_image.partitions
    source = tmp_path / "pigen.img"
    with source.open("wb") as f:
        f.truncate(root.start + root.size + 1024 * 1024)
    table = (
        "label: dos\n"
        f"start={boot.start // 512}, size={boot.size // 512}, type=c\n"
        f"start={root.start // 512}, size={root.size // 512}, type=83\n"
    )
    subprocess.run(["sfdisk", "-q", str(source)], input=table, text=True, check=True)
    for part in (boot, root):
        subprocess.run(
            [
                *("dd", f"if={built_image.image}", f"of={source}", "bs=1M", "conv=notrunc,sparse"),
                *(f"skip={part.start // 2**20}", f"seek={part.start // 2**20}"),
                f"count={part.size // 2**20}",
                "status=none",
            ],
            check=True,
        )
    out = tmp_path / "out"
    image_build("assemble", "--from-image", str(source), "--name", "relaid", "--out", str(out))
    relaid = out / "relaid.img"
    assert {p.name for p in out.iterdir()} >= {
        "relaid.img",
        "relaid.img.zst",
        "relaid.img.bmap",
        "relaid.sha256",
    }
    parts = disk.partitions(relaid)
    assert [p.type for p in parts] == ["c", "83", "83"]
    cmdline = disk.fat_read(relaid, parts[0], "cmdline.txt").decode()
    assert f"root=LABEL={layout.ROOT_LABEL}" in cmdline and "overlayroot=tmpfs" in cmdline
    assert (
        "start4.elf"
        in subprocess.run(
            ["mdir", "-b", "-i", parts[0].spec(relaid), "::"], capture_output=True, text=True
        ).stdout
    )
    assert disk.debugfs(relaid, parts[1], "cat /etc/fstab") == layout.FSTAB
    stat = disk.debugfs(relaid, parts[1], "stat /opt/tps-kiosk/bin/tps-kiosk")
    mode = re.search(r"Mode:\s+(\d+)", stat)
    assert mode and int(mode.group(1), 8) == 0o755  # modes survive debugfs rdump
    for part, label in ((parts[1], layout.ROOT_LABEL), (parts[2], layout.DATA_LABEL)):
        assert f"Filesystem volume name:   {label}" in disk.debugfs(relaid, part, "stats")
