"""The kiosk's tus uploader against tus servers this project did not write.

Upload, metadata, chunking with ``Upload-Checksum`` (ignored by servers without the checksum
extension), resume from the server's offset after an interruption, and a fresh upload when the
server no longer knows the stored one. Receipts are the collector's addition and are tested
against it (test_worker.py).
"""

from __future__ import annotations

import pytest

from kiosk.upload.adapter import UploadItem
from kiosk.upload.bundle import upload_metadata
from kiosk.upload.tus import TusUploader
from tests.upload.docs import signed_documents
from tests.upload.test_worker import in_process_worker

CHUNK = 64 * 1024


class PowerCut(Exception):
    pass


@pytest.fixture
def item(tmp_path):
    data = tmp_path / "kiosk"
    signed_documents(data, 1, page_px=600)  # ~360 KB: six chunks
    outbox = in_process_worker(data, "http://127.0.0.1:9/files/").outbox
    job = outbox.jobs()[0]
    built = outbox.ensure_bundle(job)
    meta = upload_metadata(built, (job.folder / "manifest.json").read_bytes())
    return UploadItem(job.key, built.path, built.size, built.sha256, meta, "", 0)


def test_upload_arrives_whole(tus_server, item):
    seen = []
    receipt = TusUploader(tus_server.endpoint, chunk_size=CHUNK)._upload(
        item, lambda url, offset: seen.append((url, offset))
    )
    assert receipt is None  # a plain tus server gives no receipt
    (stored,) = tus_server.uploads()
    assert stored.read_bytes() == item.path.read_bytes()
    assert seen[0] == (seen[0][0], 0) and seen[0][0].startswith(tus_server.endpoint)
    assert seen[-1][1] == item.size
    assert len(seen) == 1 + -(-item.size // CHUNK)  # the URL, then every chunk


def test_interrupted_upload_resumes_from_the_servers_offset(tus_server, item):
    stored: dict[str, object] = {}

    def cut_after_two_chunks(url: str, offset: int) -> None:
        stored.update(url=url, offset=offset)
        if offset >= 2 * CHUNK:
            raise PowerCut

    with pytest.raises(PowerCut):
        TusUploader(tus_server.endpoint, chunk_size=CHUNK)._upload(item, cut_after_two_chunks)
    resumed = UploadItem(**{**item.__dict__, "upload_url": stored["url"], "offset": 2 * CHUNK})
    offsets = []
    TusUploader(tus_server.endpoint, chunk_size=CHUNK)._upload(
        resumed, lambda url, offset: offsets.append(offset)
    )
    assert offsets[0] == 3 * CHUNK, "the first chunk sent after the restart is the third"
    (upload,) = tus_server.uploads()
    assert upload.read_bytes() == item.path.read_bytes()


def test_a_forgotten_upload_is_made_again(tus_server, item):
    urls = []
    TusUploader(tus_server.endpoint, chunk_size=CHUNK)._upload(
        item, lambda url, offset: urls.append(url)
    )
    for path in tus_server.storage.iterdir():  # the server lost its stored uploads
        if path.is_file():
            path.unlink()
    again = UploadItem(**{**item.__dict__, "upload_url": urls[0], "offset": item.size})
    new_urls = []
    TusUploader(tus_server.endpoint, chunk_size=CHUNK)._upload(
        again, lambda url, offset: new_urls.append(url)
    )
    assert new_urls[0] == "" and new_urls[1] != urls[0]
    (upload,) = tus_server.uploads()
    assert upload.read_bytes() == item.path.read_bytes()
