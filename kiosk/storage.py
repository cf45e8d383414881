"""Writing files that must survive a power cut: temp file, fsync, rename, fsync the directory."""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from pathlib import Path

from kiosk.errors import DataDirNotWritable, StorageFull


def fsync_dir(folder: Path) -> None:
    """Make the folder's entry list durable: a file created, renamed or deleted in it survives
    a power cut only once its folder is fsynced. Raises OSError."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_durably(path: Path, data: bytes, mode: int = 0o644) -> str:
    """Write ``data`` to ``path`` atomically and durably; return its SHA-256 (hex).

    Either the old file or the complete new one is there after a crash, never a torn file.
    Raises StorageFull when the disk is full (the old file stays) and DataDirNotWritable when
    the directory cannot be written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_name = ""
    try:
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, path)
        tmp_name = ""
        fsync_dir(path.parent)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise StorageFull(f"{path}: {exc.strerror}") from exc
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise DataDirNotWritable(f"{path}: {exc.strerror}") from exc
        raise
    finally:
        if tmp_name:
            Path(tmp_name).unlink(missing_ok=True)
    return hashlib.sha256(data).hexdigest()
