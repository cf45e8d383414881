"""Boot a built image in QEMU (TCG, no network) and read the boot check's report.

``virt`` boots the image as a virtio disk; ``raspi3b`` boots it as the SD card of an emulated
Raspberry Pi 3B with the Debian kernel and DTB, through the same partitions a Pi uses. Kernel,
initrd and DTB are read from the image's own FAT partition, so what boots is what was built.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from image_build import disk, layout

MACHINES = ("virt", "raspi3b")
_LINE = re.compile(r"BOOTCHECK (\w+)=(.*?)\r?$", re.MULTILINE)


@dataclass
class BootReport:
    machine: str
    log: str
    values: dict[str, str] = field(default_factory=dict)
    failed_units: list[str] = field(default_factory=list)
    journal: list[str] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return "BOOTCHECK end" in self.log


def parse(machine: str, log: str) -> BootReport:
    report = BootReport(machine, log)
    for key, value in _LINE.findall(log):
        if key == "failed_unit":
            report.failed_units.append(value.strip())
        elif key == "journal":
            report.journal.append(value.strip())
        else:
            report.values[key] = value.strip()
    return report


def boot_files(image: Path, into: Path) -> tuple[Path, Path]:
    """The kernel and initrd the image's config.txt names, copied out of its FAT partition."""
    boot = disk.partitions(image)[0]
    config = disk.fat_read(image, boot, "config.txt").decode()
    kernel = re.search(r"^kernel=(\S+)", config, re.MULTILINE)
    initrd = re.search(r"^initramfs (\S+)", config, re.MULTILINE)
    if not kernel or not initrd:
        raise ValueError("config.txt names no kernel or initramfs")
    paths = []
    for name in (kernel.group(1), initrd.group(1)):
        target = into / name
        target.write_bytes(disk.fat_read(image, boot, name))
        paths.append(target)
    return paths[0], paths[1]


def _pad_to_power_of_two(image: Path) -> None:
    """QEMU's SD card model wants a power-of-two size (a real card has no such rule)."""
    size = image.stat().st_size
    target = 1 << (size - 1).bit_length()
    if target != size:
        with image.open("r+b") as f:
            f.truncate(target)


def command(
    machine: str,
    image: Path,
    kernel: Path,
    initrd: Path,
    dtb: Path | None,
    cut: bool = False,
    gpu: bool = False,
) -> list[str]:
    check = "tps_kiosk.bootcheck=cut" if cut else "tps_kiosk.bootcheck"
    append = f"{layout.CMDLINE} {check} systemd.show_status=false"
    if machine == "virt":
        return [
            "qemu-system-aarch64",
            "-M",
            "virt",
            "-cpu",
            "cortex-a72",
            "-smp",
            "2",
            "-m",
            "1024",
            "-nographic",
            "-no-reboot",
            "-nic",
            "none",
            "-kernel",
            str(kernel),
            "-initrd",
            str(initrd),
            "-append",
            f"{append} console=ttyAMA0",
            "-drive",
            f"if=none,file={image},format=raw,id=card",
            "-device",
            "virtio-blk-device,drive=card",
            # A display for cage (the full image's kiosk browser), with no window here.
            *(["-device", "virtio-gpu-pci", "-device", "virtio-keyboard-pci"] if gpu else []),
        ]
    assert machine == "raspi3b" and dtb is not None
    # On a Pi 3 the PL011 (ttyAMA0) belongs to Bluetooth; the console is the mini UART, ttyS1,
    # which QEMU exposes as its second serial port.
    return [
        "qemu-system-aarch64",
        "-M",
        "raspi3b",
        "-m",
        "1024",
        "-nographic",
        "-no-reboot",
        "-serial",
        "null",
        "-serial",
        "mon:stdio",
        "-kernel",
        str(kernel),
        "-initrd",
        str(initrd),
        "-dtb",
        str(dtb),
        "-append",
        f"{append} console=ttyS1,115200",
        "-drive",
        f"if=sd,file={image},format=raw",
    ]


def boot(
    image: Path,
    machine: str = "virt",
    timeout_s: float = 600,
    cut: bool = False,
    gpu: bool = False,
) -> BootReport:
    """Boot an image file (it is written to: the data partition grows) and return the boot
    check's report; the log is kept whatever happens. ``cut``: end with a power cut (a reset
    with nothing synced or unmounted) instead of a clean power-off. ``gpu``: a virtio display
    for the full image's kiosk browser (virt only)."""
    if machine not in MACHINES:
        raise ValueError(f"unknown machine {machine!r}")
    with tempfile.TemporaryDirectory(prefix="tps-qemu-") as tmp:
        kernel, initrd = boot_files(image, Path(tmp))
        dtb = None
        if machine == "raspi3b":
            _pad_to_power_of_two(image)
            dtb = Path(tmp) / "bcm2837-rpi-3-b.dtb"
            boot_part = disk.partitions(image)[0]
            dtb.write_bytes(disk.fat_read(image, boot_part, dtb.name))
        try:
            proc = subprocess.run(
                command(machine, image, kernel, initrd, dtb, cut, gpu),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout_s,
                check=False,
            )
            log = proc.stdout.decode(errors="replace") + proc.stderr.decode(errors="replace")
        except subprocess.TimeoutExpired as exc:
            log = (exc.stdout or b"").decode(errors="replace") + "\nQEMU TIMEOUT\n"
    return parse(machine, log)
