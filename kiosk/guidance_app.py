"""The web app of a kiosk whose database is missing, emptied, replaced or damaged.

``create_app`` returns this instead of the kiosk when kiosk.integrity finds such a database next
to a provisioned data directory: nothing is migrated or written, every route answers 503 with
one full-screen page naming the technician's next action (``tps-kiosk db restore``), and
``/health`` answers 503. Under systemd the web unit's watchdog (kiosk/sdnotify.py) then
restarts the app about every 30 s, so once the technician has restored the database the
kiosk comes back by itself.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template
from flask_babel import Babel

from kiosk.errors import DatabaseCorrupt, DatabaseMissing, KioskError, guidance_for
from kiosk.integrity import document_folders
from kiosk.settings import Settings

log = logging.getLogger(__name__)


def guidance_app(settings: Settings, problem: KioskError) -> Flask:
    app = Flask("kiosk")  # the package's templates and static files
    app.config.update(BABEL_DEFAULT_LOCALE=settings.language)
    Babel(app)
    fault = {DatabaseCorrupt: "database_corrupt", DatabaseMissing: "database_missing"}.get(
        type(problem), "storage_fault"
    )
    app.extensions["kiosk_fault"] = problem
    documents = len(document_folders(settings.data_dir))

    @app.get("/health")
    def health() -> tuple[Response, int]:
        return jsonify(status=fault, detail=str(problem)), 503

    def page(path: str = "") -> tuple[str, int]:
        return render_template(
            "fault.html",
            guidance=guidance_for(problem),
            fault=fault,
            documents=documents,
            language=settings.language,
            training=bool(settings.training),  # SIMULASI on every screen, this one too
        ), 503

    from kiosk.views import headers

    headers.register(app)  # the same security headers as the kiosk's own pages
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    app.add_url_rule("/", "fault", page, methods=methods)
    app.add_url_rule("/<path:path>", "fault_path", page, methods=methods)
    return app
