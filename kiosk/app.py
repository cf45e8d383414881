"""The application factory."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from flask import Flask, request, session
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect

from kiosk.backup import keep_safe
from kiosk.clock import Clock
from kiosk.core import open_core
from kiosk.devices import Devices
from kiosk.guidance_app import guidance_app
from kiosk.i18n import LANGUAGES
from kiosk.integrity import assess
from kiosk.settings import Settings
from kiosk.storage import write_durably
from kiosk.wiring import build_runtime

log = logging.getLogger(__name__)


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
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=_secret_key(data_dir),
        SESSION_COOKIE_SAMESITE="Strict",
        BABEL_DEFAULT_LOCALE=settings.language,
        MAX_CONTENT_LENGTH=64 * 1024 * 1024,
    )
    core = open_core(settings, clock)
    keep_safe(app, core.db, core.audit, data_dir)
    kiosk = build_runtime(core, devices, provision_from)
    app.extensions["kiosk"] = kiosk  # the runtime: start-up, shutdown and tests only
    app.extensions["services"] = kiosk.services  # what views reach (kiosk.views.access)

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
        paper,
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
        paper,
        documents,
        checklist,
        queue,
        trainer,
    ):
        app.register_blueprint(module.bp)
    checklist.register_banner(app)
    errors.register(app)
    return app
