"""The kiosk's languages, and words in them outside a web request (command lines, the worker).

Bahasa Indonesia first, English complete; the catalogue is kiosk/translations.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from flask_babel import Babel, force_locale

LANGUAGES = ("id", "en")


@contextmanager
def in_language(language: str) -> Iterator[None]:
    """Render kiosk messages (lazy strings, guidance, refusals) in ``language`` inside this
    block. A bare app only carries the catalogue: no views, no devices, no database."""
    app = Flask("kiosk")  # named like the kiosk package so its translations folder is found
    Babel(app)
    with app.app_context(), force_locale(language):
        yield
