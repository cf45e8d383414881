"""The kiosk app fixtures (tests/kiosk/conftest.py), for the queue screen tests; a module
overrides ``settings`` to shape its kiosk."""

from tests.kiosk.conftest import app, client  # noqa: F401  (shared fixtures)
