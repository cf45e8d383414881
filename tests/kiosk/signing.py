"""A signed C.Hasil document made through the kiosk's own pages, for the tests that need one
on the way to what they check (the screen budget, both languages, the trainer's panel)."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.chasil.test_chasil_http import GOOD, form
from tests.kiosk.conftest import csrf_token


def signed_document(ketua: FlaskClient) -> int:
    """The Ketua KPPS (logged in on ``ketua``) enters PPWP's numbers (the sheet GOOD),
    confirms them, scans one page and signs; the document's id."""
    token = csrf_token(ketua, "/chasil/PPWP/1")
    ketua.post("/chasil/PPWP/1", data=form(GOOD, token))
    ketua.post("/chasil/PPWP/confirm", data={"csrf_token": token})
    assert ketua.post("/chasil/PPWP/scan", data={"csrf_token": token}).status_code == 302
    resp = ketua.post("/chasil/PPWP/finish", data={"csrf_token": token})
    assert resp.status_code == 302 and "/documents/" in resp.headers["Location"], resp.data[:300]
    return int(resp.headers["Location"].rsplit("/", 1)[1])
