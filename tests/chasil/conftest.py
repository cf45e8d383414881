from tests.kiosk.conftest import app, client, kiosk, settings  # noqa: F401  (shared fixtures)
