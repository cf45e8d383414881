"""The provisioning file on an SD card or an image file, through mtools (no mount, no root for
an image file; a card's block device needs whatever access its device node gives).

The card's first partition is FAT32 (label BOOTFS, ``/boot/firmware`` on the Pi); its byte offset
comes from ``sfdisk --json`` and every mtools call addresses it as ``TARGET@@OFFSET``.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

from kiosk.fleet.envelope import FILE_NAME, MAX_BYTES

FAT_TYPES = ("b", "c", "e")  # MBR types: FAT32 CHS, FAT32 LBA, FAT16 LBA
LABEL = "BOOTFS"
TIMEOUT_S = 60


class CardError(RuntimeError):
    """The target cannot be used; the message says what to do."""


class NoProvisionFile(CardError):
    """The card's FAT partition holds no provisioning file."""


def _run(command: list[str]) -> subprocess.CompletedProcess[bytes]:
    # sfdisk lives in /usr/sbin, which a technician's PATH on Debian does not hold.
    program = shutil.which(command[0], path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    if program is None:
        package = "fdisk" if command[0] == "sfdisk" else "mtools"
        raise CardError(f"{command[0]} tidak ada: pasang dulu (sudo apt install {package})")
    try:
        return subprocess.run(
            [program, *command[1:]],
            capture_output=True,
            # An image file has no disk geometry for mtools to check; C: messages we can match.
            env={**os.environ, "MTOOLS_SKIP_CHECK": "1", "LC_ALL": "C"},
            timeout=TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise CardError(f"{command[0]} tidak selesai dalam {TIMEOUT_S} detik") from exc


def _check_target(target: Path, write: bool) -> None:
    try:
        mode = target.stat().st_mode
    except FileNotFoundError as exc:
        raise CardError(f"{target} tidak ada (kartu belum dicolok? cek lsblk)") from exc
    except OSError as exc:
        raise CardError(f"{target}: {exc.strerror}") from exc
    if not (stat.S_ISREG(mode) or stat.S_ISBLK(mode)):
        raise CardError(f"{target} bukan berkas image atau perangkat blok (mis. /dev/sdb)")
    if not os.access(target, os.W_OK if write else os.R_OK):
        action = "menulis ke" if write else "membaca"
        raise CardError(f"tidak boleh {action} {target}: jalankan dengan sudo")


def fat_offset(target: Path) -> int:
    """Byte offset of the first FAT partition in the MBR of ``target``."""
    result = _run(["sfdisk", "--json", str(target)])
    if result.returncode != 0:
        detail = result.stderr.decode(errors="replace").strip()
        raise CardError(f"{target}: tabel partisi tidak terbaca ({detail or 'bukan kartu kiosk'})")
    try:
        table = json.loads(result.stdout)["partitiontable"]
        sector = int(table.get("sectorsize", 512))
        partitions = table.get("partitions", [])
    except (ValueError, KeyError, TypeError) as exc:
        raise CardError(f"{target}: keluaran sfdisk tidak dikenal") from exc
    for p in partitions:
        if str(p.get("type", "")).lower() in FAT_TYPES:
            return int(p["start"]) * sector
    raise CardError(f"{target}: tidak ada partisi FAT (bukan kartu kiosk TPS?)")


def _image(target: Path, offset: int) -> str:
    return f"{target}@@{offset}"


def _check_label(target: Path, offset: int) -> None:
    """Refuse a FAT partition that is not the kiosk's (a camera card, the PC's own disk)."""
    result = _run(["mlabel", "-s", "-i", _image(target, offset), "::"])
    text = result.stdout.decode(errors="replace")
    if result.returncode != 0:
        raise CardError(f"{target}: partisi FAT tidak terbaca ({result.stderr.decode().strip()})")
    _, found, rest = text.partition("Volume label is")
    label = rest.strip() if found else ""
    if label.upper() != LABEL:
        raise CardError(
            f"{target}: label partisi FAT {label or '(kosong)'!r}, bukan {LABEL}: "
            "bukan kartu kiosk TPS (salah perangkat?)"
        )


def read_file(target: Path) -> bytes:
    """The provisioning file on the card; NoProvisionFile if there is none."""
    _check_target(target, write=False)
    offset = fat_offset(target)
    _check_label(target, offset)
    result = _run(["mcopy", "-n", "-i", _image(target, offset), f"::/{FILE_NAME}", "-"])
    if result.returncode != 0:
        detail = result.stderr.decode(errors="replace").strip()
        if "not found" in detail:
            raise NoProvisionFile(f"{target}: tidak ada {FILE_NAME} di partisi FAT")
        raise CardError(f"{target}: {FILE_NAME} tidak terbaca ({detail})")
    if len(result.stdout) > MAX_BYTES:
        raise CardError(f"{target}: {FILE_NAME} terlalu besar")
    return result.stdout


def write_file(target: Path, data: bytes) -> None:
    """Put ``data`` on the card as the provisioning file (replacing any earlier one), flush it
    to the card, then read it back and compare."""
    _check_target(target, write=True)
    offset = fat_offset(target)
    _check_label(target, offset)
    with tempfile.TemporaryDirectory(prefix="tps-kiosk-") as tmp:
        local = Path(tmp) / FILE_NAME
        local.write_bytes(data)
        result = _run(["mcopy", "-o", "-i", _image(target, offset), str(local), f"::/{FILE_NAME}"])
    if result.returncode != 0:
        detail = result.stderr.decode(errors="replace").strip()
        raise CardError(f"{target}: gagal menulis {FILE_NAME} ({detail})")
    _flush(target)
    if read_file(target) != data:
        raise CardError(f"{target}: isi yang dibaca ulang berbeda (kartu rusak? ganti kartu)")


def _flush(target: Path) -> None:
    """Get the bytes onto the card before it is pulled, and drop the cached copy so the
    read-back comes from the card itself."""
    fd = os.open(target, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)
