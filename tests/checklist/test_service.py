"""The checklist's rules live in its services, not in the screens: refusals with wording in
both languages, the Ketua-only sign-off, the scan step at the ``scanner_dpi`` resolution, and
each owner clearing its training day."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from PIL import Image

from kiosk import create_app
from kiosk.checklist.model import parse
from kiosk.checklist.refusals import CHECKLIST_WORDING, ChecklistCode
from kiosk.checklist.scan_step import ScanStep
from kiosk.checklist.service import ChecklistService
from kiosk.clock import ManualClock
from kiosk.i18n import in_language
from kiosk.refusals import KioskCode, Refused
from kiosk.services.printing import ReportPrinter
from kiosk.settings import Settings
from kiosk.tps import SAMPLE_PROFILE
from tests.kiosk.conftest import login

WITA = dt.timezone(dt.timedelta(hours=8))
DPI = 100


@pytest.fixture
def runtime(tmp_path):
    clock = ManualClock(dt.datetime(2024, 2, 14, 6, 0, tzinfo=WITA))
    settings = Settings.from_values(
        data_dir=tmp_path / "data", hardware="fake", training=True, scanner_dpi=DPI
    )
    app = create_app(settings, provision_from=SAMPLE_PROFILE, clock=clock)
    runtime = app.extensions["kiosk"]
    runtime.app = app
    yield runtime
    runtime.close()


def session_of(runtime, officer_id):
    client = runtime.app.test_client()
    login(client, officer_id)
    with client.session_transaction() as s:
        return runtime.auth.session(s["sid"])


def steps_recorded(runtime):
    return {r["step"] for r in runtime.db.read("SELECT step FROM checklist_record")}


@pytest.mark.parametrize("language", ["id", "en"])
def test_every_checklist_code_has_wording(language):
    with in_language(language):
        for code in ChecklistCode:
            text = Refused(
                code,
                time="07:00",
                steps="A; B",
                n=12,
                ballots="PPWP",
                expected=224,
                dpt=220,
                reserve="2",
            ).message()
            assert text.strip(), code
    with in_language("id"):
        indonesian = {c: str(CHECKLIST_WORDING[c]) for c in ChecklistCode}
    with in_language("en"):
        english = {c: str(CHECKLIST_WORDING[c]) for c in ChecklistCode}
    assert [c for c in ChecklistCode if indonesian[c] == english[c]] == []  # all translated


def test_a_signoff_by_a_non_ketua_is_refused_by_the_service(runtime):
    checklist = runtime.services.checklist
    anggota, ketua = session_of(runtime, "kpps2"), session_of(runtime, "kpps1")
    with pytest.raises(Refused) as refused:
        checklist.record("persiapan_ditandatangani", True, anggota)
    # Refused for the role before anything else: the steps before it are not done either.
    assert refused.value.code is ChecklistCode.KETUA_ONLY
    with pytest.raises(Refused) as refused:
        checklist.record("persiapan_ditandatangani", True, ketua)
    assert refused.value.code is ChecklistCode.STEPS_MISSING
    assert "persiapan_ditandatangani" not in steps_recorded(runtime)


MINI = """
name = "Scan only"
election = "pemilu"

[[phases]]
id = "hari"
title = "Hari"
title_en = "Day"

[[phases.steps]]
id = "foto"
kind = "scan"
title = "Foto"
title_en = "Photo"

[[phases.steps]]
id = "hari_ditandatangani"
kind = "signoff"
title = "Tanda tangan"
title_en = "Sign-off"
"""


def test_the_scan_step_scans_at_the_scanner_dpi_setting(runtime):
    services, devices = runtime.services, runtime.devices
    folder = runtime.settings.data_dir / "checklist"
    checklist = ChecklistService(
        runtime.db,
        runtime.audit,
        runtime.clock,
        services.clock,
        parse(MINI),
        runtime.profile,
        services.counting,
        ScanStep(devices.scanner, runtime.settings.scanner_dpi, folder),
        ReportPrinter(None, None, True, runtime.settings.data_dir / "spool"),
        services.incidents.lines,
        True,
    )
    checklist.record("foto", None, session_of(runtime, "kpps2"))
    value = json.loads(
        runtime.db.read("SELECT value FROM checklist_record WHERE step = 'foto'")[0]["value"]
    )
    path = Path(value["file"])
    assert path == folder / "foto.png"
    assert value["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    with Image.open(path) as page:  # an A4 page at 100 dpi: 826 dots wide (not 200 dpi's 1653)
        assert page.width == int(210 / 25.4 * DPI)


def test_each_owner_clears_its_training_day(runtime):
    services = runtime.services
    ketua = session_of(runtime, "kpps1")
    services.checklist.record("tps_didirikan", True, ketua)
    services.incidents.record("kejadian", "Kotak suara terlambat.", "", ketua)
    services.checklist.set_clock(runtime.clock.now() + dt.timedelta(minutes=7), ketua)
    assert services.clock.saved() > 0 and runtime.clock.offset_s > 0
    runtime.clock.base.advance(4 * 3600 + 53 * 60)  # 11.00 on the kiosk's clock: DPTb
    bell = runtime.bell
    assert bell.tick() == 1 and bell.tick() == 0
    with runtime.db.write() as conn:
        deleted = {}
        for owner in (services.checklist, services.incidents, services.clock):
            deleted.update(owner.clear_training_day(conn))
    assert deleted == {
        "checklist_record": 1,
        "reminder_dismissed": 0,
        "incident": 1,
        "clock_offset": 1,
    }
    for owner in (services.checklist, services.incidents, services.clock):
        for table in owner.owns:
            assert runtime.db.read(f"SELECT count(*) FROM {table}")[0][0] == 0
    assert runtime.clock.offset_s == 0 and services.clock.saved() == 0
    runtime.clock.base.advance(7 * 60)  # the same reminder, still on screen without the offset
    assert bell.tick() == 1  # forgotten with the day: it rings for the next group
    assert services.incidents.all() == []


def test_an_unprovisioned_kiosk_refuses_the_day(tmp_path):
    settings = Settings.from_values(data_dir=tmp_path / "data", hardware="fake")
    app = create_app(settings)
    runtime = app.extensions["kiosk"]
    try:
        services = runtime.services
        with pytest.raises(Refused) as refused:
            services.checklist.phases()
        assert refused.value.code is KioskCode.NOT_PROVISIONED
        assert services.checklist.received_at_opening("PPWP") is None
        banner = services.status.day_banner(logged_in=True)
        assert banner.reminders == [] and banner.counting_left is None
    finally:
        runtime.close()
