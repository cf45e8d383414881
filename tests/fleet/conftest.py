from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.fleet.keys import generate
from tests.fleet.helpers import TEMPLATE, TEMPLATE_NAME, make_image
from tests.stacks.require import missing_stack


@pytest.fixture
def office_key(tmp_path):
    """The office's provisioning key (private) and its .pub."""
    key, pub = generate(tmp_path / "keys" / "kpu-kota.pem")
    return key, pub


@pytest.fixture
def templates(tmp_path) -> Path:
    folder = tmp_path / "profil"
    folder.mkdir()
    (folder / TEMPLATE_NAME).write_text(TEMPLATE)
    return folder


@pytest.fixture
def image(tmp_path) -> Path:
    """A small card image with a real FAT partition (sfdisk + mkfs.vfat; mtools reads it)."""
    if shutil.which("mcopy") is None:
        missing_stack("mtools is not installed")
    try:
        return make_image(tmp_path / "kartu.img")
    except FileNotFoundError as exc:
        missing_stack(str(exc))
        raise


@pytest.fixture
def fleet(capsys):
    """Run ``tps-kiosk fleet ...`` in-process: (exit code, stdout, stderr)."""

    def run(*args: str | Path) -> tuple[int, str, str]:
        code = main(["fleet", *(str(a) for a in args)])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run
