"""The built image, inspected as a technician's card would be: read with sfdisk, mtools and
debugfs straight from the image file (no mounts, no loop devices)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from image_build import disk, layout
from tests.stacks.image import BuiltImage

pytestmark = [pytest.mark.stack, pytest.mark.slow, pytest.mark.timeout(1800)]

MIB = 1024 * 1024


def ext4(image: BuiltImage, number: int, request: str) -> str:
    return disk.debugfs(image.image, image.partitions[number - 1], request)


def stat(image: BuiltImage, number: int, path: str) -> tuple[int, int, int]:
    """(mode, uid, gid) of a path inside an ext4 partition."""
    out = ext4(image, number, f"stat {path}")
    mode = re.search(r"Mode:\s+(\d+)", out)
    owner = re.search(r"User:\s+(\d+)\s+Group:\s+(\d+)", out)
    assert mode and owner, f"{path} not found in partition {number}:\n{out}"
    return int(mode.group(1), 8), int(owner.group(1)), int(owner.group(2))


def test_outputs_are_checksummed_and_flashable(built_image: BuiltImage, tmp_path: Path) -> None:
    out = built_image.dir
    name = built_image.image.stem
    for suffix in (".img", ".img.zst", ".img.bmap", ".sha256"):
        assert (out / f"{name}{suffix}").is_file(), suffix
    check = subprocess.run(
        ["sha256sum", "-c", f"{name}.sha256"], cwd=out, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count(": OK") == 3
    # What a technician does: bmaptool copy of the compressed image onto a "card".
    card = tmp_path / "card.img"
    card.write_bytes(b"")
    bmap, zst = out / f"{name}.img.bmap", out / f"{name}.img.zst"
    copy = subprocess.run(
        ["bmaptool", "copy", "--bmap", str(bmap), str(zst), str(card)],
        capture_output=True,
        text=True,
    )
    assert copy.returncode == 0, copy.stderr
    assert card.stat().st_size == built_image.image.stat().st_size
    assert disk.partitions(card) == built_image.partitions


def test_partitions_labels_and_sizes(built_image: BuiltImage) -> None:
    boot, root, data = built_image.partitions
    assert (boot.type, root.type, data.type) == ("c", "83", "83")
    assert boot.start == 4 * MIB and boot.size == 256 * MIB
    assert data.size == 64 * MIB  # grown to fill the card at first boot
    assert root.start >= boot.start + boot.size and data.start >= root.start + root.size
    label = subprocess.run(
        ["mlabel", "-s", "-i", boot.spec(built_image.image), "::"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert layout.BOOT_LABEL in label
    assert f"Filesystem volume name:   {layout.ROOT_LABEL}" in ext4(built_image, 2, "stats")
    assert f"Filesystem volume name:   {layout.DATA_LABEL}" in ext4(built_image, 3, "stats")


def test_boot_partition_has_pi_firmware_and_the_overlay_cmdline(built_image: BuiltImage) -> None:
    boot = built_image.partitions[0]
    listing = subprocess.run(
        ["mdir", "-b", "-i", boot.spec(built_image.image), "::"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    names = {Path(line).name for line in listing.split()}
    for needed in ("start.elf", "start4.elf", "fixup.dat", "fixup4.dat", "bootcode.bin"):
        assert needed in names, needed
    assert {"bcm2837-rpi-3-b.dtb", "bcm2711-rpi-4-b.dtb"} <= names
    config = disk.fat_read(built_image.image, boot, "config.txt").decode()
    kernel = re.search(r"^kernel=(\S+)", config, re.MULTILINE)
    initrd = re.search(r"^initramfs (\S+)", config, re.MULTILINE)
    assert kernel and initrd and {kernel.group(1), initrd.group(1)} <= names
    cmdline = disk.fat_read(built_image.image, boot, "cmdline.txt").decode()
    assert cmdline.count("\n") == 1  # the Pi firmware reads a single line
    for option in (
        f"root=LABEL={layout.ROOT_LABEL}",
        "overlayroot=tmpfs:recurse=0",
        "consoleblank=0",
    ):
        assert option in cmdline.split(), option


def test_root_fstab_units_and_no_ssh(built_image: BuiltImage) -> None:
    assert ext4(built_image, 2, "cat /etc/fstab") == layout.FSTAB
    wants = ext4(built_image, 2, "ls -l /etc/systemd/system/multi-user.target.wants")
    assert "tps-kiosk.target" in wants
    target = ext4(built_image, 2, "cat /etc/systemd/system/tps-kiosk.target")
    for unit in ("tps-kiosk-web.service", "tps-kiosk-worker.service"):
        assert unit in target
    sbin = ext4(built_image, 2, "ls /usr/sbin").split()
    assert "fake-hwclock" in sbin and "sshd" not in sbin  # a real listing, without sshd
    journald = ext4(built_image, 2, "cat /etc/systemd/journald.conf.d/tps-kiosk.conf")
    assert "Storage=volatile" in journald
    # The overlay root needs busybox and the overlayroot hook inside the initramfs.
    assert "overlayroot" in ext4(
        built_image, 2, "ls /usr/share/initramfs-tools/scripts/init-bottom"
    )


def test_owners_and_permissions(built_image: BuiltImage) -> None:
    uid = layout.SERVICE_UID
    mode, owner, group = stat(built_image, 3, "/tps-kiosk")
    assert (mode & 0o7777, owner, group) == (0o750, uid, uid)
    mode, owner, _ = stat(built_image, 3, "/clock/fake-hwclock.data")
    assert owner == 0 and mode & 0o022 == 0
    for path, want in (
        ("/opt/tps-kiosk/bin/tps-kiosk", 0o755),
        ("/etc/tps-kiosk/kiosk.toml", 0o644),
        ("/etc/tps-kiosk/provisioning-keys/office.pub", 0o644),
        ("/etc/systemd/system/tps-kiosk-web.service", 0o644),
    ):
        mode, owner, _ = stat(built_image, 2, path)
        assert (mode & 0o7777, owner) == (want, 0), path
    passwd = ext4(built_image, 2, "cat /etc/passwd")
    assert re.search(rf"^tps-kiosk:x:{uid}:{uid}:", passwd, re.MULTILINE), passwd


def test_payload_is_the_kiosk_without_the_collector(built_image: BuiltImage) -> None:
    site = built_image.rootfs / "opt/tps-kiosk/lib/python3.11/site-packages"
    assert (site / "kiosk" / "translations" / "id" / "LC_MESSAGES" / "messages.mo").is_file()
    assert not (site / "tuspyserver").exists() and not (site / "fastapi").exists()
    # Every data file the kiosk reads at run time is in the package (checklists, templates...).
    repo = Path(__file__).resolve().parents[2]
    for top in ("kiosk", "drivers"):
        for f in (repo / top).rglob("*"):
            if (
                f.is_file()
                and f.suffix not in (".py", ".pyc", ".md")
                and "__pycache__" not in str(f)
            ):
                assert (site / f.relative_to(repo)).is_file(), (
                    f"not packaged: {f.relative_to(repo)}"
                )
    # The arm64 payload really runs: the installed command under qemu-user in the root.
    out = subprocess.run(
        ["chroot", str(built_image.rootfs), "/opt/tps-kiosk/bin/tps-kiosk", "settings"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert f"data_dir = PosixPath('{layout.DATA_DIR}')" in out.stdout
