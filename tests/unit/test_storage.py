from __future__ import annotations

import hashlib
import os
import subprocess

import pytest

from kiosk import storage
from kiosk.errors import DataDirNotWritable, StorageFull


def test_write_durably_returns_sha256_and_leaves_no_temp_file(tmp_path):
    target = tmp_path / "docs" / "page.bin"
    digest = storage.write_durably(target, b"C.Hasil")
    assert digest == hashlib.sha256(b"C.Hasil").hexdigest()
    assert target.read_bytes() == b"C.Hasil"
    assert os.listdir(target.parent) == ["page.bin"]


def test_disk_full_keeps_the_old_file_and_cleans_up(tiny_fs):
    target = tiny_fs / "page.bin"
    storage.write_durably(target, b"old")
    with pytest.raises(StorageFull):
        storage.write_durably(target, os.urandom(1024 * 1024))
    assert target.read_bytes() == b"old"
    assert os.listdir(tiny_fs) == ["page.bin"]


def test_read_only_filesystem_is_reported(tiny_fs):
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_fs)], check=True)
    with pytest.raises(DataDirNotWritable):
        storage.write_durably(tiny_fs / "x", b"x")
