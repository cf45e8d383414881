"""Technician commands: ``tps-kiosk queue list|retry|export FOLDER`` and ``tps-kiosk key``.

``queue list``: one line per document (id, ballot, state, attempts, progress, error code,
receipt) ending with what it waits for in words, in the kiosk's language."""

from __future__ import annotations

import sys
from pathlib import Path

from flask import Flask
from flask_babel import Babel, force_locale

from kiosk.audit import AuditLog, Event
from kiosk.clock import OffsetClock, SystemClock, saved_offset
from kiosk.devicekey import ensure_key, fingerprint, key_path, public_b64
from kiosk.integrity import open_database
from kiosk.services.provisioning import installed_profile
from kiosk.settings import Settings
from kiosk.upload.explain import job_message
from kiosk.upload.outbox import Outbox
from kiosk.upload.usb_export import ExportFailed, export_bundles


def _babel_app() -> Flask:
    """A bare app only so the words come out in the kiosk's language."""
    app = Flask("kiosk")
    Babel(app)
    return app


def _outbox(settings: Settings) -> tuple[Outbox, AuditLog]:
    data_dir = Path(settings.data_dir)
    db = open_database(data_dir)  # refuses a missing or damaged database (tps-kiosk db restore)
    clock = OffsetClock(SystemClock(), saved_offset(db))
    return Outbox(db, clock, data_dir), AuditLog(db, clock)


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
    outbox, audit = _outbox(settings)
    if command == "list":
        with _babel_app().app_context(), force_locale(settings.language):
            for job in outbox.jobs():
                when = outbox.next_attempt_at(job).strftime("%H:%M")
                print(
                    f"{job.document_id:4d} {job.ballot:10s} {job.state:8s} {job.attempts:3d}x "
                    f"{job.progress:4.0%} {job.error_code or '-':16s} {job.receipt_id or '-'}  "
                    f"{job_message(job, when)}"
                )
        return 0
    if command == "retry":
        n = outbox.retry_now()
        audit.record(Event.UPLOAD_RETRY, officer="teknisi-cli", jobs=n)
        print(f"{n} document(s) due now")
        return 0
    assert folder is not None
    profile = installed_profile(Path(settings.data_dir))
    if profile is None:
        print("tps-kiosk queue export: this kiosk is not provisioned", file=sys.stderr)
        return 1
    try:
        done = export_bundles(
            outbox,
            ensure_key(Path(settings.data_dir)),
            profile.identity.code,
            folder,
            outbox.clock,
            "teknisi-cli",
        )
    except ExportFailed as exc:
        print(f"tps-kiosk queue export: {exc}", file=sys.stderr)
        return 1
    audit.record(Event.USB_EXPORT, officer="teknisi-cli", folder=str(done.folder), n=done.bundles)
    print(f"{done.bundles} document(s) written to {done.folder}")
    return 0
