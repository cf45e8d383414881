"""Processing complete tus uploads, in the completion hook and after a crash.

tuspyserver's local storage keeps each upload as ``<tus>/<uid>`` (the bytes, appended and
flushed but not fsynced) and ``<tus>/<uid>.info`` (JSON of ``TusUploadParams``: metadata, size,
offset; replaced atomically after the bytes of each PATCH are written). It runs the completion
hook inside the PATCH that brings the offset to the size, so a collector killed between those
two steps leaves a complete upload that nobody processed. ``recover`` finds such uploads
(offset == size, uid not in ``tus_uploads``) and processes them: at startup, and whenever a
receipt is asked for a key the collector does not have.

A kill in the middle of a PATCH can also leave more bytes in the file than its ``.info``
records (tuspyserver appends, so a resumed upload would land after them): ``repair`` cuts
them off at startup, before any client resumes.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from tuspyserver.params import TusUploadParams

from kiosk.collector import store
from kiosk.collector.config import Collector
from kiosk.collector.intake import Outcome, receive
from kiosk.storage import write_durably
from kiosk.upload.bundle import BundleInvalid, OpenedBundle, check_metadata

log = logging.getLogger(__name__)

# One upload is processed at a time in this process, so the hook and a recovery started by a
# receipt request never both process the same upload (across processes the store's
# transaction keeps a key from being stored twice).
_processing = threading.Lock()


def read_info(tus_dir: Path, uid: str) -> TusUploadParams | None:
    """tuspyserver's record of an upload, or None if it has none (yet) or it cannot be read."""
    try:
        return TusUploadParams.model_validate_json((tus_dir / f"{uid}.info").read_bytes())
    except (OSError, ValueError):
        return None


def upload_ids(tus_dir: Path) -> list[str]:
    """Uploads that have a ``.info`` (tuspyserver names them by 32 hex digits)."""
    if not tus_dir.is_dir():
        return []
    return sorted(p.stem for p in tus_dir.glob("*.info") if len(p.stem) == 32)


def is_complete(info: TusUploadParams) -> bool:
    return info.size is not None and not info.defer_length and info.offset == info.size


def process_upload(collector: Collector, uid: str) -> Outcome:
    """Process the complete upload ``uid`` once; a second call returns the first outcome
    (raising BundleInvalid again for a refused one)."""
    with _processing:
        conn = store.connect(collector.db_path)
        try:
            done = store.upload_outcome(conn, uid)
            existing = store.document_by_key(conn, done.key) if done else None
        finally:
            conn.close()
        if done is not None:
            if existing is not None:
                return Outcome(existing.receipt, new=False)
            raise BundleInvalid(done.reason or "rejected", done.detail)
        info = read_info(collector.tus_dir, uid)
        if info is None or not is_complete(info):
            raise AssertionError(f"upload {uid} is not complete")
        metadata = {str(k): v for k, v in info.metadata.items()}
        with open(collector.tus_dir / uid, "rb") as fh:
            data = fh.read(info.size or 0)

        def matches_metadata(opened: OpenedBundle) -> None:
            check_metadata(opened, metadata)

        return receive(
            collector,
            data,
            "tus",
            claimed_key=metadata.get("key", ""),
            check=matches_metadata,
            upload_uid=uid,
            sent_head=_sent_head(metadata.get("audit_head")),
        )


def _sent_head(raw: object) -> object:
    """The audit head in the upload's metadata (JSON text), or None when absent or unreadable
    (a bad head is logged by intake, never a reason to refuse the document)."""
    if not isinstance(raw, str) or not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        log.warning("upload metadata: audit head is not JSON")
        return None


def _unprocessed(collector: Collector) -> Iterator[tuple[str, TusUploadParams]]:
    """The uploads with a readable ``.info`` that no intake has processed yet."""
    conn = store.connect(collector.db_path)
    try:
        done = store.processed_uploads(conn)
    finally:
        conn.close()
    for uid in upload_ids(collector.tus_dir):
        info = read_info(collector.tus_dir, uid) if uid not in done else None
        if info is not None:
            yield uid, info


def recover(collector: Collector) -> int:
    """Process every complete upload not processed yet; return how many there were."""
    count = 0
    for uid, info in _unprocessed(collector):
        if not is_complete(info):
            continue
        count += 1
        log.info("processing upload %s, complete but not processed before", uid)
        with contextlib.suppress(BundleInvalid):  # recorded as a rejection by receive()
            process_upload(collector, uid)
    return count


def repair(collector: Collector) -> int:
    """Make every unprocessed upload's file and ``.info`` agree (run before serving); return
    how many needed it. Extra bytes (written, offset not yet recorded) are cut off; missing
    bytes (recorded, but lost with the page cache in a power cut, as tuspyserver does not fsync
    them) lower the offset, so the kiosk resumes from what is really there."""
    fixed = 0
    for uid, info in _unprocessed(collector):
        path = collector.tus_dir / uid
        if not path.exists():
            continue
        length = path.stat().st_size
        if length == info.offset:
            continue
        fixed += 1
        log.warning("upload %s: %d bytes on disk, %d recorded; repairing", uid, length, info.offset)
        if length > info.offset:
            with open(path, "r+b") as fh:
                fh.truncate(info.offset)
                os.fsync(fh.fileno())
        else:
            info.offset = length
            text = json.dumps(info.model_dump(), indent=4)
            write_durably(collector.tus_dir / f"{uid}.info", text.encode())
    return fixed
