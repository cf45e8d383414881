"""``python -m image_build build|boot``: build the golden SD image (backend A) or boot one in QEMU.

Run through ``image_build/build`` (which installs the build tools first) as root on Debian 12.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from image_build import disk, layout, payload, qemu, rootfs

log = logging.getLogger("image_build")

BOOTCHECK = Path(__file__).parent / "debian" / "bootcheck"
TOOLS = ("mmdebstrap", "genimage", "mcopy", "sfdisk", "debugfs", "zstd", "bmaptool", "chroot")


def _version() -> str:
    from kiosk import __version__

    return __version__


def _install_bootcheck(root: Path) -> None:
    """Inert unless the kernel command line asks for it (see the unit's comment)."""
    units = root / "usr/lib/systemd/system"
    shutil.copyfile(
        BOOTCHECK / "tps-kiosk-bootcheck.service", units / "tps-kiosk-bootcheck.service"
    )
    script = root / layout.APP_PREFIX.lstrip("/") / "bin" / "tps-kiosk-bootcheck"
    shutil.copyfile(BOOTCHECK / "tps-kiosk-bootcheck", script)
    script.chmod(0o755)
    wants = root / "etc/systemd/system/multi-user.target.wants"
    wants.mkdir(parents=True, exist_ok=True)
    link = wants / "tps-kiosk-bootcheck.service"
    link.unlink(missing_ok=True)
    link.symlink_to("/usr/lib/systemd/system/tps-kiosk-bootcheck.service")


def build(args: argparse.Namespace) -> int:
    if os.geteuid() != 0:
        print(
            "image_build: run as root (mmdebstrap, chroot and file owners need it)", file=sys.stderr
        )
        return 2
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        print(f"image_build: missing tools {missing}; run image_build/build", file=sys.stderr)
        return 2
    keys = [Path(k) for k in args.provisioning_key]
    for key in keys:
        if not key.is_file():
            print(f"image_build: provisioning key {key} not found", file=sys.stderr)
            return 2
    if not keys:
        log.warning("no --provisioning-key: this image will refuse every provisioning file")
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    name = f"tps-kiosk-{args.variant}-{_version()}"
    timings: dict[str, float] = {}

    def step(label: str, started: float) -> None:
        timings[label] = round(time.monotonic() - started, 1)
        log.info("%s: %.1f s", label, timings[label])

    t = time.monotonic()
    tarball = rootfs.base_tarball(args.variant, args.cache)
    step("base root filesystem", t)
    t = time.monotonic()
    root = out / "rootfs"
    rootfs.extract(tarball, root)
    site = payload.stage_site_packages(out)
    payload.tree(root, site, keys)
    payload.finish(root)
    _install_bootcheck(root)
    step("payload", t)
    t = time.monotonic()
    image = disk.assemble(root, out, name, layout.Sizes())
    step("assemble", t)
    t = time.monotonic()
    files = disk.publish(image)
    step("compress, bmap, sha256", t)
    manifest = {
        "name": name,
        "variant": args.variant,
        "built": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "base": tarball.name,
        "files": [f.name for f in files],
        "provisioning_keys": [k.name for k in keys],
        "seconds": timings,
    }
    (out / "build.json").write_text(json.dumps(manifest, indent=2) + "\n")
    for f in files:
        print(f)
    return 0


def payload_tar(args: argparse.Namespace) -> int:
    """The payload alone, as a tarball for backend B's pi-gen stage."""
    keys = [Path(k) for k in args.provisioning_key]
    out: Path = args.out
    with tempfile.TemporaryDirectory(prefix="tps-payload-") as tmp:
        site = payload.stage_site_packages(Path(tmp))
        tree = Path(tmp) / "tree"
        tree.mkdir()
        payload.tree(tree, site, keys)
        subprocess.run(
            ["tar", "--numeric-owner", "-C", str(tree), "-cf", str(out.resolve()), "."],
            check=True,
        )
    print(out)
    return 0


def assemble_from_image(args: argparse.Namespace) -> int:
    """Lay out another build's two-partition image (pi-gen's) as the golden three-partition
    one: its FAT and root file system are read out without mounting and assembled again."""
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    root = out / "rootfs"
    if root.exists():
        shutil.rmtree(root)
    (root / layout.BOOT_MOUNT.lstrip("/")).mkdir(parents=True)
    boot_part, root_part = disk.partitions(args.from_image)[:2]
    subprocess.run(
        ["debugfs", "-R", f"rdump / {root}", f"{args.from_image}?offset={root_part.start}"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run(
        [
            *("mcopy", "-s", "-n", "-p", "-i", boot_part.spec(args.from_image), "::*"),
            str(root / layout.BOOT_MOUNT.lstrip("/")),
        ],
        check=True,
    )
    image = disk.assemble(root, out, args.name, layout.Sizes())
    for f in disk.publish(image):
        print(f)
    return 0


def boot(args: argparse.Namespace) -> int:
    report = qemu.boot(args.image, args.machine, args.timeout, gpu=args.gpu)
    print(report.log)
    return 0 if report.finished and report.values.get("failed") == "0" else 1


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="image_build", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build the golden image (root)")
    b.add_argument("--variant", choices=rootfs.VARIANTS, default="kiosk")
    b.add_argument("--out", type=Path, default=Path("artifacts/image"))
    b.add_argument(
        "--cache",
        type=Path,
        default=Path("/var/cache/tps-kiosk-image"),
        help="where base root filesystems are kept (one per variant and day)",
    )
    b.add_argument(
        "--provisioning-key",
        action="append",
        default=[],
        metavar="PUB",
        help="public key (from 'tps-kiosk fleet keygen') whose signed files this image accepts",
    )
    pt = sub.add_parser("payload", help="the payload as a tarball (for backend B, pi-gen)")
    pt.add_argument("--out", type=Path, required=True)
    pt.add_argument("--provisioning-key", action="append", default=[], metavar="PUB")
    a = sub.add_parser("assemble", help="re-lay a two-partition image out as the golden layout")
    a.add_argument("--from-image", type=Path, required=True)
    a.add_argument("--name", required=True)
    a.add_argument("--out", type=Path, default=Path("artifacts/image"))
    q = sub.add_parser("boot", help="boot an image in QEMU with the boot check and print the log")
    q.add_argument("image", type=Path)
    q.add_argument("--machine", choices=qemu.MACHINES, default="virt")
    q.add_argument("--timeout", type=float, default=600)
    q.add_argument("--gpu", action="store_true", help="a virtio display, for the kiosk browser")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    try:
        commands = {
            "build": build,
            "payload": payload_tar,
            "assemble": assemble_from_image,
            "boot": boot,
        }
        return commands[args.command](args)
    except (rootfs.BuildError, subprocess.CalledProcessError) as exc:
        print(f"image_build: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
