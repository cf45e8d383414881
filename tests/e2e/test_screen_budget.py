"""The screen budget at 800×480 (../shared/TOUCH.md): on every main screen of a training kiosk in
the middle of counting — a reminder due, the countdown running — the chrome above the page
(header[data-chrome]) takes at most 96 px, also at 1280×800 and both portraits, and the page's
primary action ([data-primary]) is on screen without scrolling. Reminders go away with one tap
and stay away; the countdown is for the officers at work only; the on-screen keyboard never
covers the field being typed.

Viewport screenshots of every screen in both languages: artifacts/screenshots/screen-*.png.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import waitress
from playwright.sync_api import Page, expect

from kiosk import create_app
from kiosk.clock import ManualClock
from kiosk.settings import Settings
from kiosk.tps import SAMPLE_PROFILE
from tests.chasil.test_chasil_http import GOOD, form
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.touch import CHROME_MAX_PX, chrome_px, in_view
from tests.kiosk.conftest import PINS, csrf_token, login
from tests.kiosk.day import checklist_step, day_settings, to_counting
from tests.kiosk.signing import signed_document

WITA = dt.timezone(dt.timedelta(hours=8))
# DPR's sheet of the sample day with more than 10 % invalid votes: every sum right, one warning.
DPR_WARNED = {k: v for k, v in GOOD.items() if not k.startswith("V.")} | {
    "P.0": 10,
    "P.0.0": 50,
    "P.0.1": 40,
    "P.1": 5,
    "P.1.0": 85,
    "P.1.1": 2,
    "P.1.2": 1,
    "S": 193,
    "T": 22,
}


@dataclass
class Day:
    url: str
    clock: ManualClock
    doc: str
    held: int  # DPD's page, held as another ballot's sheet


def _counting_under_way(app: Any, clock: ManualClock) -> str:
    """Through opening, voting and closing to 13.10 with counting begun and PPWP's document
    signed; DPR's numbers entered once. Returns the PPWP document's id."""
    to_counting(app, clock)
    ketua, anggota = app.test_client(), app.test_client()
    assert login(ketua, "kpps1").status_code == 302
    assert login(anggota, "kpps2").status_code == 302
    doc = signed_document(ketua)
    # DPR typed once, adding up but with 22 invalid votes of 215 (rule 15, a warning): its
    # confirm page lists the finding and asks for the special incident note.
    anggota.post("/chasil/DPR/1", data=form(DPR_WARNED, csrf_token(anggota, "/chasil/DPR/1")))
    # The device check ran (its report is on the self-test screen).
    app.extensions["kiosk"].services.selftest.run(False, None)
    # DPD scanned from the wrong sheet (the trainer's "Lembar salah"): its page is held.
    app.extensions["kiosk"].devices.scanner.feed_wrong_sheet()
    token = csrf_token(anggota, "/chasil/DPD/scan")
    anggota.post("/chasil/DPD/scan", data={"csrf_token": token, "source": "flatbed"})
    clock.advance(10 * 60)  # 13.10: the 13.00 reminder is still due, counting runs
    return str(doc)


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Day]:
    settings = day_settings(tmp_path_factory.mktemp("budget") / "data")
    clock = ManualClock(dt.datetime(2024, 2, 14, 6, 30, tzinfo=WITA))
    app = create_app(settings, provision_from=SAMPLE_PROFILE, clock=clock)
    doc = _counting_under_way(app, clock)
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    (held,) = app.extensions["kiosk"].services.documents.pages("DPD")
    # PPWP's page is read: its paper differs from the typed sheet in three boxes.
    assert app.extensions["kiosk"].services.readings.wait_idle(60)
    url = f"http://127.0.0.1:{server.effective_port}"  # type: ignore[union-attr]
    yield Day(url, clock, doc, held.id)
    server.close()
    app.extensions["kiosk"].close()


def log_in(page: Page, url: str, officer: str = "kpps1", name: str = "Siti Aminah") -> None:
    page.goto(url + "/login/")
    page.get_by_role("link", name=name).click()
    for key in PINS[officer]:
        page.locator(f".keypad button[data-key='{key}']").click()
    page.locator(".keypad button[type=submit]").click()
    expect(page.locator(".who")).to_contain_text(name)


def to_english(page: Page) -> None:
    page.locator("header[data-chrome] button", has_text="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


# (name, path, who logs in, does the page have a primary action)
SCREENS = [
    ("home-logged-out", "/", None, True),
    ("login", "/login/", None, True),
    ("pin", "/login/pin/kpps1", None, True),
    ("home", "/", "kpps1", True),
    ("selftest", "/selftest/", "kpps1", True),
    ("checklist", "/checklist/", "kpps1", True),
    ("checklist-step", "/checklist/step/surat_suara_sisa", "kpps1", True),
    ("checklist-signoff", "/checklist/step/penghitungan_ditandatangani", "kpps1", True),
    ("incidents", "/incidents/", "kpps1", True),
    ("chasil-index", "/chasil/", "kpps1", True),
    ("chasil-entry", "/chasil/DPR/2", "kpps1", True),
    ("chasil-confirm", "/chasil/DPR/confirm", "kpps1", True),
    ("chasil-paper", "/chasil/PPWP/paper", "kpps1", True),
    ("scan", "/chasil/DPR/scan", "kpps1", True),
    ("scan-page", "/chasil/PPWP/scan", "kpps1", True),
    ("scan-wrong-sheet", "/chasil/DPD/scan", "kpps1", True),
    ("scan-use", "/chasil/DPD/pages/{held}/use", "kpps1", True),
    ("document", "/documents/{doc}", "kpps1", True),
    ("document-print", "/documents/{doc}?step=2", "kpps1", True),
    ("document-receipt", "/documents/{doc}?step=3", "kpps1", True),
    ("queue", "/antrian", "kpps1", True),
    ("audit", "/audit/", "kpps1", True),
    ("trainer", "/pelatih/", "pelatih", False),
    ("trainer-faults", "/pelatih/fault", "pelatih", False),
]
NAMES = {"kpps1": "Siti Aminah", "pelatih": "Pelatih Bimtek"}


def open_screen(page: Page, day: Day, path: str, who: str | None, lang: str) -> None:
    page.set_viewport_size({"width": 800, "height": 480})
    if who:
        log_in(page, day.url, who, NAMES[who])
    else:
        page.goto(day.url + "/")
    if lang == "en":
        to_english(page)
    page.goto(day.url + path.format(doc=day.doc, held=day.held))
    assert page.url.endswith(path.format(doc=day.doc, held=day.held)), page.url


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize(
    ("name", "path", "who", "has_primary"), SCREENS, ids=[s[0] for s in SCREENS]
)
def test_chrome_fits_and_the_primary_action_is_on_screen(
    page: Page,
    day: Day,
    name: str,
    path: str,
    who: str | None,
    has_primary: bool,
    lang: str,
) -> None:
    open_screen(page, day, path, who, lang)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"screen-{lang}-{name}-800x480.png"))
    assert page.locator("body.training").count() == 1
    assert chrome_px(page) <= CHROME_MAX_PX, f"{name} ({lang}): chrome {chrome_px(page)} px"
    if who == "kpps1":  # the day line of 13.10: the newest reminder and the countdown
        expect(page.locator(".reminder[data-reminder='13:00']")).to_be_visible()
        expect(page.locator("#counting-left")).to_be_visible()
    for target in page.locator("header[data-chrome] :is(a.lang, button)").all():
        box = target.bounding_box()
        assert box and box["height"] >= 48 and box["width"] >= 48, (name, target.inner_text())
    if not has_primary:  # none marked yet: reported, not invented
        return
    primary = page.locator("[data-primary]:visible").first
    expect(primary).to_be_visible()
    assert page.evaluate("window.scrollY") == 0
    assert in_view(page, primary), f"{name} ({lang}): {primary.bounding_box()}"


SIZES = [(1280, 800), (480, 800), (800, 1280), (800, 480)]


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize(("width", "height"), SIZES)
def test_chrome_and_the_primary_action_fit_at_every_panel_size(
    page: Page, day: Day, width: int, height: int, lang: str
) -> None:
    log_in(page, day.url)
    if lang == "en":
        to_english(page)
    page.set_viewport_size({"width": width, "height": height})
    for name, path, who, has_primary in SCREENS:
        if who != "kpps1":
            continue
        page.goto(day.url + path.format(doc=day.doc, held=day.held))
        where = f"{name} at {width}x{height} ({lang})"
        assert chrome_px(page) <= CHROME_MAX_PX, where
        if has_primary:  # the next action is in view at every panel size, without scrolling
            primary = page.locator("[data-primary]:visible").first
            assert page.evaluate("window.scrollY") == 0, where
            assert in_view(page, primary), f"{where}: {primary.bounding_box()}"
        # "Log out" (and "Keluar") on one line: its text makes a single line box.
        for button in page.locator("header[data-chrome] form button.lang").all():
            lines = button.evaluate(
                "b => { const r = document.createRange(); r.selectNodeContents(b);"
                " return new Set([...r.getClientRects()].map(c => Math.round(c.top))).size; }"
            )
            if button.inner_text() in ("Log out", "Keluar"):
                assert lines == 1, f"{button.inner_text()!r} wraps at {width}x{height}"
    page.screenshot(path=str(ARTIFACTS / f"screen-{lang}-chrome-{width}x{height}.png"))


def test_a_tapped_reminder_stays_away_and_the_countdown_is_for_officers(
    page: Page, day: Day
) -> None:
    page.set_viewport_size({"width": 800, "height": 480})
    log_in(page, day.url)
    reminder = page.locator(".reminder[data-reminder='13:00']")
    expect(reminder).to_have_count(1)
    assert (
        reminder.locator(".reminder-text").evaluate(  # one line
            "t => { const r = document.createRange(); r.selectNodeContents(t);"
            " return new Set([...r.getClientRects()].map(c => Math.round(c.top))).size; }"
        )
        == 1
    )
    page.goto(day.url + "/chasil/")
    page.locator(".reminder[data-reminder='13:00']").click()
    assert page.url.endswith("/chasil/")  # back where the tap was
    expect(page.locator(".reminder[data-reminder='13:00']")).to_have_count(0)
    # The one before it (12.55, due until 13.25) comes next, and goes the same way.
    page.locator(".reminder[data-reminder='12:55']").click()
    expect(page.locator(".reminder")).to_have_count(0)
    page.reload()
    page.goto(day.url + "/")
    expect(page.locator(".reminder")).to_have_count(0)
    expect(page.locator("#counting-left")).to_be_visible()
    page.locator("header[data-chrome] button", has_text="Keluar").click()
    expect(page.locator(".who")).to_have_count(0)
    expect(page.locator("#counting-left")).to_have_count(0)
    expect(page.locator(".reminder")).to_have_count(0)


def _field_above_keyboard(page: Page, field: Any, what: str) -> None:
    field.click()
    osk = page.locator(".osk")
    expect(osk).to_be_visible()
    page.wait_for_timeout(400)  # the scroll into view is smooth on some builds
    top_of_keys = osk.bounding_box()["y"]
    box = field.bounding_box()
    assert box is not None
    assert box["y"] >= 0, f"{what}: the field is above the screen {box}"
    assert box["y"] + box["height"] <= top_of_keys, f"{what}: {box} under the keys at {top_of_keys}"
    # And it stays so while typing: the first letter moves nothing under the keys.
    osk.locator("button[data-osk-key='a']").click()
    box = field.bounding_box()
    assert box is not None and box["y"] + box["height"] <= osk.bounding_box()["y"]


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_text_keyboard_never_covers_the_field(page: Page, day: Day, lang: str) -> None:
    page.set_viewport_size({"width": 800, "height": 480})
    log_in(page, day.url)
    if lang == "en":
        to_english(page)
    page.goto(day.url + "/incidents/")
    _field_above_keyboard(page, page.locator("input[name=reporter]"), "incident reporter")
    page.screenshot(path=str(ARTIFACTS / f"screen-{lang}-keyboard-reporter-800x480.png"))
    _field_above_keyboard(page, page.locator("textarea[name=text]"), "incident text")
    page.goto(day.url + "/chasil/DPR/confirm")
    _field_above_keyboard(page, page.locator("textarea#note"), "C.Hasil warning note")
    page.screenshot(path=str(ARTIFACTS / f"screen-{lang}-keyboard-note-800x480.png"))


def test_the_keyboard_shows_the_late_opening_reason(
    page: Page, tmp_path: Any, browser: Any
) -> None:
    """A fresh day at 07.20: the opening meeting is late and asks for the reason."""
    settings = Settings.from_values(data_dir=tmp_path / "data", hardware="fake", training=True)
    clock = ManualClock(dt.datetime(2024, 2, 14, 6, 30, tzinfo=WITA))
    app = create_app(settings, provision_from=SAMPLE_PROFILE, clock=clock)
    ketua, anggota = app.test_client(), app.test_client()
    login(ketua, "kpps1")
    login(anggota, "kpps2")
    for step_id in ("tps_didirikan", "daftar_diumumkan", "logistik"):
        checklist_step(anggota, step_id)
    checklist_step(anggota, "mandat_saksi", value="3")
    checklist_step(ketua, "persiapan_ditandatangani")
    checklist_step(ketua, "jam_dikonfirmasi", action="set", time="0720")
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=2)
    threading.Thread(target=server.run, daemon=True).start()
    url = f"http://127.0.0.1:{server.effective_port}"  # type: ignore[union-attr]
    try:
        page.set_viewport_size({"width": 800, "height": 480})
        log_in(page, url)
        page.goto(url + "/checklist/step/rapat_dibuka")
        reason = page.locator("section[data-step='rapat_dibuka'] textarea[name=reason]")
        _field_above_keyboard(page, reason, "late-opening reason")
        page.screenshot(path=str(ARTIFACTS / "screen-id-keyboard-late-reason-800x480.png"))
    finally:
        server.close()
        app.extensions["kiosk"].close()


def test_a_reminder_cut_short_in_portrait_opens_whole_on_the_first_tap(
    page: Page, tmp_path: Any
) -> None:
    """At 480×800 the day line leaves the reminder a few words and an ellipsis: the first tap
    shows all of it, the next puts it away."""
    settings = Settings.from_values(data_dir=tmp_path / "data", hardware="fake", training=True)
    clock = ManualClock(dt.datetime(2024, 2, 14, 11, 5, tzinfo=WITA))  # DPTb from 11.00
    app = create_app(settings, provision_from=SAMPLE_PROFILE, clock=clock)
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=2)
    threading.Thread(target=server.run, daemon=True).start()
    url = f"http://127.0.0.1:{server.effective_port}"  # type: ignore[union-attr]
    try:
        page.set_viewport_size({"width": 480, "height": 800})
        log_in(page, url)
        reminder = page.locator(".reminder[data-reminder='11:00']")
        text = reminder.locator(".reminder-text")
        assert text.evaluate("t => t.scrollWidth > t.clientWidth")  # cut short, one line
        assert text.evaluate("t => getComputedStyle(t).textOverflow") == "ellipsis"
        reminder.click()
        expect(reminder).to_have_class(re.compile(r"\bopen\b"))
        assert page.url == url + "/"  # not sent: nothing dismissed yet
        assert text.evaluate("t => t.scrollWidth <= t.clientWidth")  # all of it shows
        box = reminder.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 800
        page.screenshot(path=str(ARTIFACTS / "screen-id-reminder-open-480x800.png"))
        reminder.click()
        expect(page.locator(".reminder")).to_have_count(0)
        assert chrome_px(page) <= CHROME_MAX_PX
    finally:
        server.close()
        app.extensions["kiosk"].close()
