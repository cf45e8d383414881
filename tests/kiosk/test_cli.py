from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "kiosk.cli"]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env.update({"KIOSK_DATA_DIR": str(tmp_path / "data"), "HOME": str(tmp_path)}, **extra)
    return env


def run_cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(tmp_path, **env),
        check=False,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_demo_serves_the_simulasi_page_within_10_seconds(tmp_path):
    port = _free_port()
    started = time.monotonic()
    proc = subprocess.Popen(
        [*CLI, "demo", "--port", str(port)],
        cwd=ROOT,
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        html = ""
        while time.monotonic() - started < 10 and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as resp:
                    html = resp.read().decode()
                break
            except OSError:
                time.sleep(0.1)
        assert "SIMULASI" in html, proc.stdout.read().decode() if proc.poll() is not None else ""
        assert "6474010001005" in html
        # The demo also runs the upload worker (and the training collector, port allowing).
        companions = Path(_env(tmp_path)["KIOSK_DATA_DIR"]) / "demo-companions.log"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if companions.exists() and "upload worker on" in companions.read_text():
                break
            time.sleep(0.1)
        assert "upload worker on" in companions.read_text()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_demo_data_goes_to_the_users_demo_directory(tmp_path):
    env = _env(tmp_path)
    del env["KIOSK_DATA_DIR"]
    port = _free_port()
    proc = subprocess.Popen(
        [*CLI, "demo", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        db = tmp_path / ".local/share/tps-kiosk-demo/kiosk.sqlite3"
        deadline = time.monotonic() + 10
        while not db.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert db.exists()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_selftest_json_with_fake_hardware_reports_every_device_ok(tmp_path):
    result = run_cli(tmp_path, "selftest", "--json", KIOSK_HARDWARE="fake")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ready"] is True
    checks = {c["name"]: c for c in report["checks"]}
    for device in ("scanner", "receipt_printer", "document_printer", "card_reader", "panel"):
        assert checks[device]["ok"] and checks[device]["configured"], checks[device]


def test_selftest_exits_1_when_a_required_device_is_missing(tmp_path):
    result = run_cli(
        tmp_path,
        "selftest",
        "--json",
        KIOSK_SCANNER="none",
        KIOSK_DOCUMENT_PRINTER="fake",
        KIOSK_RECEIPT_PRINTER="none",
        KIOSK_CARD_READER="none",
        KIOSK_PANEL="none",
    )
    assert result.returncode == 1
    report = json.loads(result.stdout)
    scanner = next(c for c in report["checks"] if c["name"] == "scanner")
    assert scanner == {**scanner, "ok": False, "required": True, "configured": False}


def test_selftest_failure_carries_an_operator_message(tmp_path):
    """A CUPS queue that does not exist (or no CUPS at all): the A4 printer is offline."""
    result = run_cli(
        tmp_path,
        "selftest",
        "--json",
        KIOSK_SCANNER="fake",
        KIOSK_RECEIPT_PRINTER="fake",
        KIOSK_CARD_READER="fake",
        KIOSK_PANEL="fake",
        KIOSK_DOCUMENT_PRINTER="cups",
        KIOSK_CUPS_QUEUE="NO_SUCH_QUEUE",
    )
    assert result.returncode == 1
    printer = next(
        c for c in json.loads(result.stdout)["checks"] if c["name"] == "document_printer"
    )
    assert printer["ok"] is False
    assert printer["message"].startswith("Printer tidak merespons.")


def test_selftest_prints_the_readiness_report(tmp_path):
    result = run_cli(tmp_path, "selftest", "--print", "receipt", KIOSK_HARDWARE="fake")
    assert result.returncode == 0, result.stderr
    assert "Siap" in result.stdout
    assert len(list((tmp_path / "data" / "simulasi").glob("struk-*.png"))) == 1


def test_serve_refuses_a_public_bind_address(tmp_path):
    result = run_cli(tmp_path, "serve", KIOSK_BIND="0.0.0.0")
    assert result.returncode == 2
    assert "allow_remote_bind" in result.stderr


def test_bad_setting_exits_2_with_the_variable_named(tmp_path):
    result = run_cli(tmp_path, "selftest", KIOSK_PORT="http")
    assert result.returncode == 2
    assert "KIOSK_PORT" in result.stderr


def test_settings_markdown_is_the_readme_table(tmp_path):
    result = run_cli(tmp_path, "settings", "--markdown")
    assert result.returncode == 0
    assert result.stdout in (ROOT / "README.md").read_text()
