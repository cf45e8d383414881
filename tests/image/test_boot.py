"""The golden image, provisioned the way a technician does it and booted in QEMU with no network.

A copy of the built image stands for a flashed card: bigger than the image (the data partition
must grow into the rest), with one TPS's signed file written by ``tps-kiosk fleet write``. The
image's test-only boot check (run only when the kernel command line asks for it) reports on the
serial console, then powers off.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from image_build import disk, layout, qemu
from kiosk.cli import main
from tests.fleet.helpers import TEMPLATE, TEMPLATE_NAME, code, row, write_csv
from tests.stacks.image import BuiltImage

pytestmark = [pytest.mark.stack, pytest.mark.slow, pytest.mark.timeout(1800)]

MIB = 1024 * 1024
CARD_EXTRA = 512 * MIB  # the card is bigger than the image


def provisioned_card(built: BuiltImage, folder: Path) -> tuple[Path, str]:
    """Flash (a sparse copy), then batch-sign one TPS and write its file onto the card."""
    card = folder / "card.img"
    subprocess.run(["cp", "--sparse=always", str(built.image), str(card)], check=True)
    with card.open("r+b") as f:
        f.truncate(card.stat().st_size + CARD_EXTRA)
    profiles = folder / "profil"
    profiles.mkdir()
    (profiles / TEMPLATE_NAME).write_text(TEMPLATE)
    sheet = write_csv(folder / "tps.csv", [row(0)])
    out = folder / "batch"
    batch = ["fleet", "batch", str(sheet), "--key", str(built.key)]
    assert main([*batch, "--profiles", str(profiles), "--out", str(out)]) == 0
    assert main(["fleet", "write", str(out / f"{code(0)}.json"), str(card)]) == 0
    assert main(["fleet", "verify", str(card), "--keys", str(built.key.with_suffix(".pub"))]) == 0
    return card, code(0)


def boot_and_check(
    card: Path, machine: str, tps: str, artifacts: Path, name: str = "", cut: bool = False
) -> qemu.BootReport:
    report = qemu.boot(card, machine, timeout_s=900, cut=cut)
    artifacts.mkdir(parents=True, exist_ok=True)
    log_name = f"boot-{name or machine}.log"
    (artifacts / log_name).write_text(report.log)
    v = report.values
    assert report.finished, f"no end of boot check; log in artifacts/image-ci/{log_name}"
    journal = "\n".join(report.journal)
    assert v["failed"] == "0", f"{report.failed_units}\n{journal}"
    assert v["cycles"] == "0"
    assert v["state"] == "running"
    assert v["root_fstype"] == "overlay"
    assert (v["data_fstype"], v["data_rw"]) == ("ext4", "yes")
    assert v["data_owner"] == "tps-kiosk:750"
    assert (v["web"], v["worker"], v["firstboot"]) == ("active", "active", "active"), journal
    assert '"status":"ok"' in v["health"]
    assert v["profile_code"] == tps
    assert v["device_key"] == "yes"
    assert v["fat_copy"] == "gone"  # it held the PINs
    assert v["localtime"] == "WITA"  # East Kalimantan
    assert v["clock_file"] == "yes"
    assert (v["clock_timer"], v["clock_saved"]) == ("active", "yes")  # kept on /data
    # Saved as the kiosk starts, and what that save replaced was whole: after a power cut too.
    assert (v["clock_boot_save"], v["clock_torn"]) == ("success", "0"), journal
    assert v["ssh"] == "absent"
    return report


@pytest.fixture(scope="module")
def artifacts(built_image: BuiltImage) -> Path:
    return built_image.dir


def test_virt_boots_offline_provisioned_overlay_root_data_grown(
    built_image: BuiltImage, tmp_path: Path, artifacts: Path
) -> None:
    card, tps = provisioned_card(built_image, tmp_path)
    report = boot_and_check(card, "virt", tps, artifacts)
    data = disk.partitions(card)[2]
    # Grown to the end of the card at first boot (partition and file system); growpart keeps
    # the last 33 sectors free, where a GPT would keep its backup.
    assert card.stat().st_size - MIB < data.start + data.size <= card.stat().st_size
    assert int(report.values["data_kib"]) * 1024 > layout.Sizes().data_mib * MIB + CARD_EXTRA // 2


def test_raspi3b_boots_from_the_sd_layout(
    built_image: BuiltImage, tmp_path: Path, artifacts: Path
) -> None:
    card, tps = provisioned_card(built_image, tmp_path)
    boot_and_check(card, "raspi3b", tps, artifacts)
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_a_power_cut_after_first_boot_loses_nothing(
    built_image: BuiltImage, tmp_path: Path, artifacts: Path
) -> None:
    """First boot provisions, then the power goes (a reset, nothing synced); the next boot is
    the same TPS with the same device key, and the data file system is clean."""
    card, tps = provisioned_card(built_image, tmp_path)
    first = boot_and_check(card, "virt", tps, artifacts, name="virt-cut", cut=True)
    second = boot_and_check(card, "virt", tps, artifacts, name="virt-after-cut")
    assert second.values["device_key_sha"] == first.values["device_key_sha"] != ""
    data = disk.partitions(card)[2]
    fsck = subprocess.run(
        ["e2fsck", "-fn", f"{card}?offset={data.start}"], capture_output=True, text=True
    )
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
