"""The collector sheds load: past ``--max-uploads`` uploads in flight, 503 + Retry-After."""

from __future__ import annotations

import base64
import hashlib
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import requests

from tests.stacks.collector import CollectorProcess

TUS = {"Tus-Resumable": "1.0.0"}


def busy_collector(factory: Callable[..., CollectorProcess], retry_after: int) -> CollectorProcess:
    collector = factory(start=False)
    collector.flags += ["--max-uploads", "1", "--retry-after", str(retry_after)]
    return collector.start()


@contextmanager
def slow_upload(collector: CollectorProcess) -> Iterator[None]:
    """A slow kiosk's upload request in flight: a PATCH whose body has not all arrived (the
    checksum middleware waits for the rest of it)."""
    body = b"x" * 1000
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    head = (
        f"PATCH /files/0123456789abcdef HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\n"
        f"Upload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\n"
        f"Upload-Checksum: sha256 {digest}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", collector.port)) as slow:
        slow.sendall(head.encode() + body[:10])
        yield


@contextmanager
def upload_in_flight(collector: CollectorProcess) -> Iterator[None]:
    """``slow_upload``, once the collector counts it (the next upload request is shed)."""
    with slow_upload(collector):
        for _ in range(200):
            if create(collector).status_code == 503:
                break
        else:
            raise AssertionError("the slow upload never took the slot")
        yield


def create(collector: CollectorProcess) -> requests.Response:
    return requests.post(
        collector.files_url,
        headers={**TUS, "Upload-Length": "100", "Upload-Metadata": "key YQ=="},
        timeout=10,
    )


def test_a_collector_without_a_limit_sheds_nothing(collector):
    with slow_upload(collector):
        for _ in range(20):
            assert create(collector).status_code != 503


def test_beyond_the_limit_an_upload_is_answered_503_with_retry_after(collector_factory):
    collector = busy_collector(collector_factory, retry_after=7)
    with upload_in_flight(collector):
        shed = create(collector)
        assert shed.status_code == 503
        assert shed.headers["Retry-After"] == "7"
        assert shed.headers["Tus-Resumable"] == "1.0.0"
        assert shed.json() == {"error": "busy", "retry_after_s": 7}
        # A shed PATCH with a whole chunk behind it: its body is read, so the kiosk reads
        # the 503 rather than a connection reset in the middle of its send.
        chunk = b"y" * (512 * 1024)
        patch = requests.patch(
            collector.files_url + "0123456789abcdef",
            data=chunk,
            headers={
                **TUS,
                "Upload-Offset": "0",
                "Content-Type": "application/offset+octet-stream",
            },
            timeout=10,
        )
        assert (patch.status_code, patch.headers["Retry-After"]) == (503, "7")
        # What a kiosk needs to resume or to learn it is done is never shed.
        assert requests.get(f"{collector.url}/health", timeout=10).status_code == 200
        assert requests.options(collector.files_url, headers=TUS, timeout=10).status_code < 300
        assert collector.receipt("a" * 64).status_code == 404
        head = requests.head(collector.files_url + "0123456789abcdef", headers=TUS, timeout=10)
        assert head.status_code == 404
    # The slot is free again once the slow upload has gone.
    for _ in range(100):
        if create(collector).status_code != 503:
            break
    else:
        raise AssertionError("still shedding after the upload in flight went away")
    assert "overloaded: 1 uploads in flight" in collector.log()
