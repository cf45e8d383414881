"""The tus checksum extension in front of tuspyserver, spoken to with plain HTTP requests."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
import requests

from kiosk.collector.registry import register_key
from tests.collector.bundles import TestKiosk
from tests.stacks.collector import CollectorProcess

TUS = {"Tus-Resumable": "1.0.0"}


def _metadata(values: dict[str, str]) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def _create(collector: CollectorProcess, length: int, metadata: dict[str, str]) -> str:
    answer = requests.post(
        collector.files_url,
        headers={**TUS, "Upload-Length": str(length), "Upload-Metadata": _metadata(metadata)},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    return answer.headers["Location"]


def _patch(url: str, body: bytes, offset: int, checksum: str | None) -> requests.Response:
    headers = {
        **TUS,
        "Upload-Offset": str(offset),
        "Content-Type": "application/offset+octet-stream",
    }
    if checksum is not None:
        headers["Upload-Checksum"] = checksum
    return requests.patch(url, data=body, headers=headers, timeout=10)


def _offset(url: str) -> int:
    return int(requests.head(url, headers=TUS, timeout=10).headers["Upload-Offset"])


def _digest(algorithm: str, data: bytes) -> str:
    return f"{algorithm} {base64.b64encode(hashlib.new(algorithm, data).digest()).decode()}"


def test_options_advertises_the_checksum_extension(collector: CollectorProcess) -> None:
    answer = requests.options(collector.files_url, headers=TUS, timeout=10)
    assert answer.status_code == 204
    extensions = answer.headers["Tus-Extension"].split(",")
    assert "checksum" in extensions
    assert "creation" in extensions  # tuspyserver's own list is kept
    assert answer.headers["Tus-Checksum-Algorithm"] == "sha1,sha256"


def test_a_wrong_checksum_is_refused_with_460_and_nothing_is_appended(
    collector: CollectorProcess, tmp_path: Path
) -> None:
    kiosk = TestKiosk(tmp_path / "kiosk")
    register_key(collector.data_dir, kiosk.tps_code, kiosk.public_key)
    doc = kiosk.document()
    data = doc.bundle.path.read_bytes()
    url = _create(collector, len(data), doc.metadata())
    upload_file = collector.data_dir / "tus" / url.rsplit("/", 1)[1]
    first, rest = data[:1000], data[1000:]

    bad = _patch(url, first, 0, _digest("sha1", first[:-1] + b"x"))
    assert bad.status_code == 460
    assert bad.headers["Tus-Resumable"] == "1.0.0"
    assert _offset(url) == 0
    assert upload_file.stat().st_size == 0

    good = _patch(url, first, 0, _digest("sha1", first))
    assert good.status_code == 204
    assert int(good.headers["Upload-Offset"]) == 1000
    last = _patch(url, rest, 1000, _digest("sha256", rest))
    assert last.status_code == 204, last.text
    assert collector.receipt(doc.key).json()["sha256"] == doc.bundle.sha256


@pytest.mark.parametrize(
    ("checksum", "status"),
    [
        ("md5 " + base64.b64encode(hashlib.md5(b"abc").digest()).decode(), 400),
        ("sha1 not*base64", 400),
        (_digest("sha256", b"abc"), 204),
        (_digest("sha256", b"abd"), 460),
    ],
    ids=["unsupported algorithm", "not base64", "sha256 good", "sha256 bad"],
)
def test_checksum_answers(collector: CollectorProcess, checksum: str, status: int) -> None:
    url = _create(collector, 10, {"key": "a" * 64, "filename": "x.zip", "filetype": "x"})
    answer = _patch(url, b"abc", 0, checksum)
    assert answer.status_code == status
    assert _offset(url) == (3 if status == 204 else 0)


def test_a_patch_without_a_checksum_passes_through(collector: CollectorProcess) -> None:
    url = _create(collector, 10, {"key": "a" * 64, "filename": "x.zip", "filetype": "x"})
    assert _patch(url, b"abcd", 0, None).status_code == 204
    assert _offset(url) == 4


def test_an_upload_without_a_bundle_key_is_not_created(collector: CollectorProcess) -> None:
    answer = requests.post(
        collector.files_url,
        headers={**TUS, "Upload-Length": "10", "Upload-Metadata": _metadata({"filename": "x"})},
        timeout=10,
    )
    assert answer.status_code == 400
