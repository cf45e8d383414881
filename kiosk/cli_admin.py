"""Technician commands: ``tps-kiosk provision FILE`` and ``tps-kiosk audit verify|export``.

They work on the data directory directly (no web app, no devices), so they run on a kiosk whose
hardware is not plugged in yet.
"""

from __future__ import annotations

import sys
from pathlib import Path

from kiosk.audit import Event
from kiosk.cli_db import fault_sentence
from kiosk.core import Core, open_core
from kiosk.devicekey import ensure_key, fingerprint, key_path, load_key
from kiosk.errors import DatabaseMissing
from kiosk.i18n import in_language
from kiosk.profile import ProfileError, read_profile
from kiosk.services.provisioning import provision
from kiosk.settings import Settings

EXIT_REFUSED = 1


def provision_command(settings: Settings, file: Path) -> int:
    # A kiosk is provisioned before it has officers; a damaged database is still refused.
    core = open_core(settings, need_officers=False)
    try:
        with in_language(settings.language):
            try:
                # Missing, a folder, too big, UTF-16, binary: refused in Bahasa like a bad field.
                text = read_profile(file)
                done = provision(core.db, core.audit, core.data_dir, text, by="teknisi-cli")
            except ProfileError as exc:
                print(f"{file}: profil ditolak, profil lama tetap dipakai:", file=sys.stderr)
                for problem in exc.problems:
                    print(f"  {problem}", file=sys.stderr)
                return EXIT_REFUSED
    finally:
        core.close()
    tps = done.profile.identity
    print(
        f"TPS {tps.code} ({tps.village}, {tps.district}) terpasang; "
        f"{len(done.profile.officers)} petugas."
    )
    print(f"Sidik jari kunci perangkat: {done.fingerprint}")
    return 0


def audit_command(settings: Settings, command: str, file: Path | None) -> int:
    try:  # refuses a missing or damaged database (the technician runs tps-kiosk db restore)
        core = open_core(settings)
    except DatabaseMissing as exc:
        if command != "verify":
            raise
        # The log went with its database; the signed head and the documents on disk remain.
        print(
            "audit log BROKEN at row 1: the log is empty (its database is missing, emptied "
            f"or replaced)\ntps-kiosk audit: {fault_sentence(exc, settings.language)}",
            file=sys.stderr,
        )
        return EXIT_REFUSED
    try:
        return _audit(core, command, file)
    finally:
        core.close()


def _audit(core: Core, command: str, file: Path | None) -> int:
    audit = core.audit
    if command == "verify":
        broken = audit.verify()
        count = audit.count()
        if broken is None:
            head = audit.head()
            print(
                f"audit log intact: {count} rows, ending in the signed head"
                f" ({head.count} rows, {head.hash[:12]}, device key {head.fingerprint})"
                if head is not None
                else f"audit log intact: {count} rows (no signed head yet: no device key)"
            )
            return 0
        print(f"audit log BROKEN at row {broken.seq}: {broken.reason}", file=sys.stderr)
        return EXIT_REFUSED
    assert file is not None
    data_dir = core.data_dir
    key = load_key(data_dir) if key_path(data_dir).exists() else ensure_key(data_dir)
    audit.record(Event.AUDIT_EXPORTED, officer="teknisi-cli", file=file.name)
    rows = audit.export(file, key)
    print(f"{rows} rows written to {file}, signed by device key {fingerprint(key)}")
    return 0
