"""drivers/ knows nothing of Flask or kiosk/, and vendor libraries stay lazy and isolated."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENDORS = {
    "sane": "drivers/scanner/sane_adapter.py",
    "_sane": "drivers/scanner/sane_adapter.py",
    "escpos": "drivers/printer/escpos_adapter.py",
    "cups": "drivers/printer/cups_adapter.py",
    "smartcard": "drivers/card/pcsc_adapter.py",
    "gpiozero": "drivers/gpio/gpiozero_adapter.py",
}


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(top-level module, imported at module level?) for every import in a file."""
    tree = ast.parse(path.read_text(), str(path))
    found = []
    top_level = {id(n) for n in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name.split(".")[0], id(node) in top_level) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module.split(".")[0], id(node) in top_level))
    return found


def test_drivers_never_import_flask_or_kiosk():
    files = sorted((ROOT / "drivers").rglob("*.py"))
    assert len(files) > 10
    offenders = [
        f"{f.relative_to(ROOT)}: {mod}"
        for f in files
        for mod, _ in _imports(f)
        if mod in ("flask", "flask_babel", "flask_wtf", "werkzeug", "kiosk")
    ]
    assert offenders == []


def test_vendor_libraries_are_imported_lazily_and_in_one_module_each():
    offenders = []
    for f in sorted([*(ROOT / "drivers").rglob("*.py"), *(ROOT / "kiosk").rglob("*.py")]):
        rel = str(f.relative_to(ROOT))
        for mod, at_top in _imports(f):
            if mod in VENDORS:
                if VENDORS[mod] != rel:
                    offenders.append(f"{rel} imports {mod} (only {VENDORS[mod]} may)")
                elif at_top:
                    offenders.append(f"{rel} imports {mod} at module level")
    assert offenders == []


def test_demo_app_runs_without_any_vendor_library(tmp_path):
    """With sane, escpos, smartcard, cups, usb, serial and gpiozero all unimportable, the app
    still builds with fake devices and serves its pages; only the GPIO panel is unavailable."""
    code = textwrap.dedent(f"""
        import sys
        for name in ("sane", "_sane", "escpos", "smartcard", "cups", "usb", "serial", "gpiozero"):
            sys.modules[name] = None  # makes "import name" raise ImportError
        from kiosk import create_app
        from kiosk.settings import Settings
        app = create_app(Settings.from_values(data_dir={str(tmp_path)!r}, hardware="fake",
                                              training=True))
        client = app.test_client()
        home = client.get("/")
        assert home.status_code == 200 and b"SIMULASI" in home.data, home.status_code
        kiosk = app.extensions["kiosk"]
        from drivers.scanner import ScanRequest
        pages = list(kiosk.devices.scanner.scan(ScanRequest(dpi=50)))
        assert pages and pages[0].width > 0
        assert kiosk.devices.panel is None and kiosk.devices.panel_error is not None
        print("OK")
    """)
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("OK")
