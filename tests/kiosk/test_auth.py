"""Login, lockout, logout by card removal and timeouts, and the role table on every route."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest

from drivers.errors import CardUnreadable
from kiosk import create_app
from kiosk.clock import ManualClock
from kiosk.roles import PERMISSIONS, Permission, Role
from kiosk.settings import Settings
from kiosk.tps import SAMPLE_PROFILE
from tests.kiosk.conftest import PINS, csrf_token, login

START = dt.datetime(2024, 2, 14, 6, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
ROLE_OF = {
    "kpps1": Role.KETUA,
    "kpps2": Role.ANGGOTA,
    "kpps3": Role.OPERATOR,
    "teknisi": Role.TEKNISI,
    "pelatih": Role.PELATIH,
}


@pytest.fixture
def clock():
    return ManualClock(START)


@pytest.fixture
def app_at(tmp_path, clock):
    """The demo app (fake devices) on a clock the test moves."""
    apps = []

    def make(**values):
        settings = Settings.from_values(data_dir=tmp_path / "data", hardware="fake", **values)
        app = create_app(settings, provision_from=SAMPLE_PROFILE, clock=clock)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["kiosk"].close()


def whoami(client) -> str | None:
    html = client.get("/").get_data(as_text=True)
    for officer_id, name in (
        ("kpps1", "Siti Aminah"),
        ("kpps2", "Budi Santoso"),
        ("kpps3", "Rina Wulandari"),
        ("teknisi", "Teknisi Simulasi"),
        ("pelatih", "Pelatih Bimtek"),
    ):
        if f'<span class="who">{name}' in html:
            return officer_id
    return None


def events(app, kind):
    return [r for r in app.extensions["kiosk"].audit.rows() if r["kind"] == kind]


def test_pin_login_and_logout_are_audited(app_at):
    app = app_at(training=True)
    client = app.test_client()
    assert login(client, "kpps1").status_code == 302
    assert whoami(client) == "kpps1"
    client.post("/login/logout", data={"csrf_token": csrf_token(client)})
    assert whoami(client) is None
    assert [e["officer"] for e in events(app, "login")] == ["kpps1"]
    assert '"reason": "logout"' in events(app, "logout")[0]["details"]
    assert app.extensions["kiosk"].audit.verify() is None


def test_five_wrong_pins_lock_for_a_growing_delay(app_at, clock):
    app = app_at()
    client = app.test_client()
    for attempts_left in (4, 3, 2, 1):
        resp = login(client, "kpps2", "000000")
        assert resp.status_code == 401
        assert f"Sisa {attempts_left} kali" in resp.get_data(as_text=True)
    resp = login(client, "kpps2", "000000")
    assert resp.status_code == 423 and "terkunci sampai 06:31 WITA" in resp.get_data(as_text=True)
    # Locked: even the right PIN is refused, and does not count.
    assert login(client, "kpps2").status_code == 423
    clock.advance(61)
    for _ in range(5):
        login(client, "kpps2", "000000")
    resp = login(client, "kpps2")
    assert resp.status_code == 423  # second lockout: 120 s
    clock.advance(119)
    assert login(client, "kpps2").status_code == 423
    clock.advance(2)
    assert login(client, "kpps2").status_code == 302
    assert len(events(app, "lockout")) == 2
    assert len(events(app, "login_failed")) == 10
    # Other officers were never affected.
    other = app.test_client()
    assert login(other, "kpps3").status_code == 302


def test_idle_timeout_and_hard_session_limit(app_at, clock):
    app = app_at(idle_timeout_min=15, session_max_hours=2)
    client = app.test_client()
    login(client, "kpps1")
    clock.advance(14 * 60)
    assert whoami(client) == "kpps1"  # activity keeps it alive
    clock.advance(15 * 60 + 1)
    assert whoami(client) is None
    login(client, "kpps1")
    for _ in range(9):
        clock.advance(14 * 60)
        client.get("/")
    assert whoami(client) is None  # past 2 hours despite activity
    reasons = [e["details"] for e in events(app, "logout")]
    assert any("idle" in r for r in reasons) and any("session_limit" in r for r in reasons)


def test_card_then_pin_and_removing_the_card_logs_out(app_at):
    app = app_at()
    kiosk = app.extensions["kiosk"]
    client = app.test_client()
    kiosk.devices.card_reader.insert("04A1B2C3D4E5F7")  # Budi's card
    assert kiosk.card_watch.wait_for(present=True, timeout_s=5)
    resp = client.get("/login/")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login/pin/kpps2")
    page = client.get("/login/pin/kpps2").get_data(as_text=True)
    assert 'name="via_card" value="1"' in page
    client.post(
        "/login/pin/kpps2",
        data={
            "csrf_token": csrf_token(client, "/login/pin/kpps2"),
            "pin": PINS["kpps2"],
            "via_card": "1",
        },
    )
    assert whoami(client) == "kpps2"
    assert '"via": "card"' in events(app, "login")[0]["details"]
    kiosk.devices.card_reader.remove()
    assert kiosk.card_watch.wait_for(present=False, timeout_s=5)
    # The card watch ends the session, then records its logout (two transactions): wait for
    # both, as a loaded machine may show the first before the second.
    deadline = dt.datetime.now() + dt.timedelta(seconds=5)
    while (whoami(client) is not None or not events(app, "logout")) and (
        dt.datetime.now() < deadline
    ):
        time.sleep(0.05)
    assert whoami(client) is None
    assert '"reason": "card_removed"' in events(app, "logout")[0]["details"]


def test_unknown_card_is_told_to_ask_the_ketua(app_at):
    app = app_at()
    kiosk = app.extensions["kiosk"]
    kiosk.devices.card_reader.insert("04FFFFFFFFFFFF")
    assert kiosk.card_watch.wait_for(present=True, timeout_s=5)
    assert "belum terdaftar" in app.test_client().get("/login/").get_data(as_text=True)


def test_another_officers_card_cannot_be_used(app_at):
    app = app_at()
    kiosk = app.extensions["kiosk"]
    client = app.test_client()
    kiosk.devices.card_reader.insert("04A1B2C3D4E5F7")  # Budi's card, Siti's PIN
    assert kiosk.card_watch.wait_for(present=True, timeout_s=5)
    resp = client.post(
        "/login/pin/kpps1",
        data={
            "csrf_token": csrf_token(client, "/login/pin/kpps1"),
            "pin": PINS["kpps1"],
            "via_card": "1",
        },
    )
    assert resp.status_code == 401 and whoami(client) is None


def test_pin_only_refused_when_the_profile_requires_a_card(app_at, tmp_path):
    app = app_at()
    kiosk = app.extensions["kiosk"]
    kiosk.auth.allow_pin_only = False
    resp = login(app.test_client(), "kpps1")
    assert resp.status_code == 401
    assert "Tempelkan kartu" in resp.get_data(as_text=True)


def test_trainer_cannot_log_in_outside_training(app_at):
    resp = login(app_at(training=False).test_client(), "pelatih")
    assert resp.status_code == 403


# Every protected route, and the permission it needs.
ROUTES = [
    ("POST", "/selftest/", Permission.RUN_SELFTEST),
    ("POST", "/selftest/print", Permission.RUN_SELFTEST),
    ("GET", "/officers/", Permission.ENROL_CARDS),
    ("POST", "/officers/kpps2/enrol", Permission.ENROL_CARDS),
    ("GET", "/audit/", Permission.VIEW_AUDIT),
    ("GET", "/chasil/", Permission.CHASIL_ENTER),
    ("POST", "/chasil/PPWP/1", Permission.CHASIL_ENTER),
    ("POST", "/api/chasil/check", Permission.CHASIL_ENTER),
    ("POST", "/chasil/PPWP/confirm", Permission.CHASIL_CONFIRM),
    ("GET", "/chasil/PPWP/scan", Permission.CHASIL_ENTER),
    ("POST", "/chasil/PPWP/pages/1", Permission.CHASIL_ENTER),
    ("POST", "/chasil/PPWP/finish", Permission.CHASIL_ENTER),
    ("POST", "/chasil/PPWP/scan", Permission.CHASIL_ENTER),
    ("POST", "/documents/1/recipients", Permission.CHASIL_ENTER),
    ("GET", "/checklist/", Permission.CHECKLIST_TICK),
    ("POST", "/checklist/tps_didirikan", Permission.CHECKLIST_TICK),
    ("POST", "/checklist/report/opening", Permission.CHECKLIST_TICK),
    ("POST", "/incidents/", Permission.RECORD_INCIDENT),
    ("GET", "/antrian", Permission.UPLOAD),
    ("POST", "/antrian/coba", Permission.UPLOAD),
    ("POST", "/antrian/usb", Permission.UPLOAD),
    ("GET", "/pelatih/", Permission.TRAINING_PANEL),
    ("POST", "/pelatih/fault", Permission.TRAINING_PANEL),
    ("POST", "/pelatih/scenario", Permission.TRAINING_PANEL),
    ("POST", "/pelatih/clock", Permission.TRAINING_PANEL),
    ("GET", "/pelatih/reset", Permission.TRAINING_PANEL),
    ("POST", "/pelatih/reset", Permission.TRAINING_PANEL),
]


@pytest.mark.parametrize("officer_id", list(ROLE_OF))
@pytest.mark.parametrize(
    ("method", "path", "permission"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES]
)
def test_role_table_on_every_protected_route(app_at, officer_id, method, path, permission):
    app = app_at(training=True)
    client = app.test_client()
    assert login(client, officer_id).status_code == 302
    token = csrf_token(client)
    if path.startswith("/api/"):
        resp = client.post(
            path, json={"ballot": "PPWP", "boxes": {}}, headers={"X-CSRFToken": token}
        )
    elif method == "POST":
        resp = client.post(path, data={"csrf_token": token, "printer": "receipt"})
    else:
        resp = client.get(path)
    if ROLE_OF[officer_id] in PERMISSIONS[permission]:
        # No document exists on this kiosk: past the role check, a document's route says 404.
        allowed = (200, 302, 404) if path.startswith("/documents/") else (200, 302)
        assert resp.status_code in allowed, resp.get_data(as_text=True)[:300]
    else:
        assert resp.status_code == 403
        assert "tidak berwenang" in resp.get_data(as_text=True)


@pytest.mark.parametrize(
    ("method", "path", "permission"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES]
)
def test_protected_routes_need_a_login(app_at, method, path, permission):
    client = app_at().test_client()
    if method == "GET":
        resp = client.get(path)
        assert resp.status_code == 302 and "/login/" in resp.headers["Location"]
    else:
        assert client.post(path, data={"csrf_token": csrf_token(client)}).status_code == 401


def _shape(path: str) -> str:
    """Route shape: "/documents/<int:doc_id>/print" and "/documents/1/print" match."""
    path = re.sub(r"<[^>]+>", "X", path)
    return re.sub(r"/(\d+|kpps\d|PPWP|tps_didirikan|opening)(?=/|$)", "/X", path)


def test_every_post_route_is_in_the_table_or_public(app_at):
    """A new state-changing route must be added to ROUTES (or to the public list) here."""
    public = {
        "/lang/X",
        "/reminders/X/dismiss",
        "/login/pin/X",
        "/login/logout",
        "/simulasi/card",
        "/simulasi/button",
        # Same permission as /documents/X/recipients, covered in ROUTES:
        "/documents/X/print",
        "/documents/X/receipt",
        "/documents/X/reprint/X",
    }
    app = app_at()
    posts = {_shape(r.rule) for r in app.url_map.iter_rules() if "POST" in (r.methods or set())}
    listed = {_shape(p) for m, p, _ in ROUTES if m == "POST"}
    assert posts - public - listed == set()


def test_home_offers_only_what_the_role_may_do(app_at):
    app = app_at()
    ketua, anggota = app.test_client(), app.test_client()
    login(ketua, "kpps1")
    login(anggota, "kpps2")
    assert "/audit/" in ketua.get("/").get_data(as_text=True)
    assert "/audit/" not in anggota.get("/").get_data(as_text=True)


def test_card_enrolment_by_the_ketua(app_at):
    app = app_at()
    kiosk = app.extensions["kiosk"]
    client = app.test_client()
    login(client, "kpps1")
    kiosk.devices.card_reader.insert("04C0FFEE000001")
    assert kiosk.card_watch.wait_for(present=True, timeout_s=5)
    client.post("/officers/teknisi/enrol", data={"csrf_token": csrf_token(client, "/officers/")})
    assert kiosk.auth.officer("teknisi").card_uid == "04C0FFEE000001"
    assert events(app, "card_enrolled")[0]["officer"] == "kpps1"
    # The same card cannot be given to a second officer.
    client.post("/officers/kpps3/enrol", data={"csrf_token": csrf_token(client, "/officers/")})
    assert kiosk.auth.officer("kpps3").card_uid == "04A1B2C3D4E5F8"


# --- Refusals as codes (kiosk.services.auth.AuthCode) ------------------------------------------


def test_refusals_carry_their_code_and_parameters(app_at, clock):
    from kiosk.refusals import Refused
    from kiosk.services.auth import AuthCode

    app = app_at(training=False)
    auth = app.extensions["services"].auth
    refused = []
    for officer, pin, card in (
        ("nobody", "1", None),
        ("kpps1", PINS["kpps1"], "04FFFFFFFFFFFF"),
        ("pelatih", PINS["pelatih"], None),
        *[("kpps2", "000000", None)] * 5,
    ):
        with pytest.raises(Refused) as exc:
            auth.login(officer, pin, card)
        refused.append((exc.value.code, dict(exc.value.params)))
    assert [code for code, _ in refused] == [
        AuthCode.UNKNOWN_OFFICER,
        AuthCode.UNKNOWN_CARD,
        AuthCode.NOT_IN_TRAINING,
        *[AuthCode.WRONG_PIN] * 4,
        AuthCode.LOCKED_OUT,
    ]
    assert [p["n"] for code, p in refused if code is AuthCode.WRONG_PIN] == [4, 3, 2, 1]
    # The end of the lock on the kiosk's clock (UTC+8 here), as the officer reads it.
    assert refused[-1][1]["time"] == "06:31 WITA"
    with app.test_request_context():
        message = Refused(AuthCode.LOCKED_OUT, **refused[-1][1]).message()
    assert message.startswith("Terlalu banyak PIN salah: terkunci sampai 06:31 WITA.")


def test_a_taken_card_is_refused_with_its_own_sentence(app_at):
    app = app_at()
    kiosk = app.extensions["kiosk"]
    client = app.test_client()
    login(client, "kpps1")
    kiosk.devices.card_reader.insert("04A1B2C3D4E5F7")  # Budi's card
    assert kiosk.card_watch.wait_for(present=True, timeout_s=5)
    resp = client.post(
        "/officers/kpps3/enrol",
        data={"csrf_token": csrf_token(client, "/officers/")},
        follow_redirects=True,
    )
    assert "Kartu ini sudah milik petugas lain." in resp.get_data(as_text=True)
    assert kiosk.auth.officer("kpps3").card_uid == "04A1B2C3D4E5F8"
    assert (
        client.post(
            "/officers/nobody/enrol", data={"csrf_token": csrf_token(client, "/officers/")}
        ).status_code
        == 404
    )


def test_enrolling_without_a_card_on_the_reader_says_so(app_at):
    app = app_at()
    client = app.test_client()
    login(client, "kpps1")
    resp = client.post(
        "/officers/teknisi/enrol",
        data={"csrf_token": csrf_token(client, "/officers/")},
        follow_redirects=True,
    )
    assert "Tidak ada kartu di pembaca. Letakkan kartu petugas" in resp.get_data(as_text=True)
    assert app.extensions["kiosk"].auth.officer("teknisi").card_uid is None


def test_the_training_day_lifts_lockouts_and_forgets_a_failed_tap(app_at):
    app = app_at(training=True)
    kiosk, services = app.extensions["kiosk"], app.extensions["services"]
    client = app.test_client()
    for _ in range(5):
        login(client, "kpps2", "000000")
    assert login(client, "kpps2").status_code == 423
    kiosk.devices.card_reader.fail_next(CardUnreadable("test"))
    kiosk.devices.card_reader.insert("04A1B2C3D4E5F7")
    deadline = time.monotonic() + 5
    while not services.cards.has_failed_read():
        assert time.monotonic() < deadline, "the failed read was not seen"
        time.sleep(0.05)
    with kiosk.db.write() as conn:
        assert services.auth.clear_training_day(conn) == {}
        assert services.cards.clear_training_day(conn) == {}
        assert services.audit_trail.clear_training_day(conn) == {}
    assert not services.cards.has_failed_read()
    assert login(client, "kpps2").status_code == 302
    assert services.auth.owns == ("officer", "login_session")
    assert services.audit_trail.owns == ("audit_log", "audit_head")


def test_other_open_sessions_are_listed_for_the_reset(app_at):
    app = app_at(training=True)
    auth = app.extensions["services"].auth
    ketua = auth.login("kpps1", PINS["kpps1"], None)
    trainer = auth.login("pelatih", PINS["pelatih"], None)
    assert auth.open_sessions(but=trainer.id) == [ketua.id]
    auth.logout(ketua.id)
    assert auth.open_sessions(but=trainer.id) == []


# --- The one open-redirect guard (kiosk.views.access.safe_local_path) -------------------------

OFF_SITE = [
    "/\\evil.com",
    "//evil.com",
    "/%5Cevil.com",
    "/%2F/evil.com",
    "http://x",
    "evil.com",
    "/\t/evil.com",
    "javascript:alert(1)",
    "",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_safe_local_path_refuses_other_hosts(target):
    from kiosk.views.access import safe_local_path

    assert safe_local_path(target, "/home") == "/home"


@pytest.mark.parametrize("target", ["/ok?x=1", "/selftest/", "/chasil/PPWP/1"])
def test_safe_local_path_keeps_local_paths(target):
    from kiosk.views.access import safe_local_path

    assert safe_local_path(target, "/home") == target


@pytest.mark.parametrize("target", ["/\\evil.com", "//evil.com", "/%5Cevil.com", "http://x"])
def test_login_and_language_never_redirect_off_the_kiosk(app_at, target):
    app = app_at()
    client = app.test_client()
    token = csrf_token(client, "/login/")
    resp = client.post(
        "/login/pin/kpps1", data={"csrf_token": token, "pin": PINS["kpps1"], "next": target}
    )
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    token = csrf_token(client)  # a new session after the login
    resp = client.post("/lang/en", data={"csrf_token": token, "next": target})
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    resp = client.post("/lang/en", data={"csrf_token": token, "next": "/ok?x=1"})
    assert resp.headers["Location"] == "/ok?x=1"


# --- Permissions: the README lists exactly the ones the server checks -------------------------


def _checked_permissions() -> set[str]:
    """Every ``Permission.X`` the code uses outside the table itself (require(), may())."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "kiosk"
    used = set()
    for path in root.rglob("*.py"):
        if path.name == "roles.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "Permission"
            ):
                used.add(node.attr)
    return used


def test_readme_role_table_lists_exactly_the_checked_permissions():
    from pathlib import Path

    from kiosk.roles import markdown_table

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- roles:begin -->\n(.*?)<!-- roles:end -->", readme, re.S)
    assert block and block.group(1) == markdown_table()
    listed = set(re.findall(r"^\| `(\w+)` \|", block.group(1), re.M))
    assert listed == {p.value for p in Permission}
    assert {p.name for p in Permission} == _checked_permissions()
