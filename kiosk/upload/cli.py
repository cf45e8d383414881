"""Technician commands: ``tps-kiosk queue list|retry|export FOLDER`` and ``tps-kiosk key``.

``queue list``: one line per document (id, ballot, state, attempts, progress, error code,
receipt) ending with what it waits for in words, in the kiosk's language; then one line per
ballot's newest result record (``record``, ballot, ``#seq``, state, attempts, error code,
receipt, key) likewise, and how many records still wait for a receipt (superseded ones too:
they are still sent)."""

from __future__ import annotations

import sys
from pathlib import Path

from kiosk.core import open_core
from kiosk.devicekey import ensure_key, fingerprint, key_path, public_b64
from kiosk.i18n import in_language
from kiosk.refusals import Refused
from kiosk.services.provisioning import installed_profile
from kiosk.settings import Settings
from kiosk.upload.queue import QueueService, queue_service

BY = "teknisi-cli"  # who the audit log names for these commands


def key_command(settings: Settings) -> int:
    data_dir = Path(settings.data_dir)
    if not key_path(data_dir).exists():
        print("tps-kiosk key: this kiosk has no device key yet (provision it)", file=sys.stderr)
        return 1
    key = ensure_key(data_dir)
    profile = installed_profile(data_dir)
    print(f"tps = {profile.identity.code if profile else ''}")
    print(f"fingerprint = {fingerprint(key)}")
    print(f"public_key = {public_b64(key)}")
    return 0


def queue_command(settings: Settings, command: str, folder: Path | None) -> int:
    # Refuses a missing or damaged database (the technician runs tps-kiosk db restore).
    core = open_core(settings)
    try:
        queue = queue_service(core, installed_profile(core.data_dir))
        with in_language(settings.language):
            return _queue(queue, command, folder)
    finally:
        core.close()


def _queue(queue: QueueService, command: str, folder: Path | None) -> int:
    if command == "list":
        for job, message in queue.jobs():
            print(
                f"{job.document_id:4d} {job.ballot:10s} {job.state:8s} {job.attempts:3d}x "
                f"{job.progress:4.0%} {job.error_code or '-':16s} {job.receipt_id or '-'}  "
                f"{message}"
            )
        for ballot, shown in sorted(queue.records().items()):
            r = shown.record
            print(
                f"record {ballot:10s} #{r.seq:<3d} {r.state:8s} {r.attempts:3d}x "
                f"{r.error_code or '-':16s} {r.receipt_id or '-'}  {r.key[:12]}  {shown.message}"
            )
        print(f"{queue.records_unsent()} result record(s) without a receipt")
        return 0
    if command == "retry":
        n = queue.retry_now(BY)
        print(f"{n} document(s) due now")
        return 0
    assert folder is not None
    try:
        done = queue.export(folder, BY)
    except Refused as exc:
        detail = exc.params.get("detail")
        print(
            f"tps-kiosk queue export: {exc.code.value}: {exc.message()}"
            + (f" ({detail})" if detail else ""),
            file=sys.stderr,
        )
        return 1
    print(
        f"{done.bundles} document(s) and {done.records} result record(s) written to {done.folder}"
    )
    return 0
