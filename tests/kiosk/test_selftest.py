"""The self-test service (kiosk.services.selftest) and ``tps-kiosk selftest`` without the app."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from kiosk.refusals import Refused
from kiosk.services.selftest import SelftestCode
from tests.kiosk.conftest import csrf_token, login

ROOT = Path(__file__).resolve().parents[2]


def test_the_service_runs_keeps_prints_and_audits(app, kiosk):
    selftest = app.extensions["services"].selftest
    with app.test_request_context():
        try:
            selftest.print_report("receipt", None)
        except Refused as exc:
            assert exc.code is SelftestCode.NOT_RUN
            assert exc.message() == "Jalankan pemeriksaan perangkat terlebih dahulu."
        else:
            raise AssertionError("printed a report that was never made")
        report = selftest.run(test_print=False, by=None)
        assert report.ready and selftest.last_report()["ready"] is True
        lines = selftest.report_lines(selftest.last_report())
        assert lines[0].startswith("TPS ") and lines[-1].startswith("OK — Lampu status dan tombol")
        assert f"Kunci perangkat: {selftest.device_key_fingerprint()}" in lines
        selftest.print_report("nonsense", None)  # anything else: the receipt printer
    kinds = [(r["kind"], r["details"]) for r in kiosk.audit.rows()[:2]]
    assert kinds[0] == ("print", '{"document": "readiness_report", "printer": "receipt"}')
    assert kinds[1][0] == "selftest"


def test_the_training_day_forgets_the_reports(client, kiosk, app):
    login(client, "kpps1")
    client.post("/selftest/", data={"csrf_token": csrf_token(client, "/selftest/")})
    selftest = app.extensions["services"].selftest
    assert selftest.owns == ("selftest_report",)
    with kiosk.db.write() as conn:
        assert selftest.clear_training_day(conn) == {"selftest_report": 1}
    assert selftest.last_report() is None


def test_the_command_builds_no_web_app_threads_or_views(tmp_path):
    """``tps-kiosk selftest`` checks the devices only: no web app (its views), no card watch, no
    reminder bell, no queue lights."""
    probe = (
        "import sys, threading\n"
        "from kiosk.cli import main\n"
        "rc = main(['selftest'])\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('kiosk.views'))\n"
        "threads = sorted(t.name for t in threading.enumerate() if t.name != 'MainThread')\n"
        "print('PROBE', rc, loaded, threads)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "KIOSK_DATA_DIR": str(tmp_path), "KIOSK_HARDWARE": "fake"},
        check=False,
    )
    probe_line = [line for line in done.stdout.splitlines() if line.startswith("PROBE")]
    assert probe_line == ["PROBE 0 [] []"], done.stdout + done.stderr


def test_the_title_reader_is_checked_and_its_absence_named(app, monkeypatch):
    """Without Tesseract every scanned page would be held as not identified: the device check
    says so (a failed row, not a required one: scanning still works)."""
    import pytesseract

    selftest = app.extensions["services"].selftest
    with app.test_request_context():
        rows = {r.name: r for r in selftest.check().checks}
        assert rows["title_reader"].ok and rows["title_reader"].code == "title_reader"
        assert selftest.detail_words(rows["title_reader"].to_json()).startswith("Tesseract 5")
        monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
        report = selftest.check()
    row = next(r for r in report.checks if r.name == "title_reader")
    assert not row.ok and not row.required and report.ready
