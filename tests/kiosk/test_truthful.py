"""Screens that tell the truth (issue 16): the next step is one that can be done now, the
status strip is the same everywhere and shows a device fault while it lasts, a fault names its
device and "Ulangi" repeats what failed, a card tapped on home opens the PIN screen, a lockout
says who can help and when, and a refused number is shown at its box."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from drivers.printer import PrinterState
from kiosk import create_app
from kiosk.clock import ManualClock
from kiosk.settings import Settings
from kiosk.tps import SAMPLE_PROFILE
from tests.kiosk.conftest import csrf_token, login
from tests.kiosk.test_next_step import next_button, next_of

WITA = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def clock():
    return ManualClock(dt.datetime(2024, 2, 14, 6, 30, tzinfo=WITA))


@pytest.fixture
def app(tmp_path, clock):
    settings = Settings.from_values(data_dir=tmp_path / "data", hardware="fake", training=True)
    app = create_app(settings, provision_from=SAMPLE_PROFILE, clock=clock)
    yield app
    app.extensions["kiosk"].close()


@pytest.fixture
def ketua(app):
    """The Ketua logged in, the devices checked."""
    client = app.test_client()
    login(client, "kpps1")
    client.post("/selftest/", data={"csrf_token": csrf_token(client, "/selftest/")})
    return client


def record(app, *steps):
    """Record checklist steps as done (as the checklist screen would have)."""
    values = {
        "surat_suara_diterima": {"PPWP": 300, "DPR": 300, "DPD": 300},
        "mandat_saksi": 2,
        "jam_dikonfirmasi": {"confirm": True},
    }
    kiosk = app.extensions["kiosk"]
    with kiosk.db.write() as conn:
        for step in steps:
            conn.execute(
                "INSERT INTO checklist_record (phase, step, value, officer_id, wall, mono,"
                " clock_offset) VALUES ('', ?, ?, 'kpps1', ?, 0, 0)",
                (step, json.dumps(values.get(step, True)), kiosk.clock.now().isoformat()),
            )


PERSIAPAN = (
    "tps_didirikan",
    "daftar_diumumkan",
    "logistik",
    "mandat_saksi",
    "persiapan_ditandatangani",
)


def strip(client, path) -> str:
    """The status strip of a page, whitespace folded."""
    html = client.get(path).get_data(as_text=True)
    start = html.index('id="status-strip"')
    end = html.index('id="clock"', start)
    return re.sub(r"\s+", " ", html[start:end])


def pill(client, path, name) -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(rf'<span class="pill ([^"]*)" data-status="{name}">([^<]*)</span>', html)
    assert match, f"no {name} pill on {path}"
    return f"{match.group(1)}|{match.group(2)}"


# 1. The next step is one that can be done now ---------------------------------------------------


def test_at_0659_home_says_when_the_opening_starts_instead_of_a_refused_sign_off(app, ketua, clock):
    # Everything of the opening that the checklist takes early is done; the meeting opens at
    # 07.00, so the sign-off would be refused.
    record(app, *PERSIAPAN, "jam_dikonfirmasi", "sumpah", "kotak_kosong", "surat_suara_diterima")
    clock.advance(29 * 60)  # 06:59
    login(ketua, "kpps1")  # again: the session timed out while the clock moved
    kind, text = next_of(ketua)
    assert kind == "wait"
    assert text == (
        "Mulai pukul 07:00 WITA: Ketua KPPS membuka rapat pemungutan suara. Sampai saat "
        "itu belum ada yang perlu dikerjakan di sini."
    )
    assert next_button(ketua) is None  # no button to a step that would be refused
    clock.advance(60)  # 07:00: now it can be done, and the button is there
    assert next_of(ketua) == ("checklist", "Berikutnya: Ketua KPPS membuka rapat pemungutan suara")
    assert next_button(ketua) == "/checklist/step/rapat_dibuka"


# 2. The status strip is the same on every page and shows a fault while it lasts ---------------


def test_the_status_strip_is_the_same_on_every_page(app, ketua):
    home = strip(ketua, "/")
    assert "Printer: siap" in home
    for path in ("/chasil/", "/checklist/", "/selftest/", "/antrian", "/incidents/"):
        assert strip(ketua, path) == home, path


@pytest.mark.parametrize(
    ("target", "device", "title", "name"),
    [
        ("a4", "document_printer", "Printer A4: Kertas habis", "Printer A4"),
        ("receipt", "receipt_printer", "Printer struk: Kertas habis", "Printer struk"),
    ],
)
def test_a_printer_fault_names_the_printer_and_stays_in_the_strip_until_it_is_seen_well(
    app, ketua, target, device, title, name
):
    kiosk = app.extensions["kiosk"]
    printer = getattr(kiosk.devices, device)
    printer.set_state(PrinterState.PAPER_OUT)
    token = csrf_token(ketua, "/checklist/")
    resp = ketua.post("/checklist/report/opening", data={"csrf_token": token, "printer": target})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 503
    assert f"<h1>{title}</h1>" in html
    # "Ulangi" sends the same form to the same place again, not back to the page before.
    form = re.search(
        r'<form method="post" action="([^"]*)" class="kept-form" id="retry-form">'
        r"(.*?)</form>",
        html,
        re.S,
    )
    assert form and form.group(1) == "/checklist/report/opening"
    assert f'name="printer" value="{target}"' in form.group(2)
    assert re.search(r'id="retry"[^>]*>Ulangi</button>', form.group(2))
    # The strip names the printer on every page while the fault lasts, though the self-test
    # said ready.
    for path in ("/", "/chasil/", "/checklist/"):
        assert pill(ketua, path, "printer") == f"bad|{name}: belum siap", path
    # Paper in: the next page looks at the printer (a status request, nothing printed) and
    # the strip says ready at once, before anyone prints again.
    printer.set_state(PrinterState.READY)
    assert pill(ketua, "/", "printer") == "ok|Printer: siap"
    # Ulangi: the same request, now printed.
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(2)))
    assert ketua.post(form.group(1), data=fields).status_code == 302
    assert pill(ketua, "/", "printer") == "ok|Printer: siap"


def test_a_printer_that_cannot_tell_its_state_keeps_its_fault_until_it_prints(app, ketua):
    printer = app.extensions["kiosk"].devices.receipt_printer
    printer.set_state(PrinterState.PAPER_OUT)
    token = csrf_token(ketua, "/checklist/")
    form = {"csrf_token": token, "printer": "receipt"}
    assert ketua.post("/checklist/report/opening", data=form).status_code == 503
    printer.set_state(PrinterState.UNKNOWN)  # prints, but reports no status: not judged
    assert pill(ketua, "/", "printer") == "bad|Printer struk: belum siap"
    assert ketua.post("/checklist/report/opening", data=form).status_code == 302
    assert pill(ketua, "/", "printer") == "ok|Printer: siap"


def test_a_failed_self_test_names_the_printer_in_the_strip(app, ketua):
    kiosk = app.extensions["kiosk"]
    kiosk.devices.receipt_printer.set_state(PrinterState.OFFLINE)
    kiosk.devices.document_printer.set_state(PrinterState.COVER_OPEN)
    ketua.post("/selftest/", data={"csrf_token": csrf_token(ketua, "/selftest/")})
    assert pill(ketua, "/", "printer") == "bad|Printer struk, Printer A4: belum siap"


def test_a_newer_self_test_speaks_for_a_printer_that_failed(app, ketua, clock):
    kiosk = app.extensions["kiosk"]
    kiosk.devices.document_printer.set_state(PrinterState.COVER_OPEN)
    token = csrf_token(ketua, "/checklist/")
    ketua.post("/checklist/report/opening", data={"csrf_token": token, "printer": "a4"})
    assert pill(ketua, "/", "printer") == "bad|Printer A4: belum siap"
    kiosk.devices.document_printer.set_state(PrinterState.READY)
    clock.advance(20)  # the technician looks at the printer, then checks the devices
    ketua.post("/selftest/", data={"csrf_token": csrf_token(ketua, "/selftest/")})
    assert pill(ketua, "/", "printer") == "ok|Printer: siap"


def test_a_failed_self_test_offers_ulangi_which_runs_it_again(app, ketua):
    kiosk = app.extensions["kiosk"]
    kiosk.devices.document_printer.set_state(PrinterState.OFFLINE)
    ketua.post("/selftest/", data={"csrf_token": csrf_token(ketua, "/selftest/")})
    html = ketua.get("/selftest/").get_data(as_text=True)
    assert "tekan Ulangi" in html
    form = re.search(r'<form method="post" action="(/selftest/)"[^>]*>(.*?)</form>', html, re.S)
    assert form and re.search(
        r'<button class="big primary"[^>]*id="retry"[^>]*>Ulangi<', form.group(2)
    )
    kiosk.devices.document_printer.set_state(PrinterState.READY)
    ketua.post("/selftest/", data={"csrf_token": csrf_token(ketua, "/selftest/")})
    html = ketua.get("/selftest/").get_data(as_text=True)
    assert 'id="retry"' not in html and 'id="verdict"' in html


# 5. A card tapped on home opens that officer's PIN screen ---------------------------------------


def test_home_waits_for_a_card_and_the_login_page_opens_its_pin_screen(app):
    client = app.test_client()
    html = client.get("/").get_data(as_text=True)
    assert re.search(r'data-card-poll="" data-url="/login/card" data-go="/login/"', html)
    assert "/static/cardpoll.js" in html
    kiosk = app.extensions["kiosk"]
    kiosk.devices.card_reader.insert("04A1B2C3D4E5F6")  # Siti's card
    assert kiosk.card_watch.wait_for(present=True, timeout_s=5)
    assert client.get("/login/card").get_json()["card"] == "04A1B2C3D4E5F6"
    resp = client.get("/login/")
    assert resp.status_code == 302 and resp.location.startswith("/login/pin/kpps1")


# 6. A lockout says who can help, and until when on the kiosk's clock ---------------------------


@pytest.mark.parametrize(
    ("officer", "helper", "not_said"),
    [
        ("kpps1", "Hubungi teknisi, atau tunggu sampai saat itu.", "Ketua KPPS"),
        ("kpps2", "Minta bantuan Ketua KPPS, atau tunggu sampai saat itu.", "teknisi"),
    ],
)
def test_a_lockout_says_who_can_help_and_until_when(app, clock, officer, helper, not_said):
    client = app.test_client()
    clock.advance(15)  # 06:30:15: locked for 60 s, until 06:31:15 → "06:32" is when it is over
    for _ in range(5):
        resp = login(client, officer, "000000")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 423
    message = re.search(r'<p class="bad" role="alert" id="pin-error">([^<]*)</p>', html).group(1)
    assert message == f"Terlalu banyak PIN salah: terkunci sampai 06:32 WITA. {helper}"
    assert not_said not in message


# 7. A refused number is shown at its box, named ----------------------------------------------


def test_a_refused_number_is_shown_at_its_box_with_the_other_boxes_kept(app, ketua, clock):
    record(app, *PERSIAPAN, "jam_dikonfirmasi")
    clock.advance(30 * 60)  # 07:00
    login(ketua, "kpps1")  # again: the session timed out while the clock moved
    token = csrf_token(ketua, "/checklist/")
    resp = ketua.post(
        "/checklist/surat_suara_diterima",
        data={"csrf_token": token, "value:PPWP": "312", "value:DPR": "3l2", "value:DPD": "312"},
        follow_redirects=True,
    )
    html = resp.get_data(as_text=True)
    assert 'class="flash"' not in html  # not at the top of the page
    step = html.split('data-step="surat_suara_diterima"', 1)[1].split("</form>", 1)[0]
    assert re.search(r'name="value:DPR"[^>]*aria-invalid="true"', step)
    error = re.search(r'<p class="bad field-error"[^>]*data-field="DPR">([^<]*)</p>', step)
    assert error and error.group(1) == "DPR: Masukkan bilangan bulat saja."
    # Just above the DPR box (below the PPWP one), and what was typed in the others is kept.
    assert (
        step.index('name="value:PPWP"') < step.index("field-error") < step.index('name="value:DPR"')
    )
    assert re.search(r'name="value:PPWP"[^>]*value="312"', step)
    # Once: the next look at the page has no error.
    again = ketua.get("/checklist/step/surat_suara_diterima").get_data(as_text=True)
    assert "field-error" not in again


def test_no_view_shadows_a_name_every_page_relies_on():
    """A view passing its own "status" once hid the status strip's numbers on /chasil/: the
    names the context processors give every page are never passed by a view."""
    import ast
    from pathlib import Path

    views = Path(__file__).resolve().parents[2] / "kiosk" / "views"
    common: set[str] = set()
    passed: dict[str, str] = {}
    for path in views.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and any(
                "context_processor" in ast.unparse(d) for d in node.decorator_list
            ):
                for ret in ast.walk(node):
                    if isinstance(ret, ast.Return) and isinstance(ret.value, ast.Dict):
                        common |= {k.value for k in ret.value.keys if isinstance(k, ast.Constant)}
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "render_template":
                for kw in node.keywords:
                    if kw.arg:
                        passed[kw.arg] = f"{path.name}:{node.lineno}"
    assert {"status_strip", "me", "reminders"} <= common  # the test sees the processors
    assert {k: v for k, v in passed.items() if k in common} == {}
