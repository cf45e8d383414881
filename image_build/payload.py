"""The kiosk payload, the same for both backends: the app in a venv under /opt/tps-kiosk, its
units and settings, the service users, and the trusted provisioning keys.

Python packages are installed from the build machine with pip for the arm64 platform (wheels
only, pinned by requirements.txt and constrained to the versions the tests ran with), so no pip
or compiler runs under emulation. SANE, CUPS and PC/SC bindings come from Debian packages
(PyPI has no arm64 wheels for them), which the venv sees through system site-packages.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from image_build import layout

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parent.parent
PYTHON_VERSION = "3.11"
# Not on the kiosk: the reference collector runs on a server; these three come from Debian.
EXCLUDED = frozenset({"tuspyserver", "fastapi", "uvicorn", "python-sane", "pycups", "pyscard"})
PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_28_aarch64", "manylinux_2_34_aarch64")
SITE = f"{layout.APP_PREFIX}/lib/python{PYTHON_VERSION}/site-packages"

LAUNCHER = f"""#!{layout.APP_PREFIX}/bin/python3
# TPS Kiosk command (installed by image_build/payload.py). A technician's shell gets the image's
# settings file too, as the units do.
import os
import sys

os.environ.setdefault("KIOSK_CONFIG", "{layout.CONFIG_FILE}")

from kiosk.cli import main

sys.exit(main())
"""


def image_requirements() -> list[str]:
    """requirements.txt minus what the kiosk image does not take from PyPI."""
    kept = []
    for line in (REPO / "requirements.txt").read_text().splitlines():
        requirement = line.split("#", 1)[0].strip()
        if not requirement:
            continue
        name = re.split(r"[\[=<>~!; ]", requirement, maxsplit=1)[0].lower()
        if name not in EXCLUDED:
            kept.append(requirement)
    return kept


def _pip(*args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args], check=True
    )


def stage_site_packages(work: Path) -> Path:
    """site-packages for arm64 Python 3.11, built natively on this machine."""
    site = work / "site-packages"
    if site.exists():
        shutil.rmtree(site)
    reqs = work / "requirements-image.txt"
    reqs.write_text("\n".join(image_requirements()) + "\n")
    # The transitive versions the test suite ran with (pip freeze of the build venv).
    frozen = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--exclude-editable"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    constraints = work / "constraints.txt"
    constraints.write_text(
        "\n".join(line for line in frozen.splitlines() if "==" in line and " @ " not in line)
    )
    platform_args = [a for p in PLATFORMS for a in ("--platform", p)]
    _pip(
        "install",
        "--target",
        str(site),
        *platform_args,
        "--python-version",
        PYTHON_VERSION,
        "--implementation",
        "cp",
        "--abi",
        "cp311",
        "--only-binary=:all:",
        "-r",
        str(reqs),
        "-c",
        str(constraints),
    )
    _pip("install", "--no-deps", "--target", str(site), str(REPO))
    subprocess.run(
        [
            str(Path(sys.executable).parent / "pybabel"),
            "compile",
            "-d",
            str(site / "kiosk" / "translations"),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    shutil.rmtree(site / "bin", ignore_errors=True)  # entry points with this machine's Python
    # Bytecode made here (same 3.11 magic) and checked by hash, not mtime: the root is read-only.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "compileall",
            "-q",
            "-j0",
            "--invalidation-mode",
            "unchecked-hash",
            "-s",
            str(site),
            "-p",
            SITE,
            str(site),
        ],
        check=True,
    )
    return site


def tree(dest: Path, site: Path, provisioning_keys: list[Path]) -> None:
    """Every payload file, written into ``dest`` (a root filesystem, or an empty folder that
    becomes the tarball pi-gen unpacks): nothing here runs arm64 code."""
    target = dest / SITE.lstrip("/")
    shutil.copytree(site, target, dirs_exist_ok=True, symlinks=True)
    launcher = dest / layout.APP_PREFIX.lstrip("/") / "bin" / "tps-kiosk"
    launcher.parent.mkdir(parents=True, exist_ok=True)
    launcher.write_text(LAUNCHER)
    launcher.chmod(0o755)
    subprocess.run([sys.executable, str(REPO / "systemd" / "install.py"), str(dest)], check=True)
    _install_keys(dest, provisioning_keys)
    _configure_os(dest)
    _stage_data(dest / layout.DATA_MOUNT.lstrip("/"))


def finish(rootfs: Path) -> None:
    """The steps that need the target's own programs: the venv around the installed
    site-packages (Debian's python3, system site-packages visible) and the service users."""
    subprocess.run(
        [
            "chroot",
            str(rootfs),
            "/usr/bin/python3",
            "-m",
            "venv",
            "--without-pip",
            "--system-site-packages",
            layout.APP_PREFIX,
        ],
        check=True,
    )
    subprocess.run(["systemd-sysusers", f"--root={rootfs}"], check=True)


def _install_keys(rootfs: Path, keys: list[Path]) -> None:
    """Only cards signed by these keys (the KPU office's) are ever provisioned."""
    target = rootfs / layout.PROVISIONING_KEYS.lstrip("/")
    target.mkdir(parents=True, exist_ok=True)
    for key in keys:
        shutil.copyfile(key, target / key.name)
        (target / key.name).chmod(0o644)


def _configure_os(rootfs: Path) -> None:
    etc = rootfs / "etc"
    (etc / "fstab").write_text(layout.FSTAB)
    (etc / "hostname").write_text("tps-kiosk\n")
    (etc / "hosts").write_text("127.0.0.1\tlocalhost\n127.0.1.1\ttps-kiosk\n::1\tlocalhost\n")
    (etc / "default").mkdir(parents=True, exist_ok=True)
    (etc / "default" / "locale").write_text("LANG=C.UTF-8\n")  # PAM sessions read it
    # The TPS's own time zone (WIB, WITA or WIT) is written to the data partition by firstboot.
    localtime = etc / "localtime"
    localtime.unlink(missing_ok=True)
    localtime.symlink_to(f"{layout.DATA_DIR}/localtime")
    # systemd never sets the clock earlier than this file's time: a Pi without RTC and network
    # starts at least at the build day, not in 1970 (the data partition's clock file then wins).
    epoch = rootfs / "usr" / "lib" / "clock-epoch"
    epoch.parent.mkdir(parents=True, exist_ok=True)
    epoch.touch()
    if "SOURCE_DATE_EPOCH" in os.environ:
        built = int(os.environ["SOURCE_DATE_EPOCH"])
        os.utime(epoch, (built, built))
    # The root is new at every boot (overlay): systemd-firstboot would ask on the console each time.
    mask = etc / "systemd" / "system" / "systemd-firstboot.service"
    mask.parent.mkdir(parents=True, exist_ok=True)
    mask.unlink(missing_ok=True)
    mask.symlink_to("/dev/null")


def _stage_data(data_stage: Path) -> None:
    """The data partition's first contents: the kiosk's folder and the seeded clock file."""
    kiosk = data_stage / layout.DATA_DIR.removeprefix(layout.DATA_MOUNT + "/")
    kiosk.mkdir(parents=True, exist_ok=True)
    os.chown(kiosk, layout.SERVICE_UID, layout.SERVICE_UID)
    kiosk.chmod(0o750)
    clock = data_stage / layout.CLOCK_FILE.removeprefix(layout.DATA_MOUNT + "/")
    clock.parent.mkdir(parents=True, exist_ok=True)
    # fake-hwclock's format, in UTC: the clock never starts before the image was built.
    stamp = subprocess.run(
        ["date", "-u", "+%Y-%m-%d %H:%M:%S"], capture_output=True, text=True, check=True
    ).stdout
    clock.write_text(stamp)
