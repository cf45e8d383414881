"""The CI variant of the golden SD image, built once per session with the real tools (mmdebstrap
under qemu-user, genimage, zstd, bmaptool) by ``python -m image_build build``.

The build lands in artifacts/image-ci/ with a throwaway provisioning key, and is reused while
nothing that goes into it has changed (a fresh clone always builds). Building needs root, as in
CI; elsewhere the image tests skip unless KIOSK_STACKS_REQUIRED=1.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from image_build import disk
from tests.stacks.require import missing_stack

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "artifacts" / "image-ci"
INPUTS = ("image_build", "systemd", "kiosk", "drivers", "requirements.txt", "pyproject.toml")
TOOLS = ("mmdebstrap", "genimage", "mcopy", "debugfs", "bmaptool", "qemu-system-aarch64")


@dataclass(frozen=True)
class BuiltImage:
    dir: Path
    image: Path
    rootfs: Path
    key: Path  # the provisioning key this image trusts (private half, for signing test cards)
    manifest: dict[str, object]

    @property
    def partitions(self) -> list[disk.Partition]:
        return disk.partitions(self.image)


def inputs_digest() -> str:
    """Everything the image is made from, so a stale build is never reused."""
    h = hashlib.sha256()
    for top in INPUTS:
        path = REPO / top
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for f in files:
            if f.is_file() and "__pycache__" not in f.parts and f.suffix not in (".pyc", ".mo"):
                h.update(str(f.relative_to(REPO)).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def _build(key_pub: Path, log: Path) -> None:
    with log.open("wb") as out:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "image_build",
                "build",
                "--variant",
                "ci",
                "--out",
                str(OUT),
                "--provisioning-key",
                str(key_pub),
            ],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    if proc.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-40:]
        pytest.fail(f"image build failed ({log}):\n" + "\n".join(tail), pytrace=False)


@pytest.fixture(scope="session")
def built_image() -> BuiltImage:
    if os.geteuid() != 0:
        missing_stack("building the SD image needs root (mmdebstrap, chroot, file owners)")
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        missing_stack(f"image build tools missing: {missing} (scripts/setup --test)")
    keys = OUT / "keys"
    key = keys / "office.pem"
    digest = inputs_digest()
    stamp = OUT / "inputs.sha256"
    manifest_file = OUT / "build.json"
    fresh = (
        stamp.exists() and stamp.read_text() == digest and manifest_file.exists() and key.exists()
    )
    if not fresh:
        if OUT.exists():
            shutil.rmtree(OUT)
        keys.mkdir(parents=True)
        from kiosk.cli import main as kiosk_main

        assert kiosk_main(["fleet", "keygen", str(key)]) == 0
        _build(key.with_suffix(".pub"), OUT.parent / "image-ci-build.log")
        stamp.write_text(digest)
    manifest = json.loads(manifest_file.read_text())
    image = OUT / f"{manifest['name']}.img"
    return BuiltImage(OUT, image, OUT / "rootfs", key, manifest)
