from __future__ import annotations

import re

import pytest

from kiosk import create_app
from kiosk.settings import Settings
from kiosk.tps import SAMPLE_PROFILE


@pytest.fixture
def settings(tmp_path):
    return Settings.from_values(data_dir=tmp_path / "data", hardware="fake", training=True)


@pytest.fixture
def app(settings):
    app = create_app(settings, provision_from=SAMPLE_PROFILE)
    yield app
    app.extensions["kiosk"].close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def kiosk(app):
    return app.extensions["kiosk"]


def csrf_token(client, path="/"):
    """The CSRF token from a rendered form, as a browser would submit it."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no form with a CSRF token"
    return match.group(1)


# The sample profile's roster (kiosk/demo/sample_profile.toml).
PINS = {
    "kpps1": "111111",
    "kpps2": "222222",
    "kpps3": "333333",
    "teknisi": "999999",
    "pelatih": "777777",
}


def login(client, officer_id, pin=None):
    """Log in by name and PIN (the sample profile allows it), as the keypad form does."""
    token = csrf_token(client, "/login/")
    return client.post(
        f"/login/pin/{officer_id}", data={"csrf_token": token, "pin": pin or PINS[officer_id]}
    )
