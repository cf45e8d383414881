"""Assemble the SD image with genimage (no loop devices, no mounts) and write the outputs a
technician flashes: ``.img``, ``.img.zst``, ``.img.bmap`` and ``.sha256``. Also the read-only
inspection the tests and ``fleet verify`` rely on: partitions by sfdisk, FAT by mtools, ext4 by
debugfs, all on the image file at a byte offset.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from image_build import layout

GENIMAGE_CFG = """\
image boot.vfat {{
  vfat {{
    label = "{boot_label}"
    extraargs = "-F 32"
  }}
  mountpoint = "{boot_mount}"
  size = {boot_mib}M
}}

image data.ext4 {{
  ext4 {{
    label = "{data_label}"
    use-mke2fs = true
  }}
  mountpoint = "{data_mount}"
  size = {data_mib}M
}}

image root.ext4 {{
  ext4 {{
    label = "{root_label}"
    use-mke2fs = true
  }}
  mountpoint = "/"
  size = {root_mib}M
}}

image {name} {{
  hdimage {{
    partition-table-type = "mbr"
  }}
  partition boot {{
    partition-type = 0xC
    bootable = true
    image = "boot.vfat"
    offset = 4M
  }}
  partition root {{
    partition-type = 0x83
    image = "root.ext4"
  }}
  partition data {{
    partition-type = 0x83
    image = "data.ext4"
  }}
}}
"""


@dataclass(frozen=True)
class Partition:
    number: int
    start: int  # bytes
    size: int  # bytes
    type: str  # MBR type, hex without 0x

    def spec(self, image: Path) -> str:
        """``image?offset=N`` for e2fsprogs, ``image@@N`` for mtools."""
        return f"{image}@@{self.start}"


def _du_mib(path: Path, exclude: tuple[Path, ...]) -> int:
    args = ["du", "-s", "-B1M", "--apparent-size", "-x"]
    args += [f"--exclude={p}" for p in exclude]
    out = subprocess.run([*args, str(path)], capture_output=True, text=True, check=True).stdout
    return int(out.split()[0])


def assemble(rootfs: Path, out_dir: Path, name: str, sizes: layout.Sizes) -> Path:
    """genimage from the root filesystem: p1 FAT from /boot/firmware, p3 ext4 from /data,
    p2 ext4 from the rest, sized to the content plus room for the tmpfs overlay's workdir."""
    boot = rootfs / layout.BOOT_MOUNT.lstrip("/")
    data = rootfs / layout.DATA_MOUNT.lstrip("/")
    (boot / "cmdline.txt").write_text(layout.CMDLINE + " console=tty1\n")
    used = _du_mib(rootfs, (boot, data))
    root_mib = int(used * 1.25) + 64
    work = out_dir / "genimage"
    shutil.rmtree(work, ignore_errors=True)
    (work / "input").mkdir(parents=True)
    cfg = work / "genimage.cfg"
    cfg.write_text(
        GENIMAGE_CFG.format(
            name=f"{name}.img",
            boot_label=layout.BOOT_LABEL,
            boot_mount=layout.BOOT_MOUNT,
            boot_mib=sizes.boot_mib,
            data_label=layout.DATA_LABEL,
            data_mount=layout.DATA_MOUNT,
            data_mib=sizes.data_mib,
            root_label=layout.ROOT_LABEL,
            root_mib=root_mib,
        )
    )
    subprocess.run(
        [
            "genimage",
            "--rootpath",
            str(rootfs),
            "--tmppath",
            str(work / "tmp"),
            "--inputpath",
            str(work / "input"),
            "--outputpath",
            str(work),
            "--config",
            str(cfg),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    image = out_dir / f"{name}.img"
    (work / f"{name}.img").rename(image)
    shutil.rmtree(work)
    return image


def publish(image: Path) -> list[Path]:
    """``.img.zst`` (zstd: a dozen times faster than xz here), ``.img.bmap`` and ``.sha256``."""
    zst = image.with_suffix(".img.zst")
    subprocess.run(["zstd", "-q", "-f", "-T0", "-10", str(image), "-o", str(zst)], check=True)
    bmap = image.with_suffix(".img.bmap")
    subprocess.run(["bmaptool", "-q", "create", "-o", str(bmap), str(image)], check=True)
    sums = image.with_suffix(".sha256")
    listing = subprocess.run(
        ["sha256sum", image.name, zst.name, bmap.name],
        cwd=image.parent,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    sums.write_text(listing)
    return [image, zst, bmap, sums]


def partitions(image: Path) -> list[Partition]:
    """The MBR partitions of an image file or a card (/dev/sdX), read by sfdisk."""
    out = subprocess.run(
        ["sfdisk", "--json", str(image)], capture_output=True, text=True, check=True
    ).stdout
    table = json.loads(out)["partitiontable"]
    sector = int(table.get("sectorsize", layout.SECTOR))
    return [
        Partition(i + 1, p["start"] * sector, p["size"] * sector, p["type"])
        for i, p in enumerate(table["partitions"])
    ]


def debugfs(image: Path, part: Partition, request: str) -> str:
    """A read-only debugfs request on an ext4 partition inside the image."""
    return subprocess.run(
        ["debugfs", "-R", request, f"{image}?offset={part.start}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def fat_read(image: Path, part: Partition, path: str) -> bytes:
    """A file from the FAT partition, through mtools (no mount)."""
    return subprocess.run(
        ["mcopy", "-n", "-i", part.spec(image), f"::{path}", "-"], capture_output=True, check=True
    ).stdout
