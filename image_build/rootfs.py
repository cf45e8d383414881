"""The base root filesystem: Debian bookworm arm64 made with mmdebstrap through qemu-user.

The base holds only Debian packages (kernel, firmware, Python, and for the kiosk variant the
device stacks and the browser). It is cached as a tarball keyed on everything that shapes it,
because a cold build runs dpkg under qemu-user for minutes; the kiosk payload is added to a copy.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import subprocess
from pathlib import Path

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
HOOKS = HERE / "debian" / "hooks"
SUITE = "bookworm"
MIRRORS = (
    f"deb http://deb.debian.org/debian {SUITE} main non-free-firmware",
    f"deb http://deb.debian.org/debian {SUITE}-updates main non-free-firmware",
    f"deb http://deb.debian.org/debian-security {SUITE}-security main non-free-firmware",
)
VARIANTS = ("ci", "kiosk")
BINFMT = Path("/proc/sys/fs/binfmt_misc")


class BuildError(RuntimeError):
    """The build cannot go on; the message says what is missing or what failed."""


def packages(variant: str) -> list[str]:
    """The Debian packages of a variant, from image_build/debian/packages-*.txt."""
    if variant not in VARIANTS:
        raise BuildError(f"unknown variant {variant!r} (choose from {', '.join(VARIANTS)})")
    names: list[str] = []
    for part in VARIANTS[: VARIANTS.index(variant) + 1]:
        for line in (HERE / "debian" / f"packages-{part}.txt").read_text().splitlines():
            name = line.split("#", 1)[0].strip()
            if name:
                names.append(name)
    return names


def cache_key(variant: str, day: dt.date) -> str:
    """Changes with the package list, the hooks, the mirrors and the day (security updates)."""
    h = hashlib.sha256()
    h.update("\n".join(packages(variant)).encode())
    h.update("\n".join(MIRRORS).encode())
    for hook in sorted(HOOKS.iterdir()):
        h.update(hook.name.encode() + hook.read_bytes())
    h.update(day.isoformat().encode())
    return h.hexdigest()[:16]


def enable_arm64_emulation() -> None:
    """qemu-user runs the arm64 maintainer scripts; binfmt_misc may not even be mounted."""
    if not (BINFMT / "register").exists():
        subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc", str(BINFMT)], check=True)
    subprocess.run(["update-binfmts", "--enable", "qemu-aarch64"], check=False)
    probe = subprocess.run(["arch-test", "arm64"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        raise BuildError(
            "cannot run arm64 programs here (arch-test arm64: "
            f"{(probe.stdout + probe.stderr).strip()}); install qemu-user-static and binfmt-support"
        )


def base_tarball(variant: str, cache_dir: Path) -> Path:
    """The cached base root filesystem of a variant, built now if today's is not there."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    key = cache_key(variant, dt.date.today())
    tarball = cache_dir / f"base-{variant}-{key}.tar"
    if tarball.exists():
        log.info("base root filesystem from cache: %s", tarball)
        return tarball
    enable_arm64_emulation()
    partial = tarball.with_suffix(".partial.tar")
    cmd = [
        "mmdebstrap",
        "--arch=arm64",
        "--variant=minbase",
        "--components=main non-free-firmware",
        "--include=" + ",".join(packages(variant)),
        "--aptopt=APT::Install-Recommends false",
        f'--essential-hook={HOOKS / "essential.sh"} "$1"',
        f'--customize-hook={HOOKS / "customize.sh"} "$1"',
        SUITE,
        str(partial),
        *MIRRORS,
    ]
    log.info("building the %s base root filesystem (arm64 under qemu-user)", variant)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL, env=env)
    partial.rename(tarball)
    for old in cache_dir.glob(f"base-{variant}-*.tar"):
        if old != tarball:
            old.unlink()
    return tarball


def extract(tarball: Path, rootfs: Path) -> None:
    """Unpack as root so owners, modes and device nodes are kept."""
    if rootfs.exists():
        subprocess.run(["rm", "-rf", "--one-file-system", str(rootfs)], check=True)
    rootfs.mkdir(parents=True)
    subprocess.run(
        ["tar", "-C", str(rootfs), "--numeric-owner", "--xattrs", "-xpf", str(tarball)],
        check=True,
    )
