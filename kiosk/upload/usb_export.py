"""USB export: the day's signed documents on a USB drive, for PPS, when there is no network.

The export is a new folder on the drive, ``tps-kiosk-<TPS>-<date-time>/``, holding every
document's bundle (``<key>.zip``), every result record not yet sent (``record-<key>.json``,
its index entry marked ``"kind": "record"``: the numbers reach PPS even when the scan does not)
and ``index.json`` signed with the device key. Every file is
read back from the drive and its SHA-256 compared before the export counts as done (cheap USB
sticks lose writes). Importing the folder into the collector counts as delivery; the queue
still uploads the documents when the network returns, and the collector, which already has
them, answers with the same receipt (a record's ``PUT`` likewise: it is idempotent on its key).
"""

from __future__ import annotations

import errno
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.clock import Clock
from kiosk.errors import DataDirNotWritable, StorageFull
from kiosk.refusals import Refused
from kiosk.storage import write_durably
from kiosk.upload.bundle import bundle_bytes, sign_index
from kiosk.upload.outbox import Outbox
from kiosk.upload.record_outbox import RecordOutbox
from kiosk.upload.refusals import ExportCode


@dataclass(frozen=True)
class ExportDone:
    folder: Path
    bundles: int
    records: int = 0


def usb_drives(root: Path) -> list[Path]:
    """Writable mount points directly below ``root`` (where USB drives are mounted)."""
    try:
        children = sorted(p for p in root.iterdir() if p.is_dir())
    except OSError:
        return []
    return [p for p in children if os.path.ismount(p) and os.access(p, os.W_OK)]


def export_bundles(
    outbox: Outbox,
    key: Ed25519PrivateKey,
    tps_code: str,
    target: Path,
    clock: Clock,
    officer_id: str,
) -> ExportDone:
    """Write and verify an export of every document onto ``target`` (a mounted drive).
    Refuses with ``Refused(ExportCode.X, detail=...)`` (``detail``: for the technician)."""
    jobs = outbox.jobs()
    records = [r for r in RecordOutbox(outbox).records() if r.state != "sent"]
    if not jobs and not records:
        raise Refused(ExportCode.NOTHING, detail="no signed document yet")
    now = clock.now()
    folder = target / f"tps-kiosk-{tps_code}-{now:%Y%m%d-%H%M%S}"
    entries: list[dict[str, str]] = []
    try:
        for job in sorted(jobs, key=lambda j: j.id):
            data = bundle_bytes(job.folder)  # from the document files; the data dir is not written
            sha = hashlib.sha256(data).hexdigest()
            if job.bundle_sha256 and sha != job.bundle_sha256:
                raise Refused(
                    ExportCode.VERIFY_FAILED, detail=f"document {job.document_id} changed on disk"
                )
            name = f"{job.key}.zip"
            write_durably(folder / name, data)
            entries.append({"file": name, "key": job.key, "sha256": sha, "ballot": job.ballot})
        for record in sorted(records, key=lambda r: r.id):
            name = f"record-{record.key}.json"  # the key is the record's SHA-256
            write_durably(folder / name, record.data)
            entries.append(
                {
                    "file": name,
                    "key": record.key,
                    "sha256": record.key,
                    "ballot": record.ballot,
                    "kind": "record",
                }
            )
        index = sign_index(key, tps_code, now.isoformat(timespec="seconds"), entries)
        write_durably(folder / "index.json", index)
        for entry in entries:  # read back what the drive kept
            kept = hashlib.sha256((folder / entry["file"]).read_bytes()).hexdigest()
            if kept != entry["sha256"]:
                raise Refused(
                    ExportCode.VERIFY_FAILED, detail=f"{entry['file']} reads back differently"
                )
    except StorageFull as exc:
        raise Refused(ExportCode.DRIVE_FULL, detail=str(exc)) from exc
    except DataDirNotWritable as exc:
        raise Refused(ExportCode.DRIVE_READONLY, detail=str(exc)) from exc
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENODEV, errno.EIO):
            raise Refused(ExportCode.NO_DRIVE, detail=str(exc)) from exc
        raise
    # ``bundles``: the documents ("Ekspor terakhir: N dokumen"), not the records beside them.
    outbox.record_export(folder, len(entries) - len(records), officer_id)
    return ExportDone(folder, len(entries) - len(records), len(records))
