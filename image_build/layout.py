"""The card layout every TPS shares: partitions, labels, mount points, paths of the payload.

One golden image is flashed on every card; a TPS becomes itself only through the signed
provisioning file written later onto the FAT partition (``tps-kiosk fleet write``).
"""

from __future__ import annotations

from dataclasses import dataclass

SECTOR = 512
BOOT_LABEL = "BOOTFS"  # p1, FAT32: Pi firmware, kernel, initrd, cmdline.txt, provisioning file
ROOT_LABEL = "TPSROOT"  # p2, ext4: the OS and the kiosk, read-only under an overlay at run time
DATA_LABEL = "TPSDATA"  # p3, ext4: database, documents, queue, clock file; grown on first boot

BOOT_MOUNT = "/boot/firmware"
DATA_MOUNT = "/data"
DATA_DIR = "/data/tps-kiosk"
CLOCK_FILE = "/data/clock/fake-hwclock.data"
PROVISION_FILE = "tps-kiosk-provision.json"  # at the root of the FAT partition
PROVISIONING_KEYS = "/etc/tps-kiosk/provisioning-keys"
APP_PREFIX = "/opt/tps-kiosk"
CONFIG_FILE = "/etc/tps-kiosk/kiosk.toml"
SERVICE_UID = 880  # fixed: files on /data keep their owner across image updates
HEALTH_URL = "http://127.0.0.1:8080/health"

# Kernel command line shared by the Pi's cmdline.txt and QEMU's -append. overlayroot keeps the
# root read-only with a tmpfs on top (recurse=0: /boot/firmware and /data stay real).
CMDLINE = (
    f"root=LABEL={ROOT_LABEL} rootwait fsck.repair=yes overlayroot=tmpfs:recurse=0 "
    "consoleblank=0 net.ifnames=0 quiet"
)


@dataclass(frozen=True)
class Sizes:
    """Partition sizes of the image file in MiB; the data partition grows to fill the card."""

    boot_mib: int = 256
    data_mib: int = 64


# The FAT belongs to the service user (firstboot deletes the provisioning file, which holds
# PINs) and nobody else may read it; the kiosk units still cannot write it (ProtectSystem=strict).
_FAT_OPTIONS = f"noatime,uid={SERVICE_UID},gid={SERVICE_UID},fmask=0177,dmask=0077,nofail"
FSTAB = f"""\
# TPS Kiosk: root is read-only under overlayroot; only /data is written on the card.
LABEL={ROOT_LABEL}  /  ext4  ro,noatime  0  1
LABEL={BOOT_LABEL}  {BOOT_MOUNT}  vfat  {_FAT_OPTIONS}  0  2
LABEL={DATA_LABEL}  {DATA_MOUNT}  ext4  defaults,noatime,commit=5,x-systemd.growfs  0  2
"""
