"""Training-mode tests: the sample TPS in training mode with every device fake (the shared
fixtures of tests/kiosk), a logged-in trainer, KPPS, and a signed training document."""

from __future__ import annotations

import re

import pytest

from tests.kiosk.conftest import app, client, csrf_token, kiosk, login, settings  # noqa: F401
from tests.kiosk.signing import signed_document  # noqa: F401 - the trainer tests' import

KETUA_CARD = "04A1B2C3D4E5F6"  # Siti Aminah's card in the sample profile


def logged_in(flask_app, officer_id):
    browser = flask_app.test_client()
    assert login(browser, officer_id).status_code == 302
    return browser


@pytest.fixture
def trainer(app):  # noqa: F811
    return logged_in(app, "pelatih")


@pytest.fixture
def ketua(app):  # noqa: F811
    return logged_in(app, "kpps1")


def press(trainer, what: str, name: str):
    """The trainer presses a button of the panel (``what``: fault or scenario)."""
    token = csrf_token(trainer, "/pelatih/")
    return trainer.post(f"/pelatih/{what}", data={"csrf_token": token, what: name})


def guidance(resp) -> tuple[str, str, list[tuple[str, str]]]:
    """(title, text, [(href, label) of each button]) of a full-screen guidance page."""
    html = resp.get_data(as_text=True)
    assert "Traceback" not in html and "Internal Server Error" not in html
    section = re.search(r'<section class="guidance[^"]*" role="alert">(.*?)</section>', html, re.S)
    assert section, html[:500]
    body = section.group(1)
    title = re.search(r"<h1>(.*?)</h1>", body, re.S)
    text = re.search(r'<p class="guide-text">(.*?)</p>', body, re.S)
    assert title and text
    # A link back (a page that failed to load), or a form that sends the failed request again.
    buttons = [
        (m.group(1) or m.group(3), (m.group(2) or m.group(4) or "").strip())
        for m in re.finditer(
            r'<a class="big[^"]*"[^>]*?href="([^"]*)"[^>]*>([^<]*)</a>'
            r'|<form method="post" action="([^"]*)"[^>]*>.*?<button[^>]*>([^<]*)</button>',
            body,
            re.S,
        )
    ]
    return title.group(1).strip(), text.group(1).strip(), buttons
