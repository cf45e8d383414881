"""Malformed input to every route of the app, as nobody and as each role: never a 5xx.

The routes come from the app's own ``url_map``, the form fields from the templates' ``name=``
attributes, so a new route or field is fuzzed without touching this file. Each request is sent
with a valid CSRF token, so the handler body really runs. A 503 is allowed only as the device or
storage guidance screen (a trainer's simulated fault makes the next scan or print answer it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient

import kiosk
from kiosk import create_app
from kiosk.settings import Settings
from kiosk.tps import SAMPLE_PROFILE
from tests.kiosk.conftest import PINS, csrf_token, login

HUGE = str(10**30)  # overflows SQLite's 64-bit INTEGER
DEEP = 50_000  # levels of nesting: beyond Python's recursion limit

# Values for path arguments, form fields and query strings.
MALFORMED = [
    "",
    "-1",
    "0",
    HUGE,
    "9" * 5000,  # beyond int()'s 4,300-digit limit
    "1.5",
    "1e999",
    "abc",
    "١٢٣",  # Arabic-Indic digits: str.isdigit() says yes
    "１２",  # full-width digits
    "²",  # a digit to isdigit(), not to int()
    "\u202etxt.exe",
    "ＰＰＷＰ",
    "../../etc/passwd",
    "..%2F..%2Fetc%2Fpasswd",  # encoded once more than the URL does
    "\x00",
    "a" * 5000,
    "<script>alert(1)</script>",
]

JSON_BODIES = [
    "[" * DEEP + "]" * DEEP,
    '{"a":' * DEEP + "1" + "}" * DEEP,
    '{"ballot": "PPWP", "boxes": ' + "[" * DEEP + "]" * DEEP + "}",
    '{"ballot": "PPWP", "boxes": {"S": ' + HUGE + ', "V.0": -1, "V.1": "²", "P.0": 1e999,'
    ' "V.2": [1], "\\u0000": {"a": null}}}',
    '{"ballot": ' + HUGE + "}",
    '{"ballot": "\\ud800"}',
    '{"ballot": "../../etc/passwd", "boxes": "x"}',
    "{nonsense",
    "",
]

# Routes that end the session, reset the day or lock an officer out run last.
LAST = ("trainer.reset", "login.logout", "login.submit_pin")

# Phrases of the generic "something went wrong" screen, in both UI languages.
GENERIC = ("Terjadi kesalahan", "Something went wrong")
# The CSRF refusal: seen here, the handler body did not run and the request proved nothing.
EXPIRED = ("Halaman ini sudah kedaluwarsa", "This page has expired")


def form_fields() -> list[str]:
    """Every form field name the templates post, with the keypad's per-box and per-ballot
    names made concrete."""
    templates = Path(kiosk.__file__).parent / "templates"
    names: set[str] = set()
    for template in templates.glob("*.html"):
        names.update(re.findall(r'name="([a-z_]+)"', template.read_text(encoding="utf-8")))
    names -= {"csrf_token", "viewport"}
    return [*sorted(names), "box:S", "box:V.0", "box:P.0", "box:P.0.0", "value:PPWP"]


@dataclass
class Fuzzer:
    app: Flask
    officer_id: str | None
    sent: int = 0
    failures: list[str] = field(default_factory=list)
    csrf_refused: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.client: FlaskClient = self.app.test_client()
        self.kiosk = self.app.extensions["kiosk"]
        self.fields = form_fields()
        self.token = ""
        self.log_in()

    def log_in(self) -> None:
        if self.officer_id is not None:
            resp = login(self.client, self.officer_id)
            assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
        self.token = csrf_token(self.client)

    def still_logged_in(self) -> bool:
        with self.client.session_transaction() as sess:
            sid = sess.get("sid")
        if sid is None:
            return False
        rows = self.kiosk.db.read(
            "SELECT 1 FROM login_session WHERE id = ? AND ended IS NULL", (sid,)
        )
        return bool(rows)

    def baseline(self, endpoint: str) -> dict[str, str]:
        """Valid path arguments, so each malformed one reaches the handler on its own."""
        db = self.kiosk.db
        page = db.read("SELECT id FROM scan_page ORDER BY id LIMIT 1")
        doc = db.read("SELECT id FROM document ORDER BY id LIMIT 1")
        job = db.read("SELECT id FROM print_job ORDER BY id LIMIT 1")
        out_dir = self.kiosk.devices.config.fake_output_dir
        outputs = sorted(p.name for p in out_dir.glob("*")) if out_dir.is_dir() else []
        me = self.officer_id or "kpps1"
        return {
            "filename": "kiosk.css",
            "code": "id",
            "name": outputs[0] if outputs else "struk.png",
            "officer_id": me if endpoint.startswith("login.") else "kpps2",
            "ballot_type": "PPWP",
            "entry_no": "1",
            "page_id": str(page[0]["id"]) if page else "1",
            "doc_id": str(doc[0]["id"]) if doc else "1",
            "job_id": str(job[0]["id"]) if job else "1",
            "step_id": "tps_didirikan",
            "box": "V.0",
            "which": "opening",
            "hhmm": "1100",  # a reminder of the sample checklist
        }

    def requests(self) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
        """(endpoint, method, url, client kwargs) for every route, method and malformed input."""
        rules = sorted(
            self.app.url_map.iter_rules(),
            key=lambda r: LAST.index(r.endpoint) + 1 if r.endpoint in LAST else 0,
        )
        for rule in rules:
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                for url, kwargs in self._variants(rule.rule, rule.endpoint, method):
                    yield rule.endpoint, method, url, kwargs

    def _url(self, rule: str, values: dict[str, str]) -> str:
        def fill(match: re.Match[str]) -> str:
            return quote(values[match.group(1).rsplit(":", 1)[-1]], safe="")

        return re.sub(r"<([^>]+)>", fill, rule)

    def _variants(
        self, rule: str, endpoint: str, method: str
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        base = self.baseline(endpoint)
        args = re.findall(r"<(?:[^:>]+:)?([^>]+)>", rule)
        good_url = self._url(rule, base)
        # Malformed path arguments, one at a time; unencoded traversal too.
        for arg in args:
            for value in [*MALFORMED, "%2e%2e%2f%2e%2e%2fetc%2fpasswd"]:
                if value == "":
                    continue  # an empty segment is a different URL, not this route
                url = self._url(rule, {**base, arg: value})
                yield url, self._body(method, {})
            yield re.sub(rf"<[^>]*{arg}>", "../../etc/passwd", rule), self._body(method, {})
        # Malformed form fields (POST) or query strings (GET): missing, then each value in
        # every field at once.
        yield good_url, self._body(method, {})
        for value in MALFORMED:
            values = {name: value for name in self.fields} | {"next": value}
            yield good_url, self._body(method, values)
        yield good_url, self._body(method, {"present": ["1", "abc", HUGE, "-1"]})
        if method == "POST":
            for body in JSON_BODIES:
                yield (
                    good_url,
                    {
                        "data": body.encode("utf-8", "surrogatepass"),
                        "content_type": "application/json",
                        "headers": {"X-CSRFToken": self.token},
                    },
                )

    def _body(self, method: str, values: dict[str, Any]) -> dict[str, Any]:
        if method == "GET":
            return {"query_string": values}
        return {"data": {"csrf_token": self.token, **values}}

    def run(self) -> None:
        for endpoint, method, url, kwargs in self.requests():
            public = endpoint.split(".")[0] in ("login", "main", "static")
            if self.officer_id is not None and not public and not self.still_logged_in():
                self.log_in()
                kwargs = self._refresh_token(kwargs)
            self.send(method, url, kwargs)
            if endpoint == "login.submit_pin" or endpoint == "login.logout":
                self.token = csrf_token(self.client)  # the session was cleared

    def _refresh_token(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        if "headers" in kwargs:
            return {**kwargs, "headers": {"X-CSRFToken": self.token}}
        if isinstance(kwargs.get("data"), dict):
            return {**kwargs, "data": {**kwargs["data"], "csrf_token": self.token}}
        return kwargs

    def send(self, method: str, url: str, kwargs: dict[str, Any]) -> None:
        resp = self.client.open(url, method=method, **kwargs)
        self.sent += 1
        body = resp.get_data()
        data = kwargs.get("data")
        shown = (
            {k: v for k, v in data.items() if k != "csrf_token"}
            if isinstance(data, dict)
            else kwargs
        )
        what = f"{method} {url[:120]} {str(shown)[:160]} as {self.officer_id}"
        text = body.decode("utf-8", "replace")
        if any(phrase in text for phrase in EXPIRED):
            self.csrf_refused.append(what)
        if resp.status_code >= 500 and not self._device_guidance(resp.status_code, text):
            self.failures.append(f"{resp.status_code} {what}")
        elif "Traceback" in text or b"root:x:0:0" in body:
            self.failures.append(f"leak {resp.status_code} {what}")

    @staticmethod
    def _device_guidance(status: int, text: str) -> bool:
        return (
            status == 503
            and 'class="guidance' in text
            and not any(phrase in text for phrase in GENERIC)
        )


def _fake_app(tmp_path: Path, training: bool, provisioned: bool = True) -> Flask:
    settings = Settings.from_values(data_dir=tmp_path / "data", hardware="fake", training=training)
    return create_app(settings, provision_from=SAMPLE_PROFILE if provisioned else None)


def _a_day_of_work(app: Flask) -> None:
    """A signed document with its scanned page and a printed copy, so ids in URLs are real."""
    from tests.training.conftest import signed_document

    ketua = app.test_client()
    assert login(ketua, "kpps1", PINS["kpps1"]).status_code == 302
    doc = signed_document(ketua)
    token = csrf_token(ketua)
    ketua.post(f"/documents/{doc}/print", data={"csrf_token": token, "printer": "receipt"})


# Each role on a polling-day kiosk (training off), and the trainer (who exists only in
# training) with a Ketua and a visitor beside him on a training kiosk.
CASES = [
    (False, None),
    (False, "kpps1"),
    (False, "kpps2"),
    (False, "kpps3"),
    (False, "teknisi"),
    (True, None),
    (True, "kpps1"),
    (True, "pelatih"),
]
ROLE_NAMES = {None: "anonymous", "kpps1": "ketua", "kpps2": "anggota", "kpps3": "operator"}


def _assert_no_5xx(fuzzer: Fuzzer, record_property) -> None:
    record_property("fuzz_requests", fuzzer.sent)
    assert not fuzzer.failures, f"{len(fuzzer.failures)} of {fuzzer.sent}:\n" + "\n".join(
        fuzzer.failures[:60]
    )


@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    ("training", "officer_id"),
    CASES,
    ids=[f"{'training' if t else 'tps'}-{ROLE_NAMES.get(o, o)}" for t, o in CASES],
)
def test_no_route_answers_5xx_to_malformed_input(tmp_path, training, officer_id, record_property):
    app = _fake_app(tmp_path, training)
    try:
        _a_day_of_work(app)
        fuzzer = Fuzzer(app, officer_id)
        fuzzer.run()
    finally:
        app.extensions["kiosk"].close()
    _assert_no_5xx(fuzzer, record_property)
    assert not fuzzer.csrf_refused, fuzzer.csrf_refused[:5]


def test_no_route_answers_5xx_on_a_kiosk_not_yet_provisioned(tmp_path, record_property):
    app = _fake_app(tmp_path, training=False, provisioned=False)
    try:
        fuzzer = Fuzzer(app, None)
        fuzzer.run()
    finally:
        app.extensions["kiosk"].close()
    _assert_no_5xx(fuzzer, record_property)
