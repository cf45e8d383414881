"""Reconciliation: every signed document folder on disk has its ``document`` row and upload job.

Run at start (kiosk.app), after ``tps-kiosk db restore`` and by ``tps-kiosk db check``. A folder
the database does not know (a restored backup older than the document, a rebuilt database) is
re-recorded from its manifest only when the manifest's signature checks out against *this*
kiosk's device key and the PDF is the one the manifest names; its job key is the manifest's
SHA-256 as at signing, so a collector that already holds the document keeps one copy. Each
re-made row is audited (``document_recovered``).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.audit import AuditLog, Event
from kiosk.chasil.documents import record_recovered, recorded_documents, verify_manifest
from kiosk.db import Database
from kiosk.devicekey import key_path, load_key, public_bytes
from kiosk.integrity import document_folders
from kiosk.upload.outbox import enqueue, queued_documents

log = logging.getLogger(__name__)


@dataclass
class Reconciled:
    recovered: list[Path] = field(default_factory=list)  # document row and job re-made
    requeued: list[Path] = field(default_factory=list)  # row was there, its job re-made
    refused: list[Path] = field(default_factory=list)  # not signed by this kiosk, or altered

    @property
    def changed(self) -> bool:
        return bool(self.recovered or self.requeued)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def reconcile(db: Database, audit: AuditLog, data_dir: Path) -> Reconciled:
    done = Reconciled()
    folders = document_folders(data_dir)
    if not folders:
        return done
    public = public_bytes(load_key(data_dir)) if key_path(data_dir).exists() else None
    known = recorded_documents(db)
    queued = queued_documents(db)
    seen: set[str] = set()
    for folder in folders:
        try:
            key = _sha256(folder / "manifest.json")
        except OSError as exc:
            log.error("cannot read %s: %s", folder / "manifest.json", exc)
            done.refused.append(folder)
            continue
        row = known.get(key)
        if (row is not None and row["id"] in queued) or key in seen:
            continue  # in order, or a second copy of a folder already re-recorded
        seen.add(key)
        if row is not None:
            with db.write() as conn:
                enqueue(conn, row["id"], key, bool(row["training"]), row["created_wall"])
            done.requeued.append(folder)
            audit.record(Event.DOCUMENT_RECOVERED, officer="kiosk", folder=str(folder), key=key)
            continue
        try:
            if public is None:
                raise ValueError("this kiosk has no device key to check the signature with")
            manifest = verify_manifest(folder / "manifest.json", public)
            pdf_sha = manifest["pdf"]["sha256"]
            if _sha256(folder / manifest["pdf"]["file"]) != pdf_sha:
                raise ValueError("the PDF is not the one the manifest names")
            ballot = str(manifest["ballot"])
            training = bool(manifest["training"])
            created = str(manifest["created"])
            pages = len(manifest["pages"])
        except (OSError, ValueError, KeyError, TypeError, json.JSONDecodeError) as exc:
            log.error("signed document %s not re-recorded: %s", folder, exc)
            done.refused.append(folder)
            continue
        with db.write() as conn:
            doc_id = record_recovered(conn, ballot, folder, pdf_sha, key, pages, training, created)
            enqueue(conn, doc_id, key, training, created)
        done.recovered.append(folder)
        log.warning("signed document %s re-recorded from its manifest and queued", folder)
        audit.record(
            Event.DOCUMENT_RECOVERED,
            officer="kiosk",
            folder=str(folder),
            ballot=ballot,
            sha256=pdf_sha,
            key=key,
        )
    return done
