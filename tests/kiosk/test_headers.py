"""Security headers on every response, and the pages that need a login to be read."""

from __future__ import annotations

import re

import pytest

from tests.kiosk.conftest import csrf_token, login

# One of each kind of response: a page, a redirect, a guidance screen, JSON, a static file, a
# generated image, a 404, and a refusal.
PATHS = [
    "/",
    "/login/",
    "/login/card",
    "/health",
    "/selftest/",
    "/simulasi/",
    "/static/kiosk.css",
    "/static/keypad.js",
    "/no/such/page",
    "/chasil/",
]


def _csp(resp) -> dict[str, str]:
    header = resp.headers.get("Content-Security-Policy", "")
    return {
        part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2]
        for part in header.split(";")
        if part.strip()
    }


def _assert_headers(resp, what: str) -> None:
    csp = _csp(resp)
    assert csp.get("default-src") == "'self'", (what, resp.headers.get("Content-Security-Policy"))
    # Nothing may widen the default: no inline code, no other origin, no framing.
    for directive, value in csp.items():
        for loose in ("unsafe", "*", "http", "data:", "blob:"):
            assert loose not in value, (what, directive, value)
    assert csp.get("frame-ancestors") == "'none'", what
    assert csp.get("base-uri") == "'none'", what
    assert csp.get("form-action") == "'self'", what
    assert resp.headers.get("X-Frame-Options") == "DENY", what
    assert resp.headers.get("X-Content-Type-Options") == "nosniff", what
    assert resp.headers.get("Referrer-Policy") == "no-referrer", what


@pytest.mark.parametrize("path", PATHS)
def test_every_response_carries_the_security_headers(client, path):
    _assert_headers(client.get(path), f"GET {path} (anonymous)")


def test_headers_on_pages_of_a_logged_in_officer_and_on_errors(client, kiosk):
    login(client, "kpps1")
    token = csrf_token(client)
    for path in ("/", "/selftest/", "/chasil/PPWP/1", "/checklist/", "/simulasi/", "/antrian"):
        _assert_headers(client.get(path), f"GET {path} (Ketua)")
    _assert_headers(client.post("/selftest/"), "POST without CSRF (400)")
    _assert_headers(client.post("/selftest/", data={"csrf_token": token}), "redirect")
    _assert_headers(
        client.post("/api/chasil/check", json={}, headers={"X-CSRFToken": token}), "JSON 400"
    )


def test_templates_have_no_inline_script_style_or_handlers():
    """The CSP refuses inline code: a template that relies on it would silently break."""
    from pathlib import Path

    import kiosk

    templates = Path(kiosk.__file__).parent / "templates"
    for template in sorted(templates.glob("*.html")):
        html = template.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), template.name
        assert "<style" not in html, template.name
        assert not re.search(r"\sstyle=", html), template.name
        assert not re.search(r"\son[a-z]+\s*=", html), template.name
        assert "javascript:" not in html, template.name


# Login is needed to read these -------------------------------------------------------------------


def test_selftest_page_needs_a_login(client, kiosk):
    login(client, "kpps1")
    client.post("/selftest/", data={"csrf_token": csrf_token(client, "/selftest/")})
    client.post("/login/logout", data={"csrf_token": csrf_token(client)})
    resp = client.get("/selftest/")
    assert resp.status_code == 302 and "/login/" in resp.headers["Location"]
    assert "/selftest/" in resp.headers["Location"]  # back to it after the PIN
    # Nothing of the report or the device key reaches an anonymous visitor.
    assert b"Kunci perangkat" not in resp.data and b"verdict" not in resp.data


@pytest.mark.parametrize("officer_id", ["kpps1", "kpps2", "kpps3", "teknisi", "pelatih"])
def test_selftest_page_is_read_by_every_role(client, officer_id):
    login(client, officer_id)
    assert client.get("/selftest/").status_code == 200


def test_simulated_printouts_need_a_login(client, kiosk):
    login(client, "kpps1")
    token = csrf_token(client, "/selftest/")
    client.post("/selftest/", data={"csrf_token": token})
    client.post("/selftest/print", data={"csrf_token": token, "printer": "receipt"})
    (printed,) = [p.name for p in kiosk.devices.config.fake_output_dir.glob("*.png")]
    assert client.get(f"/simulasi/output/{printed}").status_code == 200
    assert printed in client.get("/simulasi/").get_data(as_text=True)
    client.post("/login/logout", data={"csrf_token": csrf_token(client)})

    anonymous = client.get(f"/simulasi/output/{printed}")
    assert anonymous.status_code == 302 and "/login/" in anonymous.headers["Location"]
    panel = client.get("/simulasi/").get_data(as_text=True)
    assert printed not in panel and "/simulasi/output/" not in panel
    # The simulated card reader stays usable, as a real reader on the table is: a card tap is
    # how an officer starts to log in.
    assert "04A1B2C3D4E5F6" in panel
    assert "Masuk untuk melihat hasil cetak" in panel


def test_anonymous_visitor_can_still_tap_a_simulated_card(client, kiosk):
    token = csrf_token(client, "/simulasi/")
    client.post("/simulasi/card", data={"csrf_token": token, "uid": "04A1B2C3D4E5F6"})
    card = kiosk.devices.card_reader.wait_for_card(1)
    assert card is not None and card.uid == "04A1B2C3D4E5F6"
