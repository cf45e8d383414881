"""The collector (kiosk/collector, a separate program on the PPS server) and the fleet tool
(kiosk/fleet, on the technician's PC) import nothing of the web app: only the formats they
share with the kiosk (bundle, device key, signed audit head, profile), and their own modules.

Every import counts, at module level or inside a function.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Shared by both tools: the bundle and key formats, the TPS profile (and the roles it names),
# words in the kiosk's languages, durable files, TOML line numbers.
SHARED = (
    "kiosk.upload.bundle",
    "kiosk.devicekey",
    "kiosk.profile",
    "kiosk.profile_checks",
    "kiosk.profile_text",
    "kiosk.roles",  # the profile's vocabulary (kiosk.profile names each officer's Role)
    "kiosk.tps",
    "kiosk.tps_time",  # the TPS's zone (WIB/WITA/WIT) from its code
    "kiosk.i18n",
    "kiosk.storage",
    "kiosk.tomllines",
    "kiosk.sqlite_tx",  # the BEGIN IMMEDIATE transaction, standard library only
)
ALLOWED = {
    # The signed audit head travels in the upload metadata; the collector keeps and checks it.
    "collector": (*SHARED, "kiosk.audit_head"),
    "fleet": SHARED,
}
# First boot runs on the kiosk itself, at the image's first start (tps-kiosk firstboot): it
# installs the profile into the kiosk's database like tps-kiosk provision does, so it opens the
# kiosk's core and provisioning service. No other module of kiosk/fleet may.
FIRSTBOOT = (
    "kiosk.core",
    "kiosk.services.provisioning",
    "kiosk.integrity",
    "kiosk.errors",
    "kiosk.settings",
)


def _kiosk_imports(path: Path) -> set[str]:
    """Every kiosk module a file imports, at any depth of the file."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "kiosk"}
        elif isinstance(node, ast.ImportFrom) and node.module:
            assert node.level == 0, f"{path}: relative import"
            if node.module == "kiosk":  # from kiosk import x: x is a module of the package
                found |= {f"kiosk.{a.name}" for a in node.names}
            elif node.module.split(".")[0] == "kiosk":
                found.add(node.module)
    return found


def _offenders(tool: str) -> list[str]:
    own = f"kiosk.{tool}"
    offenders = []
    for path in sorted((ROOT / "kiosk" / tool).glob("*.py")):
        allowed = ALLOWED[tool] + (FIRSTBOOT if path.stem == "firstboot" else ())
        for module in sorted(_kiosk_imports(path)):
            if module == own or module.startswith(own + "."):
                continue
            if module not in allowed:
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    return offenders


def test_the_collector_imports_only_the_shared_formats():
    assert len(list((ROOT / "kiosk" / "collector").glob("*.py"))) > 5
    assert _offenders("collector") == []


def test_the_fleet_tool_imports_only_the_shared_formats():
    assert len(list((ROOT / "kiosk" / "fleet").glob("*.py"))) > 5
    assert _offenders("fleet") == []


def test_the_check_sees_function_level_imports(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from kiosk import wiring\n"
        "def f():\n"
        "    from kiosk.views.access import services\n"
        "    import kiosk.db\n"
    )
    assert _kiosk_imports(sample) == {"kiosk.wiring", "kiosk.views.access", "kiosk.db"}


def test_the_tools_command_lines_load_no_web_app_module():
    """What the running tools load, the shared modules' own imports included."""
    code = textwrap.dedent(
        """
        import sys
        import kiosk.collector.cli, kiosk.collector.app, kiosk.fleet.cli
        web = ("kiosk.app", "kiosk.views", "kiosk.wiring", "kiosk.core", "kiosk.services",
               "kiosk.db", "kiosk.chasil", "kiosk.checklist", "kiosk.training", "kiosk.devices",
               "kiosk.settings", "kiosk.audit", "kiosk.context")
        loaded = [m for m in sys.modules if m in web or m.startswith(tuple(w + "." for w in web))]
        print("\\n".join(sorted(loaded)))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == []
