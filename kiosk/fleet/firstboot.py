"""``tps-kiosk firstboot``: install this kiosk's TPS profile from the signed provisioning file the
technician put on the card's FAT partition (``provision_file``), once.

- A profile is installed already: the FAT copy is ignored (logged). A later change of profile
  goes through ``tps-kiosk provision``, never through the card.
- A file is there: its signature must check out against a key in ``provisioning_keys`` and the
  kiosk must accept its profile; then ``kiosk.services.provisioning.provision`` installs it (PINs
  hashed, device key made, audit event by "firstboot" on the kiosk's clock, kiosk.core),
  ``provisioned-from.json`` records the file's SHA-256 and signer, and the FAT copy, which holds
  the PINs in clear, is deleted (a failure to delete is only logged). A refused file installs
  nothing and exits 1.
- No file: the device key is made if missing; the home screen says "not provisioned".
- Whenever a profile is installed, ``<data_dir>/localtime`` holds its province's time zone
  (``/etc/localtime`` on the image links there; see kiosk/tps_time.py).

Power may be cut at any point. provision() writes the profile durably and last but for its audit
event, so a rerun either starts over (no profile yet) or finishes the clean-up: a FAT copy whose
SHA-256 is recorded, or whose profile is the installed one, is deleted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import sqlite3
from pathlib import Path

from kiosk.core import open_core
from kiosk.devicekey import ensure_key, fingerprint
from kiosk.errors import KioskError
from kiosk.fleet.envelope import EnvelopeError, Opened, open_envelope, profile_of
from kiosk.fleet.keys import ProvisioningKeyError, load_trusted
from kiosk.i18n import in_language
from kiosk.integrity import ensure_marker
from kiosk.profile import ProfileError, without_pins
from kiosk.services.provisioning import PROFILE_FILE, installed_profile, provision
from kiosk.settings import Settings
from kiosk.storage import fsync_dir, write_durably
from kiosk.tps_time import install_localtime

PROVENANCE_FILE = "provisioned-from.json"
EXIT_REFUSED = 1

log = logging.getLogger(__name__)


def firstboot_command(settings: Settings) -> int:
    data_dir = Path(settings.data_dir)
    with in_language(settings.language):
        code = run_firstboot(settings)
    profile = installed_profile(data_dir)
    if profile is not None:
        try:
            install_localtime(data_dir, profile.identity.code)
        except KioskError as exc:  # data partition full: the clock stays UTC, Ketua sees it
            log.warning("could not write the time zone: %s", exc)
        _mark_provisioned(settings)
    return code


def _mark_provisioned(settings: Settings) -> None:
    """A kiosk provisioned before ``provisioned.json`` existed gets it now, from a sound
    database (kiosk.integrity); a missing or damaged one is left for tps-kiosk db restore."""
    try:
        core = open_core(settings)
    except KioskError:  # missing, damaged or full: the technician's tps-kiosk db restore
        return
    try:
        ensure_marker(core.data_dir, core.db)
    except sqlite3.Error as exc:
        log.warning("could not read the officers for the provisioning marker: %s", exc)
    finally:
        core.close()


def run_firstboot(settings: Settings) -> int:
    """Install ``settings.provision_file`` (checked against ``provisioning_keys``) into
    ``data_dir``. Exit code: 0 done or nothing to do, 1 the provisioning file was refused."""
    data_dir = Path(settings.data_dir)
    source, keys = Path(settings.provision_file), Path(settings.provisioning_keys)
    installed = (data_dir / PROFILE_FILE).exists()
    try:
        data: bytes | None = source.read_bytes()
    except FileNotFoundError:
        data = None
    except OSError as exc:
        if installed:
            log.warning("a profile is installed; %s is unreadable and ignored: %s", source, exc)
            return 0
        log.error("cannot read the provisioning file %s: %s; nothing installed", source, exc)
        return EXIT_REFUSED
    if installed:
        if data is not None:
            _after_install(data_dir, source, data, keys)
        return 0
    if data is None:
        key = ensure_key(data_dir)
        log.info(
            "no provisioning file at %s: kiosk not provisioned; device key %s",
            source,
            fingerprint(key),
        )
        return 0
    try:
        opened = _open(data, keys)
        profile_of(opened)
    except (ProvisioningKeyError, EnvelopeError) as exc:
        log.error("provisioning file %s refused, nothing installed: %s", source, exc)
        return EXIT_REFUSED
    except ProfileError as exc:
        log.error(
            "provisioning file %s refused, nothing installed: the profile has problems: %s",
            source,
            "; ".join(str(p) for p in exc.problems),
        )
        return EXIT_REFUSED
    try:  # no officers yet; a damaged database is refused (tps-kiosk db restore)
        core = open_core(settings, need_officers=False)
    except KioskError as exc:  # data partition full or not writable, database damaged
        log.error("cannot install the profile from %s: %s", source, exc)
        return EXIT_REFUSED
    try:
        done = provision(core.db, core.audit, data_dir, opened.profile_text, "firstboot")
    except KioskError as exc:  # data partition full or not writable
        log.error("cannot install the profile from %s: %s", source, exc)
        return EXIT_REFUSED
    finally:
        core.close()
    log.info(
        "TPS %s (%s) installed from %s, signed by %s; device key %s",
        opened.tps,
        done.profile.identity.village,
        source,
        opened.signer,
        done.fingerprint,
    )
    try:
        _record(data_dir, data, opened)
    except KioskError as exc:  # installed all the same; only the provenance note is missing
        log.warning("could not record where the profile came from: %s", exc)
    _remove(source)
    return 0


def _open(data: bytes, keys: Path) -> Opened:
    trusted = load_trusted(keys)
    for reason in trusted.skipped:
        log.warning("provisioning key skipped: %s", reason)
    if not trusted.keys:
        raise ProvisioningKeyError(f"no trusted provisioning key (*.pub) in {keys}")
    return open_envelope(data, trusted.keys)


def _after_install(data_dir: Path, source: Path, data: bytes, keys: Path) -> None:
    """A profile is installed and a FAT copy is there: finish an interrupted first boot if the
    copy is what was installed, else leave it alone."""
    recorded = _recorded_sha256(data_dir)
    if recorded == hashlib.sha256(data).hexdigest():
        log.info("first boot was interrupted after installing; removing the FAT copy")
        _remove(source)
        return
    if recorded is None:
        try:
            opened: Opened | None = _open(data, keys)
            installed = (data_dir / PROFILE_FILE).read_text(encoding="utf-8")
        except (ProvisioningKeyError, EnvelopeError, OSError, UnicodeDecodeError):
            opened = None
        if opened is not None and without_pins(opened.profile_text) == installed:
            log.info("first boot was interrupted after installing; recording it, removing the copy")
            _record(data_dir, data, opened)
            _remove(source)
            return
    log.info(
        "a profile is installed already; FAT copy %s ignored (change it with tps-kiosk provision)",
        source,
    )


def _recorded_sha256(data_dir: Path) -> str | None:
    try:
        value = json.loads((data_dir / PROVENANCE_FILE).read_text(encoding="utf-8"))["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return value if isinstance(value, str) else None


def _record(data_dir: Path, data: bytes, opened: Opened) -> None:
    record = {
        "sha256": hashlib.sha256(data).hexdigest(),
        "tps": opened.tps,
        "signer": opened.signer,
        "issued": opened.issued,
        "installed": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    write_durably(data_dir / PROVENANCE_FILE, (json.dumps(record, indent=1) + "\n").encode())


def _remove(source: Path) -> None:
    """Delete the FAT copy: it holds every officer's PIN in clear."""
    try:
        source.unlink()
    except FileNotFoundError:
        return
    except OSError as exc:
        log.warning(
            "could not delete %s (it holds the officers' PINs in clear): %s; delete it by hand",
            source,
            exc,
        )
        return
    try:  # make the deletion itself survive a power cut
        fsync_dir(source.parent)
    except OSError as exc:
        log.warning("deleted %s, but could not flush its folder: %s", source, exc)
    log.info("deleted the FAT copy %s", source)
