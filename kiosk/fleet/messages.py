"""Profile problems are Flask-Babel lazy strings; outside the web app they need an app context
to come out in the technician's language."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from flask_babel import Babel, force_locale


@contextmanager
def in_language(language: str) -> Iterator[None]:
    """Render kiosk messages in ``language`` ("id" or "en") inside this block."""
    app = Flask("kiosk")  # named like the kiosk so its translations folder is found
    Babel(app)
    with app.app_context(), force_locale(language):
        yield
