"""Reminders of the day on the screen: shown when due, newest first, one tap away for good (also
after a restart, until "Reset latihan"); the countdown only while counting runs, and only to a
logged-in officer."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from kiosk import create_app
from kiosk.clock import ManualClock
from kiosk.settings import Settings
from kiosk.tps import SAMPLE_PROFILE
from tests.kiosk.conftest import csrf_token, login

WITA = dt.timezone(dt.timedelta(hours=8))


def at(hh: int, mm: int) -> dt.datetime:
    return dt.datetime(2024, 2, 14, hh, mm, tzinfo=WITA)


@pytest.fixture
def make(tmp_path):
    """A training kiosk on a clock the test moves; again on the same data folder = a restart."""
    made = []

    def build(now: dt.datetime):
        settings = Settings.from_values(data_dir=tmp_path / "data", hardware="fake", training=True)
        app = create_app(settings, provision_from=SAMPLE_PROFILE, clock=ManualClock(now))
        made.append(app.extensions["kiosk"])
        return app

    yield build
    for runtime in made:
        runtime.close()


def shown(app) -> list[str]:
    return [r.at.strftime("%H:%M") for r in app.extensions["services"].checklist.shown_reminders()]


def dismiss(client, hhmm: str, page: str = "/checklist/"):
    token = csrf_token(client, page)
    return client.post(f"/reminders/{hhmm}/dismiss", data={"csrf_token": token, "next": page})


def test_a_tapped_reminder_stays_away_after_a_restart_until_reset_latihan(make):
    app = make(at(13, 10))
    assert shown(app) == ["13:00", "12:55"]  # newest first: the screen shows the first
    client = app.test_client()  # nobody logged in: anyone at the kiosk may tap it away
    html = client.get("/").get_data(as_text=True)
    assert 'data-reminder="13:00"' in html and 'data-reminder="12:55"' not in html
    resp = dismiss(client, "1300", "/")
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    assert shown(app) == ["12:55"]
    app.extensions["kiosk"].close()

    again = make(at(13, 12))  # a power cut and back
    assert shown(again) == ["12:55"]
    html = again.test_client().get("/").get_data(as_text=True)
    assert 'data-reminder="12:55"' in html and 'data-reminder="13:00"' not in html

    trainer = again.test_client()
    login(trainer, "pelatih")
    with trainer.session_transaction() as s:
        session = again.extensions["kiosk"].auth.session(s["sid"])
    done = again.extensions["services"].training.reset(session)
    assert done.deleted["reminder_dismissed"] == 1
    assert shown(again) == ["13:00", "12:55"]  # the next group sees it again


def test_only_a_due_reminder_can_be_dismissed(make):
    app = make(at(10, 0))
    client = app.test_client()
    assert dismiss(client, "1100", "/").status_code == 404  # not due yet
    assert dismiss(client, "2561", "/").status_code == 404  # not a time
    assert dismiss(client, "1100x", "/").status_code == 404
    assert app.extensions["kiosk"].db.read("SELECT count(*) FROM reminder_dismissed")[0][0] == 0
    # A "next" off the kiosk is not followed.
    app.extensions["kiosk"].clock.base.advance(3600)  # 11.00: DPTb
    token = csrf_token(client, "/")
    resp = client.post("/reminders/1100/dismiss", data={"csrf_token": token, "next": "//evil"})
    assert resp.headers["Location"] == "/"


def test_a_dismissal_is_for_its_own_day(make):
    app = make(at(11, 5))
    dismiss(app.test_client(), "1100", "/")
    assert shown(app) == []
    app.extensions["kiosk"].clock.base.advance(24 * 3600)  # the next day, same time
    assert shown(app) == ["11:00"]


def record(app, phase: str, step: str) -> None:
    with app.extensions["kiosk"].db.write() as conn:
        conn.execute(
            "INSERT INTO checklist_record (phase, step, value, officer_id, wall, mono,"
            " clock_offset) VALUES (?, ?, ?, 'kpps1', ?, 0, 0)",
            (phase, step, json.dumps(True), at(13, 30).isoformat()),
        )


def test_the_countdown_runs_only_while_counting_and_only_for_officers(make):
    app = make(at(13, 30))
    status = app.extensions["services"].status
    assert status.day_banner(logged_in=True).counting_left is None  # not begun
    record(app, "penghitungan", "penghitungan_dimulai")
    left = status.day_banner(logged_in=True).counting_left
    assert left == dt.timedelta(hours=22, minutes=30)  # midnight + 12 h
    assert status.day_banner(logged_in=False).counting_left is None
    ketua, nobody = app.test_client(), app.test_client()
    login(ketua, "kpps1")
    assert 'id="counting-left"' in ketua.get("/").get_data(as_text=True)
    assert 'id="counting-left"' not in nobody.get("/").get_data(as_text=True)
    record(app, "penghitungan", "penghitungan_ditandatangani")  # counting signed off
    assert status.day_banner(logged_in=True).counting_left is None
    assert 'id="counting-left"' not in ketua.get("/").get_data(as_text=True)
