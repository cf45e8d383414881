"""The application factory."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from flask import Flask, request, session
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect

from drivers.gpio import Led, LedState
from kiosk.audit import AuditLog
from kiosk.backup import keep_safe
from kiosk.checklist.bell import ReminderBell
from kiosk.checklist.model import load as load_checklist
from kiosk.checklist.service import ChecklistService
from kiosk.clock import Clock, OffsetClock, SystemClock, saved_offset
from kiosk.context import Kiosk
from kiosk.devices import Devices, open_devices
from kiosk.guidance_app import guidance_app
from kiosk.integrity import assess, open_database
from kiosk.services.auth import AuthService, Policy
from kiosk.services.card_watch import CardWatch
from kiosk.services.provisioning import installed_profile, provision
from kiosk.settings import Settings
from kiosk.storage import write_durably
from kiosk.upload.lights import QueueLights
from kiosk.upload.outbox import Outbox

log = logging.getLogger(__name__)

LANGUAGES = ("id", "en")


def _secret_key(data_dir: Path) -> bytes:
    """The session-signing key, made once per kiosk and kept (owner-only) in the data dir."""
    path = data_dir / "secret_key"
    if not path.exists():
        write_durably(path, secrets.token_bytes(32), mode=0o600)
    return path.read_bytes()


def create_app(
    settings: Settings,
    devices: Devices | None = None,
    provision_from: Path | None = None,
    clock: Clock | None = None,
) -> Flask:
    """Build the kiosk app: database migrated, devices opened, views registered.

    ``devices`` lets a caller (tests) pass adapters it keeps a handle on; ``provision_from``
    installs that profile when the kiosk has none yet (the demo's sample TPS); ``clock`` lets
    tests and training scenarios move time.
    """
    data_dir = Path(settings.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    problem = assess(data_dir)
    if problem is not None:
        # Never start over as a new kiosk next to signed documents: serve only guidance.
        log.error("%s; every screen says: run tps-kiosk db restore", problem)
        return guidance_app(settings, problem)
    base_clock = clock or SystemClock()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=_secret_key(data_dir),
        SESSION_COOKIE_SAMESITE="Strict",
        BABEL_DEFAULT_LOCALE=settings.language,
        MAX_CONTENT_LENGTH=64 * 1024 * 1024,
    )
    db = open_database(data_dir)
    kiosk_clock = OffsetClock(base_clock, saved_offset(db))
    audit = AuditLog(db, kiosk_clock)
    keep_safe(app, db, audit, data_dir)
    if provision_from is not None and installed_profile(data_dir) is None:
        provision(db, audit, data_dir, provision_from.read_text(encoding="utf-8"), by="demo")
    profile = installed_profile(data_dir)
    if devices is None:
        devices = open_devices(settings.device_config())
    if devices.panel is not None:
        devices.panel.set_led(Led.READY, LedState.ON)  # the app is up
    policy = Policy(
        max_attempts=settings.pin_attempts,
        lockout_base_s=settings.lockout_s,
        idle_s=settings.idle_timeout_min * 60,
        max_s=settings.session_max_hours * 3600,
    )
    auth = AuthService(
        db,
        audit,
        kiosk_clock,
        policy,
        bool(settings.training),
        profile.allow_pin_only if profile else False,
    )
    outbox = Outbox(db, kiosk_clock, data_dir)
    kiosk = Kiosk(settings, db, devices, kiosk_clock, audit, auth, profile, outbox)
    if devices.panel is not None:
        kiosk.lights = QueueLights(outbox, devices.panel)
        kiosk.lights.start()
    if profile is not None:
        kiosk.checklist = checklist_service = ChecklistService(
            db, audit, kiosk_clock, load_checklist(profile.election), profile
        )
        if devices.panel is not None:
            kiosk.bell = ReminderBell(checklist_service, devices.panel)
            kiosk.bell.start()
    if devices.card_reader is not None:
        kiosk.card_watch = CardWatch(devices.card_reader, auth.card_removed)
        kiosk.card_watch.start()
    app.extensions["kiosk"] = kiosk

    def locale() -> str:
        chosen = session.get("lang")
        if chosen in LANGUAGES:
            return str(chosen)
        return (
            str(settings.language)
            if settings.language in LANGUAGES
            else (request.accept_languages.best_match(LANGUAGES) or "id")
        )

    Babel(app, locale_selector=locale)
    CSRFProtect(app)

    from kiosk.views import (
        access,
        audit_view,
        chasil,
        checklist,
        documents,
        errors,
        headers,
        login,
        main,
        officers,
        queue,
        selftest,
        simulasi,
        trainer,
    )

    access.register(app)
    headers.register(app)
    for module in (
        main,
        selftest,
        simulasi,
        login,
        officers,
        audit_view,
        chasil,
        documents,
        checklist,
        queue,
        trainer,
    ):
        app.register_blueprint(module.bp)
    checklist.register_banner(app)
    errors.register(app)
    return app
