"""The application factory."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from flask import Flask, request, session
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect

from drivers.gpio import Led, LedState
from kiosk.context import Kiosk
from kiosk.db import Database
from kiosk.devices import Devices, open_devices
from kiosk.settings import Settings
from kiosk.storage import write_durably
from kiosk.tps import TpsFileError, TpsIdentity, load_identity

log = logging.getLogger(__name__)

LANGUAGES = ("id", "en")


def _secret_key(data_dir: Path) -> bytes:
    """The session-signing key, made once per kiosk and kept (owner-only) in the data dir."""
    path = data_dir / "secret_key"
    if not path.exists():
        write_durably(path, secrets.token_bytes(32), mode=0o600)
    return path.read_bytes()


def _tps(data_dir: Path, tps_file: Path | None) -> TpsIdentity | None:
    path = tps_file or data_dir / "tps.toml"
    if not path.exists():
        return None
    try:
        return load_identity(path)
    except TpsFileError as exc:
        log.error("TPS file unusable, kiosk runs unprovisioned: %s", exc)
        return None


def create_app(
    settings: Settings, devices: Devices | None = None, tps_file: Path | None = None
) -> Flask:
    """Build the kiosk app: database migrated, devices opened, views registered.

    ``devices`` lets a caller (the demo, tests) pass adapters it keeps a handle on;
    ``tps_file`` overrides the TPS identity file (the demo's sample TPS).
    """
    data_dir = Path(settings.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=_secret_key(data_dir),
        SESSION_COOKIE_SAMESITE="Strict",
        BABEL_DEFAULT_LOCALE=settings.language,
        MAX_CONTENT_LENGTH=64 * 1024 * 1024,
    )
    db = Database(data_dir / "kiosk.sqlite3")
    db.migrate()
    if devices is None:
        devices = open_devices(settings.device_config())
    if devices.panel is not None:
        devices.panel.set_led(Led.READY, LedState.ON)  # the app is up
    app.extensions["kiosk"] = Kiosk(settings, db, devices, _tps(data_dir, tps_file))

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

    from kiosk.views import errors, main, selftest, simulasi

    app.register_blueprint(main.bp)
    app.register_blueprint(selftest.bp)
    app.register_blueprint(simulasi.bp)
    errors.register(app)
    return app
