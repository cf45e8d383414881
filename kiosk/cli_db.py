"""``tps-kiosk db check|restore|backup``, and the sentence every command ends on when the data
disk is full or the database is missing or damaged (kiosk.storage_faults)."""

from __future__ import annotations

import sys
from pathlib import Path

from kiosk.errors import KioskError, guidance_for
from kiosk.i18n import in_language
from kiosk.settings import Settings

EXIT_PROBLEM = 1


def fault_sentence(error: KioskError, language: str) -> str:
    """What happened and what to do next, in the kiosk's language (Bahasa Indonesia first)."""
    with in_language(language):
        g = guidance_for(error)
        return f"{g.title}. {g.text}"


# Plain writes: this module is a command line, its output is its interface.
def _out(message: str) -> None:
    sys.stdout.write(message + "\n")


def _say(message: str) -> None:
    sys.stderr.write(message + "\n")


def _restore(data_dir: Path) -> int:
    from kiosk.backup import BACKUP_FILE, restore

    done = restore(data_dir)
    r = done.reconciled
    if done.how == "intact":
        _out("Basis data utuh; tidak ada yang perlu dipulihkan.")
    elif done.how == "backup":
        _out(f"Basis data dipulihkan dari cadangan {BACKUP_FILE}.")
    else:
        _out(
            "Tidak ada cadangan yang utuh: basis data dibangun ulang dari berkas "
            f"bertanda tangan; {done.officers} petugas dipasang lagi."
        )
    for aside in done.kept_aside:
        _out(f"Berkas rusak disimpan: {aside.name}")
    _out(
        f"{len(r.recovered)} dokumen dicatat ulang dan diantrekan, {len(r.requeued)} "
        f"pekerjaan kirim dibuat ulang, {len(r.refused)} folder ditolak."
    )
    rec = done.records
    if rec.requeued or rec.sent or rec.refused:
        _out(
            f"{rec.requeued} hasil angka diantrekan lagi, {rec.sent} sudah diterima server, "
            f"{len(rec.refused)} berkas hasil angka ditolak."
        )
    for path in rec.refused:
        _say(f"Ditolak (bukan hasil angka bertanda tangan kiosk ini): {path}")
    if done.how != "intact":
        _out(
            "Kiosk memakai basis data ini setelah layanan dimulai ulang (otomatis dalam "
            "setengah menit, atau: systemctl restart tps-kiosk.target)."
        )
    if not done.officers:
        _say("Belum ada petugas: pasang profil TPS dengan tps-kiosk provision FILE.")
    return EXIT_PROBLEM if r.refused or rec.refused else 0


def db_command(settings: Settings, command: str) -> int:
    from kiosk.backup import backup
    from kiosk.core import open_core
    from kiosk.integrity import assess
    from kiosk.reconcile import reconcile
    from kiosk.upload.queue import queue_service

    data_dir = Path(settings.data_dir)
    if command == "restore":
        return _restore(data_dir)
    problem = assess(data_dir)
    if problem is not None:
        _say(f"{fault_sentence(problem, settings.language)} ({problem})")
        return EXIT_PROBLEM
    core = open_core(settings)  # recovered documents are audited on the kiosk's clock
    try:
        if command == "backup":
            _out(f"Cadangan ditulis: {backup(core.db, data_dir)}")
            return 0
        r = reconcile(core.db, core.audit, data_dir)
        counts = queue_service(core, None).counts()  # the queue owns upload_job
        jobs = counts.unsent + counts.sent
    finally:
        core.close()
    _out(
        f"Basis data utuh: {jobs} pekerjaan kirim; {len(r.recovered) + len(r.requeued)} "
        f"dokumen bertanda tangan diantrekan lagi, {len(r.refused)} folder ditolak."
    )
    for folder in r.refused:
        _say(f"Ditolak (tanda tangan atau PDF tidak cocok): {folder}")
    return EXIT_PROBLEM if r.refused else 0
