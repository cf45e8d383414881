"""A collector killed with SIGKILL mid-upload or mid-processing loses no document."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
from tusclient.client import TusClient
from tusclient.uploader.uploader import Uploader
from tuspyserver.file import TusUploadFile

from kiosk.collector import store
from kiosk.collector.registry import register_key
from tests.collector.bundles import Document, TestKiosk, make_pdf
from tests.stacks.collector import CollectorProcess


def _uploader(
    collector: CollectorProcess, doc: Document, chunk_size: int, url: str | None = None
) -> Uploader:
    return TusClient(collector.files_url).uploader(
        file_path=str(doc.bundle.path),
        chunk_size=chunk_size,
        metadata=doc.metadata(),
        upload_checksum=True,
        url=url,
    )


def _count(collector: CollectorProcess) -> int:
    conn = store.connect(collector.data_dir / "collector.sqlite3")
    try:
        return len(store.documents(conn))
    finally:
        conn.close()


def _finish_as_tuspyserver_does(collector: CollectorProcess, uid: str, rest: bytes) -> None:
    """Append the last bytes and record the offset with tuspyserver's own file classes, as
    its PATCH handler does just before it would call the completion hook."""
    options = SimpleNamespace(files_dir=str(collector.data_dir / "tus"))  # all it reads
    upload = TusUploadFile(options=options, uid=uid)  # type: ignore[arg-type]
    info = upload.info
    assert info is not None and info.offset + len(rest) == info.size
    with open(upload.path, "ab") as fh:
        fh.write(rest)
        fh.flush()
    info.offset += len(rest)
    upload.info = info


@pytest.fixture
def kiosk(tmp_path: Path) -> TestKiosk:
    return TestKiosk(tmp_path / "kiosk")


@pytest.fixture
def registered(collector: CollectorProcess, kiosk: TestKiosk) -> CollectorProcess:
    register_key(collector.data_dir, kiosk.tps_code, kiosk.public_key)
    return collector


def _all_but_the_last_chunk(
    collector: CollectorProcess, doc: Document, chunk: int = 512
) -> tuple[str, bytes]:
    data = doc.bundle.path.read_bytes()
    uploader = _uploader(collector, doc, chunk)
    uploader.upload(stop_at=len(data) - chunk)
    assert uploader.url and uploader.offset < len(data)
    return uploader.url.rsplit("/", 1)[1], data[uploader.offset :]


def test_a_complete_upload_left_unprocessed_by_a_kill_is_processed_at_restart(
    registered: CollectorProcess, kiosk: TestKiosk
) -> None:
    doc = kiosk.document()
    uid, rest = _all_but_the_last_chunk(registered, doc)
    registered.kill()
    _finish_as_tuspyserver_does(registered, uid, rest)  # ...and then it died: no hook ran

    registered.start()

    assert _count(registered) == 1  # processed during startup, before any request
    answer = registered.receipt(doc.key)
    assert answer.status_code == 200
    assert answer.json()["sha256"] == doc.bundle.sha256
    registered.restart()
    assert _count(registered) == 1  # processed once only


def test_a_receipt_request_processes_a_complete_upload_nobody_processed(
    registered: CollectorProcess, kiosk: TestKiosk
) -> None:
    doc = kiosk.document()
    uid, rest = _all_but_the_last_chunk(registered, doc)
    _finish_as_tuspyserver_does(registered, uid, rest)
    assert _count(registered) == 0

    answer = registered.receipt(doc.key)

    assert answer.status_code == 200
    assert answer.json()["sha256"] == doc.bundle.sha256
    assert _count(registered) == 1


def test_bytes_written_but_not_recorded_before_a_kill_are_cut_off_at_restart(
    registered: CollectorProcess, kiosk: TestKiosk
) -> None:
    doc = kiosk.document()
    data = doc.bundle.path.read_bytes()
    first = _uploader(registered, doc, 1000)
    first.upload(stop_at=1000)
    registered.kill()
    assert first.url
    # The kill came after tuspyserver appended a chunk and before it recorded the new offset.
    upload_file = registered.data_dir / "tus" / first.url.rsplit("/", 1)[1]
    with open(upload_file, "ab") as fh:
        fh.write(data[1000:1700])

    registered.start()
    resumed = _uploader(registered, doc, 1000, url=first.url)
    assert resumed.offset == 1000
    resumed.upload()

    assert "repairing" in registered.log()
    answer = registered.receipt(doc.key)
    assert answer.status_code == 200, answer.text
    assert answer.json()["sha256"] == doc.bundle.sha256


def test_a_kill_right_after_the_last_byte_loses_nothing(
    registered: CollectorProcess, kiosk: TestKiosk
) -> None:
    """A real race, not a simulation: kill the moment tuspyserver records the last byte,
    while the completion hook is (most likely) still working on a 4 MiB bundle."""
    doc = kiosk.document(pdf=make_pdf("besar") + os.urandom(4 << 20))
    size = doc.bundle.size
    uid, _ = _all_but_the_last_chunk(registered, doc, chunk=1 << 20)
    info_file = registered.data_dir / "tus" / f"{uid}.info"

    finisher = _uploader(registered, doc, 1 << 23, url=registered.files_url + uid)
    worker = threading.Thread(target=lambda: _swallow(finisher.upload), daemon=True)
    worker.start()
    deadline = time.monotonic() + 20
    while f'"offset": {size},' not in info_file.read_text() and time.monotonic() < deadline:
        pass
    registered.kill()
    worker.join(timeout=10)

    registered.start()
    answer = registered.receipt(doc.key)
    assert answer.status_code == 200, answer.text
    assert answer.json()["sha256"] == doc.bundle.sha256
    assert _count(registered) == 1


def _swallow(upload: Callable[[], object]) -> None:
    with contextlib.suppress(Exception):  # the server was killed under it
        upload()
